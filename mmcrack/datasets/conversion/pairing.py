"""Finding the folders of a source set and pairing its images with their
annotations by file stem.

A converter knows its set's folder names; :func:`find_dir` finds them under
SRC, :func:`collect_pairs` pairs the files (:func:`pair_files`) and reports
those left without a partner (:func:`report_unpaired`), giving the
:class:`Sample` list that :func:`~mmcrack.datasets.conversion.convert_samples`
writes.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ...utils.constants import IMAGE_EXTENSIONS
from ..mask_format import CrackDataError
from .masks import MASK_EXTENSIONS


@dataclass
class Sample:
    """One image/annotation pair to convert.

    Args:
        stem (str): File stem in the output (unique in the whole set).
        img_path (str): Source image file.
        ann_path (str): Source annotation file (mask image, ``.mat``, ...).
        split (str, optional): 'train', 'val', 'test' for sets with an
            official split, None to use the deterministic rule.
    """
    stem: str
    img_path: str
    ann_path: str
    split: Optional[str] = None


def list_files(folder: str, extensions: Sequence[str]) -> List[str]:
    """Sorted paths of the files in ``folder`` (not recursive) whose ending
    is one of ``extensions`` (case-insensitive); hidden files are skipped."""
    if not osp.isdir(folder):
        raise CrackDataError(f'Folder {folder} does not exist.')
    extensions = tuple(ext.lower() for ext in extensions)
    return sorted(
        osp.join(folder, name) for name in os.listdir(folder)
        if not name.startswith('.') and name.lower().endswith(extensions)
        and osp.isfile(osp.join(folder, name)))


def find_dir(root: str,
             names: Sequence[str],
             what: str,
             option: Optional[str] = None,
             max_depth: int = 3) -> str:
    """Find the source folder called one of ``names`` under ``root``.

    ``root`` itself and its sub-folders down to ``max_depth`` levels are
    searched, shallowest first (hidden and ``__MACOSX`` folders skipped); at
    one depth the earlier name wins. A folder holding only a folder of the
    same name (``croppedimg/croppedimg`` after unzipping) is followed down.

    Args:
        root (str): The source root (SRC).
        names (Sequence[str]): Folder names, most likely first
            (case-insensitive).
        what (str): What the folder holds, for errors ('images').
        option (str, optional): The option that overrides the search
            ('--img-dir'), named in errors.

    Raises:
        CrackDataError: If no folder, or two equally likely folders, match.
    """
    if not osp.isdir(root):
        raise CrackDataError(f'Source folder {root} does not exist.')
    wanted = [name.lower() for name in names]
    level = [root]
    for _ in range(max_depth + 1):
        matches = []
        for folder in level:
            if osp.basename(osp.normpath(folder)).lower() in wanted:
                matches.append(folder)
        if matches:
            best = min(
                wanted.index(osp.basename(osp.normpath(m)).lower())
                for m in matches)
            matches = [
                m for m in matches
                if wanted.index(osp.basename(osp.normpath(m)).lower()) == best
            ]
            if len(matches) > 1:
                hint = (f'Name the one to use with {option}.'
                        if option else 'Point SRC at the one to use.')
                raise CrackDataError(
                    f'Found several {what} folders under {root}: '
                    f'{sorted(matches)}. {hint}')
            return _follow_nested(matches[0])
        level = [
            osp.join(folder, name) for folder in level
            for name in sorted(os.listdir(folder))
            if not name.startswith(('.', '__MACOSX'))
            and osp.isdir(osp.join(folder, name))
        ]
    hint = f', or name the folder with {option}' if option else ''
    raise CrackDataError(
        f'No {what} folder (named {" or ".join(names)}) found in {root} or '
        f'its sub-folders ({max_depth} levels down). Check SRC{hint}.')


def _follow_nested(folder: str) -> str:
    """Descend ``a/a/a`` chains left by unzipping into a same-named folder."""
    while True:
        entries = [e for e in os.listdir(folder) if not e.startswith('.')]
        name = osp.basename(osp.normpath(folder))
        nested = osp.join(folder, name)
        has_files = any(osp.isfile(osp.join(folder, e)) for e in entries)
        if not has_files and osp.isdir(nested):
            folder = nested
        else:
            return folder


def stem_of(path: str) -> str:
    """File name without folder and last ending."""
    return osp.splitext(osp.basename(path))[0]


def index_by_stem(paths: Iterable[str], what: str) -> Dict[str, str]:
    """Map stem -> path; two files with one stem are an error."""
    index: Dict[str, str] = {}
    for path in paths:
        stem = stem_of(path)
        if stem in index:
            raise CrackDataError(
                f'{what} {index[stem]} and {path} share the stem {stem!r}: '
                'keep one file per stem.')
        index[stem] = path
    return index


@dataclass
class Pairing:
    """Result of :func:`pair_files`.

    Attributes:
        pairs (list[tuple[str, str, str]]): (stem, image, annotation).
        unpaired_images (list[str]): Images without an annotation.
        unpaired_anns (list[str]): Annotations without an image.
    """
    pairs: List[Tuple[str, str, str]]
    unpaired_images: List[str]
    unpaired_anns: List[str]


def pair_files(img_paths: Sequence[str],
               ann_paths: Sequence[str],
               ann_stem: Callable[[str], Sequence[str]] = lambda s: (s, ),
               what: str = 'Images') -> Pairing:
    """Pair images with annotations by file stem.

    Args:
        img_paths (Sequence[str]): Image files.
        ann_paths (Sequence[str]): Annotation files.
        ann_stem (callable): Image stem -> candidate annotation stems, tried
            in order (e.g. ``lambda s: (s, s + '_mask')``).
        what (str): Name of the images in errors.
    """
    images = index_by_stem(img_paths, what)
    anns = index_by_stem(ann_paths, 'Annotations')
    pairs, unpaired_images, used = [], [], set()
    for stem, img in sorted(images.items()):
        for candidate in ann_stem(stem):
            if candidate in anns:
                pairs.append((stem, img, anns[candidate]))
                used.add(candidate)
                break
        else:
            unpaired_images.append(img)
    unpaired_anns = sorted(p for s, p in anns.items() if s not in used)
    return Pairing(pairs, unpaired_images, unpaired_anns)


def report_unpaired(pairing: Pairing,
                    where: str,
                    strict: bool = False,
                    notes: Optional[List[str]] = None) -> None:
    """Report files left without a partner.

    They are skipped and listed in ``notes``; with ``strict`` they are an
    error. A pairing without a single pair is always an error.
    """
    problems = []
    kinds = ((pairing.unpaired_images, 'images without an annotation'),
             (pairing.unpaired_anns, 'annotations without an image'))
    for files, kind in kinds:
        if files:
            shown = ', '.join(osp.basename(f) for f in files[:5])
            more = ', ...' if len(files) > 5 else ''
            problems.append(f'{len(files)} {kind} in {where} ({shown}{more})')
    if not pairing.pairs:
        raise CrackDataError(
            f'No image/annotation pairs found in {where}. ' +
            ('; '.join(problems) + '. ' if problems else '') +
            'Check SRC, the folder options and the file endings.')
    if problems and strict:
        raise CrackDataError('; '.join(problems) +
                              '. Remove them, or drop --strict to skip them.')
    if notes is not None:
        notes.extend(f'skipped {p}' for p in problems)


def collect_pairs(img_dirs: Sequence[str],
                  ann_dir: str,
                  img_exts: Sequence[str] = IMAGE_EXTENSIONS,
                  ann_exts: Sequence[str] = MASK_EXTENSIONS,
                  ann_stem: Callable[[str], Sequence[str]] = lambda s: (s, ),
                  split: Optional[str] = None,
                  strict: bool = False,
                  notes: Optional[List[str]] = None) -> List[Sample]:
    """Pair the images of ``img_dirs`` with the annotations of ``ann_dir``.

    The usual case of a converter: one (or a few) folders of images, one
    folder of masks, pairs matched by stem (:func:`pair_files`), unpaired
    files reported (:func:`report_unpaired`). Images and masks may share a
    folder when their endings differ (``img_exts``/``ann_exts``).

    Returns:
        list[Sample]: One sample per pair, with ``split``.
    """
    img_paths = [p for d in img_dirs for p in list_files(d, img_exts)]
    ann_paths = list_files(ann_dir, ann_exts)
    pairing = pair_files(img_paths, ann_paths, ann_stem)
    where = ' + '.join(dict.fromkeys([*img_dirs, ann_dir]))
    report_unpaired(pairing, where, strict, notes)
    return [Sample(stem, img, ann, split) for stem, img, ann in pairing.pairs]


def make_stems_unique(samples: List[Sample],
                      group: Callable[[Sample], str]) -> List[str]:
    """Prefix every stem with its group when two groups share a stem.

    Returns the notes to report (empty when nothing was renamed).
    """
    owner: Dict[str, str] = {}
    clash = False
    for sample in samples:
        key = group(sample)
        if owner.setdefault(sample.stem, key) != key:
            clash = True
            break
    if not clash:
        return []
    for sample in samples:
        sample.stem = f'{group(sample)}_{sample.stem}'
    return [
        'stems repeat across source folders, so every stem was '
        'prefixed with its folder (e.g. train_<stem>)'
    ]
