"""Convert a folder of images and a folder of masks to the mmcrack layout.

For any crack set that comes as two flat folders:

    IMAGES/<name>.jpg|.png|.bmp|.tif    the photos
    MASKS/<name>.png|.bmp|.jpg|...      one mask per photo, same stem
                                        (or <name><suffix>, --mask-suffix;
                                        or a pattern, --mask-pattern)

Masks may be 0/1, 0/255 (also JPEG-compressed or anti-aliased), 1-bit, palette,
grey or colour (RGB/RGBA) images; the rule that binarizes them is the one of
mmcrack/datasets/conversion/masks.py (MaskRule): 0/1 -> 1 is crack, 0/255 ->
255 is crack, colour -> any non-black pixel is crack (or only the colours given
with --crack-color), nearly binary grey -> value >= 128 is crack; anything else
stops with an error naming the file, unless an explicit --threshold is given.

Pairs are matched by stem; images without a mask and masks without an image
are listed in the summary and skipped (--strict: an error). An image and mask
of different sizes, an unreadable file or a mask that the rule cannot
binarize stop the conversion with an error naming the file.

Split: the folders carry none, so the deterministic rule of
mmcrack.datasets.split.select_split is used: with the stems sorted, every
--val-every-th stem (default 5th) is val, the others train.

Output: OUT/images/<stem>.jpg (JPEG bytes copied) or .png (other formats,
lossless), OUT/masks/<stem>.png (0 background, 1 crack), OUT/splits/
{train,val}.txt.

Example:
    python tools/dataset_converters/folder.py my_set/images my_set/labels \\
        data/my_set --mask-suffix _label
"""
import argparse
import os.path as osp
import re
from typing import List, Optional, Sequence

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import (MASK_EXTENSIONS, ConversionResult,
                                         MaskRule, Sample, add_mask_args,
                                         add_out_args, add_pairing_args,
                                         add_split_args, check_output_dir,
                                         collect_pairs, convert_samples,
                                         list_files, pair_files,
                                         report_unpaired, run, stem_of)
from mmcrack.utils.constants import IMAGE_EXTENSIONS


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'img_dir', metavar='IMAGES', help='folder of images (not recursive)')
    parser.add_argument(
        'ann_dir',
        metavar='MASKS',
        help='folder of masks (may be IMAGES itself when the masks have '
        'another ending or a suffix)')
    add_out_args(parser)
    naming = parser.add_mutually_exclusive_group()
    naming.add_argument(
        '--mask-suffix',
        default='',
        metavar='SUFFIX',
        help='the mask of <stem>.jpg is <stem>SUFFIX.<any mask ending>, e.g. '
        '_mask for CRACK500-style 0001_mask.png (default: same stem)')
    naming.add_argument(
        '--mask-pattern',
        metavar='PATTERN',
        help='the mask of <stem>.jpg is the file PATTERN in MASKS with '
        '{stem} replaced by the image stem, e.g. "{stem}_gt.bmp" or '
        '"gt_{stem}.png"')
    add_split_args(parser)
    add_mask_args(parser, colors=True, invert=True)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def mask_naming(args: argparse.Namespace):
    """How masks are named.

    Returns:
        tuple: (image stem -> mask stems to try, mask stem -> whether it is a
        mask name, mask file endings).
    """
    if args.mask_pattern:
        base, ext = osp.splitext(args.mask_pattern)
        if base.count('{stem}') != 1:
            raise CrackDataError(
                f'--mask-pattern {args.mask_pattern!r} must contain {{stem}} '
                'once, e.g. "{stem}_mask.png".')
        regex = re.compile(
            re.escape(base).replace(re.escape('{stem}'), '(.+)'))
        return ((lambda s: [base.replace('{stem}', s)]),
                (lambda s: regex.fullmatch(s) is not None),
                (ext, ) if ext else MASK_EXTENSIONS)
    suffix = args.mask_suffix
    return ((lambda s: [s + suffix]), (lambda s: s.endswith(suffix)),
            MASK_EXTENSIONS)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert IMAGES + MASKS into OUT (see the module docstring)."""
    check_output_dir(args.out, args.overwrite, [args.img_dir, args.ann_dir])
    ann_stem, is_mask_name, ann_exts = mask_naming(args)
    notes: List[str] = []
    if osp.realpath(args.img_dir) != osp.realpath(args.ann_dir):
        samples = collect_pairs([args.img_dir],
                                args.ann_dir,
                                ann_exts=ann_exts,
                                ann_stem=ann_stem,
                                strict=args.strict,
                                notes=notes)
    else:
        # One folder holds both: the masks are the files named like masks.
        if not (args.mask_suffix or args.mask_pattern):
            raise CrackDataError(
                f'IMAGES and MASKS are the same folder {args.img_dir}: say '
                'how masks are named with --mask-suffix or --mask-pattern.')
        files = list_files(args.img_dir, IMAGE_EXTENSIONS + MASK_EXTENSIONS)
        ann_paths = [
            p for p in files if is_mask_name(stem_of(p))
            and p.lower().endswith(tuple(e.lower() for e in ann_exts))
        ]
        img_paths = [
            p for p in files if not is_mask_name(stem_of(p))
            and p.lower().endswith(IMAGE_EXTENSIONS)
        ]
        pairing = pair_files(img_paths, ann_paths, ann_stem)
        report_unpaired(pairing, args.img_dir, args.strict, notes)
        samples = [Sample(stem, img, ann) for stem, img, ann in pairing.pairs]
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
