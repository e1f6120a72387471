"""Procedural pavement-crack images: the offline default data of mmcrack.

:func:`generate_synthetic_cracks` writes the mmcrack layout (see
:class:`mmcrack.datasets.CrackDataset`)::

    out_dir/
        images/<stem>.jpg    RGB pavement image (JPEG quality 95)
        masks/<stem>.png     single channel, 0 background, 1 crack
        splits/train.txt     one stem per line (train_00000, ...)
        splits/val.txt       (val_00000, ...)
        SOURCE.txt           generator, arguments and crack-pixel statistics

Each image is rendered from its own random stream, seeded by
``(seed, split, index)``: the same seed gives byte-identical files, and an
image does not change when the number of images of either split does.

An image is rendered in four steps, all vectorised with numpy/OpenCV:

1. Surface (:func:`render_surface`): asphalt (dark, coarse aggregate) or
   concrete (light, fine) from multi-octave value noise, light and dark
   aggregate speckles, colour tint and an illumination gradient; sometimes
   stains, lane paint and a tyre mark.
2. Cracks (:func:`draw_crack_layer`): random-walk polylines whose direction
   drifts smoothly around a main heading, with branches, varying width
   (1-5 px, tapered ends) and sometimes an alligator network of short
   jagged cells. The mask is the stroke drawn with ``cv2.LINE_8``; the
   appearance is the same stroke anti-aliased (``cv2.LINE_AA``), softened
   with a Gaussian blur and darkened with a per-crack contrast. Cracks are
   added until the crack-pixel fraction reaches a target drawn in
   ``crack_fraction``; a crack that overshoots the range is replaced.
3. A cast shadow on some images (after the cracks, so they darken too).
4. Camera: slight blur and sensor noise.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..utils.constants import CRACK
from .conversion import (OUTPUT_DIRS, check_output_dir, staged_output,
                         write_splits)

#: Index of each split in the seed of an image's random stream.
SPLIT_IDS = {'train': 0, 'val': 1}
#: Crack widths in pixels (cv2 line thickness).
MIN_WIDTH, MAX_WIDTH = 1, 5
#: Largest distance from a crack pixel to the background (distance
#: transform): 3 for a 5 px stroke, up to ~4 where strokes cross; strokes
#: that overlap into wider blobs are redrawn.
MAX_HALF_WIDTH = 4.0
#: Largest number of cracks tried for one image before giving up.
MAX_TRIES = 200


@dataclass
class SyntheticCrackSummary:
    """What :func:`generate_synthetic_cracks` wrote.

    Attributes:
        out_dir (str): The dataset root.
        stems (dict): Split name -> list of stems written.
        crack_fractions (dict): Stem -> fraction of crack pixels in [0, 1].
    """
    out_dir: str
    stems: Dict[str, List[str]] = field(default_factory=dict)
    crack_fractions: Dict[str, float] = field(default_factory=dict)

    @property
    def num_images(self) -> int:
        return len(self.crack_fractions)

    def fraction_range(self) -> Tuple[float, float]:
        values = list(self.crack_fractions.values())
        return min(values), max(values)


# ----------------------------------------------------------------------
# noise helpers
# ----------------------------------------------------------------------
def value_noise(rng: np.random.Generator, size: Tuple[int, int],
                cell: float) -> np.ndarray:
    """Smooth noise in about [-1, 1]: a random grid upsampled bicubically.

    Args:
        size (tuple): (W, H) of the output.
        cell (float): Grid spacing in pixels (feature size).
    """
    w, h = size
    gw = int(np.ceil(w / cell)) + 2
    gh = int(np.ceil(h / cell)) + 2
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    big = cv2.resize(
        grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
    oy = int(rng.integers(0, max(1, big.shape[0] - h)))
    ox = int(rng.integers(0, max(1, big.shape[1] - w)))
    return big[oy:oy + h, ox:ox + w]


def fractal_noise(rng: np.random.Generator, size: Tuple[int, int],
                  cells: Sequence[float], persistence: float) -> np.ndarray:
    """Sum of :func:`value_noise` octaves, normalised to unit std."""
    total = np.zeros((size[1], size[0]), np.float32)
    amp = 1.0
    for cell in cells:
        total += amp * value_noise(rng, size, cell)
        amp *= persistence
    return total / (total.std() + 1e-6)


def smooth_series(rng: np.random.Generator, n: int,
                  sigma: float) -> np.ndarray:
    """White noise of length ``n`` smoothed by a Gaussian, unit std."""
    pad = int(3 * sigma) + 1
    x = rng.standard_normal(n + 2 * pad)
    k = np.exp(-0.5 * (np.arange(-pad, pad + 1) / sigma)**2)
    y = np.convolve(x, k / k.sum(), mode='same')[pad:pad + n]
    return y / (y.std() + 1e-6)


# ----------------------------------------------------------------------
# surface
# ----------------------------------------------------------------------
def render_surface(rng: np.random.Generator, size: Tuple[int, int]):
    """Pavement without cracks: float32 BGR array, H x W x 3, ~[0, 255]."""
    w, h = size
    asphalt = rng.random() < 0.6
    if asphalt:
        base = rng.uniform(85, 135)
        tint = np.array([1.0, 1.0, 1.0]) + rng.uniform(-0.04, 0.04, 3)
        grain = rng.uniform(14, 22)
    else:
        base = rng.uniform(140, 190)
        tint = np.array([1.0, 0.98, 0.94]) + rng.uniform(-0.04, 0.04, 3)
        grain = rng.uniform(7, 12)

    # Multi-octave texture: broad mottling plus fine grain.
    broad = fractal_noise(rng, size, (96, 48, 24), 0.6)
    fine = fractal_noise(rng, size, (6, 3, 1.5), 0.7)
    gray = base + 8 * broad + grain * 0.6 * fine

    # Aggregate: light and dark stones of 1-4 px from thresholded noise.
    stone_scale = rng.uniform(1.5, 3.0) if asphalt else rng.uniform(1.0, 2.0)
    for sign, quantile in ((1, 0.93), (-1, 0.95)):
        stones = value_noise(rng, size, stone_scale)
        stones = np.clip((stones - np.quantile(stones, quantile)) * 6, 0, 1)
        gray = gray + sign * grain * 1.6 * stones
    # Per-pixel speckle.
    gray = gray + rng.normal(0, grain * 0.35, (h, w)).astype(np.float32)

    # Stains: soft dark/light blobs (oil, water, patches).
    for _ in range(rng.poisson(1.2)):
        stain = np.zeros((h, w), np.float32)
        center = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(w // 12,
                                 w // 3)), int(rng.integers(h // 12, h // 3)))
        cv2.ellipse(stain, center, axes, float(rng.uniform(0, 180)), 0, 360,
                    1.0, -1)
        blur = 2 * int(min(w, h) * 0.04) + 1
        stain = cv2.GaussianBlur(stain, (blur, blur), 0)
        stain *= 0.6 + 0.4 * np.clip(value_noise(rng, size, 16) + 0.5, 0, 1)
        gray = gray + rng.choice([-1, 1], p=[0.75, 0.25]) * rng.uniform(
            10, 30) * stain

    img = gray[..., None] * tint[None, None].astype(np.float32)

    # Lane paint: a worn white or yellow band.
    if rng.random() < 0.2:
        paint = np.zeros((h, w), np.float32)
        angle = rng.uniform(0, np.pi)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        d = np.array([np.cos(angle), np.sin(angle)]) * 2 * max(w, h)
        p1 = (int(cx - d[0]), int(cy - d[1]))
        p2 = (int(cx + d[0]), int(cy + d[1]))
        cv2.line(paint, p1, p2, 1.0, int(rng.integers(12, 28)), cv2.LINE_AA)
        wear = np.clip(fractal_noise(rng, size, (8, 3), 0.6) * 0.5 + 0.7, 0, 1)
        paint = cv2.GaussianBlur(paint * wear, (3, 3), 0)[..., None]
        color = np.array([235, 235, 230] if rng.random() < 0.6 else
                         [80, 190, 230])  # BGR: white or yellow
        img = img * (1 - 0.8 * paint) + 0.8 * paint * (
            color + 0.3 * (img - base))

    # Tyre mark: a broad faint dark band.
    if rng.random() < 0.2:
        mark = np.zeros((h, w), np.float32)
        pts = np.stack([
            np.linspace(-0.2, 1.2, 8) * w,
            rng.uniform(0, h) + np.cumsum(rng.normal(0, h * 0.05, 8))
        ], 1).astype(np.int32)
        if rng.random() < 0.5:
            pts = pts[:, ::-1].copy()
        cv2.polylines(mark, [pts], False, 1.0, int(rng.integers(10, 24)),
                      cv2.LINE_AA)
        mark = cv2.GaussianBlur(mark, (0, 0), 4)
        img = img * (1 - rng.uniform(0.08, 0.18) * mark[..., None])

    # Illumination: a linear gradient and a broad vignette-like field.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.normal(0, 0.12, 2)
    light = 1 + gx * (xx / w - 0.5) + gy * (yy / h - 0.5)
    light += 0.05 * value_noise(rng, size, max(w, h) / 2)
    return img * light[..., None]


# ----------------------------------------------------------------------
# cracks
# ----------------------------------------------------------------------
def random_walk(rng: np.random.Generator, start: np.ndarray, heading: float,
                length: float, wiggle: float) -> np.ndarray:
    """Points of a crack: straight pieces with kinks around ``heading``.

    The direction is ``heading`` plus a slow meander (amplitude ``wiggle``
    rad) plus a kink angle held for 2-6 steps, so the path is jagged like a
    real fracture rather than smoothly curved.

    Returns:
        np.ndarray: float (N, 2) x, y points, ~2 px apart.
    """
    step = 2.0
    n = max(3, int(length / step))
    runs = rng.integers(2, 7, n)
    kinks = np.repeat(rng.normal(0, 0.5, n), runs)[:n]
    theta = heading + wiggle * smooth_series(rng, n, n / 5) + kinks
    steps = step * np.stack([np.cos(theta), np.sin(theta)], 1)
    return start + np.concatenate([[[0, 0]], np.cumsum(steps, 0)])


def width_profile(rng: np.random.Generator,
                  n: int,
                  max_width: float,
                  taper: bool = True) -> np.ndarray:
    """Smoothly varying stroke widths in [1, max_width], tapered at ends."""
    base = rng.uniform(MIN_WIDTH + 0.2, max_width)
    w = (
        base + 0.6 * smooth_series(rng, n, max(2, n / 10)) +
        0.35 * smooth_series(rng, n, 1.5))
    if taper:
        t = np.linspace(0, 1, n)
        w = w * np.clip(np.minimum(t, 1 - t) * 8, 0.35, 1)
    return np.clip(w, MIN_WIDTH, max_width)


def draw_stroke(mask: np.ndarray, alpha: np.ndarray, points: np.ndarray,
                widths: np.ndarray, darkness: float) -> None:
    """Draw one polyline: hard stroke into ``mask``, soft into ``alpha``.

    ``alpha`` is uint8: 255 * darkness where the crack is fully dark.
    """
    pts = np.round(points * 16).astype(np.int32)  # 4 fractional bits
    thick = np.round(widths).astype(int)
    # 1 px strokes lose contrast to anti-aliasing and blur: darken them.
    values = np.round(255 *
                      np.minimum(1, darkness * np.where(thick <= 1, 1.3, 1)))
    for i in range(len(pts) - 1):
        p, q, t = tuple(pts[i]), tuple(pts[i + 1]), int(thick[i])
        cv2.line(mask, p, q, CRACK, t, cv2.LINE_8, 4)
        cv2.line(alpha, p, q, int(values[i]), t, cv2.LINE_AA, 4)


def add_crack(rng: np.random.Generator, mask: np.ndarray, alpha: np.ndarray,
              size: Tuple[int, int]) -> None:
    """Add one crack: a main random walk with branches, or a network."""
    w, h = size
    diag = float(np.hypot(w, h))
    darkness = rng.uniform(0.4, 0.8)
    if rng.random() < 0.08:
        add_network(rng, mask, alpha, size, darkness)
        return
    start = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    heading = rng.uniform(0, 2 * np.pi)
    length = rng.uniform(0.35, 0.9) * diag
    max_width = (
        rng.uniform(1.5, 3.2) if rng.random() < 0.6 else rng.uniform(
            3.2, MAX_WIDTH + 0.49))
    main = random_walk(rng, start, heading, length, rng.uniform(0.1, 0.4))
    widths = width_profile(rng, len(main), max_width)
    draw_stroke(mask, alpha, main, widths, darkness)
    # Branches leave the main crack at 20-70 degrees, thinner and shorter;
    # some branch again.
    for _ in range(rng.poisson(1.5)):
        at = int(
            rng.integers(
                len(main) // 8, max(len(main) // 8 + 1, 7 * len(main) // 8)))
        side = rng.choice([-1, 1])
        b_heading = heading + side * np.deg2rad(rng.uniform(20, 70))
        b_len = rng.uniform(0.15, 0.45) * length
        branch = random_walk(rng, main[at], b_heading, b_len,
                             rng.uniform(0.1, 0.35))
        b_width = max(1.5, float(widths[at]))
        b_widths = width_profile(rng, len(branch), b_width)
        b_widths[:3] = np.minimum(b_widths[:3], widths[at])
        draw_stroke(mask, alpha, branch, b_widths, darkness * 0.9)
        if rng.random() < 0.3:
            at2 = int(rng.integers(1, len(branch)))
            sub = random_walk(
                rng, branch[at2],
                b_heading - side * np.deg2rad(rng.uniform(20, 60)),
                rng.uniform(0.3, 0.6) * b_len, 0.25)
            draw_stroke(mask, alpha, sub,
                        width_profile(rng, len(sub), max(1.3, b_width - 1)),
                        darkness * 0.85)


def jagged_segment(rng: np.random.Generator, a: np.ndarray, b: np.ndarray,
                   jitter: float) -> np.ndarray:
    """Points ~2 px apart from ``a`` to ``b`` through 1-3 displaced kinks."""
    vec = b - a
    dist = float(np.hypot(*vec)) + 1e-6
    normal = np.array([-vec[1], vec[0]]) / dist
    t_knots = np.concatenate([[0],
                              np.sort(
                                  rng.uniform(0.15, 0.85, rng.integers(1, 4))),
                              [1]])
    offsets = np.concatenate([[0],
                              rng.normal(0, jitter,
                                         len(t_knots) - 2), [0]])
    t = np.linspace(0, 1, max(3, int(dist / 2)))
    off = np.interp(t, t_knots, offsets)
    return a + t[:, None] * vec + off[:, None] * normal


def add_network(rng: np.random.Generator, mask: np.ndarray, alpha: np.ndarray,
                size: Tuple[int, int], darkness: float) -> None:
    """Alligator cracking: jagged edges of a jittered grid in a patch."""
    w, h = size
    cell = rng.uniform(18, 34) * min(w, h) / 256
    cols, rows = int(rng.integers(3, 6)), int(rng.integers(3, 6))
    x0 = rng.uniform(-0.1 * w, w - cols * cell * 0.8)
    y0 = rng.uniform(-0.1 * h, h - rows * cell * 0.8)
    rot = rng.uniform(0, np.pi)
    gy, gx = np.mgrid[0:rows + 1, 0:cols + 1].astype(np.float64)
    nodes = np.stack([gx, gy], -1) * cell + rng.normal(0, cell * 0.22,
                                                       (rows + 1, cols + 1, 2))
    c, s = np.cos(rot), np.sin(rot)
    nodes = nodes @ np.array([[c, s], [-s, c]]) + [x0, y0]
    max_width = rng.uniform(1.5, 2.8)
    for r in range(rows + 1):
        for k in range(cols + 1):
            for dr, dk in ((0, 1), (1, 0)):
                if r + dr > rows or k + dk > cols or rng.random() < 0.2:
                    continue
                a, b = nodes[r, k], nodes[r + dr, k + dk]
                pts = jagged_segment(rng, a, b, 0.1 * cell)
                draw_stroke(
                    mask, alpha, pts,
                    width_profile(rng, len(pts), max_width, taper=False),
                    darkness)


def draw_crack_layer(
        rng: np.random.Generator, size: Tuple[int, int],
        crack_fraction: Tuple[float, float]) -> Tuple[np.ndarray, np.ndarray]:
    """Cracks until the crack-pixel fraction lies in ``crack_fraction``.

    A target fraction is drawn log-uniformly in the lower part of the range
    (real sets have mostly thin cracks); cracks are added until the target is
    reached. A crack that takes the fraction above the upper bound, or that
    overlaps a stroke into a blob wider than :data:`MAX_HALF_WIDTH`, is undone
    and another one tried.

    Returns:
        tuple: mask (uint8 H x W, 0/1) and alpha (float32 H x W in [0, 1],
        the darkening of each pixel).

    Raises:
        RuntimeError: if no layout within the range is found in
            :data:`MAX_TRIES` cracks (only for extreme sizes or ranges).
    """
    w, h = size
    lo, hi = crack_fraction
    # Log-uniform: thin-crack images are as common as in real sets.
    target = np.exp(
        rng.uniform(
            np.log(lo + 0.1 * (hi - lo)), np.log(lo + 0.6 * (hi - lo))))
    mask = np.zeros((h, w), np.uint8)
    alpha = np.zeros((h, w), np.uint8)
    for _ in range(MAX_TRIES):
        new_mask, new_alpha = mask.copy(), alpha.copy()
        add_crack(rng, new_mask, new_alpha, size)
        frac = new_mask.mean()
        if frac > hi or cv2.distanceTransform(
                new_mask, cv2.DIST_L2,
                cv2.DIST_MASK_PRECISE).max() > MAX_HALF_WIDTH:
            continue
        mask, alpha = new_mask, new_alpha
        if frac >= target:
            break
    frac = mask.mean()
    if not lo <= frac <= hi:
        raise RuntimeError(
            f'Could not draw cracks covering {lo:.1%}-{hi:.1%} of a {w}x{h} '
            f'image in {MAX_TRIES} tries (got {frac:.2%}); widen '
            'crack_fraction or use images of at least 64x64.')
    return mask, alpha.astype(np.float32) / 255


# ----------------------------------------------------------------------
# one image and the whole set
# ----------------------------------------------------------------------
def render_sample(
    seed: int,
    split: str,
    index: int,
    size: Tuple[int, int] = (256, 256),
    crack_fraction: Tuple[float, float] = (0.01, 0.05)
) -> Tuple[np.ndarray, np.ndarray]:
    """Render image ``index`` of ``split``.

    Returns:
        tuple: BGR uint8 image (H x W x 3) and uint8 mask (H x W, 0/1).
    """
    rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
    w, h = size
    img = render_surface(rng, size)
    mask, alpha = draw_crack_layer(rng, size, crack_fraction)

    # Soft crack edges; grainy, dark interior with a faint lighter rim
    # (crack lips catch light).
    soft = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.35, 0.6))
    rim = np.clip(cv2.GaussianBlur(alpha, (0, 0), 2.0) - soft, 0, 1)
    grain = 1 + 0.15 * rng.standard_normal((h, w)).astype(np.float32)
    depth = np.clip(soft * grain, 0, 0.95)
    img = img * (1 - depth[..., None]) * (1 + 0.12 * rim[..., None])

    # Cast shadow (pole, vehicle, kerb) over part of the image.
    if rng.random() < 0.25:
        shade = np.zeros((h, w), np.float32)
        poly = np.array(
            [[rng.uniform(-0.2, 1.2) * w,
              rng.uniform(-0.2, 1.2) * h] for _ in range(4)])
        hull = cv2.convexHull(poly.astype(np.float32)).astype(np.int32)
        cv2.fillConvexPoly(shade, hull, 1.0, cv2.LINE_AA)
        shade = cv2.GaussianBlur(shade, (0, 0), rng.uniform(2, 8))
        img = img * (1 - rng.uniform(0.25, 0.5) * shade[..., None])

    # Camera: slight defocus and sensor noise.
    img = cv2.GaussianBlur(
        img.astype(np.float32), (0, 0), rng.uniform(0.2, 0.5))
    img = img + rng.normal(0, rng.uniform(1.5, 4), img.shape).astype(
        np.float32)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), mask


def generate_synthetic_cracks(
        out_dir: str,
        num_train: int = 200,
        num_val: int = 40,
        size: Tuple[int, int] = (256, 256),
        seed: int = 0,
        crack_fraction: Tuple[float, float] = (0.01, 0.05),
        jpeg_quality: int = 95,
        overwrite: bool = False,
        progress: Optional[Callable[[],
                                    None]] = None) -> SyntheticCrackSummary:
    """Write a synthetic crack dataset in the mmcrack layout.

    Stems are ``train_00000``... and ``val_00000``...; image ``i`` of a split
    depends only on ``(seed, split, i)``, ``size`` and ``crack_fraction``.
    ``out_dir`` must be empty or absent unless ``overwrite`` is set, which
    replaces its ``images/``, ``masks/`` and ``splits/`` folders and
    ``SOURCE.txt`` (so no image of an earlier, larger set is left behind) and
    leaves other files alone.

    Args:
        out_dir (str): Dataset root to write.
        num_train (int): Training images. Defaults to 200.
        num_val (int): Validation images. Defaults to 40.
        size (tuple[int, int]): Image size (W, H); at least 64x64.
            Defaults to (256, 256).
        seed (int): Seed of every random stream. Defaults to 0.
        crack_fraction (tuple[float, float]): Allowed fraction of crack
            pixels per image, enforced for every image.
            Defaults to (0.01, 0.05).
        jpeg_quality (int): JPEG quality of the images. Defaults to 95.
        overwrite (bool): Write into a non-empty ``out_dir``.
            Defaults to False.
        progress (callable, optional): Called once per image written
            (e.g. ``mmengine.ProgressBar(n).update``). Defaults to None.

    Returns:
        SyntheticCrackSummary: Stems per split and each crack fraction.

    Raises:
        ValueError: For bad arguments, and (a ``CrackDataError``) for a
            non-empty ``out_dir`` without ``overwrite``.
    """
    w, h = (int(v) for v in size)
    if w < 64 or h < 64:
        raise ValueError(f'size must be at least 64x64, not {w}x{h}.')
    if num_train < 0 or num_val < 0:
        raise ValueError('num_train and num_val must be >= 0.')
    if seed < 0:
        raise ValueError(f'seed must be >= 0, not {seed}.')
    lo, hi = crack_fraction
    if not 0 < lo < hi < 0.5:
        raise ValueError(
            f'crack_fraction must satisfy 0 < low < high < 0.5, not {lo}, '
            f'{hi}.')
    check_output_dir(out_dir, overwrite)
    summary = SyntheticCrackSummary(out_dir=out_dir)
    with staged_output(out_dir, OUTPUT_DIRS + ('SOURCE.txt', )) as staging:
        for split, count in (('train', num_train), ('val', num_val)):
            stems = []
            for index in range(count):
                stem = f'{split}_{index:05d}'
                img, mask = render_sample(seed, split, index, (w, h),
                                          (lo, hi))
                cv2.imwrite(
                    osp.join(staging, 'images', stem + '.jpg'), img,
                    [cv2.IMWRITE_JPEG_QUALITY,
                     int(jpeg_quality)])
                cv2.imwrite(osp.join(staging, 'masks', stem + '.png'), mask)
                stems.append(stem)
                summary.crack_fractions[stem] = float(mask.mean())
                if progress is not None:
                    progress()
            summary.stems[split] = stems
        write_splits(osp.join(staging, 'splits'), summary.stems)
        write_source(summary, staging, (w, h), seed, (lo, hi), jpeg_quality)
    return summary


def write_source(summary: SyntheticCrackSummary, folder: str,
                 size: Tuple[int, int], seed: int,
                 crack_fraction: Tuple[float, float],
                 jpeg_quality: int) -> None:
    """Write ``folder/SOURCE.txt``: how the set was made (no
    timestamps)."""
    lines = [
        'Synthetic pavement cracks from mmcrack.datasets.synthetic_cracks '
        '(tools/misc/generate_synthetic_cracks.py).',
        f'seed={seed} size={size[0]}x{size[1]} (WxH) '
        f'crack_fraction={crack_fraction[0]}-{crack_fraction[1]} '
        f'jpeg_quality={jpeg_quality}',
        'train={} val={}'.format(
            len(summary.stems.get('train', [])),
            len(summary.stems.get('val', []))),
        'masks: single-channel PNG, 0 = background, 1 = crack',
    ]
    if summary.num_images:
        fr = np.array(list(summary.crack_fractions.values()))
        lines.append(f'crack pixels per image: min {fr.min():.2%}, mean '
                     f'{fr.mean():.2%}, max {fr.max():.2%}')
    with open(osp.join(folder, 'SOURCE.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
