"""Image-level (crack / no-crack) sets made from pixel-labelled ones.

The weakly supervised training sets of WP-CrackNet (Sec. 4.1) are made from
pixel-labelled sets: the crack images, plus crack-free images cropped from
the same photos (Crack500, DeepCrack), or, for CFD, every image enlarged and
cut into a 3x3 grid of patches labelled crack / no crack.
:func:`make_weak_labels` does both, deterministically, from the mmcrack
layout that every converter writes::

    SRC/images/<stem>.<ext>     photos
    SRC/masks/<stem>.png        0 background, 1 crack (255 ignore)

Steps, per image of the chosen split (the rule of
:func:`~mmcrack.datasets.split.select_split`, so the val images never leak
in):

1. scale it by ``scale`` (image bilinear, mask nearest);
2. cut it into a ``grid`` x ``grid`` grid of patches (1: the whole image); a
   patch with at least ``min_crack_pixels`` crack pixels is a crack image, a
   patch with no crack pixel within ``margin`` pixels is crack-free, other
   patches (a few crack pixels, ambiguous) are dropped;
3. cut up to ``negatives_per_image`` extra crack-free square crops of
   ``negative_size`` pixels at seeded random places with no crack pixel
   within ``margin`` pixels (these are the "undamaged crops");
4. optionally resize every output to ``resize`` x ``resize``.

Output (PNG, lossless), read by :class:`~mmcrack.datasets.ImageLabelDataset`
(``ann_file='labels.txt'``; ``data_prefix=dict(img_path='',
seg_map_path='masks')`` loads the masks too)::

    OUT/crack/<name>.png, OUT/no_crack/<name>.png   the images
    OUT/masks/{crack,no_crack}/<name>.png           their 0/1 masks (for
                                                    evaluation only)
    OUT/labels.txt                                  "<image> <0|1>" lines
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

import cv2
import mmengine
import numpy as np
from PIL import Image

from ..utils.constants import CRACK, IMAGE_EXTENSIONS
from .conversion import (check_output_dir, list_files, pair_files,
                         report_unpaired, staged_output)
from .mask_format import CrackDataError, check_crack_pair
from .split import select_split

#: What :func:`make_weak_labels` writes into OUT (and ``overwrite``
#: replaces).
OUTPUTS = ('crack/', 'no_crack/', 'masks/', 'labels.txt')
#: Image label -> the folder of its images.
LABEL_DIRS = {1: 'crack', 0: 'no_crack'}


@dataclass
class WeakLabelSet:
    """What :func:`make_weak_labels` wrote.

    Attributes:
        src (str): The pixel-labelled set read.
        out_dir (str): The image-level set written.
        split (str, optional): The split of ``src`` used (None: all).
        images (int): Source images used.
        crack (int): Crack images written.
        no_crack (int): Crack-free images written.
        notes (list[str]): Remarks printed with the summary.
    """
    src: str
    out_dir: str
    split: Optional[str]
    images: int
    crack: int = 0
    no_crack: int = 0
    notes: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """The short report printed at the end."""
        lines = [
            f'{self.images} {self.split or "all"} images of {self.src} -> '
            f'{self.crack} crack and {self.no_crack} crack-free images in '
            f'{self.out_dir} ({", ".join(OUTPUTS)}).'
        ]
        lines.extend(f'  note: {note}' for note in self.notes)
        if not self.crack or not self.no_crack:
            lines.append(
                '  warning: weakly supervised training needs both crack and '
                'crack-free images; see --min-crack-pixels, --margin and '
                '--negatives-per-image.')
        return '\n'.join(lines)


def list_pairs(src: str) -> Tuple[List[Tuple[str, str, str]], List[str]]:
    """(stem, image path, mask path) of every image with a mask, by stem,
    and notes on the files left without a partner."""
    img_dir, mask_dir = osp.join(src, 'images'), osp.join(src, 'masks')
    if not osp.isdir(img_dir) or not osp.isdir(mask_dir):
        raise CrackDataError(
            f'{src} must hold images/ and masks/ (the mmcrack layout: '
            'convert the set with tools/dataset_converters/ first).')
    pairing = pair_files(
        list_files(img_dir, IMAGE_EXTENSIONS),
        list_files(mask_dir, ('.png', )))
    notes: List[str] = []
    report_unpaired(pairing, src, notes=notes)
    return pairing.pairs, notes


def near_crack(mask: np.ndarray, margin: int) -> np.ndarray:
    """1 where a crack pixel lies within ``margin`` pixels (square)."""
    crack = (mask == CRACK).astype(np.uint8)
    if margin <= 0:
        return crack
    return cv2.dilate(crack, np.ones((2 * margin + 1, 2 * margin + 1),
                                     np.uint8))


def grid_patches(image: np.ndarray, mask: np.ndarray, near: np.ndarray,
                 grid: int, min_crack: int) -> Iterator[tuple]:
    """Yield (suffix, image, mask, label) for the grid patches that are
    clearly crack (label 1) or clearly crack-free (label 0)."""
    h, w = mask.shape
    ys = np.linspace(0, h, grid + 1).round().astype(int)
    xs = np.linspace(0, w, grid + 1).round().astype(int)
    for r in range(grid):
        for c in range(grid):
            sl = (slice(ys[r], ys[r + 1]), slice(xs[c], xs[c + 1]))
            suffix = '' if grid == 1 else f'_r{r}c{c}'
            if (mask[sl] == CRACK).sum() >= min_crack:
                yield suffix, image[sl], mask[sl], 1
            elif not near[sl].any():
                yield suffix, image[sl], mask[sl], 0


def negative_crops(image: np.ndarray, mask: np.ndarray, near: np.ndarray,
                   size: int, count: int,
                   rng: np.random.Generator) -> Iterator[tuple]:
    """Yield up to ``count`` crack-free (suffix, image, mask, 0) square
    crops (200 random tries each)."""
    h, w = mask.shape
    # Integral image: crack pixels (with margin) in a window in O(1).
    integral = cv2.integral(near)
    found = 0
    for _ in range(200 * count):
        if found == count:
            break
        y, x = int(rng.integers(0, h - size + 1)), int(
            rng.integers(0, w - size + 1))
        n = (integral[y + size, x + size] - integral[y, x + size] -
             integral[y + size, x] + integral[y, x])
        if n == 0:
            yield (f'_neg{found}', image[y:y + size, x:x + size],
                   mask[y:y + size, x:x + size], 0)
            found += 1


def check_pair(stem: str, img_path: str, mask_path: str, scale: float,
               negative_size: int, negatives_per_image: int) -> None:
    """Stop on a mask that is not 0/1/255 at the image's size
    (:func:`~mmcrack.datasets.check_crack_pair`), or on an image too small
    for the crack-free crops, before anything is written."""
    check_crack_pair(img_path, mask_path)
    with Image.open(img_path) as img:
        width, height = (round(side * scale) for side in img.size)
    if negatives_per_image and negative_size > min(width, height):
        raise CrackDataError(
            f'--negative-size {negative_size} is larger than image {stem} '
            f'({width}x{height} after --scale): choose a smaller size, or '
            '--negatives-per-image 0.')


def read_pair(img_path: str, mask_path: str,
              scale: float) -> Tuple[np.ndarray, np.ndarray]:
    """The image and its mask, scaled by ``scale``."""
    image = cv2.imread(img_path, cv2.IMREAD_COLOR)
    mask = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
    if scale != 1:
        image = cv2.resize(
            image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(
            mask, (image.shape[1], image.shape[0]),
            interpolation=cv2.INTER_NEAREST)
    return image, mask


def write_patch(out_dir: str, name: str, image: np.ndarray, mask: np.ndarray,
                label: int, resize: Optional[int] = None) -> str:
    """Write one image and its mask under ``out_dir`` (resized to ``resize``
    x ``resize`` if given); return its ``labels.txt`` line."""
    if resize:
        image = cv2.resize(
            image, (resize, resize), interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(
            mask, (resize, resize), interpolation=cv2.INTER_NEAREST)
    rel = f'{LABEL_DIRS[label]}/{name}.png'
    cv2.imwrite(osp.join(out_dir, rel), image)
    cv2.imwrite(osp.join(out_dir, 'masks', rel), mask)
    return f'{rel} {label}'


def make_weak_labels(src: str,
                     out_dir: str,
                     split: Optional[str] = 'train',
                     val_every: int = 5,
                     scale: float = 1.0,
                     grid: int = 1,
                     min_crack_pixels: int = 50,
                     margin: int = 8,
                     negatives_per_image: int = 1,
                     negative_size: int = 128,
                     resize: Optional[int] = None,
                     seed: int = 0,
                     overwrite: bool = False,
                     progress: bool = True) -> WeakLabelSet:
    """Write the image-level set of a pixel-labelled one (see the module
    docstring for the steps and the output).

    Every source pair is checked before anything is written (a 0/255 mask
    stops the run instead of making every patch crack-free); images without
    a mask are skipped and named in the notes. Everything is written to a
    staging folder first, which replaces OUT's outputs only when the whole
    set is written, so a failed run leaves OUT as it was.

    Args:
        src (str): The pixel-labelled set (``images/``, ``masks/``).
        out_dir (str): OUT, the image-level set to write.
        split (str, optional): 'train', 'val' or None (every image).
            Defaults to 'train'.
        val_every (int): Every ``val_every``-th sorted stem is val.
            Defaults to 5.
        scale (float): Factor applied to each image before cutting it.
            Defaults to 1.0.
        grid (int): Cut each image into ``grid`` x ``grid`` patches.
            Defaults to 1 (whole images).
        min_crack_pixels (int): A patch with at least this many crack pixels
            is a crack image. Defaults to 50.
        margin (int): A crack-free patch or crop has no crack pixel within
            this many pixels. Defaults to 8.
        negatives_per_image (int): Extra crack-free square crops per image.
            Defaults to 1.
        negative_size (int): Side of those crops, in pixels after ``scale``.
            Defaults to 128.
        resize (int, optional): Resize every output to ``resize`` x
            ``resize``. Defaults to None.
        seed (int): Seed of the crop positions. Defaults to 0.
        overwrite (bool): Write into a non-empty OUT, replacing its
            :data:`OUTPUTS`. Defaults to False.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        WeakLabelSet: The counts of what was written, and the notes.

    Raises:
        CrackDataError: For a source set or OUT that cannot be used, naming
            the file and the fix.
    """
    check_output_dir(out_dir, overwrite, [src], OUTPUTS)
    pairs, notes = list_pairs(src)
    stems = set(select_split([p[0] for p in pairs], split, val_every))
    pairs = [p for p in pairs if p[0] in stems]
    for pair in pairs:
        check_pair(*pair, scale, negative_size, negatives_per_image)

    result = WeakLabelSet(src, out_dir, split, len(pairs), notes=notes)
    rng = np.random.default_rng(seed)
    outputs = [output.rstrip('/') for output in OUTPUTS]
    folders = [
        *LABEL_DIRS.values(), *(f'masks/{d}' for d in LABEL_DIRS.values())
    ]
    with staged_output(out_dir, outputs, folders) as staging:
        lines = []
        for stem, img_path, mask_path in (
                mmengine.track_iter_progress(pairs) if progress else pairs):
            image, mask = read_pair(img_path, mask_path, scale)
            near = near_crack(mask, margin)
            patches = [
                *grid_patches(image, mask, near, grid, min_crack_pixels),
                *negative_crops(image, mask, near, negative_size,
                                negatives_per_image, rng)
            ]
            for suffix, patch, patch_mask, label in patches:
                lines.append(
                    write_patch(staging, stem + suffix, patch, patch_mask,
                                label, resize))
                result.crack += label
                result.no_crack += 1 - label
        with open(osp.join(staging, 'labels.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return result
