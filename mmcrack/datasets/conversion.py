"""What every dataset converter in ``tools/dataset_converters/`` shares.

A converter only knows where its source set keeps images and annotations and
which split each pair belongs to; it hands a list of :class:`Sample` to
:func:`convert_samples`, which writes the layout :class:`CrackDataset` reads::

    OUT/images/<stem>.jpg   JPEG sources: the original bytes, copied
    OUT/images/<stem>.png   other sources: the pixels, written losslessly
    OUT/masks/<stem>.png    single channel uint8: 0 background, 1 crack,
                            255 ignore; same size as the image
    OUT/splits/<split>.txt  train.txt and val.txt always, test.txt when the
                            source has a test split; one stem per line

Mask formats are handled in one place, :class:`MaskRule`. Its rule, applied
to every mask file a converter reads:

1. Channels. Mode ``1`` (1-bit) masks are 0/1. Palette (``P``) masks use
   their palette indices, as MMSegmentation reads them. RGB masks use, per
   pixel, the largest of R, G, B, so black is background and white, red or
   any bright colour is crack; with ``crack_colors`` only pixels of exactly
   those colours are crack. In LA/RGBA masks, fully transparent pixels
   (alpha 0) are background whatever their colour. 16-bit masks holding only
   0 and one other value are read as 0/255.
2. Values of the single-channel result:

   * only 0 and 1: 1 is crack (``0/1`` masks);
   * only 0 and 255: 255 is crack (``0/255`` masks);
   * only 0, 1 and 255: already the target (1 crack, 255 ignore), kept;
   * anything else is thresholded, value >= :data:`DEFAULT_THRESHOLD`
     (128) is crack, provided the mask is *nearly binary*: at most
     :data:`MAX_AMBIGUOUS_FRACTION` (5 %) of its pixels lie strictly between
     :data:`DARK_MAX` (64) and :data:`BRIGHT_MIN` (191). This accepts 0/255
     masks saved as JPEG or anti-aliased when resized, and refuses grey
     photos, probability maps and class-index maps (several values, all
     <= 64, e.g. 0-4), which need their own rule.

   An explicit ``threshold`` replaces step 2: value >= threshold is crack,
   whatever the values.
3. ``invert=True`` swaps crack and background afterwards (for sets that
   draw cracks black on white); ignore (255) stays ignore.

Every mask is then checked by :func:`validate_mask` (2-D, uint8, values in
{0, 1, 255}, size of its image), every image is decoded once to prove it is
readable, and every error names the file and says how to fix it.
"""
import argparse
import contextlib
import os
import os.path as osp
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple)

import mmengine
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..utils.constants import IGNORE_INDEX, IMAGE_EXTENSIONS, MASK_VALUES
from .split import select_split

#: File endings read as mask images.
MASK_EXTENSIONS = ('.png', '.bmp', '.gif', '.tif', '.tiff', '.jpg', '.jpeg')
#: Nearly binary masks: value >= this is crack.
DEFAULT_THRESHOLD = 128
#: Pixels at or below this value count as clearly dark.
DARK_MAX = 64
#: Pixels at or above this value count as clearly bright.
BRIGHT_MIN = 191
#: Largest share of pixels strictly between DARK_MAX and BRIGHT_MIN that a
#: mask may hold and still be thresholded without an explicit threshold.
MAX_AMBIGUOUS_FRACTION = 0.05
#: Order in which split files are written and reported.
SPLIT_ORDER = ('train', 'val', 'test')
#: The folders a converter writes (and ``--overwrite`` replaces) under OUT.
OUTPUT_DIRS = ('images', 'masks', 'splits')
#: Staging folder under OUT; renamed into place when a conversion succeeds.
_STAGING = '.mmcrack-converting'
_EXIF_ORIENTATION = 0x0112


class ConversionError(ValueError):
    """Source data that a converter cannot turn into the mmcrack layout."""


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


