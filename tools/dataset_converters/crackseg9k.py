"""Convert CrackSeg9k (Kulkarni et al., ECCV Workshops 2022).

Source: the Harvard Dataverse release linked from the paper: 9,255 images
of 400x400 merged from earlier crack sets, their annotations unified.
Unpacked, it is two flat folders with matching file names, as public
loaders read it:

    SRC/Images/<name>.jpg          the photos (the Dataverse upload may
                                   split them over Images/ and Images-2/;
                                   every image folder found is used)
    SRC/Masks/<name>.png|.jpg      the masks, 0/255 (255 = crack), some
    or SRC/Final_Masks/Masks/...   JPEG-compressed

Because the archives are repackaged in several ways, image folders are
searched as Images, Images-2, Images_2, images and the mask folder as Masks,
masks, Final_Masks (SRC or up to three levels below); --img-dir (repeatable)
and --ann-dir name them directly. Images without a mask and masks without
an image are listed in the summary and skipped (--strict: an error).

Masks: the mmcrack rule applies (MaskRule,
mmcrack/datasets/conversion/masks.py): 0/255 -> 255 is crack; JPEG-compressed
masks, nearly binary -> value >= 128 is crack; anything else stops with an
error naming the file (override with --threshold).

Split: the release ships none, so the deterministic rule of
mmcrack.datasets.split.select_split is used: with the stems sorted, every
--val-every-th stem (default 5th) is val, the rest train, so val is spread
evenly over the sorted file names.

Output: OUT/images/<stem>.jpg (bytes copied), OUT/masks/<stem>.png (0/1),
OUT/splits/{train,val}.txt.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import (ConversionResult, MaskRule,
                                         add_mask_args, add_out_args,
                                         add_pairing_args, add_split_args,
                                         check_output_for, collect_pairs,
                                         convert_samples, find_dir, run)

IMG_DIR_NAMES = ('Images', 'images')
EXTRA_IMG_DIR_NAMES = ('Images-2', 'Images_2', 'Images2')
ANN_DIR_NAMES = ('Masks', 'masks', 'Final_Masks')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'src',
        metavar='SRC',
        help='CrackSeg9k folder holding Images/ and Masks/ (or a parent of '
        'it)')
    add_out_args(parser)
    parser.add_argument(
        '--img-dir',
        action='append',
        metavar='DIR',
        help='image folder, overriding the search for Images/ (and '
        'Images-2/) under SRC; repeat for several folders')
    parser.add_argument(
        '--ann-dir',
        metavar='DIR',
        help='mask folder, overriding the search for Masks/ under SRC')
    add_split_args(parser)
    add_mask_args(parser)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def image_dirs(args: argparse.Namespace) -> List[str]:
    """--img-dir, or Images/ plus any Images-2/ beside it."""
    if args.img_dir:
        for folder in args.img_dir:
            if not osp.isdir(folder):
                raise CrackDataError(f'--img-dir {folder} is not a folder.')
        return list(args.img_dir)
    main_dir = find_dir(args.src, IMG_DIR_NAMES, 'image', '--img-dir')
    parent = osp.dirname(osp.normpath(main_dir))
    # An unzipped Images/Images/ chain: the siblings sit at the top level.
    while osp.basename(parent) in IMG_DIR_NAMES:
        parent = osp.dirname(parent)
    extra = sorted(
        osp.join(parent, name) for name in os.listdir(parent)
        if name in EXTRA_IMG_DIR_NAMES and osp.isdir(osp.join(parent, name)))
    # find_dir also follows Images-2/Images-2/ chains.
    extra = [find_dir(d, [osp.basename(d)], 'image') for d in extra]
    return [main_dir, *extra]


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert CrackSeg9k into OUT (see the module docstring)."""
    img_dirs = image_dirs(args)
    if args.ann_dir:
        if not osp.isdir(args.ann_dir):
            raise CrackDataError(f'--ann-dir {args.ann_dir} is not a '
                                  'folder.')
        ann_dir = args.ann_dir
    else:
        ann_dir = find_dir(args.src, ANN_DIR_NAMES, 'mask', '--ann-dir')
        if osp.basename(ann_dir).lower() == 'final_masks':
            ann_dir = find_dir(ann_dir, ['Masks'], 'mask', '--ann-dir')
    check_output_for(args, [*img_dirs, ann_dir])
    notes: List[str] = []
    samples = collect_pairs(img_dirs, ann_dir, strict=args.strict, notes=notes)
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
