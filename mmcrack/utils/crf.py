"""Dense CRF refinement of a crack CAM into a pseudo label.

Wraps the fully connected CRF of `Kraehenbuehl and Koltun (NeurIPS 2011)
<https://arxiv.org/abs/1210.5644>`_ from the optional ``pydensecrf2``
package (``pip install pydensecrf2``, or ``pip install -r
requirements/optional.txt``), which provides the ``pydensecrf`` module.
"""

import numpy as np

#: The settings of WP-CrackNet's official code (after PSA/ACR): 10 mean-field
#: iterations, a Gaussian kernel (sxy 3, compat 3) and a bilateral kernel
#: (sxy 80, srgb 13, compat 10), background score ``(1 - cam) ** 0.5``.
OFFICIAL_CRF = dict(
    num_iters=10,
    gaussian_sxy=3.,
    gaussian_compat=3.,
    bilateral_sxy=80.,
    bilateral_srgb=13.,
    bilateral_compat=10.,
    bg_power=0.5)


def _densecrf():
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError as err:
        raise ImportError(
            'Dense CRF refinement (WP-CrackNet pseudo labels) needs the '
            'optional package pydensecrf2: `pip install pydensecrf2` (it '
            'builds from source in seconds; or `pip install -r '
            'requirements/optional.txt`).') from err
    return dcrf, unary_from_softmax


def to_uint8_image(image: np.ndarray) -> np.ndarray:
    """Return an RGB image as contiguous uint8 (H, W, 3).

    uint8 input is kept as it is; float input is read as [0, 255] if its
    maximum exceeds 1, else as [0, 1], and is rounded and clipped. (The
    official code multiplies an image that is already uint8 by 255 again:
    uint8 wraps each value ``v`` to ``(255 v) mod 256 = 256 - v``, an
    inverted image with 0 kept at 0.)
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f'Expected an RGB image (H, W, 3), got shape {image.shape}.')
    if image.dtype != np.uint8:
        image = image.astype(np.float64)
        if image.max(initial=0.) <= 1.:
            image = image * 255.
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def crf_refine(image: np.ndarray,
               cam: np.ndarray,
               num_iters: int = 10,
               gaussian_sxy: float = 3.,
               gaussian_compat: float = 3.,
               bilateral_sxy: float = 80.,
               bilateral_srgb: float = 13.,
               bilateral_compat: float = 10.,
               bg_power: float = 0.5,
               scale_factor: float = 1.,
               return_probs: bool = False) -> np.ndarray:
    """Refine a crack CAM into a binary crack label with a dense CRF.

    WP-CrackNet Sec. 3.3 ("post-processing the corresponding crack CAM with
    dense Conditional Random Fields"), with the official settings as
    defaults (:data:`OFFICIAL_CRF`): the unary is ``-log`` of the scores
    ``[(1 - cam) ** bg_power, cam]`` (background, crack), the pairwise
    terms a Gaussian kernel (``sxy / scale_factor``) and a bilateral kernel
    on the RGB image.

    Args:
        image (np.ndarray): RGB image (H, W, 3), uint8 or float (see
            :func:`to_uint8_image`).
        cam (np.ndarray): Crack CAM (H, W), normalised to [0, 1].
        num_iters (int): Mean-field iterations. Defaults to 10.
        gaussian_sxy (float): Gaussian kernel width. Defaults to 3.
        gaussian_compat (float): Gaussian kernel weight. Defaults to 3.
        bilateral_sxy (float): Bilateral spatial width. Defaults to 80.
        bilateral_srgb (float): Bilateral colour width. Defaults to 13.
        bilateral_compat (float): Bilateral kernel weight. Defaults to 10.
        bg_power (float): Exponent of the background score. Defaults to
            0.5.
        scale_factor (float): Divides both spatial widths. Defaults to 1.
        return_probs (bool): Return the (2, H, W) CRF marginals instead of
            the label. Defaults to False.

    Returns:
        np.ndarray: uint8 label (H, W), 1 = crack, or float32 marginals.

    Raises:
        ImportError: when ``pydensecrf2`` is not installed.
    """
    dcrf, unary_from_softmax = _densecrf()
    image = to_uint8_image(image)
    cam = np.asarray(cam, dtype=np.float32)
    h, w = image.shape[:2]
    if cam.shape != (h, w):
        raise ValueError(f'CAM shape {cam.shape} does not match the image '
                         f'size {(h, w)}.')
    cam = np.clip(cam, 0., 1.)
    scores = np.stack([(1. - cam)**bg_power, cam]).astype(np.float32)
    crf = dcrf.DenseCRF2D(w, h, 2)
    crf.setUnaryEnergy(np.ascontiguousarray(unary_from_softmax(scores)))
    crf.addPairwiseGaussian(
        sxy=gaussian_sxy / scale_factor, compat=gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=bilateral_sxy / scale_factor,
        srgb=bilateral_srgb,
        rgbim=image,
        compat=bilateral_compat)
    probs = np.array(crf.inference(num_iters), dtype=np.float32).reshape(
        2, h, w)
    if return_probs:
        return probs
    return probs.argmax(axis=0).astype(np.uint8)


def crf_available() -> bool:
    """Whether ``pydensecrf2`` can be imported."""
    try:
        _densecrf()
    except ImportError:
        return False
    return True


__all__ = ['OFFICIAL_CRF', 'crf_available', 'crf_refine', 'to_uint8_image']
