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
import http.client
import os
import os.path as osp
import tempfile
import urllib.request
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from mmcrack.apis.model_index import mmcrack_home
from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import (ConversionResult, MaskRule, Sample,
                                         add_mask_args, add_out_args,
                                         add_pairing_args, add_split_args,
                                         check_output_for, collect_pairs,
                                         convert_samples, find_dir, run)
from mmcrack.utils.constants import IMAGE_EXTENSIONS

IMG_DIR_NAMES = ('Images', 'images')
EXTRA_IMG_DIR_NAMES = ('Images-2', 'Images_2', 'Images2')
ANN_DIR_NAMES = ('Masks', 'masks', 'Final_Masks', 'labels')

#: The HrSegNet authors' lists, at the commit that added them (a later
#: commit removed data/ from their repository).
OFFICIAL_LISTS_URL = (
    'https://raw.githubusercontent.com/CHDyshli/HrSegNet4CrackSegmentation/'
    '9221b5dd8e5700f27a96be9ac54502ab6aad9c5d/data/crackseg9k')
#: The official lists (<split>.txt), each the split of its name.
OFFICIAL_SPLITS = ('train', 'val', 'test')
#: The lists a --split-list folder must hold (test.txt is optional there).
REQUIRED_SPLITS = ('train', 'val')
#: Seconds to wait for the lists' server.
FETCH_TIMEOUT = 30.0
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


def _some(names: Sequence[str], shown: int = 5) -> str:
    """The first ``shown`` names, then '...' when there are more."""
    more = ', ...' if len(names) > shown else ''
    return ', '.join(names[:shown]) + more


def parse_split_list(text: str, where: str) -> List[str]:
    """The stems of a list in the official format.

    A line is ``images/<name>.jpg labels/<name>.png`` (PaddleSeg's list:
    image, then label) or a bare ``<name>``; blank lines are skipped. The
    stem is the image's file name without its image ending.

    Raises:
        CrackDataError: On a line of more than two fields, naming ``where``
            and the line.
    """
    stems = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) > 2:
            raise CrackDataError(
                f'{where}, line {number}: {line.strip()[:80]!r} is not '
                '"images/<name>.jpg labels/<name>.png" or "<name>". Is it '
                'the official CrackSeg9k list?')
        name = osp.basename(fields[0])
        stem, ending = osp.splitext(name)
        stems.append(stem if ending.lower() in IMAGE_EXTENSIONS else name)
    return stems


def read_split_lists(folder: str) -> Dict[str, List[str]]:
    """Split -> stems of the lists ``<split>.txt`` in ``folder`` (train and
    val required, test when present)."""
    lists = {}
    for split in OFFICIAL_SPLITS:
        path = osp.join(folder, f'{split}.txt')
        if not osp.isfile(path):
            if split in REQUIRED_SPLITS:
                raise CrackDataError(
                    f'{path} does not exist: the split list folder must hold '
                    'train.txt and val.txt (and may hold test.txt), as '
                    f'{OFFICIAL_LISTS_URL} does.')
            continue
        with open(path, encoding='utf-8') as f:
            lists[split] = parse_split_list(f.read(), path)
    return lists


def official_cache_dir() -> str:
    """Where the fetched official lists are kept."""
    return osp.join(mmcrack_home(), 'splits', 'crackseg9k')