@dataclass
class ConversionResult:
    """What :func:`convert_samples` wrote.

    Attributes:
        out_dir (str): Output root.
        splits (dict): Split name -> list of stems, in file order.
        crack_pixels (dict): Split name -> (crack pixels, labelled pixels).
        sizes (Counter): (width, height) -> number of images.
        notes (list[str]): Remarks printed with the summary.
    """
    out_dir: str
    splits: Dict[str, List[str]]
    crack_pixels: Dict[str, Tuple[int, int]]
    sizes: Counter
    notes: List[str] = field(default_factory=list)

    def crack_percent(self, split: str) -> float:
        """Crack pixels in % of the labelled (non-ignore) pixels of a split."""
        crack, total = self.crack_pixels[split]
        return 100.0 * crack / max(total, 1)

    def summary(self) -> str:
        """The short report printed at the end of a conversion."""
        total = sum(len(stems) for stems in self.splits.values())
        lines = [f'Converted {total} image/mask pairs into {self.out_dir}']
        for split, stems in self.splits.items():
            lines.append(f'  {split:<5} {len(stems):>6} pairs, crack pixels '
                         f'{self.crack_percent(split):.2f} %')
        common = ', '.join(f'{w}x{h} ({n})'
                           for (w, h), n in self.sizes.most_common(3))
        more = ' ...' if len(self.sizes) > 3 else ''
        lines.append(f'  sizes (WxH): {common}{more}')
        lines.extend(f'  note: {note}' for note in self.notes)
        split_files = ', '.join(f'{split}.txt' for split in self.splits)
        lines.append(f'  written: {osp.join(self.out_dir, "images")}, '
                     f'{osp.join(self.out_dir, "masks")}, '
                     f'{osp.join(self.out_dir, "splits")} ({split_files})')
        return '\n'.join(lines)


# ---------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------
@dataclass
class MaskRule:
    """The documented rule that turns a mask file into 0/1(/255).

    See the module docstring for the full rule.

    Args:
        threshold (int, optional): Explicit threshold: value >= threshold is
            crack, with no check of the values. Defaults to None (automatic
            rule).
        crack_colors (Sequence[tuple], optional): RGB colours that mark
            crack in colour masks; other colours are background. Defaults to
            None (any bright colour is crack).
        invert (bool): Swap crack and background after binarizing.
            Defaults to False.
    """
    threshold: Optional[int] = None
    crack_colors: Optional[Sequence[Tuple[int, int, int]]] = None
    invert: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> 'MaskRule':
        """Build the rule from the arguments of :func:`add_mask_args`."""
        return cls(
            threshold=getattr(args, 'threshold', None),
            crack_colors=getattr(args, 'crack_color', None),
            invert=getattr(args, 'invert', False))

    def read(self, path: str) -> np.ndarray:
        """Read a mask file and binarize it (see :meth:`apply`)."""
        try:
            with Image.open(path) as img:
                img.load()
                return self.apply(img, path)
        except (OSError, SyntaxError, UnidentifiedImageError) as err:
            raise ConversionError(
                f'Cannot read mask {path}: {err}. Remove or replace the '
                'file.') from err

    def apply(self, img: Image.Image, source: str = 'mask') -> np.ndarray:
        """Binarize a mask image.

        Args:
            img (PIL.Image.Image): The mask as read from its file.
            source (str): Name used in error messages (the file path).

        Returns:
            np.ndarray: uint8 (H, W) array: 0 background, 1 crack,
            255 ignore.
        """
        if self.crack_colors and img.mode not in ('RGB', 'RGBA', 'P'):
            raise ConversionError(
                f'Mask {source} is a {img.mode} image, but crack colours '
                f'{list(self.crack_colors)} were given for colour masks. '
                'Drop --crack-color for single-channel masks.')
        if self.crack_colors:
            mask = _match_colors(img, self.crack_colors)
        else:
            values = _single_channel(img, source)
            if self.threshold is not None:
                mask = (values >= self.threshold).astype(np.uint8)
            else:
                mask = _binarize_values(values, source)
        if self.invert:
            mask = np.where(mask == IGNORE_INDEX, IGNORE_INDEX,
                            1 - np.minimum(mask, 1)).astype(np.uint8)
        return mask


