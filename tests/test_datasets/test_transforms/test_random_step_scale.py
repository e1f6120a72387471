import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from mmcrack.datasets.transforms import RandomStepScale


def results(h=40, w=60):
    rng = np.random.default_rng(0)
    return dict(
        img=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        gt_seg_map=rng.integers(0, 2, (h, w), dtype=np.uint8),
        seg_fields=['gt_seg_map'])


def test_grid_of_paddleseg():
    t = TRANSFORMS.build(dict(type='RandomStepScale'))
    assert isinstance(t, RandomStepScale)
    np.testing.assert_allclose(t.scale_factors,
                               [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert RandomStepScale(1.0, 1.0).scale_factors.tolist() == [1.0]
    assert RandomStepScale(0.5, 2.0, step=0).scale_factors is None
    with pytest.raises(ValueError):
        RandomStepScale(2.0, 0.5)
    with pytest.raises(ValueError):
        RandomStepScale(step=-1)


def test_draws_every_step_and_only_steps():
    np.random.seed(0)
    t = RandomStepScale(0.5, 2.0, 0.25)
    sizes = set()
    for _ in range(200):
        out = t(results(40, 60))
        h, w = out['img'].shape[:2]
        sizes.add((h, w))
        assert out['gt_seg_map'].shape == (h, w)
        assert out['img_shape'] == (h, w)
        assert out['scale_factor'] == (w / 60, h / 40)
    # round(f * 40) x round(f * 60) for every f on the grid, nothing else.
    assert sizes == {(20, 30), (30, 45), (40, 60), (50, 75), (60, 90),
                     (70, 105), (80, 120)}


def test_mask_is_resized_nearest():
    np.random.seed(1)
    data = results(41, 33)
    data['gt_seg_map'][data['gt_seg_map'] == 1] = 255
    out = RandomStepScale(1.5, 1.5)(data)
    assert out['img'].shape == (62, 50, 3)  # round(61.5), round(49.5)
    assert set(np.unique(out['gt_seg_map'])) <= {0, 255}


def test_continuous_range():
    np.random.seed(0)
    t = RandomStepScale(0.5, 2.0, step=0)
    heights = {t(results(100, 100))['img'].shape[0] for _ in range(30)}
    assert len(heights) > 7 and min(heights) >= 50 and max(heights) <= 200
