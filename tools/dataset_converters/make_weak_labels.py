"""Build an image-level (crack / no-crack) set from a pixel-labelled one.

The weakly supervised training sets of WP-CrackNet (Sec. 4.1) are made from
pixel-labelled sets: the crack images, plus crack-free images cropped from
the same photos (Crack500, DeepCrack), or, for CFD, every image enlarged and
cut into a 3x3 grid of patches labelled crack / no crack. This tool does
both, deterministically, from the mmcrack layout that every converter in
this folder writes:

    SRC/images/<stem>.<ext>     photos
    SRC/masks/<stem>.png        0 background, 1 crack (255 ignore)

Steps, per image of the chosen split (--split, the rule of
mmcrack.datasets.split.select_split, so the val images never leak in):

1. scale it by --scale (image bilinear, mask nearest);
2. cut it into a --grid x --grid grid of patches (1: the whole image); a
   patch with at least --min-crack-pixels crack pixels is a crack image, a
   patch with no crack pixel within --margin pixels is crack-free, other
   patches (a few crack pixels, ambiguous) are dropped;
3. cut up to --negatives-per-image extra crack-free square crops of
   --negative-size pixels at seeded random places with no crack pixel
   within --margin pixels (these are the "undamaged crops");
4. optionally resize every output to --resize x --resize.

Output (PNG, lossless):

    OUT/crack/<name>.png, OUT/no_crack/<name>.png   the images
    OUT/masks/{crack,no_crack}/<name>.png           their 0/1 masks (for
                                                    evaluation only)
    OUT/labels.txt                                  "<image> <0|1>" lines

Train with ``ImageLabelDataset(data_root=OUT, ann_file='labels.txt')``
(``configs/_base_/datasets/cfd_weak.py``); add
``data_prefix=dict(img_path='', seg_map_path='masks')`` to load the masks.
Every source mask is checked first (0/1/255, the image's size: a 0/255
mask stops the run instead of making every patch crack-free), images
without a mask are listed, and a non-empty OUT needs ``--overwrite``.
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import mmengine
import numpy as np
from PIL import Image

from mmcrack.datasets import CrackDataError, check_crack_pair
from mmcrack.datasets.conversion import (add_out_args, add_split_args,
                                         check_output_dir, list_files,
                                         pair_files, report_unpaired,
                                         staged_output)
from mmcrack.datasets.split import select_split
from mmcrack.utils.constants import CRACK, IMAGE_EXTENSIONS

#: What the tool writes into OUT (and --overwrite replaces).
OUTPUTS = ('crack/', 'no_crack/', 'masks/', 'labels.txt')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build an image-level crack / no-crack training set '
        '(crack images plus crack-free crops of the same photos, as '
        'WP-CrackNet Sec. 4.1) from a pixel-labelled set in the mmcrack '
        'layout (SRC/images, SRC/masks).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'src', help='pixel-labelled set: SRC/images/<stem>.<ext> and '
        'SRC/masks/<stem>.png (0 background, 1 crack)')
    add_out_args(parser, OUTPUTS)
    parser.add_argument(
        '--split',
        choices=('train', 'val', 'all'),
        default='train',
        help='which images to use: the train or val part of the '
        'deterministic split (every --val-every-th sorted stem is val), '
        'or all')
    add_split_args(parser)
    parser.add_argument(
        '--scale',
        type=float,
        default=1.0,
        help='enlarge (or shrink) each image by this factor before '
        'cutting it (WP-CrackNet enlarges CFD before a 3x3 grid)')
    parser.add_argument(
        '--grid',
        type=int,
        default=1,
        help='cut each image into GRID x GRID patches (1: whole images)')
    parser.add_argument(
        '--min-crack-pixels',
        type=int,
        default=50,
        help='a patch with at least this many crack pixels is a crack '
        'image')
    parser.add_argument(
        '--margin',
        type=int,
        default=8,
        help='a crack-free patch or crop has no crack pixel within this '
        'many pixels')
    parser.add_argument(
        '--negatives-per-image',
        type=int,
        default=1,
        help='extra crack-free square crops cut from each image')
    parser.add_argument(
        '--negative-size',
        type=int,
        default=128,
        help='side of the extra crack-free crops, in pixels after --scale')
    parser.add_argument(
        '--resize',
        type=int,
        default=None,
        help='resize every output image to RESIZE x RESIZE (e.g. 256)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the crop positions')
    return parser.parse_args(argv)


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
                 grid: int, min_crack: int):
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
                   size: int, count: int, rng: np.random.Generator):
    """Yield up to ``count`` crack-free (suffix, image, mask) square crops
    (200 random tries each)."""
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
                   mask[y:y + size, x:x + size])
            found += 1


def check_pair(stem: str, img_path: str, mask_path: str,
               args: argparse.Namespace) -> None:
    """Stop on a mask that is not 0/1/255 at the image's size, or on an
    image too small for the crack-free crops, before anything is written."""
    check_crack_pair(img_path, mask_path)
    with Image.open(img_path) as img:
        width, height = (round(side * args.scale) for side in img.size)
    if args.negatives_per_image and args.negative_size > min(width, height):
        raise CrackDataError(
            f'--negative-size {args.negative_size} is larger than image '
            f'{stem} ({width}x{height} after --scale): choose a smaller '
            'size, or --negatives-per-image 0.')


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


def convert(args: argparse.Namespace) -> dict:
    """Write the image-level set; return its counts and notes."""
    check_output_dir(args.out, args.overwrite, [args.src], OUTPUTS)
    pairs, notes = list_pairs(args.src)
    stems = select_split([p[0] for p in pairs],
                         None if args.split == 'all' else args.split,
                         args.val_every)
    keep = set(stems)
    pairs = [p for p in pairs if p[0] in keep]
    for pair in pairs:
        check_pair(*pair, args)

    rng = np.random.default_rng(args.seed)
    folders = {1: 'crack', 0: 'no_crack'}
    lines, counts = [], {0: 0, 1: 0}
    outputs = [output.rstrip('/') for output in OUTPUTS]
    staged = [*folders.values(), *(f'masks/{f}' for f in folders.values())]
    with staged_output(args.out, outputs, staged) as staging:
        write_set(args, pairs, staging, folders, lines, counts, rng)
    return dict(
        crack=counts[1], no_crack=counts[0], images=len(keep), notes=notes)


def write_set(args: argparse.Namespace, pairs, out: str, folders: dict,
              lines: list, counts: dict, rng) -> None:
    """Write the patches of ``pairs`` and ``labels.txt`` under ``out``."""

    def write(name: str, image: np.ndarray, mask: np.ndarray, label: int):
        if args.resize:
            size = (args.resize, args.resize)
            image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
            mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        rel = f'{folders[label]}/{name}.png'
        cv2.imwrite(osp.join(out, rel), image)
        cv2.imwrite(osp.join(out, 'masks', rel), mask)
        lines.append(f'{rel} {label}')
        counts[label] += 1

    for stem, img_path, mask_path in mmengine.track_iter_progress(pairs):
        image, mask = read_pair(img_path, mask_path, args.scale)
        near = near_crack(mask, args.margin)
        for suffix, patch, patch_mask, label in grid_patches(
                image, mask, near, args.grid, args.min_crack_pixels):
            write(stem + suffix, patch, patch_mask, label)
        for suffix, patch, patch_mask in negative_crops(
                image, mask, near, args.negative_size,
                args.negatives_per_image, rng):
            write(stem + suffix, patch, patch_mask, 0)

    with open(osp.join(out, 'labels.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        summary = convert(args)
    except CrackDataError as err:
        raise SystemExit(f'error: {err}') from err
    print(f'{summary["images"]} {args.split} images of {args.src} -> '
          f'{summary["crack"]} crack and {summary["no_crack"]} crack-free '
          f'images in {args.out} ({", ".join(OUTPUTS)}).')
    for note in summary['notes']:
        print(f'  note: {note}')
    if not summary['crack'] or not summary['no_crack']:
        print('  warning: weakly supervised training needs both crack and '
              'crack-free images; see --min-crack-pixels, --margin and '
              '--negatives-per-image.')
    return summary


if __name__ == '__main__':
    main()