def fetch_official_lists() -> str:
    """The folder of the official lists: the cache, where the lists it lacks
    are fetched from :data:`OFFICIAL_LISTS_URL` first.

    Every missing list is fetched and checked before any is written, each
    under a temporary name renamed into place, so the cache never holds a
    partial list.

    Raises:
        CrackDataError: When a list cannot be fetched, naming the address,
            the cache and the other ways to split.
    """
    cache = official_cache_dir()
    fetched = {}
    for split in OFFICIAL_SPLITS:
        if osp.isfile(osp.join(cache, f'{split}.txt')):
            continue
        url = f'{OFFICIAL_LISTS_URL}/{split}.txt'
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as reply:
                text = reply.read().decode('utf-8')
        except (OSError, http.client.HTTPException, UnicodeError) as err:
            raise CrackDataError(
                f'The official CrackSeg9k split lists are not in {cache} and '
                f'{url} could not be fetched ({err}). Download '
                f'{OFFICIAL_LISTS_URL}/{{train,val,test}}.txt where there is '
                f'network and put them in {cache} (or any folder, then pass '
                '--split-list DIR), or pass --split every-nth to split by '
                'the sorted stems instead of the official lists.') from err
        parse_split_list(text, url)
        fetched[split] = text
    if fetched:
        os.makedirs(cache, exist_ok=True)
    for split, text in fetched.items():
        with tempfile.NamedTemporaryFile(
                'w', encoding='utf-8', dir=cache, prefix=f'.{split}.',
                suffix='.part', delete=False) as f:
            f.write(text)
        os.replace(f.name, osp.join(cache, f'{split}.txt'))
    return cache


def official_split(split_list: Optional[str]) -> Tuple[Dict[str, str], str]:
    """Stem -> split of the official lists, and where they were read:
    ``split_list`` when given, else the cache (:func:`fetch_official_lists`).

    Raises:
        CrackDataError: When a stem is listed in two splits.
    """
    if split_list:
        if not osp.isdir(split_list):
            raise CrackDataError(f'--split-list {split_list} is not a folder.')
        folder, origin = split_list, split_list
    else:
        folder = fetch_official_lists()
        origin = f'{OFFICIAL_LISTS_URL}, cached in {folder}'
    split_of: Dict[str, str] = {}
    for split, stems in read_split_lists(folder).items():
        for stem in stems:
            if split_of.setdefault(stem, split) != split:
                raise CrackDataError(
                    f'{stem!r} is listed in both {split_of[stem]}.txt and '
                    f'{split}.txt of {origin}: a pair belongs to one split.')
    return split_of, origin


def _per_split(stems: Sequence[str], split_of: Dict[str, str]) -> str:
    """'train 3, test 1': how many of ``stems`` each split lists."""
    counts = Counter(split_of[stem] for stem in stems)
    return ', '.join(f'{split} {counts[split]}' for split in OFFICIAL_SPLITS
                     if counts[split])


def split_by_lists(samples: Sequence[Sample], split_of: Dict[str, str],
                   origin: str, notes: List[str]) -> List[Sample]:
    """The samples that ``split_of`` lists, each with its split.

    The samples in no list are left out, the listed stems missing from
    ``samples`` are counted; both are reported in ``notes`` with a few
    names.

    Raises:
        CrackDataError: When no sample is listed (the names do not match).
    """
    listed = [s for s in samples if s.stem in split_of]
    if not listed:
        raise CrackDataError(
            f'None of the {len(samples)} pairs of SRC is named in the split '
            f'lists of {origin} ({len(split_of)} names, e.g. '
            f'{_some(sorted(split_of), 3)}; SRC has e.g. '
            f'{_some(sorted(s.stem for s in samples), 3)}). Check that SRC '
            'is CrackSeg9k with its original file names, or pass --split '
            'every-nth.')
    for sample in listed:
        sample.split = split_of[sample.stem]
    notes.append(f'split: the official lists ({_per_split(split_of, split_of)}'
                 f' names) of {origin}')
    unlisted = sorted(s.stem for s in samples if s.stem not in split_of)
    if unlisted:
        notes.append(
            f'left out {len(unlisted)} pairs of SRC that are in none of the '
            'lists (the official split drops the pairs whose image and mask '
            f'do not align): {_some(unlisted)}')
    found = {s.stem for s in listed}
    missing = sorted(stem for stem in split_of if stem not in found)
    if missing:
        notes.append(f'{len(missing)} listed pairs are not among the pairs '
                     f'of SRC ({_per_split(missing, split_of)}), so those '
                     f'splits are smaller: {_some(missing)}')
    return listed


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
