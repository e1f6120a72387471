"""Crack measurements from a binary crack mask: count, length, width, type.

:func:`measure_cracks` turns one predicted mask into the numbers an
inspection report needs. Every quantity is defined on pixels first and
converted to millimetres with ``mm_per_pixel`` (lengths and widths times
``mm_per_pixel``, areas times its square).

Cleaning
    Crack pixels are the non-zero mask pixels. 8-connected components of
    fewer than ``min_area`` pixels are dropped, and holes (4-connected
    background regions that do not touch the image border) of fewer than
    ``min_area`` pixels are filled, before anything is measured; both are
    segmentation noise, not cracks or enclosed pavement.

``crack_pixels``, ``area_ratio``
    Crack pixels after cleaning, and that number divided by the number of
    image pixels.

``num_cracks``
    8-connected components of the cleaned mask: pieces of crack that do
    not touch each other.

Skeleton
    The cleaned mask is thinned to a one-pixel-wide skeleton with
    :func:`skimage.morphology.skeletonize` (``method='lee'``, which keeps
    the ends of straight strokes and stays centred on odd widths). Two
    skeleton pixels are linked by a *step* when they are 4-neighbours, or
    when they are diagonal neighbours that share no 4-neighbour in the
    skeleton (a diagonal that cuts the corner of an "L" would measure that
    corner twice). The *degree* of a skeleton pixel is its number of steps:
    1 at an end, 2 along a crack, 3 or more at a junction.

``num_junctions``
    Groups of linked skeleton pixels of degree >= 3: one per place where
    three or more crack branches meet (a crossing counts once).

``num_branches``
    Skeleton pieces between ends and junctions: the linked groups of
    skeleton pixels left when the junction pixels are removed (a closed
    ring with no junction is one branch). Before counting, *spurs* are
    removed once: a branch from an end to a junction that is shorter than
    the crack width at that junction is a bump on the crack's border, not a
    branch.

``num_loops``
    Holes left after cleaning: background regions enclosed by crack, such
    as the cells of block or alligator cracking.

``length_px``
    Skeleton length: 1 per orthogonal step and sqrt(2) per diagonal step,
    plus half a pixel at each skeleton end (a pixel's own extent, so that
    a straight run of ``n`` pixels measures ``n``; an isolated skeleton
    pixel measures 1).

``mean_width_px``, ``max_width_px``
    The width at a skeleton pixel is ``2 * d - 1``, where ``d`` is the
    Euclidean distance transform (distance from the pixel centre to the
    centre of the nearest background pixel). The nearest background pixel
    lies half a pixel beyond the crack's border, on each side, so ``2 * d``
    counts one pixel too many: a 1 px line measures 1 and a 3 px line
    measures 3. Odd widths are exact across horizontal and vertical cracks;
    an even width ``w`` measures ``w - 1`` (the skeleton lies on one of the
    two centre rows). The mean is weighted by skeleton length and leaves
    out the skeleton ends (there ``d`` reaches the end of the crack, not its
    side); the maximum is taken over all skeleton pixels.

Orientation and ``crack_type``
    The direction of a skeleton pixel is the principal axis of the skeleton
    pixels within ``ORIENTATION_RADIUS`` px around it (a local structure
    tensor); its angle ``a`` to the image's horizontal axis is in [0, 90]
    degrees. Road photos are taken with the driving direction vertical in
    the image, so a pixel is *transverse* (across the road) when
    ``a < TRANSVERSE_MAX_ANGLE`` (30), *longitudinal* (along the road) when
    ``a > LONGITUDINAL_MIN_ANGLE`` (60), and *oblique* in between;
    ``transverse_share``, ``longitudinal_share`` and ``oblique_share`` are
    the fractions of the skeleton length in each class. The label is

    - ``'none'``: no crack pixel left after cleaning;
    - ``'network'``: ``num_loops >= NETWORK_MIN_LOOPS`` (2), or
      ``num_junctions >= NETWORK_MIN_JUNCTIONS`` (3), or no class holds
      ``DOMINANT_SHARE`` (60 %) of the length (mixed directions);
    - otherwise the class that holds the most length: ``'transverse'``,
      ``'longitudinal'`` or ``'oblique'``.

    Skeleton pixels with no other skeleton pixel within the radius (specks)
    have no direction; when the whole skeleton is made of them, the
    principal axis of all crack pixels decides.
"""
import csv
import json
import math
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.morphology import skeletonize

