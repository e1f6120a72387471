"""Convert CrackTree200 (Zou et al., Pattern Recognit. Lett. 2012).

Source: 206 pavement photos of 800x600 with one-pixel-wide crack centre
lines. The copy most people use is the one in the CRACK500/FPHBN archive
linked from github.com/fyangneil/pavement-crack-detection, which unpacks to

    SRC/cracktree200rgb/<name>.jpg    the colour photos (used)
    SRC/cracktree200gray/<name>.jpg   the same photos in grey (ignored)
    SRC/cracktree200_gt/<name>.png    the masks, bright crack on black

Each folder may be nested once more (cracktree200rgb/cracktree200rgb/). The
authors' original release names its folders differently and stores the
ground truth as .bmp; since that layout is not certain, the image folder is
searched as cracktree200rgb, image, images, img, rgb and the mask folder as
cracktree200_gt, gt, groundtruth, ground_truth, label, labels, masks; masks
may be .png or .bmp. --img-dir/--ann-dir name the folders directly.

Masks: the mmcrack rule applies (MaskRule,
mmcrack/datasets/conversion/masks.py): 0/255 -> 255 is crack, nearly binary
masks -> value >= 128 is crack, anything else stops with an error naming the
file (override with --threshold, or --invert for dark-on-bright masks).

Split: CrackTree200 is a test-only set without an official split, so the
deterministic rule of mmcrack.datasets.split.select_split is used: with the
stems sorted, every --val-every-th stem (default 5th) is val, the rest
train.

Output: OUT/images/<stem>.jpg (bytes copied), OUT/masks/<stem>.png (0/1),
OUT/splits/{train,val}.txt.
"""
import argparse
from typing import Optional, Sequence

from mmcrack.datasets.conversion import (ConversionResult, MaskRule,
                                         add_dir_args, add_mask_args,
                                         add_pairing_args, add_split_args,
                                         build_parser, collect_source_pairs,
                                         convert_samples, run)

IMG_DIR_NAMES = ('cracktree200rgb', 'image', 'images', 'img', 'rgb')
ANN_DIR_NAMES = ('cracktree200_gt', 'gt', 'groundtruth', 'ground_truth',
                 'label', 'labels', 'masks')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser(
        __doc__, 'CrackTree200 folder holding cracktree200rgb/ and '
        'cracktree200_gt/ (or a parent of it)')
    add_dir_args(parser, 'cracktree200rgb/', 'cracktree200_gt/')
    add_split_args(parser)
    add_mask_args(parser, invert=True)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert CrackTree200 into OUT (see the module docstring)."""
    samples, notes = collect_source_pairs(args, IMG_DIR_NAMES, ANN_DIR_NAMES,
                                          ('.png', '.bmp'))
    return convert_samples(
        samples,
        args.out,
        MaskRule.from_args(args).read,
        val_every=args.val_every,
        notes=notes)


def main(argv: Optional[Sequence[str]] = None) -> ConversionResult:
    return run(convert, parse_args(argv))


if __name__ == '__main__':
    main()
