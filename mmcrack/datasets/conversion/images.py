"""The photos of a source set: read once to prove they decode, then
written into the mmcrack layout.

JPEGs are copied byte for byte (no second lossy compression); other formats
are written losslessly as PNG. A JPEG with an EXIF rotation is the
exception, see :attr:`ImageInfo.copy_bytes`.
"""
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import Tuple

from PIL import Image, UnidentifiedImageError

from ..mask_format import CrackDataError

_EXIF_ORIENTATION = 0x0112


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
        CrackDataError: If the file cannot be read or decoded.
    """
    try:
        with Image.open(path) as img:
            img.load()
            rotated = img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
            return ImageInfo(img.size, img.format == 'JPEG', rotated)
    except (OSError, SyntaxError, UnidentifiedImageError) as err:
        raise CrackDataError(
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