#: Components and holes smaller than this (pixels) are removed / filled.
DEFAULT_MIN_AREA = 10
#: Radius (px) of the neighbourhood that gives a skeleton pixel's direction.
ORIENTATION_RADIUS = 10
#: Angles to the image's horizontal axis, in degrees, below which a crack is
#: transverse and above which it is longitudinal.
TRANSVERSE_MAX_ANGLE = 30.0
LONGITUDINAL_MIN_ANGLE = 60.0
#: Share of the skeleton length one direction class needs to name the type.
DOMINANT_SHARE = 0.6
#: Loops or junctions from which the cracks form a network.
NETWORK_MIN_LOOPS = 2
NETWORK_MIN_JUNCTIONS = 3
#: Crack types, in the order used for the totals.
CRACK_TYPES = ('none', 'transverse', 'longitudinal', 'oblique', 'network')
DIRECTIONS = ('transverse', 'longitudinal', 'oblique')

#: Per-image fields in the order of the CSV columns.
MEASUREMENT_FIELDS = ('height', 'width', 'crack_pixels', 'area_ratio',
                      'num_cracks', 'num_branches', 'num_junctions',
                      'num_loops', 'length_px', 'mean_width_px',
                      'max_width_px', 'crack_type', 'transverse_share',
                      'longitudinal_share', 'oblique_share', 'length_mm',
                      'mean_width_mm', 'max_width_mm', 'crack_area_mm2')

# Skeleton step offsets (dy, dx).
_ORTHOGONAL = ((0, 1), (1, 0), (0, -1), (-1, 0))
_DIAGONAL = ((1, 1), (1, -1), (-1, 1), (-1, -1))
_SQRT2 = math.sqrt(2.0)


