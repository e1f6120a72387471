import builtins

import cv2
import numpy as np
import pytest

from mmcrack.utils import crf
from mmcrack.utils.crf import OFFICIAL_CRF, crf_refine, to_uint8_image

needs_crf = pytest.mark.skipif(
    not crf.crf_available(), reason='pydensecrf2 is not installed')

pytestmark = pytest.mark.usefixtures('one_thread')


def synthetic_crack(size=96):
    """A dark 2-pixel line on a noisy grey road, and a CAM that is a blurred
    blob around it (as a CAM at 1/8 resolution looks once up-sampled)."""
    rng = np.random.default_rng(0)
    image = (150 + rng.integers(-10, 10, (size, size, 3))).astype(np.uint8)
    label = np.zeros((size, size), np.uint8)
    cv2.line(label, (10, 20), (size - 11, size - 26), 1, 2)
    image[label == 1] = 40
    cam = cv2.GaussianBlur(label.astype(np.float32), (0, 0), 6)
    return image, label, cam / cam.max()


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


@needs_crf
def test_refines_a_blurred_cam_onto_the_crack():
    image, label, cam = synthetic_crack()
    out = crf_refine(image, cam, **OFFICIAL_CRF)
    assert out.dtype == np.uint8 and out.shape == label.shape
    assert iou(out, label) > 0.9
    assert iou((cam > 0.5).astype(np.uint8), label) < 0.5  # the CAM is not
    # The same image as floats in [0, 1] or [0, 255] gives the same label.
    assert np.array_equal(crf_refine(image / 255., cam), out)
    assert np.array_equal(crf_refine(image.astype(np.float32), cam), out)
    probs = crf_refine(image, cam, return_probs=True)
    assert probs.shape == (2, 96, 96)
    assert np.array_equal(probs.argmax(0), out)


def test_uint8_conversion_does_not_overflow():
    image = np.array([[[0, 128, 255]]], np.uint8)
    assert np.array_equal(to_uint8_image(image), image)
    # The official code's `(img * 255).astype(np.uint8)` on a uint8 image:
    assert not np.array_equal((image * 255).astype(np.uint8), image)
    assert np.array_equal(
        to_uint8_image(np.array([[[0., .5, 1.]]])), [[[0, 128, 255]]])
    assert np.array_equal(
        to_uint8_image(np.array([[[-3., 127.6, 300.]]])), [[[0, 128, 255]]])
    with pytest.raises(ValueError, match='RGB'):
        to_uint8_image(np.zeros((4, 4)))


def test_clear_error_without_pydensecrf2(monkeypatch):
    real_import = builtins.__import__

    def no_densecrf(name, *args, **kwargs):
        if name.startswith('pydensecrf'):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_densecrf)
    assert not crf.crf_available()
    with pytest.raises(ImportError, match='pip install pydensecrf2'):
        crf_refine(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4)))
