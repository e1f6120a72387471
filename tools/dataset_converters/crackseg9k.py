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
masks, Final_Masks, labels (SRC or up to three levels below; images/ and
labels/ are the layout of the HrSegNet authors' copy); --img-dir
(repeatable) and --ann-dir name them directly. Images without a mask and
masks without an image are listed in the summary and skipped (--strict: an
error).

Masks: the mmcrack rule applies (MaskRule,
mmcrack/datasets/conversion/masks.py): 0/255 -> 255 is crack; JPEG-compressed
masks, nearly binary -> value >= 128 is crack; anything else stops with an
error naming the file (override with --threshold).

Split: the release ships none. HrSegNet (Li et al. 2023) trains and tests
on the split its authors publish: the lists data/crackseg9k/
{train,val,test}.txt of github.com/CHDyshli/HrSegNet4CrackSegmentation
(6,951 / 900 / 900 pairs; 8,751 in all: their data/crackseg9k/readme.md
says they removed the pairs whose image and mask do not align). Two
rules:

  --split official (default)  the authors' lists: train.txt -> train,
      val.txt -> val, test.txt -> test. They are fetched once from the
      repository at the commit that added them (OFFICIAL_LISTS_URL) into
      $MMCRACK_HOME/splits/crackseg9k/ (default ~/.cache/mmcrack), or read
      from --split-list DIR (train.txt, val.txt, optionally test.txt; lines
      "images/<name>.jpg labels/<name>.png" or "<name>"). Pairs of SRC in
      none of the lists (the misaligned ones) are left out of OUT, and
      names of the lists missing from SRC are counted; the summary names a
      few of each.
  --split every-nth  the deterministic rule of
      mmcrack.datasets.split.select_split on every pair: with the stems
      sorted, every --val-every-th stem (default 5th) is val, the rest
      train (--val-every implies this rule).

Without network, a cache or --split-list, the official split stops with an
error before anything is written.

Output: OUT/images/<stem>.jpg (bytes copied), OUT/masks/<stem>.png (0/1),
OUT/splits/{train,val,test}.txt (test.txt with the official split only).
"""
import argparse
from typing import List, Optional, Sequence

from mmcrack.datasets.conversion import (ConversionResult, MaskRule,
                                         add_mask_args, add_out_args,
                                         add_pairing_args, add_split_args,
                                         check_output_for, collect_pairs,
                                         convert_samples, run)
from mmcrack.datasets.conversion.crackseg9k_source import (image_dirs,
                                                           mask_dir,
                                                           official_split,
                                                           split_by_lists)

#: The split rules of --split.
SPLIT_RULES = ('official', 'every-nth')


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
    parser.add_argument(
        '--split',
        choices=SPLIT_RULES,
        help='official (default): the HrSegNet authors\' train/val/test '
        'lists, fetched once into $MMCRACK_HOME/splits/crackseg9k/ or read '
        'from --split-list; pairs in none of them are left out. every-nth: '
        'every pair, every --val-every-th sorted stem is val (--val-every '
        'implies it)')
    parser.add_argument(
        '--split-list',
        metavar='DIR',
        help='folder holding the official lists train.txt, val.txt and '
        'optionally test.txt ("images/<name>.jpg labels/<name>.png" or '
        '"<name>" per line), for a machine that cannot fetch them; implies '
        '--split official')
    add_split_args(parser)
    val_every_default = parser.get_default('val_every')
    parser.set_defaults(val_every=None)
    add_mask_args(parser)
    add_pairing_args(parser)
    args = parser.parse_args(argv)
    if args.split is None:
        args.split = 'official' if args.val_every is None else 'every-nth'
    if args.split == 'official' and args.val_every is not None:
        parser.error('--val-every sets the every-nth rule; drop it or '
                     '--split official')
    if args.split == 'every-nth' and args.split_list:
        parser.error('--split-list gives the official split; drop it or '
                     '--split every-nth (or --val-every)')
    if args.val_every is None:
        args.val_every = val_every_default
    return args


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert CrackSeg9k into OUT (see the module docstring)."""
    img_dirs = image_dirs(args.src, args.img_dir)
    ann_dir = mask_dir(args.src, args.ann_dir)
    check_output_for(args, [*img_dirs, ann_dir])
    notes: List[str] = []
    samples = collect_pairs(img_dirs, ann_dir, strict=args.strict, notes=notes)
    if args.split == 'official':
        split_of, origin = official_split(args.split_list)
        samples = split_by_lists(samples, split_of, origin, notes)
    else:
        notes.append(f'split: --split every-nth, one sorted stem in '
                     f'{args.val_every} is val (not the official lists)')
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