def _single_channel(img: Image.Image, source: str) -> np.ndarray:
    """Reduce a mask image to one uint8 channel (step 1 of the rule)."""
    mode = img.mode
    if mode == '1':
        return np.asarray(img, dtype=np.uint8)
    if mode in ('L', 'P'):
        return np.asarray(img)
    if mode in ('LA', 'PA', 'RGB', 'RGBA', 'RGBX', 'RGBa', 'La'):
        if mode in ('PA', 'RGBa', 'La'):
            img = img.convert('RGBA' if mode != 'La' else 'LA')
        arr = np.asarray(img)
        has_alpha = img.mode in ('LA', 'RGBA')
        colour = arr[..., :-1] if has_alpha else arr[..., :3]
        values = colour.max(axis=-1)
        if has_alpha:
            values = np.where(arr[..., -1] == 0, 0, values)
        return values.astype(np.uint8)
    if mode in ('I', 'I;16', 'I;16B', 'I;16L', 'I;16N'):
        arr = np.asarray(img)
        if arr.min() >= 0 and arr.max() <= 255:
            return arr.astype(np.uint8)
        present = np.unique(arr)
        if present.size <= 2 and present[0] == 0:
            return ((arr > 0) * 255).astype(np.uint8)
        raise ConversionError(
            f'Mask {source} is a {mode} image with values '
            f'{_describe_values(present)}: only 8-bit masks, or 16-bit masks '
            'holding 0 and one other value, can be read. Save it as an '
            '8-bit PNG (0 background, 255 crack).')
    raise ConversionError(
        f'Mask {source} has the image mode {mode}, which is not a mask '
        'format mmcrack reads (1-bit, grey, palette, RGB(A), 16-bit). Save '
        'it as an 8-bit PNG (0 background, 255 crack).')


def _match_colors(img: Image.Image,
                  colors: Sequence[Tuple[int, int, int]]) -> np.ndarray:
    """1 where a pixel has one of the given RGB colours, else 0."""
    rgb = np.asarray(img.convert('RGB'))
    mask = np.zeros(rgb.shape[:2], dtype=bool)
    for color in colors:
        mask |= np.all(rgb == np.asarray(color, dtype=np.uint8), axis=-1)
    return mask.astype(np.uint8)


def _binarize_values(values: np.ndarray, source: str) -> np.ndarray:
    """Step 2 of the rule on a single-channel uint8 array."""
    counts = np.bincount(values.ravel(), minlength=256)
    present = set(np.flatnonzero(counts).tolist())
    if present <= {0, 1} or (present <= {0, 1, 255} and 1 in present):
        return values.astype(np.uint8, copy=True)
    if present <= {0, 255}:
        return (values == 255).astype(np.uint8)
    present_sorted = np.array(sorted(present))
    if present_sorted[-1] <= DARK_MAX:
        raise ConversionError(
            f'Mask {source} holds the values '
            f'{_describe_values(present_sorted)}, all dark: it looks like a '
            'class-index map, not a 0/1 or 0/255 crack mask. Convert it with '
            'the converter of its dataset, or name the rule explicitly with '
            '--threshold T (value >= T is crack).')
    ambiguous = counts[DARK_MAX + 1:BRIGHT_MIN].sum() / values.size
    if ambiguous > MAX_AMBIGUOUS_FRACTION:
        raise ConversionError(
            f'Mask {source} is not a binary mask: {100 * ambiguous:.1f} % of '
            f'its pixels lie between {DARK_MAX} and {BRIGHT_MIN} (values '
            f'{_describe_values(present_sorted)}); at most '
            f'{100 * MAX_AMBIGUOUS_FRACTION:.0f} % are accepted without an '
            'explicit rule. If it is a crack mask, pass --threshold T (value '
            '>= T is crack); if it is a photo, the image and mask folders '
            'are swapped.')
    return (values >= DEFAULT_THRESHOLD).astype(np.uint8)


