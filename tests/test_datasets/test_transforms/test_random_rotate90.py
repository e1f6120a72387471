import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from mmcrack.datasets.transforms import RandomRotate90


def sample():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    seg = np.array([[0, 1, 255], [1, 0, 0]], dtype=np.uint8)
    return dict(
        img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'], img_shape=(2, 3))


@pytest.mark.parametrize('k', [0, 1, 2, 3])
def test_rotates_image_and_mask_together(k, monkeypatch):
    monkeypatch.setattr(np.random, 'randint', lambda n: k)
    results = RandomRotate90(prob=1.)(sample())
    expected = sample()
    assert results['rotate90_k'] == k
    assert np.array_equal(results['img'], np.rot90(expected['img'], k))
    assert np.array_equal(results['gt_seg_map'],
                          np.rot90(expected['gt_seg_map'], k))
    assert results['img_shape'] == ((2, 3) if k % 2 == 0 else (3, 2))
    assert results['img'].flags['C_CONTIGUOUS']


def test_draws_every_multiple_of_90_degrees():
    np.random.seed(0)
    transform = TRANSFORMS.build(dict(type='RandomRotate90', prob=0.5))
    ks = [transform(sample())['rotate90_k'] for _ in range(400)]
    counts = np.bincount(ks, minlength=4) / len(ks)
    # k = 0 half of the time plus a quarter of the other half.
    assert counts[0] == pytest.approx(0.625, abs=0.08)
    assert all(c == pytest.approx(0.125, abs=0.06) for c in counts[1:])
    never = RandomRotate90(prob=0.)
    assert all(never(sample())['rotate90_k'] == 0 for _ in range(20))


def test_invalid_probability():
    with pytest.raises(ValueError, match='prob'):
        RandomRotate90(prob=1.5)
