"""Additive Gaussian noise, as albumentations' GaussNoise."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomGaussianNoise(BaseTransform):
    """Add Gaussian noise of a random variance to the image.

    albumentations' ``GaussNoise``, part of Context-CrackNet's training
    augmentation (`Kyem et al., 2025 <https://arxiv.org/abs/2501.14413>`_,
    Sec. 4.1: "Gaussian noise"; ``GaussNoise(p=0.2)`` in the official
    pipeline). With probability ``prob`` a standard deviation is drawn,
    either as albumentations 2.x draws it (``std_range``: ``U(std_range)``
    times 255, its default ``(0.2, 0.44)`` giving 51-112 grey levels) or as
    1.x did (``var_limit``: the variance from ``U(var_limit)`` in squared
    0-255 units, 1.x's ``(10, 50)`` giving 3.2-7.1 grey levels), and noise of
    that standard deviation and mean ``mean`` is added to every pixel,
    independently per channel if ``per_channel`` (else one value for all
    channels of a pixel). A uint8
    image is rounded, clipped to [0, 255] and stays uint8 (albumentations
    truncates, which darkens the image by half a grey level on average);
    other images become float32 without clipping. The masks are unchanged.
    mmseg's ``BioMedicalGaussianNoise`` is meant for float volumes: on uint8
    images its noise is cast to uint8 and wraps around.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        var_limit (Sequence[float]): Range of the noise variance. Defaults to
            (10.0, 50.0) (albumentations 1.x); unused with ``std_range``.
        std_range (Sequence[float], optional): Range of the noise standard
            deviation as a fraction of 255 (albumentations 2.x; its default
            is (0.2, 0.44)). Defaults to None (use ``var_limit``).
        mean (float): Mean of the noise. Defaults to 0.
        per_channel (bool): Draw the noise of each channel independently.
            Defaults to True.
        prob (float): Probability of adding noise. Defaults to 0.5.
    """

    def __init__(self,
                 var_limit: Sequence[float] = (10.0, 50.0),
                 std_range: Optional[Sequence[float]] = None,
                 mean: float = 0.,
                 per_channel: bool = True,
                 prob: float = 0.5) -> None:
        var_limit = tuple(float(v) for v in var_limit)
        if len(var_limit) != 2 or not 0 <= var_limit[0] <= var_limit[1]:
            raise ValueError(
                'var_limit must be (low, high) with 0 <= low <= high, not '
                f'{var_limit}.')
        if std_range is not None:
            std_range = tuple(float(v) for v in std_range)
            if len(std_range) != 2 or not 0 <= std_range[0] <= std_range[1]:
                raise ValueError(
                    'std_range must be (low, high) with 0 <= low <= high, '
                    f'not {std_range}.')
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], not {prob}.')
        self.var_limit = var_limit
        self.std_range = std_range
        self.mean = mean
        self.per_channel = per_channel
        self.prob = prob

    def transform(self, results: dict) -> dict:
        """Add noise to ``results['img']``."""
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        if self.std_range is not None:
            std = np.random.uniform(*self.std_range) * 255.0
        else:
            std = np.random.uniform(*self.var_limit)**0.5
        shape = img.shape if self.per_channel or img.ndim == 2 else (
            *img.shape[:2], 1)
        noisy = img.astype(np.float32) + np.random.normal(
            self.mean, std, shape).astype(np.float32)
        if img.dtype == np.uint8:
            noisy = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
        results['img'] = noisy
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(var_limit={self.var_limit}, '
                f'std_range={self.std_range}, mean={self.mean}, '
                f'per_channel={self.per_channel}, prob={self.prob})')