def _describe_values(values: Sequence[int], limit: int = 8) -> str:
    values = [int(v) for v in values]
    if len(values) <= limit:
        return str(values)
    return (f'[{", ".join(map(str, values[:limit // 2]))}, ..., '
            f'{", ".join(map(str, values[-limit // 2:]))}] '
            f'({len(values)} distinct)')


def validate_mask(mask: np.ndarray,
                  source: str,
                  img_size: Optional[Tuple[int, int]] = None,
                  img_path: Optional[str] = None) -> None:
    """Check a binarized mask before it is written.

    Args:
        mask (np.ndarray): The mask.
        source (str): Its annotation file, named in errors.
        img_size (tuple, optional): (width, height) of its image.
        img_path (str, optional): Its image file, named in errors.

    Raises:
        ConversionError: For a non 2-D or non uint8 mask, values outside
            {0, 1, 255}, or a size different from the image's.
    """
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise ConversionError(
            f'Mask from {source} is {mask.dtype} with shape {mask.shape}; a '
            'converted mask must be a 2-D uint8 array.')
    unexpected = np.setdiff1d(np.unique(mask), MASK_VALUES)
    if unexpected.size:
        raise ConversionError(
            f'Mask from {source} holds values {unexpected.tolist()} after '
            'conversion; only 0 (background), 1 (crack) and 255 (ignore) are '
            'allowed.')
    if img_size is not None:
        mask_size = (mask.shape[1], mask.shape[0])
        if mask_size != tuple(img_size):
            raise ConversionError(
                f'Image {img_path} is {img_size[0]}x{img_size[1]} (WxH) but '
                f'its annotation {source} is {mask_size[0]}x{mask_size[1]}: '
                'they do not belong together, or one was resized. Fix or '
                'remove the pair.')


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------
@dataclass
class ImageInfo:
    """What :func:`inspect_image` learnt about an image file.

    Attributes:
        size (tuple[int, int]): (width, height).
        is_jpeg (bool): The file is a JPEG (by content, not by name).
        exif_rotated (bool): It carries an EXIF orientation other than 1.
    """
    size: Tuple[int, int]
    is_jpeg: bool
    exif_rotated: bool

    @property
    def copy_bytes(self) -> bool:
        """Copy the file as it is: a JPEG without an EXIF rotation.

        A JPEG with an EXIF rotation is re-encoded losslessly (raw pixels, no
        rotation) as PNG instead: OpenCV, which MMSegmentation loads images
        with, would rotate it while its mask, drawn on the raw pixels, stays
        unrotated.
        """
        return self.is_jpeg and not self.exif_rotated


def inspect_image(path: str) -> ImageInfo:
    """Decode an image once (proving it is readable) and describe it.

    Raises:
        ConversionError: If the file cannot be read or decoded.
    """
    try:
        with Image.open(path) as img:
            img.load()
            rotated = img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
            return ImageInfo(img.size, img.format == 'JPEG', rotated)
    except (OSError, SyntaxError, UnidentifiedImageError) as err:
        raise ConversionError(
            f'Cannot read image {path}: {err}. Remove or replace the '
            'file.') from err


