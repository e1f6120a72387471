"""Rotate by a random multiple of 90 degrees."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRotate90(BaseTransform):
    """Rotate the image and its masks by 0, 90, 180 or 270 degrees.

    albumentations' ``RandomRotate90``, part of Context-CrackNet's training
    augmentation (`Kyem et al., 2025 <https://arxiv.org/abs/2501.14413>`_,
    Sec. 4.1: "random rotations by 90 degrees"; ``RandomRotate90(p=0.5)`` in
    the official pipeline): with probability ``prob`` the image and every
    map in ``seg_fields`` are rotated counter-clockwise by ``k * 90``
    degrees, ``k`` drawn uniformly from {0, 1, 2, 3} (so ``k = 0`` leaves
    the image as it is). Rotations are exact (no interpolation); an image
    that is not square swaps its height and width for odd ``k``. mmseg's
    ``RandomRotate`` and ``RandomRotFlip`` rotate by arbitrary angles
    instead.

    Required Keys:

    - img
    - gt_seg_map (optional)

    Modified Keys:

    - img
    - gt_seg_map
    - img_shape

    Added Keys:

    - rotate90_k

    Args:
        prob (float): Probability of drawing a rotation. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], not {prob}.')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        """Rotate ``results['img']`` and the maps of ``seg_fields``."""
        k = 0
        if np.random.rand() < self.prob:
            k = int(np.random.randint(4))
        results['rotate90_k'] = k
        if k:
            results['img'] = np.ascontiguousarray(np.rot90(results['img'], k))
            for key in results.get('seg_fields', []):
                results[key] = np.ascontiguousarray(np.rot90(results[key], k))
            results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
