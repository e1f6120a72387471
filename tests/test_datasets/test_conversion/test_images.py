"""mmcrack.datasets.conversion.images: JPEG bytes copied, other images
written losslessly, EXIF-rotated JPEGs kept unrotated."""
import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import inspect_image, write_image


def test_jpeg_bytes_are_copied(tmp_path, cfd_dir):
    src = cfd_dir / 'images' / '001.jpg'
    info = inspect_image(str(src))
    assert info.size == (480, 320) and info.copy_bytes
    dst = write_image(str(src), str(tmp_path), 'x', info.copy_bytes)
    assert dst.endswith('x.jpg')
    assert (tmp_path / 'x.jpg').read_bytes() == src.read_bytes()


def test_exif_rotated_jpeg_is_saved_as_png(tmp_path, cfd_dir):
    img = Image.open(cfd_dir / 'images' / '001.jpg')
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    img.save(tmp_path / 'rot.jpg', exif=exif)
    info = inspect_image(str(tmp_path / 'rot.jpg'))
    assert info.is_jpeg and info.exif_rotated and not info.copy_bytes
    dst = write_image(
        str(tmp_path / 'rot.jpg'), str(tmp_path), 'rot', info.copy_bytes)
    assert dst.endswith('rot.png')
    assert np.array_equal(
        np.asarray(Image.open(dst)),
        np.asarray(Image.open(tmp_path / 'rot.jpg')))


def test_unreadable_image(tmp_path):
    (tmp_path / 'a.jpg').write_bytes(b'\xff\xd8\xff garbage')
    with pytest.raises(CrackDataError, match=r'Cannot read image .*a.jpg'):
        inspect_image(str(tmp_path / 'a.jpg'))
