"""Convert CRACK500 (Zhang et al., ICIP 2016; Yang et al., T-ITS 2019).

Source: the CRACK500 archive linked from github.com/fyangneil/pavement-crack-
detection (Google Drive / Baidu). Unpacked, it holds one folder per split,
images and masks side by side (the layout that the authors' list files
examples/fphb/train.txt, "traincrop/<name>.jpg traincrop/<name>.png", and
public loaders read):

    SRC/traincrop/<name>.jpg + <name>.png   1,896 crops, mostly 640x360
    SRC/valcrop/...                           348 crops
    SRC/testcrop/...                        1,124 crops
    SRC/traindata|valdata|testdata/<name>.jpg + <name>_mask.png
                                            the full photos (--full); the
                                            public archive seems to lack
                                            traindata

Each folder may be nested once more after unzipping (traincrop/traincrop/);
SRC may be the CRACK500 folder or a parent up to three levels above it. A
mask is <name>.png, or else <name>_mask.png. The list files
train.txt/val.txt/test.txt name the same pairs as the folders, so the
folders decide the split.

Masks are 0/255 PNGs (255 = crack); the mmcrack rule applies (MaskRule,
mmcrack/datasets/conversion/masks.py): 0/255 -> 255 is crack, nearly binary
masks -> value >= 128 is crack, anything else stops with an error naming the
file (override with --threshold).

Split: the official one. *crop (or *data) folders -> train, val, test. A
missing test folder is reported and skipped; train and val are required.
If a stem occurs in two splits, every stem is prefixed with its split.

Output: OUT/images/<stem>.jpg (bytes copied), OUT/masks/<stem>.png (0/1),
OUT/splits/{train,val,test}.txt.
"""
import argparse
from typing import List, Optional, Sequence

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import (ConversionResult, MaskRule,
                                         add_mask_args, add_pairing_args,
                                         build_parser, check_output_dir,
                                         collect_pairs, convert_samples,
                                         find_dir, make_stems_unique, run)

SPLITS = ('train', 'val', 'test')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser(
        __doc__, 'CRACK500 folder holding traincrop/, valcrop/, testcrop/ '
        '(or a parent of it)')
    parser.add_argument(
        '--full',
        action='store_true',
        help='convert the full photos of traindata/, valdata/, testdata/ '
        '(<name>.jpg + <name>_mask.png) instead of the 640x360 crops')
    add_mask_args(parser)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert CRACK500 into OUT (see the module docstring)."""
    check_output_dir(args.out, args.overwrite, [args.src])
    kind = 'data' if args.full else 'crop'
    notes: List[str] = []
    samples = []
    for split in SPLITS:
        try:
            folder = find_dir(args.src, [split + kind], f'{split} split')
        except CrackDataError:
            if split == 'test':
                notes.append(f'no test{kind}/ folder in {args.src}: no '
                             'test split written')
                continue
            raise
        # Images (.jpg) and masks (.png) share the folder.
        samples += collect_pairs([folder],
                                 folder,
                                 img_exts=('.jpg', '.jpeg'),
                                 ann_exts=('.png', ),
                                 ann_stem=lambda s: (s, s + '_mask'),
                                 split=split,
                                 strict=args.strict,
                                 notes=notes)
    notes += make_stems_unique(samples, lambda s: s.split)
    return convert_samples(
        samples, args.out, MaskRule.from_args(args).read, notes=notes)


def main(argv: Optional[Sequence[str]] = None) -> ConversionResult:
    return run(convert, parse_args(argv))


if __name__ == '__main__':
    main()
