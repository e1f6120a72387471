"""mmcrack.datasets.conversion.masks: the rule that binarizes source masks."""
import io

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import MaskRule

CRACK = np.zeros((40, 60), np.uint8)
CRACK[10:13, 5:50] = 1
CRACK[20:35, 30:32] = 1


def as_image(array, mode=None):
    img = Image.fromarray(array)
    return img.convert(mode) if mode else img


@pytest.mark.parametrize('values', [(0, 1), (0, 255)])
def test_rule_binary_grey(values):
    grey = np.where(CRACK == 1, values[1], values[0]).astype(np.uint8)
    assert np.array_equal(MaskRule().apply(as_image(grey)), CRACK)


def test_rule_keeps_ignore():
    mask = CRACK.copy()
    mask[0, :] = 255
    assert np.array_equal(MaskRule().apply(as_image(mask)), mask)


def test_rule_one_bit_palette_and_16_bit():
    assert np.array_equal(MaskRule().apply(as_image(CRACK.astype(bool))),
                          CRACK)
    # Palette masks: the indices count (0 black, 1 red), as in mmseg.
    palette = Image.new('P', (CRACK.shape[1], CRACK.shape[0]))
    palette.putdata(CRACK.ravel().tolist())
    palette.putpalette([0, 0, 0, 255, 0, 0])
    assert np.array_equal(np.asarray(palette), CRACK)
    assert np.array_equal(MaskRule().apply(palette), CRACK)
    sixteen = Image.fromarray(CRACK.astype(np.uint16) * 65535)
    assert sixteen.mode.startswith('I;16')
    assert np.array_equal(MaskRule().apply(sixteen), CRACK)


def test_rule_colour_masks():
    rgb = np.zeros(CRACK.shape + (3, ), np.uint8)
    rgb[CRACK == 1] = (200, 30, 0)
    assert np.array_equal(MaskRule().apply(as_image(rgb)), CRACK)
    # RGBA: transparent pixels are background whatever their colour.
    rgba = np.full(CRACK.shape + (4, ), 255, np.uint8)
    rgba[..., 3] = np.where(CRACK == 1, 255, 0)
    assert np.array_equal(MaskRule().apply(as_image(rgba)), CRACK)
    # Named colours: only those are crack.
    rgb[0, 0] = (0, 0, 255)
    only_red = MaskRule(crack_colors=[(200, 30, 0)]).apply(as_image(rgb))
    assert np.array_equal(only_red, CRACK)
    with pytest.raises(CrackDataError, match='crack colours'):
        MaskRule(crack_colors=[(255, 0, 0)]).apply(as_image(CRACK))


def test_rule_jpeg_compressed_mask_is_thresholded():
    buffer = io.BytesIO()
    Image.fromarray(CRACK * 255).save(buffer, format='JPEG', quality=60)
    jpeg = Image.open(buffer)
    values = np.asarray(jpeg)
    assert len(np.unique(values)) > 3  # really lossy
    mask = MaskRule().apply(jpeg)
    assert np.array_equal(mask, (values >= 128).astype(np.uint8))
    assert np.count_nonzero(mask != CRACK) <= 0.02 * CRACK.sum()


def test_rule_refuses_what_it_cannot_binarize():
    regions = np.ones_like(CRACK) + CRACK  # CFD-like labels 1/2 ...
    regions[:5] = 3
    with pytest.raises(
            CrackDataError, match=r'cfd_like.*\[1, 2, 3\].*class-index map'):
        MaskRule().apply(as_image(regions), 'cfd_like')
    photo = np.random.default_rng(0).integers(
        0, 256, CRACK.shape, dtype=np.uint8)
    with pytest.raises(
            CrackDataError,
            match=r'photo.png is not a binary mask.*--threshold'):
        MaskRule().apply(as_image(photo), 'photo.png')
    # An explicit threshold is the user's rule and is applied as given.
    assert np.array_equal(
        MaskRule(threshold=2).apply(as_image(regions)),
        (regions >= 2).astype(np.uint8))


def test_rule_invert_keeps_ignore():
    mask = CRACK.copy()
    mask[0, :] = 255
    inverted = MaskRule(invert=True).apply(as_image(mask))
    assert np.array_equal(inverted[1:], 1 - CRACK[1:])
    assert (inverted[0] == 255).all()


def test_rule_read_names_unreadable_file(tmp_path):
    path = tmp_path / 'broken.png'
    path.write_bytes(b'\x89PNG broken')
    with pytest.raises(CrackDataError, match='Cannot read mask .*broken'):
        MaskRule().read(str(path))
