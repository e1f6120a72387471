"""mmcrack.datasets.mask_format: the one check of a crack mask, shared by
CrackDataset and the converters."""
import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError, check_crack_pair, check_mask
from mmcrack.datasets.mask_format import CONVERTER_HINT

CRACK = np.zeros((40, 60), np.uint8)
CRACK[10:13, 5:50] = 1


def test_valid_masks_pass():
    check_mask(CRACK, 'm.png', (60, 40), 'i.jpg')
    with_ignore = CRACK.copy()
    with_ignore[0] = 255
    check_mask(with_ignore, 'm.png')
    # The values decide, not the array type: 1-bit and 16-bit files read
    # as 0/1 are stored as 8-bit without loss.
    check_mask(CRACK.astype(bool), 'm.png')
    check_mask(CRACK.astype(np.uint16), 'm.png')


def test_shape_and_values():
    with pytest.raises(
            CrackDataError,
            match=r'Mask m.png has shape \(40, 60, 3\).*single-channel'):
        check_mask(np.stack([CRACK] * 3, axis=-1), 'm.png')
    with pytest.raises(CrackDataError,
                       match=r'm.png holds values \[0, 2\]') as err:
        check_mask(CRACK * 2, 'm.png')
    # The fix: the converters by default, the caller's hint otherwise.
    assert CONVERTER_HINT in str(err.value)
    with pytest.raises(CrackDataError, match='values .*Fix the reader.'):
        check_mask(CRACK * 2, 'm.png', hint='Fix the reader')


def test_ignore_without_crack_is_a_0_255_mask():
    with pytest.raises(CrackDataError,
                       match=r'm.png holds 255 but no 1.*0/255.*'
                       'allow_ignore_without_crack=True'):
        check_mask(CRACK * 255, 'm.png')
    check_mask(CRACK * 255, 'm.png', allow_ignore_without_crack=True)


def test_size_of_the_image():
    with pytest.raises(
            CrackDataError,
            match=r'Image i.jpg is 60x41 \(WxH\) but its mask m.png is '
            '60x40.*Fix or remove the pair'):
        check_mask(CRACK, 'm.png', (60, 41), 'i.jpg')


def test_check_crack_pair_reads_both_files(tmp_path):
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / 'i.png')
    Image.fromarray(CRACK).save(tmp_path / 'm.png')
    check_crack_pair(str(tmp_path / 'i.png'), str(tmp_path / 'm.png'))
    Image.fromarray(CRACK * 255).save(tmp_path / 'm.png')
    with pytest.raises(CrackDataError, match='m.png holds 255 but no 1'):
        check_crack_pair(str(tmp_path / 'i.png'), str(tmp_path / 'm.png'))
    (tmp_path / 'm.png').write_bytes(b'\x89PNG broken')
    with pytest.raises(CrackDataError, match=r'Cannot read mask .*m\.png'):
        check_crack_pair(str(tmp_path / 'i.png'), str(tmp_path / 'm.png'))
