"""The rule that turns the mask file of a source set into a crack mask.

Source sets draw their masks in many formats; :class:`MaskRule` is the one
rule that every converter applies to every mask file it reads, giving the
crack-mask format of :mod:`mmcrack.datasets.mask_format` (0 background,
1 crack, 255 ignore):

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


Every error names the file and says how to fix it.
"""
import argparse
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from ...utils.constants import BACKGROUND, CRACK, IGNORE_INDEX, MASK_VALUES
from ..mask_format import CrackDataError

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
            raise CrackDataError(
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
            raise CrackDataError(
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
                            CRACK - np.minimum(mask, CRACK)).astype(np.uint8)
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
        raise CrackDataError(
            f'Mask {source} is a {mode} image with values '
            f'{_describe_values(present)}: only 8-bit masks, or 16-bit masks '
            'holding 0 and one other value, can be read. Save it as an '
            '8-bit PNG (0 background, 255 crack).')
    raise CrackDataError(
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
    if present <= {BACKGROUND, CRACK} or (present <= set(MASK_VALUES)
                                          and CRACK in present):
        return values.astype(np.uint8, copy=True)
    if present <= {0, 255}:
        return (values == 255).astype(np.uint8)
    present_sorted = np.array(sorted(present))
    if present_sorted[-1] <= DARK_MAX:
        raise CrackDataError(
            f'Mask {source} holds the values '
            f'{_describe_values(present_sorted)}, all dark: it looks like a '
            'class-index map, not a 0/1 or 0/255 crack mask. Convert it with '
            'the converter of its dataset, or name the rule explicitly with '
            '--threshold T (value >= T is crack).')
    ambiguous = counts[DARK_MAX + 1:BRIGHT_MIN].sum() / values.size
    if ambiguous > MAX_AMBIGUOUS_FRACTION:
        raise CrackDataError(
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