def write_image(src: str, out_img_dir: str, stem: str,
                copy_bytes: bool) -> str:
    """Write one image into ``out_img_dir``; return the written path.

    With ``copy_bytes`` the file is copied byte for byte as ``<stem>.jpg``;
    otherwise its pixels are saved losslessly as ``<stem>.png`` (modes PNG
    cannot store, e.g. CMYK, are converted to RGB first).
    """
    if copy_bytes:
        dst = osp.join(out_img_dir, stem + '.jpg')
        shutil.copyfile(src, dst)
        return dst
    dst = osp.join(out_img_dir, stem + '.png')
    with Image.open(src) as img:
        if img.mode not in ('1', 'L', 'LA', 'P', 'RGB', 'RGBA', 'I', 'I;16'):
            img = img.convert('RGB')
        img.save(dst, format='PNG')
    return dst


# ---------------------------------------------------------------------------
# Finding and pairing files
# ---------------------------------------------------------------------------
def list_files(folder: str, extensions: Sequence[str]) -> List[str]:
    """Sorted paths of the files in ``folder`` (not recursive) whose ending
    is one of ``extensions`` (case-insensitive); hidden files are skipped."""
    if not osp.isdir(folder):
        raise ConversionError(f'Folder {folder} does not exist.')
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
        ConversionError: If no folder, or two equally likely folders, match.
    """
    if not osp.isdir(root):
        raise ConversionError(f'Source folder {root} does not exist.')
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
                raise ConversionError(
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
    raise ConversionError(
        f'No {what} folder (named {" or ".join(names)}) found in {root} or '
        f'its sub-folders ({max_depth} levels down). Check SRC{hint}.')


def source_dirs(args: argparse.Namespace, img_names: Sequence[str],
                ann_names: Sequence[str]) -> Tuple[str, str]:
    """The image and annotation folders of a two-folder set: ``--img-dir``
    and ``--ann-dir`` when given, else found under SRC by name
    (:func:`find_dir`)."""
    img_dir = args.img_dir or find_dir(args.src, img_names, 'image',
                                       '--img-dir')
    ann_dir = args.ann_dir or find_dir(args.src, ann_names, 'annotation',
                                       '--ann-dir')
    for folder, option in ((img_dir, '--img-dir'), (ann_dir, '--ann-dir')):
        if not osp.isdir(folder):
            raise ConversionError(f'{option} {folder} is not a folder.')
    return img_dir, ann_dir


def check_output_for(args: argparse.Namespace, dirs: Sequence[str]) -> None:
    """:func:`check_output_dir` for a converter that reads ``dirs``: SRC
    counts as a source too unless both --img-dir and --ann-dir replaced
    the search in it."""
    overridden = getattr(args, 'img_dir', None) and getattr(
        args, 'ann_dir', None)
    sources = list(dirs) if overridden else [args.src, *dirs]
    check_output_dir(args.out, args.overwrite, sources)


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
            raise ConversionError(
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
        raise ConversionError(
            f'No image/annotation pairs found in {where}. ' +
            ('; '.join(problems) + '. ' if problems else '') +
            'Check SRC, the folder options and the file endings.')
    if problems and strict:
        raise ConversionError('; '.join(problems) +
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


def collect_source_pairs(
        args: argparse.Namespace, img_names: Sequence[str],
        ann_names: Sequence[str],
        ann_exts: Sequence[str]) -> Tuple[List[Sample], List[str]]:
    """The pairs of a two-folder set and the notes of their pairing.

    The folders come from :func:`source_dirs`; OUT is checked against them
    (:func:`check_output_for`) before anything is read, then the pairs are
    collected by :func:`collect_pairs` (``--strict`` from ``args``).
    """
    img_dir, ann_dir = source_dirs(args, img_names, ann_names)
    check_output_for(args, [img_dir, ann_dir])
    notes: List[str] = []
    samples = collect_pairs([img_dir],
                            ann_dir,
                            ann_exts=ann_exts,
                            strict=args.strict,
                            notes=notes)
    return samples, notes


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


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def check_output_dir(out_dir: str,
                     overwrite: bool,
                     sources: Sequence[str] = (),
                     outputs: Sequence[str] = OUTPUT_DIRS) -> None:
    """Refuse to write into a non-empty OUT without ``overwrite``, and to
    write into (or over) a source folder at all; ``outputs`` (named in the
    error) are what ``overwrite`` replaces."""
    out_real = osp.realpath(out_dir)
    for src in sources:
        src_real = osp.realpath(src)
        if (out_real == src_real or src_real.startswith(out_real + os.sep)
                or out_real.startswith(src_real + os.sep)):
            raise ConversionError(
                f'OUT {out_dir} overlaps the source {src}: write the '
                'converted set to a folder outside the source.')
    if osp.isfile(out_dir):
        raise ConversionError(f'OUT {out_dir} is a file, not a folder.')
    leftovers = osp.isdir(out_dir) and [
        e for e in os.listdir(out_dir) if e != _STAGING
    ]
    if leftovers and not overwrite:
        raise ConversionError(
            f'OUT {out_dir} is not empty. Choose an empty folder, or pass '
            f'--overwrite to replace its {", ".join(outputs)}.')


@contextlib.contextmanager
def staged_output(out_dir: str,
                  outputs: Sequence[str] = OUTPUT_DIRS,
                  folders: Sequence[str] = OUTPUT_DIRS) -> Iterator[str]:
    """Write OUT's ``outputs`` in a staging folder, moved into place at the
    end.

    Yields the staging folder under OUT (with ``folders`` created in it).
    When the block ends normally, each name of ``outputs`` written there
    replaces OUT's (a folder or a file); when it raises, the staging folder
    is dropped and OUT is left as it was (removed again if it was created).
    """
    created = not osp.isdir(out_dir)
    staging = osp.join(out_dir, _STAGING)
    if osp.isdir(staging):
        shutil.rmtree(staging)
    for name in folders:
        os.makedirs(osp.join(staging, name))
    os.makedirs(staging, exist_ok=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and osp.isdir(out_dir) and not os.listdir(out_dir):
            os.rmdir(out_dir)
        raise
    for name in outputs:
        source, target = osp.join(staging, name), osp.join(out_dir, name)
        if not osp.exists(source):
            continue
        if osp.isdir(target):
            shutil.rmtree(target)
        elif osp.exists(target):
            os.remove(target)
        os.replace(source, target)
    shutil.rmtree(staging)


def write_splits(split_dir: str, splits: Dict[str, List[str]]) -> None:
    """Write ``<split_dir>/<split>.txt``, one stem per line."""
    os.makedirs(split_dir, exist_ok=True)
    for split, stems in splits.items():
        with open(osp.join(split_dir, f'{split}.txt'), 'w') as f:
            f.writelines(stem + '\n' for stem in stems)


def assign_splits(
        samples: Sequence[Sample],
        val_every: int = 5,
        aliases: Optional[Dict[str, str]] = None) -> Dict[str, List[str]]:
    """Group the stems by split, in :data:`SPLIT_ORDER`.

    Samples without a split are divided by
    :func:`mmcrack.datasets.split.select_split` (every ``val_every``-th
    sorted stem is validation). ``aliases`` adds splits that repeat another
    one, e.g. ``{'val': 'test'}`` for a set whose only held-out split is its
    test split. Both 'train' and 'val' must end up non-empty.
    """
    with_split = [s.split is not None for s in samples]
    if any(with_split) and not all(with_split):
        raise ConversionError(
            'Some samples have an official split and some do not; a '
            'converter must assign all or none.')
    if not all(with_split):
        stems = sorted(s.stem for s in samples)
        grouped = {
            split: select_split(stems, split, val_every)
            for split in ('train', 'val')
        }
    else:
        grouped = {}
        for sample in samples:
            grouped.setdefault(sample.split, []).append(sample.stem)
    for alias, split in (aliases or {}).items():
        grouped[alias] = list(grouped.get(split, []))
    order = [s for s in SPLIT_ORDER if s in grouped]
    order += sorted(s for s in grouped if s not in SPLIT_ORDER)
    splits = {split: sorted(grouped[split]) for split in order}
    for split in ('train', 'val'):
        if not splits.get(split):
            raise ConversionError(
                f'The {split!r} split is empty ({len(samples)} pairs in all, '
                f'val_every={val_every}). Every converted set needs train '
                'and val pairs: check that SRC holds every split, add data, '
                'or lower --val-every.')
    return splits


def _write_samples(samples: Sequence[Sample], root: str,
                   read_ann: Callable[[str], np.ndarray], progress: bool):
    """Write images and masks under ``root``; return per-stem (crack,
    labelled) pixel counts, the image sizes and the re-encoded JPEGs."""
    img_dir, mask_dir = osp.join(root, 'images'), osp.join(root, 'masks')
    pixels: Dict[str, Tuple[int, int]] = {}
    sizes: Counter = Counter()
    reencoded = []
    iterator = (
        mmengine.track_iter_progress(list(samples)) if progress else samples)
    for sample in iterator:
        info = inspect_image(sample.img_path)
        mask = read_ann(sample.ann_path)
        validate_mask(mask, sample.ann_path, info.size, sample.img_path)
        if info.exif_rotated:
            reencoded.append(sample.img_path)
        write_image(sample.img_path, img_dir, sample.stem, info.copy_bytes)
        Image.fromarray(mask).save(osp.join(mask_dir, sample.stem + '.png'))
        pixels[sample.stem] = (int(np.count_nonzero(mask == 1)),
                               int(np.count_nonzero(mask != IGNORE_INDEX)))
        sizes[info.size] += 1
    return pixels, sizes, reencoded


def convert_samples(samples: Sequence[Sample],
                    out_dir: str,
                    read_ann: Callable[[str], np.ndarray],
                    val_every: int = 5,
                    notes: Sequence[str] = (),
                    split_aliases: Optional[Dict[str, str]] = None,
                    progress: bool = True) -> ConversionResult:
    """Write samples into the mmcrack layout and report what was written.

    Args:
        samples (Sequence[Sample]): Pairs to write; stems must be unique.
        out_dir (str): OUT; checked beforehand with :func:`check_output_dir`.
            Everything is written to a staging folder first; only when all
            pairs are written do its images/, masks/ and splits/ replace
            OUT's, so a failed conversion leaves OUT as it was.
        read_ann (callable): Annotation path -> binarized mask (uint8,
            0/1/255), e.g. :meth:`MaskRule.read`.
        val_every (int): Deterministic rule for samples without a split.
        notes (Sequence[str]): Remarks to print with the summary.
        split_aliases (dict, optional): Splits that repeat another, e.g.
            ``{'val': 'test'}`` (see :func:`assign_splits`).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        ConversionResult: Splits, crack-pixel counts and image sizes.
    """
    samples = sorted(samples, key=lambda s: s.stem)
    if not samples:
        raise ConversionError('No image/annotation pairs to convert.')
    seen: Dict[str, Sample] = {}
    for sample in samples:
        if sample.stem in seen:
            raise ConversionError(
                f'{seen[sample.stem].img_path} and {sample.img_path} would '
                f'both be written as {sample.stem!r}: stems must be unique.')
        seen[sample.stem] = sample
    splits = assign_splits(samples, val_every, split_aliases)
    with staged_output(out_dir) as staging:
        pixels, sizes, reencoded = _write_samples(samples, staging, read_ann,
                                                  progress)
        write_splits(osp.join(staging, 'splits'), splits)
    notes = list(notes)
    if reencoded:
        notes.append(
            f'{len(reencoded)} JPEGs carry an EXIF rotation and were saved '
            'losslessly as PNG (raw pixels) so that the loader cannot rotate '
            f'them away from their masks (first: {reencoded[0]})')
    crack_pixels = {}
    for split, stems in splits.items():
        crack_pixels[split] = (sum(pixels[s][0] for s in stems),
                               sum(pixels[s][1] for s in stems))
    return ConversionResult(
        out_dir=out_dir,
        splits=splits,
        crack_pixels=crack_pixels,
        sizes=sizes,
        notes=notes)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def _rgb(text: str) -> Tuple[int, int, int]:
    try:
        rgb = tuple(int(v) for v in text.split(','))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise argparse.ArgumentTypeError(
            f'{text!r} is not an R,G,B colour such as 255,0,0')
    return rgb


def _threshold(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 255:
        raise argparse.ArgumentTypeError('the threshold must be in 1..255')
    return value


def _positive_val_every(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError('--val-every must be >= 2')
    return value


def build_parser(description: str,
                 src_help: str = 'source folder') -> argparse.ArgumentParser:
    """An argument parser with SRC, OUT and ``--overwrite``.

    The converter's module docstring is the description, so ``--help``
    states the layout it assumes.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', metavar='SRC', help=src_help)
    add_out_args(parser)
    return parser


