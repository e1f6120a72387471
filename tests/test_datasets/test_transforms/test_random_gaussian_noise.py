import numpy as np
import pytest
from helpers import REPO_ROOT
from mmseg.registry import TRANSFORMS

from mmcrack.datasets.transforms import RandomGaussianNoise


def test_noise_variance_in_range_and_mask_untouched():
    np.random.seed(0)
    img = np.full((200, 200, 3), 128, np.uint8)
    seg = np.ones((200, 200), np.uint8)
    transform = TRANSFORMS.build(
        dict(type='RandomGaussianNoise', var_limit=(10., 50.), prob=1.))
    for _ in range(5):
        results = transform(dict(img=img.copy(), gt_seg_map=seg.copy()))
        noise = results['img'].astype(np.float64) - 128
        assert results['img'].dtype == np.uint8
        assert 10 * 0.9 < noise.var() < 50 * 1.1
        assert abs(noise.mean()) < 0.2
        assert np.array_equal(results['gt_seg_map'], seg)
        # Per channel: the channels differ.
        assert not np.array_equal(noise[..., 0], noise[..., 1])


def test_uint8_is_clipped_and_float_is_not():
    np.random.seed(0)
    transform = RandomGaussianNoise(var_limit=(400., 400.), prob=1.)
    dark = transform(dict(img=np.zeros((50, 50, 3), np.uint8)))['img']
    assert dark.dtype == np.uint8 and dark.min() == 0 and dark.max() > 20
    bright = transform(dict(img=np.full((50, 50, 3), 255, np.uint8)))['img']
    assert bright.max() == 255 and bright.min() < 235
    floats = transform(dict(img=np.zeros((50, 50, 3), np.float32)))['img']
    assert floats.dtype == np.float32 and floats.min() < -20


def test_shared_noise_across_channels_and_probability():
    np.random.seed(0)
    img = np.full((30, 30, 3), 100, np.uint8)
    out = RandomGaussianNoise(per_channel=False, prob=1.)(dict(img=img))
    assert np.array_equal(out['img'][..., 0], out['img'][..., 2])
    assert not np.array_equal(out['img'][..., 0], img[..., 0])
    untouched = RandomGaussianNoise(prob=0.)(dict(img=img.copy()))['img']
    assert np.array_equal(untouched, img)
    with pytest.raises(ValueError, match='var_limit'):
        RandomGaussianNoise(var_limit=(50., 10.))


def test_std_range_as_albumentations_2():
    """GaussNoise's 2.x defaults, which the official Context-CrackNet code
    runs: std 0.2-0.44 of 255 (51-112 grey levels)."""
    np.random.seed(0)
    img = np.zeros((300, 300, 3), np.float32)  # float: no clipping
    transform = TRANSFORMS.build(
        dict(type='RandomGaussianNoise', std_range=(0.2, 0.44), prob=1.))
    stds = [transform(dict(img=img.copy()))['img'].std() for _ in range(20)]
    assert 0.2 * 255 * 0.97 < min(stds) and max(stds) < 0.44 * 255 * 1.03
    assert max(stds) - min(stds) > 20  # drawn per image
    with pytest.raises(ValueError, match='std_range'):
        RandomGaussianNoise(std_range=(0.5, 0.1))


def test_context_cracknet_config_uses_the_official_noise():
    from mmengine.config import Config
    config = (REPO_ROOT / 'configs' / 'context_cracknet' /
              'context-cracknet_r50_1xb8-40k_cfd-448x448.py')
    noise, = [t for t in Config.fromfile(config).train_pipeline
              if t['type'] == 'RandomGaussianNoise']
    assert noise['std_range'] == (0.2, 0.44) and noise['prob'] == 0.2
