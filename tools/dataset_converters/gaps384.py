"""Convert GAPs384 (Eisenbach et al., IJCNN 2017; Yang et al., T-ITS 2019).

Source: GAPs384 is the subset of 384 GAPs v1 photos (German asphalt
pavement, 1920x1080, grey) that Yang et al. annotated at pixel level for
FPHBN; it is distributed in the CRACK500/FPHBN archive linked from
github.com/fyangneil/pavement-crack-detection, not by the GAPs site. The
archive holds, next to the full photos, the 509 annotated tiles used in the
FPHBN evaluation, which public loaders read as

    SRC/croppedimg/<name>.jpg   509 tiles, 640x540 (W x H) or thereabouts
    SRC/croppedgt/<name>.png    their masks, bright crack on black

(each folder possibly nested once more after unzipping:
croppedimg/croppedimg/). Those two folders are the default; they are
searched as croppedimg, cropimg, img, images and croppedgt, cropgt, gt,
masks. The full photos and their 384 PNG masks can be converted instead by
naming the folders with --img-dir and --ann-dir; photos without a mask (the
archive has 404 photos for 384 masks) are listed in the summary and skipped.

Masks: the mmcrack rule applies (MaskRule,
mmcrack/datasets/conversion/masks.py): 0/255 -> 255 is crack, nearly binary
masks -> value >= 128 is crack, anything else stops with an error naming the
file (override with --threshold).

Split: GAPs384 is a test-only set without an official split, so the
deterministic rule of mmcrack.datasets.split.select_split is used: with the
stems sorted, every --val-every-th stem (default 5th) is val, the rest
train. Tiles cut from one photo can land in both splits.

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

IMG_DIR_NAMES = ('croppedimg', 'cropimg', 'img', 'images')
ANN_DIR_NAMES = ('croppedgt', 'cropgt', 'gt', 'masks')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser(
        __doc__, 'GAPs384 folder holding croppedimg/ and croppedgt/ (or a '
        'parent of it)')
    add_dir_args(parser, 'croppedimg/', 'croppedgt/')
    add_split_args(parser)
    add_mask_args(parser)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert GAPs384 into OUT (see the module docstring)."""
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
