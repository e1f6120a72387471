"""Convert CrackSC, partial release (Guo et al.), to the mmcrack layout.

Source: github.com/jonguo111/Transformer-Crack, the part of CrackSC the
authors uploaded ("Part of the pavement crack annotations of CrackSC has
been uploaded"; MIT licence). A checkout holds

    SRC/image/<NNN>.jpg   197 pavement photos, 320x480 (W x H), stems
                          119-315 (image/image.md is an empty placeholder)
    SRC/label/<NNN>.png   their masks, 1-bit PNG (mode '1'), set = crack

The folders are searched as image, images and label, labels, masks, so a
set already in the mmcrack layout (images/ + 0/1 masks/) is accepted too;
--img-dir/--ann-dir name them directly.

Masks: the mmcrack rule applies (MaskRule,
mmcrack/datasets/conversion/masks.py): 1-bit and 0/1 masks -> 1 is crack,
0/255 -> 255 is crack. Masks without a single crack pixel are skipped and
listed in the summary (--keep-empty keeps them): in this release the labels
of 147 and 148 are empty although the photos clearly show cracks, i.e. their
annotation is missing, and scoring on them would count every detection as a
false positive.

Split: the release ships none, so the deterministic rule of
mmcrack.datasets.split.select_split is used: with the stems sorted, every
--val-every-th stem (default 5th) is val, the rest train.

Output: OUT/images/<NNN>.jpg (bytes copied), OUT/masks/<NNN>.png (0/1),
OUT/splits/{train,val}.txt.
"""
import argparse
from typing import Optional, Sequence

import numpy as np

from mmcrack.datasets.conversion import (ConversionResult, MaskRule,
                                         add_dir_args, add_mask_args,
                                         add_pairing_args, add_split_args,
                                         build_parser, collect_source_pairs,
                                         convert_samples, run)
from mmcrack.utils.constants import CRACK

IMG_DIR_NAMES = ('image', 'images')
ANN_DIR_NAMES = ('label', 'labels', 'masks')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser(
        __doc__, 'Transformer-Crack checkout holding image/ and label/ (or '
        'a parent of it)')
    add_dir_args(parser, 'image/', 'label/')
    parser.add_argument(
        '--keep-empty',
        action='store_true',
        help='keep pairs whose mask has no crack pixel (default: skip them, '
        'as their annotation is missing)')
    add_split_args(parser)
    add_mask_args(parser)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert CrackSC into OUT (see the module docstring)."""
    samples, notes = collect_source_pairs(args, IMG_DIR_NAMES, ANN_DIR_NAMES,
                                          ('.png', ))
    rule = MaskRule.from_args(args)
    if not args.keep_empty:
        empty = {
            s.stem
            for s in samples if not np.any(rule.read(s.ann_path) == CRACK)
        }
        if empty:
            notes.append(f'skipped {len(empty)} pairs whose mask has no crack '
                         f'pixel (missing annotation): '
                         f'{", ".join(sorted(empty))}')
            samples = [s for s in samples if s.stem not in empty]
    return convert_samples(
        samples, args.out, rule.read, val_every=args.val_every, notes=notes)


def main(argv: Optional[Sequence[str]] = None) -> ConversionResult:
    return run(convert, parse_args(argv))


if __name__ == '__main__':
    main()
