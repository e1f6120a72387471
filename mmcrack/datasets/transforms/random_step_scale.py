"""Resize by a scale factor drawn from a grid of steps."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform, Resize
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomStepScale(BaseTransform):
    """Resize the image and its mask by a factor drawn from a grid of steps.

    PaddleSeg's ``ResizeStepScaling``, with which HrSegNet is trained
    (Sec. 4.2, "random resizing ... 0.5 to 2.0"): the factor is drawn
    uniformly from ``min_scale, min_scale + step, ..., max_scale`` (with the
    defaults 0.5, 0.75, ..., 2.0), and the image becomes
    ``round(factor * w) x round(factor * h)``, bilinear for the image and
    nearest for ``gt_seg_map``. mmcv's ``RandomResize`` draws the ratio
    from a continuous range instead.

    Required Keys:

    - img
    - gt_seg_map (optional)

    Modified Keys:

    - img
    - gt_seg_map
    - img_shape

    Added Keys:

    - scale
    - scale_factor
    - keep_ratio

    Args:
        min_scale (float): Smallest scale factor. Defaults to 0.5.
        max_scale (float): Largest scale factor. Defaults to 2.0.
        step (float): Step between factors; 0 draws the factor uniformly
            from ``[min_scale, max_scale]``. Defaults to 0.25.
        interpolation (str): Interpolation of the image (the mask always
            uses nearest). Defaults to 'bilinear'.
        backend (str): Resize backend, 'cv2' or 'pillow'. Defaults to
            'cv2'.
    """

    def __init__(self,
                 min_scale: float = 0.5,
                 max_scale: float = 2.0,
                 step: float = 0.25,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        if not 0 < min_scale <= max_scale:
            raise ValueError(
                f'Need 0 < min_scale <= max_scale, got min_scale={min_scale}, '
                f'max_scale={max_scale}.')
        if step < 0:
            raise ValueError(f'step must be >= 0, not {step}.')
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.step = step
        self.resize = Resize(
            scale=(1, 1),
            keep_ratio=False,
            interpolation=interpolation,
            backend=backend)

    @property
    def scale_factors(self) -> Optional[np.ndarray]:
        """The grid of factors; None when drawn from a continuous range."""
        if self.min_scale == self.max_scale:
            return np.array([self.min_scale])
        if self.step == 0:
            return None
        num_steps = int((self.max_scale - self.min_scale) / self.step + 1)
        return np.linspace(self.min_scale, self.max_scale, num_steps)

    def _random_factor(self) -> float:
        factors = self.scale_factors
        if factors is None:
            return float(np.random.uniform(self.min_scale, self.max_scale))
        return float(np.random.choice(factors))

    def transform(self, results: dict) -> dict:
        """Resize ``img`` and ``gt_seg_map`` by a random grid factor."""
        factor = self._random_factor()
        h, w = results['img'].shape[:2]
        self.resize.scale = (int(round(factor * w)), int(round(factor * h)))
        return self.resize(results)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_scale={self.min_scale}, '
                f'max_scale={self.max_scale}, step={self.step}, '
                f'interpolation={self.resize.interpolation!r}, '
                f'backend={self.resize.backend!r})')
