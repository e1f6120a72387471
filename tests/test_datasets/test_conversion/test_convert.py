"""mmcrack.datasets.conversion.convert: a list of pairs written into the
mmcrack layout."""
import shutil

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import MaskRule, Sample, convert_samples


def test_convert_samples(tmp_path, cfd_dir):
    samples = []
    for i in range(1, 7):
        stem = f'{i:03d}'
        shutil.copyfile(cfd_dir / 'masks' / f'{stem}.png',
                        tmp_path / f'{stem}.png')
        samples.append(
            Sample(stem, str(cfd_dir / 'images' / f'{stem}.jpg'),
                   str(tmp_path / f'{stem}.png')))
    out = tmp_path / 'out'
    result = convert_samples(
        samples, str(out), MaskRule().read, val_every=3, progress=False)
    assert result.splits == {
        'train': ['001', '002', '004', '005'],
        'val': ['003', '006']
    }
    assert result.sizes == {(480, 320): 6}
    crack = sum(
        int(np.asarray(Image.open(s.ann_path)).sum()) for s in samples[:2])
    assert result.crack_pixels['train'][0] >= crack
    assert result.crack_pixels['val'][1] == 2 * 480 * 320
    assert 'val        2 pairs' in result.summary()
    assert (out / 'splits' / 'train.txt').read_text() == \
        '001\n002\n004\n005\n'
    with pytest.raises(CrackDataError, match="both be written as '001'"):
        convert_samples(samples + samples[:1], str(out), MaskRule().read)


def test_every_mask_is_checked_before_it_is_written(tmp_path, cfd_dir):
    """The converters run CrackDataset's check (check_mask) on what their
    annotation readers return."""
    img = cfd_dir / 'images' / '001.jpg'
    samples = [Sample(f'{i}', str(img), f'ann{i}.mat') for i in range(5)]
    crack = np.zeros((320, 480), np.int64)
    crack[100:103] = 1
    # Any integer array with the mask values is written as an 8-bit mask.
    convert_samples(
        samples, str(tmp_path / 'out'), lambda path: crack, progress=False)
    mask = Image.open(tmp_path / 'out' / 'masks' / '0.png')
    assert mask.mode == 'L'
    assert np.array_equal(np.asarray(mask), crack)
    with pytest.raises(
            CrackDataError,
            match=r'ann0.mat holds values \[0, 2\].*Fix or remove the '
            'annotation'):
        convert_samples(
            samples,
            str(tmp_path / 'bad'),
            lambda path: crack * 2,
            progress=False)
    with pytest.raises(CrackDataError, match=r'ann0.mat is 480x319'):
        convert_samples(
            samples,
            str(tmp_path / 'bad'),
            lambda path: crack[1:],
            progress=False)
    assert not (tmp_path / 'bad').exists()
