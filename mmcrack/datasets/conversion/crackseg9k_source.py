"""CrackSeg9k as a converter finds it: the folders its archives unpack to
and the official split lists of the HrSegNet authors.

The Dataverse release is an image folder ``Images/`` (its upload may add
``Images-2/`` beside it) and a mask folder ``Masks/`` (or
``Final_Masks/Masks/``); :func:`image_dirs` and :func:`mask_dir` find them
under SRC. The release ships no split. HrSegNet (Li et al. 2023) publishes
one, the lists ``data/crackseg9k/{train,val,test}.txt`` of
github.com/CHDyshli/HrSegNet4CrackSegmentation, which leave out the pairs
whose image and mask do not align: :func:`official_split` reads them from a
folder or from the cache that :func:`fetch_official_lists` fills from
:data:`OFFICIAL_LISTS_URL`, and :func:`split_by_lists` gives every listed
pair its split.
"""
import http.client
import os
import os.path as osp
import tempfile
import urllib.request
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from ...utils.mmcrack_home import mmcrack_home
from ...utils.constants import IMAGE_EXTENSIONS
from ..mask_format import CrackDataError
from .pairing import Sample, find_dir

#: Names of the image folder, most likely first.
IMG_DIR_NAMES = ('Images', 'images')
#: Names of the image folders the Dataverse upload adds beside it.
EXTRA_IMG_DIR_NAMES = ('Images-2', 'Images_2', 'Images2')
#: Names of the mask folder, most likely first.
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


def image_dirs(src: str,
               img_dirs: Optional[Sequence[str]] = None) -> List[str]:
    """The image folders: ``img_dirs`` (``--img-dir``) when given, else
    ``Images/`` found under ``src`` plus any ``Images-2/`` beside it.

    Raises:
        CrackDataError: When a folder of ``img_dirs`` does not exist, or
            no image folder (or two equally likely ones) is found.
    """
    if img_dirs:
        for folder in img_dirs:
            if not osp.isdir(folder):
                raise CrackDataError(f'--img-dir {folder} is not a folder.')
        return list(img_dirs)
    main_dir = find_dir(src, IMG_DIR_NAMES, 'image', '--img-dir')
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


def mask_dir(src: str, ann_dir: Optional[str] = None) -> str:
    """The mask folder: ``ann_dir`` (``--ann-dir``) when given, else
    ``Masks/`` found under ``src`` (``Final_Masks/Masks/`` followed down).

    Raises:
        CrackDataError: When ``ann_dir`` does not exist, or no mask folder
            (or two equally likely ones) is found.
    """
    if ann_dir:
        if not osp.isdir(ann_dir):
            raise CrackDataError(f'--ann-dir {ann_dir} is not a folder.')
        return ann_dir
    found = find_dir(src, ANN_DIR_NAMES, 'mask', '--ann-dir')
    if osp.basename(found).lower() == 'final_masks':
        found = find_dir(found, ['Masks'], 'mask', '--ann-dir')
    return found


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
