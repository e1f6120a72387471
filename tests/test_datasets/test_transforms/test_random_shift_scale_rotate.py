import cv2
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from mmcrack.datasets.transforms import RandomShiftScaleRotate


def sample(h=40, w=60):
    rng = np.random.default_rng(0)
    img = rng.integers(10, 250, (h, w, 3), dtype=np.uint8)
    seg = np.zeros((h, w), np.uint8)
    seg[10:20, 20:30] = 1
    return dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'])


def test_pure_shift_moves_image_and_mask_by_whole_pixels():
    """dx = 0.1 of 60 = 6 px right, dy = -0.25 of 40 = 10 px up."""
    transform = RandomShiftScaleRotate(
        shift_limit=0.1, scale_limit=0., rotate_limit=0., prob=1.,
        img_border_value=3, seg_border_value=255)
    matrix = transform.affine_matrix(40, 60, 0., 1., 0.1, -0.25)
    assert np.allclose(matrix, [[1, 0, 6], [0, 1, -10]])
    original = sample()
    results = transform._warp(original['img'], matrix, cv2.INTER_LINEAR, 3)
    assert np.array_equal(results[:30, 6:], original['img'][10:, :54])
    assert (results[30:] == 3).all() and (results[:, :6] == 3).all()
    seg = transform._warp(original['gt_seg_map'], matrix, cv2.INTER_NEAREST,
                          255)
    assert np.array_equal(seg[:30, 6:], original['gt_seg_map'][10:, :54])
    assert (seg[30:] == 255).all()


def test_random_affine_keeps_size_and_label_values():
    np.random.seed(0)
    transform = TRANSFORMS.build(
        dict(type='RandomShiftScaleRotate', prob=1., seg_border_value=0))
    for _ in range(5):
        results = transform(sample())
        assert results['img'].shape == (40, 60, 3)
        assert results['img'].dtype == np.uint8
        assert results['gt_seg_map'].shape == (40, 60)
        # Nearest neighbour: no new label values.
        assert set(np.unique(results['gt_seg_map'])) <= {0, 1}
        assert not np.array_equal(results['img'], sample()['img'])


def test_matches_albumentations_sampling_ranges(monkeypatch):
    """angle in +-rotate_limit, scale in 1 +- scale_limit, shifts in
    +-shift_limit: the extreme draws give the extreme matrix."""
    draws = iter([30., 1.1, np.array([0.1, -0.1])])
    monkeypatch.setattr(np.random, 'uniform', lambda *a: next(draws))
    seen = {}
    monkeypatch.setattr(
        RandomShiftScaleRotate, 'affine_matrix',
        staticmethod(lambda *args: seen.setdefault('args', args) and
                     np.float64([[1, 0, 0], [0, 1, 0]])))
    RandomShiftScaleRotate(prob=1.)(sample())
    assert seen['args'] == (40, 60, 30., 1.1, 0.1, -0.1)


def test_probability_and_arguments():
    unchanged = RandomShiftScaleRotate(prob=0.)(sample())
    assert np.array_equal(unchanged['img'], sample()['img'])
    with pytest.raises(ValueError, match='scale_limit'):
        RandomShiftScaleRotate(scale_limit=1.)
    with pytest.raises(ValueError, match='interpolation'):
        RandomShiftScaleRotate(interpolation='linear')
    with pytest.raises(ValueError, match='prob'):
        RandomShiftScaleRotate(prob=-0.1)
