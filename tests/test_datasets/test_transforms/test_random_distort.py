import numpy as np
import pytest
from mmseg.registry import TRANSFORMS
from PIL import Image, ImageEnhance

from mmcrack.datasets.transforms import RandomDistort


def bgr_image(h=24, w=32, seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (h, w, 3), dtype=np.uint8)


def only(op, **kwargs):
    """A RandomDistort that always applies ``op`` and nothing else."""
    probs = {f'{name}_prob': float(name == op) for name in RandomDistort.OPS}
    return RandomDistort(**probs, **kwargs)


def test_defaults_of_paddleseg():
    t = TRANSFORMS.build(dict(type='RandomDistort'))
    assert isinstance(t, RandomDistort)
    assert t.ranges == dict(
        brightness=0.5, contrast=0.5, saturation=0.5, hue=18)
    assert set(t.probs.values()) == {0.5}


def test_no_op_keeps_the_image():
    img = bgr_image()
    out = only(None)(dict(img=img.copy()))['img']
    assert out.dtype == np.uint8 and np.array_equal(out, img)


@pytest.mark.parametrize('op,enhance',
                         [('brightness', ImageEnhance.Brightness),
                          ('contrast', ImageEnhance.Contrast),
                          ('saturation', ImageEnhance.Color)])
def test_pil_enhance_on_rgb(op, enhance):
    """Each op is PIL's enhancer on the RGB image with a factor drawn from
    [0.5, 1.5]; the result comes back as BGR."""
    img = bgr_image()
    np.random.seed(3)
    out = only(op)(dict(img=img.copy()))['img']
    np.random.seed(3)
    for i in np.random.permutation(4):  # random order, one draw per op
        np.random.uniform(0, 1)
        if RandomDistort.OPS[i] == op:
            factor = np.random.uniform(0.5, 1.5)
    rgb = Image.fromarray(np.ascontiguousarray(img[..., ::-1]))
    expected = np.asarray(enhance(rgb).enhance(factor))[..., ::-1]
    assert np.array_equal(out, expected)
    assert not np.array_equal(out, img)


def test_hue_shift_wraps_around():
    # A pure red pixel has PIL hue 0; a negative shift wraps to ~255 (still
    # reddish, towards magenta), a positive one moves towards yellow.
    img = np.zeros((1, 1, 3), np.uint8)
    img[..., 2] = 255  # BGR red
    t = only('hue', hue_range=18)
    seen = set()
    np.random.seed(0)
    for _ in range(20):
        b, g, r = t(dict(img=img.copy()))['img'][0, 0].tolist()
        assert r == 255 and (g == 0 or b == 0)
        seen.add('yellowish' if g > 0 else 'magenta' if b > 0 else 'red')
    assert seen >= {'yellowish', 'magenta'}


def test_rejects_grey_images():
    with pytest.raises(ValueError, match='3-channel'):
        RandomDistort()(dict(img=np.zeros((4, 4), np.uint8)))
