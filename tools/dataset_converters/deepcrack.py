"""Convert DeepCrack (Liu et al., Neurocomputing 2019) to the mmcrack layout.

Source: github.com/yhlleo/DeepCrack, dataset/DeepCrack.zip. Unpacked, it
holds four flat folders (the layout of the repository README and of the
authors' loader, yhlleo/DeepSegmentor data/deepcrack_dataset.py):

    SRC/train_img/<name>.jpg   300 training images, 544x384 (W x H)
    SRC/train_lab/<name>.png   their masks, 0/255 (255 = crack)
    SRC/test_img/<name>.jpg    237 test images (47 of them 384x544)
    SRC/test_lab/<name>.png    their masks

SRC may be the unpacked folder or any parent up to three levels above it
(e.g. DeepCrack-master/dataset/); the four folders are searched by name.

Masks: the authors' loader thresholds at 127; here the mmcrack rule applies
(MaskRule, mmcrack/datasets/conversion/masks.py): 0/255 -> 255 is crack, nearly
binary masks -> value >= 128 is crack, anything else stops with an error naming
the file (override with --threshold).

Split: the official one. train_* -> train; test_* -> test, and the same
stems also -> val, because DeepCrack has no validation split (val = test,
as in the DeepCrack paper's evaluation). If a stem occurs in both folders,
every stem is prefixed with train_/test_.

Output: OUT/images/<stem>.jpg (bytes copied), OUT/masks/<stem>.png (0/1),
OUT/splits/{train,val,test}.txt.
"""
import argparse
from typing import List, Optional, Sequence

from mmcrack.datasets.conversion import (ConversionResult, MaskRule,
                                         add_mask_args, add_pairing_args,
                                         build_parser, check_output_dir,
                                         collect_pairs, convert_samples,
                                         find_dir, make_stems_unique, run)

#: Official folder -> split(s); DeepCrack's test set is also its val set.
FOLDERS = {
    'train': ('train_img', 'train_lab'),
    'test': ('test_img', 'test_lab')
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser(
        __doc__, 'DeepCrack folder holding train_img/, train_lab/, '
        'test_img/, test_lab/ (or a parent of it)')
    add_mask_args(parser)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert DeepCrack into OUT (see the module docstring)."""
    check_output_dir(args.out, args.overwrite, [args.src])
    notes: List[str] = []
    samples = []
    for split, (img_name, ann_name) in FOLDERS.items():
        img_dir = find_dir(args.src, [img_name], f'{split} image')
        ann_dir = find_dir(args.src, [ann_name], f'{split} mask')
        samples += collect_pairs([img_dir],
                                 ann_dir,
                                 split=split,
                                 strict=args.strict,
                                 notes=notes)
    notes += make_stems_unique(samples, lambda s: s.split)
    notes.append('DeepCrack has no validation split: val.txt repeats '
                 'test.txt (the official test set)')
    return convert_samples(
        samples,
        args.out,
        MaskRule.from_args(args).read,
        notes=notes,
        split_aliases={'val': 'test'})


def main(argv: Optional[Sequence[str]] = None) -> ConversionResult:
    return run(convert, parse_args(argv))


if __name__ == '__main__':
    main()
