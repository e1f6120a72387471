"""Build an image-level (crack / no-crack) set from a pixel-labelled one.

The weakly supervised training sets of WP-CrackNet (Sec. 4.1): the crack
images of a set in the mmcrack layout (SRC/images, SRC/masks, as every
converter in this folder writes), plus crack-free crops of the same photos
(--negatives-per-image, --negative-size), or every image enlarged (--scale)
and cut into a grid of patches labelled crack / no crack (--grid). Only the
--split images are used (the rule of mmcrack.datasets.split.select_split,
so the val images never leak in). The steps are those of
mmcrack.datasets.weak_labels.make_weak_labels, which this tool calls.

Output (PNG, lossless):

    OUT/crack/<name>.png, OUT/no_crack/<name>.png   the images
    OUT/masks/{crack,no_crack}/<name>.png           their 0/1 masks (for
                                                    evaluation only)
    OUT/labels.txt                                  "<image> <0|1>" lines

Train with ``ImageLabelDataset(data_root=OUT, ann_file='labels.txt')``
(``configs/_base_/datasets/cfd_weak.py``). Every source mask is checked
first (a 0/255 mask stops the run instead of making every patch
crack-free), images without a mask are listed, a non-empty OUT needs
``--overwrite``, and a failed run leaves OUT as it was.

Example:
    python tools/dataset_converters/make_weak_labels.py data/cfd \\
        data/cfd_weak --grid 3
"""
import argparse
from typing import Optional, Sequence

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import add_out_args, add_split_args
from mmcrack.datasets.weak_labels import (OUTPUTS, WeakLabelSet,
                                          make_weak_labels)


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


def main(argv: Optional[Sequence[str]] = None) -> WeakLabelSet:
    args = parse_args(argv)
    try:
        result = make_weak_labels(
            args.src,
            args.out,
            split=None if args.split == 'all' else args.split,
            val_every=args.val_every,
            scale=args.scale,
            grid=args.grid,
            min_crack_pixels=args.min_crack_pixels,
            margin=args.margin,
            negatives_per_image=args.negatives_per_image,
            negative_size=args.negative_size,
            resize=args.resize,
            seed=args.seed,
            overwrite=args.overwrite)
    except CrackDataError as err:
        raise SystemExit(f'error: {err}') from err
    print(result.summary())
    return result


if __name__ == '__main__':
    main()