def add_out_args(parser: argparse.ArgumentParser,
                 outputs: Sequence[str] = OUTPUT_DIRS) -> None:
    """Add OUT and ``--overwrite`` (which replaces ``outputs``)."""
    written = ', '.join(outputs)
    parser.add_argument(
        'out', metavar='OUT', help=f'output folder; {written} are written '
        'into it')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help=f'write into a non-empty OUT, replacing its {written} (other '
        'files are left alone)')


def add_split_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--val-every`` (for sets without an official split)."""
    parser.add_argument(
        '--val-every',
        type=_positive_val_every,
        default=5,
        metavar='N',
        help='deterministic split: with the stems sorted, every N-th stem '
        'goes to val, the rest to train (mmcrack.datasets.split.'
        'select_split; default: 5)')


def add_mask_args(parser: argparse.ArgumentParser,
                  colors: bool = False,
                  invert: bool = False) -> None:
    """Add ``--threshold`` and, on request, ``--crack-color`` and
    ``--invert`` (see :class:`MaskRule`)."""
    parser.add_argument(
        '--threshold',
        type=_threshold,
        metavar='T',
        help='binarize every mask as value >= T is crack, skipping the '
        'automatic rule (0/1 and 0/255 masks as they are; other values '
        f'thresholded at {DEFAULT_THRESHOLD} only when nearly binary; see '
        'mmcrack/datasets/conversion.py)')
    if colors:
        parser.add_argument(
            '--crack-color',
            type=_rgb,
            action='append',
            metavar='R,G,B',
            help='colour masks: pixels of exactly this colour are crack, all '
            'others background; repeat for several colours (default: any '
            'non-black pixel is crack)')
    if invert:
        parser.add_argument(
            '--invert',
            action='store_true',
            help='swap crack and background after binarizing (for masks '
            'that draw cracks dark on a bright background)')


def add_pairing_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--strict``."""
    parser.add_argument(
        '--strict',
        action='store_true',
        help='stop with an error when an image has no annotation or an '
        'annotation no image (default: skip them and list them in the '
        'summary)')


def add_dir_args(parser: argparse.ArgumentParser, img_default: str,
                 ann_default: str) -> None:
    """Add ``--img-dir`` and ``--ann-dir`` overrides."""
    parser.add_argument(
        '--img-dir',
        metavar='DIR',
        help=f'image folder, overriding the search for {img_default} under '
        'SRC')
    parser.add_argument(
        '--ann-dir',
        metavar='DIR',
        help=f'annotation folder, overriding the search for {ann_default} '
        'under SRC')


def run(convert: Callable[[argparse.Namespace], ConversionResult],
        args: argparse.Namespace) -> ConversionResult:
    """Run a converter from the command line: print its summary, or exit
    with status 1 and the error message (no traceback) on bad input."""
    try:
        result = convert(args)
    except ConversionError as err:
        raise SystemExit(f'error: {err}') from err
    print(result.summary())
    return result