def clean_mask(mask: np.ndarray,
               min_area: int = DEFAULT_MIN_AREA) -> Tuple[np.ndarray, int]:
    """Drop small components and fill small holes of a crack mask.

    Args:
        mask (np.ndarray): H x W mask; non-zero pixels are crack.
        min_area (int): Components (8-connected) and holes (4-connected
            background regions not touching the border) with fewer pixels
            are removed / filled. Defaults to 10.

    Returns:
        tuple[np.ndarray, int]: The cleaned boolean mask and the number of
        holes it keeps (``num_loops``).
    """
    mask = np.asarray(mask) > 0
    num, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.view(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    cleaned = keep[labels]
    # Holes: label 0 of the inverted mask is the crack itself.
    num, labels, stats, _ = cv2.connectedComponentsWithStats(
        (~cleaned).view(np.uint8), connectivity=4)
    x, y, w, h, area = stats.T
    height, width = mask.shape
    enclosed = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    enclosed[0] = False
    small = enclosed & (area < min_area)
    cleaned |= small[labels]
    return cleaned, int((enclosed & ~small).sum())


class _SkeletonGraph:
    """Steps, degrees and per-pixel lengths of a skeleton (sparse).

    Args:
        skeleton (np.ndarray): Boolean skeleton image.
    """

    def __init__(self, skeleton: np.ndarray):
        padded = np.pad(skeleton, 1)
        ys, xs = np.nonzero(padded)
        self.ys, self.xs = ys - 1, xs - 1
        index = np.full(padded.shape, -1, np.int64)
        index[ys, xs] = np.arange(len(ys))
        rows, cols, diagonal = [], [], []
        for dy, dx in _ORTHOGONAL + _DIAGONAL:
            linked = padded[ys + dy, xs + dx]
            if dy and dx:  # skip diagonals that cut an L corner
                linked &= ~padded[ys + dy, xs] & ~padded[ys, xs + dx]
            rows.append(np.nonzero(linked)[0])
            cols.append(index[ys[linked] + dy, xs[linked] + dx])
            diagonal.append(np.full(int(linked.sum()), bool(dy and dx)))
        # Each step appears twice (once from each end).
        self.rows = np.concatenate(rows)
        self.cols = np.concatenate(cols)
        self.diagonal = np.concatenate(diagonal)
        n = len(ys)
        self.degree = np.bincount(self.rows, minlength=n)
        step = np.where(self.diagonal, _SQRT2, 1.0)
        # Half of every step to each end, half a pixel beyond each end.
        self.length = (
            np.bincount(self.rows, 0.5 * step, minlength=n) +
            0.5 * np.maximum(2 - self.degree, 0))

    def __len__(self) -> int:
        return len(self.ys)

    def groups(self, selected: np.ndarray) -> Tuple[int, np.ndarray]:
        """Linked groups among the ``selected`` skeleton pixels.

        Returns:
            tuple[int, np.ndarray]: The number of groups and the group of
            every skeleton pixel (-1 where not selected).
        """
        keep = selected[self.rows] & selected[self.cols]
        n = len(self)
        graph = coo_matrix(
            (np.ones(int(keep.sum())), (self.rows[keep], self.cols[keep])),
            shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        labels = np.where(selected, labels, -1)
        ids, labels[selected] = np.unique(
            labels[selected], return_inverse=True)
        return len(ids), labels


def _prune_spurs(skeleton: np.ndarray, graph: _SkeletonGraph,
                 width: np.ndarray) -> bool:
    """Remove end-to-junction branches shorter than the junction's width.

    Args:
        skeleton (np.ndarray): The skeleton, changed in place.
        graph (_SkeletonGraph): Its graph.
        width (np.ndarray): Width (``2d - 1``) at every skeleton pixel.

    Returns:
        bool: Whether a spur was removed.
    """
    junction = graph.degree >= 3
    if not junction.any():
        return False
    num, branch = graph.groups(~junction)
    if num == 0:
        return False
    has_end = np.bincount(
        branch[graph.degree == 1], minlength=num).astype(bool)
    # Width of the widest junction each branch touches (0 if none).
    touch = (branch[graph.rows] >= 0) & junction[graph.cols]
    junction_width = np.zeros(num)
    np.maximum.at(junction_width, branch[graph.rows[touch]],
                  width[graph.cols[touch]])
    length = np.bincount(
        branch[branch >= 0], graph.length[branch >= 0], minlength=num)
    spur = has_end & (junction_width > 0) & (length < junction_width)
    if not spur.any():
        return False
    removed = (branch >= 0) & spur[np.maximum(branch, 0)]
    skeleton[graph.ys[removed], graph.xs[removed]] = False
    return True


def _directions(skeleton: np.ndarray, ys: np.ndarray, xs: np.ndarray,
                radius: float) -> Tuple[np.ndarray, np.ndarray]:
    """Angle to the horizontal axis (0-90 degrees) at skeleton pixels.

    The principal axis of the skeleton pixels within ``radius`` around each
    pixel (second moments about the pixel: a local structure tensor),
    computed as three image correlations, so memory and time grow with the
    image, not with the number of pixel pairs.

    Returns:
        tuple[np.ndarray, np.ndarray]: The angles at ``(ys, xs)`` and a
        boolean array that is False for pixels with no skeleton neighbour
        within the radius (no direction).
    """
    r = int(radius)
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    disk = dx**2 + dy**2 <= radius**2
    source = skeleton.astype(np.float32)

    def moment(kernel):
        kernel = np.where(disk, kernel, 0).astype(np.float32)
        return cv2.filter2D(
            source, -1, kernel, borderType=cv2.BORDER_CONSTANT)[ys, xs]

    sxx, syy, sxy = moment(dx**2), moment(dy**2), moment(dx * dy)
    theta = np.degrees(0.5 * np.arctan2(2 * sxy, sxx - syy))
    # A neighbour adds at least 1 to sxx + syy; less is rounding noise.
    return _fold(theta), sxx + syy > 0.5


def _fold(theta: np.ndarray) -> np.ndarray:
    """Fold an axis angle in degrees to its angle to the horizontal, 0-90."""
    theta = np.mod(theta, 180.0)
    return np.minimum(theta, 180.0 - theta)


def _direction_class(angle: np.ndarray) -> np.ndarray:
    """0 transverse, 1 longitudinal, 2 oblique (index into DIRECTIONS)."""
    return np.where(angle < TRANSVERSE_MAX_ANGLE, 0,
                    np.where(angle > LONGITUDINAL_MIN_ANGLE, 1, 2))


def classify_crack(shares: Dict[str, float], num_loops: int,
                   num_junctions: int) -> str:
    """The crack-type label from direction shares and topology.

    Args:
        shares (dict): Fraction of the skeleton length per direction
            (``transverse``, ``longitudinal``, ``oblique``); all zero when
            there is no crack.
        num_loops (int): Enclosed background regions.
        num_junctions (int): Junctions of the skeleton.

    Returns:
        str: One of :data:`CRACK_TYPES`.
    """
    if sum(shares.values()) == 0:
        return 'none'
    dominant = max(DIRECTIONS, key=lambda k: shares[k])
    if (num_loops >= NETWORK_MIN_LOOPS
            or num_junctions >= NETWORK_MIN_JUNCTIONS
            or shares[dominant] < DOMINANT_SHARE):
        return 'network'
    return dominant


def measure_cracks(mask: np.ndarray,
                   min_area: int = DEFAULT_MIN_AREA,
                   mm_per_pixel: Optional[float] = None) -> dict:
    """Measure the cracks of one binary mask (see the module docstring).

    Args:
        mask (np.ndarray): H x W mask; non-zero pixels are crack.
        min_area (int): Smaller components are dropped and smaller holes
            filled before measuring. Defaults to 10.
        mm_per_pixel (float, optional): Ground sampling distance; adds the
            ``*_mm`` fields. Defaults to None (those fields are None).

    Returns:
        dict: The fields of :data:`MEASUREMENT_FIELDS`.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'Expected an H x W mask, got shape {mask.shape}.')
    height, width = mask.shape
    result = dict(
        height=height,
        width=width,
        crack_pixels=0,
        area_ratio=0.0,
        num_cracks=0,
        num_branches=0,
        num_junctions=0,
        num_loops=0,
        length_px=0.0,
        mean_width_px=0.0,
        max_width_px=0.0,
        crack_type='none',
        transverse_share=0.0,
        longitudinal_share=0.0,
        oblique_share=0.0)
    # Work on the bounding box of the cracks plus a 1 px background margin
    # (none where the box meets the image border), which changes no
    # distance, skeleton or hole.
    binary = (mask > 0).view(np.uint8)
    x, y, w, h = cv2.boundingRect(binary)
    if w > 0:
        y0, x0 = max(y - 1, 0), max(x - 1, 0)
        crop = binary[y0:min(y + h + 1, height), x0:min(x + w + 1, width)]
        _measure_crop(crop, min_area, result)
        result['area_ratio'] = result['crack_pixels'] / (height * width)
    return add_millimetres(result, mm_per_pixel)


def _measure_crop(mask: np.ndarray, min_area: int, result: dict) -> None:
    """Fill ``result`` with the pixel measurements of a non-empty crop."""
    cleaned, num_loops = clean_mask(mask, min_area)
    crack_pixels = int(cleaned.sum())
    if crack_pixels == 0:
        return
    num_cracks = cv2.connectedComponents(
        cleaned.view(np.uint8), connectivity=8)[0] - 1
    distance = cv2.distanceTransform(
        cleaned.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    skeleton = skeletonize(cleaned, method='lee') > 0
    graph = _SkeletonGraph(skeleton)
    width_at = 2.0 * distance[graph.ys, graph.xs] - 1.0
    if _prune_spurs(skeleton, graph, width_at):
        graph = _SkeletonGraph(skeleton)
        width_at = 2.0 * distance[graph.ys, graph.xs] - 1.0

    junction = graph.degree >= 3
    num_junctions = graph.groups(junction)[0]
    num_branches = graph.groups(~junction)[0]
    length = graph.length
    inner = graph.degree != 1
    if not inner.any():
        inner = np.ones_like(inner)
    mean_width = float(np.average(width_at[inner], weights=length[inner]))

    angle, oriented = _directions(skeleton, graph.ys, graph.xs,
                                  ORIENTATION_RADIUS)
    if oriented.any():
        shares = np.bincount(
            _direction_class(angle[oriented]), length[oriented], minlength=3)
    else:  # specks only: the principal axis of all crack pixels
        ys, xs = np.nonzero(cleaned)
        cov = np.cov(np.stack([xs, ys])) if len(xs) > 1 else np.eye(2)
        theta = np.degrees(0.5 *
                           np.arctan2(2 * cov[0, 1], cov[0, 0] - cov[1, 1]))
        shares = np.zeros(3)
        shares[_direction_class(_fold(np.array([theta])))[0]] = 1.0
    shares = shares / shares.sum()
    shares = {k: float(v) for k, v in zip(DIRECTIONS, shares)}

    result.update(
        crack_pixels=crack_pixels,
        num_cracks=int(num_cracks),
        num_branches=int(num_branches),
        num_junctions=int(num_junctions),
        num_loops=num_loops,
        length_px=float(length.sum()),
        mean_width_px=mean_width,
        max_width_px=float(width_at.max()),
        crack_type=classify_crack(shares, num_loops, num_junctions),
        **{
            f'{k}_share': v
            for k, v in shares.items()
        })


def add_millimetres(result: dict, mm_per_pixel: Optional[float]) -> dict:
    """Set the ``*_mm`` fields of ``result`` (None without a scale)."""
    scale = mm_per_pixel
    result.update(
        length_mm=None if scale is None else result['length_px'] * scale,
        mean_width_mm=None if scale is None else result['mean_width_px'] *
        scale,
        max_width_mm=None if scale is None else result['max_width_px'] * scale,
        crack_area_mm2=None if scale is None else result['crack_pixels'] *
        scale**2)
    return result


#: Columns of the measurements CSV: the input, its frame (videos), then
#: :data:`MEASUREMENT_FIELDS`.
CSV_COLUMNS = ('source', 'frame', 'time_s') + MEASUREMENT_FIELDS


def summarize_measurements(records: Sequence[dict],
                           mm_per_pixel: Optional[float] = None) -> dict:
    """Totals over images: sums of pixels, cracks and length, the
    length-weighted mean width, the largest width and the count of each
    crack type."""
    length = sum(r['length_px'] for r in records)
    crack_pixels = sum(r['crack_pixels'] for r in records)
    image_pixels = sum(r['height'] * r['width'] for r in records)
    totals = dict(
        images=len(records),
        images_with_cracks=sum(r['crack_pixels'] > 0 for r in records),
        crack_pixels=crack_pixels,
        area_ratio=crack_pixels / image_pixels if image_pixels else 0.0,
        num_cracks=sum(r['num_cracks'] for r in records),
        length_px=length,
        mean_width_px=sum(r['mean_width_px'] * r['length_px']
                          for r in records) / length if length else 0.0,
        max_width_px=max([r['max_width_px'] for r in records], default=0.0),
        crack_types={
            t: sum(r['crack_type'] == t for r in records)
            for t in CRACK_TYPES
        })
    return add_millimetres(totals, mm_per_pixel)


def save_measurements(records: Sequence[dict],
                      csv_path: str,
                      json_path: str,
                      mm_per_pixel: Optional[float] = None,
                      **extra) -> dict:
    """Write one CSV row per record and a JSON summary.

    Args:
        records (Sequence[dict]): :func:`measure_cracks` results with
            ``source`` (input path) and ``frame`` (video frame index or
            None) added; other keys go to the JSON only.
        csv_path (str): CSV file, columns :data:`CSV_COLUMNS`; floats with 4
            decimals, empty cells for None.
        json_path (str): JSON file: ``mm_per_pixel``, the ``extra`` keys,
            ``images`` (the records) and ``totals``
            (:func:`summarize_measurements`).
        mm_per_pixel (float, optional): Scale, for the totals.
        **extra: More top-level JSON keys (e.g. ``min_area``, ``skipped``).

    Returns:
        dict: The totals.
    """

    def cell(value):
        if value is None:
            return ''
        return round(value, 4) if isinstance(value, float) else value

    with open(csv_path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for record in records:
            writer.writerow([cell(record.get(k)) for k in CSV_COLUMNS])
    totals = summarize_measurements(records, mm_per_pixel)
    with open(json_path, 'w') as f:
        json.dump(
            dict(
                mm_per_pixel=mm_per_pixel,
                **extra,
                images=list(records),
                totals=totals),
            f,
            indent=2)
    return totals
