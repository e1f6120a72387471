"""The crack-mask format, its checks, and the error for unusable data.

A crack mask, as :class:`~mmcrack.datasets.CrackDataset` reads it and every
converter in ``tools/dataset_converters/`` writes it, is a single-channel
image of its photo's size holding only
:data:`~mmcrack.utils.constants.MASK_VALUES`: 0 background, 1 crack, 255
ignore. :func:`check_mask` is the one check of that format: the datasets
run it on the files they read (:func:`check_crack_pair`, which also proves
that the image decodes), the converters on every mask before they write it.
Every error is a :class:`CrackDataError` naming the file and the fix.
"""
from typing import Optional, Sequence

import mmcv
import numpy as np
from PIL import Image

from ..utils.constants import CRACK, IGNORE_INDEX, MASK_VALUES

#: How to fix a set that is not in the mmcrack layout, named in the errors
#: about its folders and mask values.
CONVERTER_HINT = ('Convert the set with tools/dataset_converters/ (e.g. '
                  '`python tools/dataset_converters/folder.py IMAGES MASKS '
                  'OUT` for 0/255, 0/1 or RGB masks)')


class CrackDataError(ValueError):
    """Crack data that mmcrack cannot use: a source set a converter cannot
    convert, a set or mask that breaks the mmcrack layout, an output folder
    that must not be written. The message names the file and the fix."""


def check_mask(mask: np.ndarray,
               mask_path: str,
               img_size: Optional[Sequence[int]] = None,
               img_path: Optional[str] = None,
               allow_ignore_without_crack: bool = False,
               hint: str = CONVERTER_HINT) -> None:
    """Check that a mask is in the crack-mask format.

    The mask must be 2-D, hold only 0 (background), 1 (crack) and 255
    (ignore), so that it is stored as 8-bit without loss, and have the size
    of its image. A mask holding 255 but no 1 is refused unless
    ``allow_ignore_without_crack``: it is almost always a 0/255 mask whose
    cracks would silently be ignored.

    Args:
        mask (np.ndarray): The mask, as read from its file (or as a converter
            made it from an annotation).
        mask_path (str): Its file, named in errors.
        img_size (Sequence[int], optional): (width, height) of its image.
            Defaults to None (not compared).
        img_path (str, optional): Its image file, named in errors.
        allow_ignore_without_crack (bool): Accept 255 without 1.
            Defaults to False.
        hint (str): How to fix a mask of the wrong shape or values, appended
            to those errors. Defaults to :data:`CONVERTER_HINT`.

    Raises:
        CrackDataError: Naming the file, what was found and the fix.
    """
    if mask.ndim != 2:
        raise CrackDataError(
            f'Mask {mask_path} has shape {mask.shape}: a crack mask is '
            'single-channel with 0 = background, 1 = crack, 255 = ignore. '
            f'{hint}.')
    values = np.unique(mask)
    if np.setdiff1d(values, MASK_VALUES).size:
        raise CrackDataError(
            f'Mask {mask_path} holds values {values.tolist()}; a crack mask '
            'holds only 0 (background), 1 (crack) and 255 (ignore). '
            f'{hint}.')
    if (IGNORE_INDEX in values and CRACK not in values
            and not allow_ignore_without_crack):
        raise CrackDataError(
            f'Mask {mask_path} holds 255 but no 1: this looks like a 0/255 '
            'mask, whose cracks would be ignored (255 = ignore). '
            f'{hint}. If 255 really marks ignored pixels in a crack-free '
            'image, set allow_ignore_without_crack=True.')
    mask_size = (mask.shape[1], mask.shape[0])
    if img_size is not None and mask_size != tuple(img_size):
        raise CrackDataError(
            f'Image {img_path} is {img_size[0]}x{img_size[1]} (WxH) but its '
            f'mask {mask_path} is {mask_size[0]}x{mask_size[1]}: they do not '
            'belong together, or one was resized. Fix or remove the pair; '
            'every mask must have the size of its image.')


def check_crack_pair(img_path: str,
                     seg_map_path: str,
                     allow_ignore_without_crack: bool = False) -> None:
    """Check that an image and its crack mask can be used as they are.

    Both files must decode in full (the image with mmcv's decoder, as
    ``LoadImageFromFile`` reads it, so a truncated JPEG is caught here rather
    than in a training worker), and the mask must pass :func:`check_mask`
    (single channel, only 0, 1 and 255, the image's size; 255 without 1 only
    with ``allow_ignore_without_crack``).

    Raises:
        CrackDataError: naming the file, what was found and how to fix it.
    """
    try:
        with open(img_path, 'rb') as f:
            img = mmcv.imfrombytes(f.read())
    except OSError as err:
        raise CrackDataError(
            f'Cannot read image {img_path}: {err}. Remove or replace the file.'
        ) from err
    if img is None:
        raise CrackDataError(
            f'Cannot decode image {img_path}: it is truncated or corrupt (the '
            'training loader would fail on it). Remove or replace the file.')
    try:
        with Image.open(seg_map_path) as mask_file:
            mask = np.asarray(mask_file)
    except (OSError, SyntaxError) as err:
        raise CrackDataError(
            f'Cannot read mask {seg_map_path}: {err}. Remove or replace the '
            'file.') from err
    check_mask(mask, seg_map_path, (img.shape[1], img.shape[0]), img_path,
               allow_ignore_without_crack)
