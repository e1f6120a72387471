"""Random affine shift, scale and rotation, as albumentations'
ShiftScaleRotate."""
import cv2
import numpy as np
from mmcv.image.geometric import cv2_interp_codes
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...utils.constants import IGNORE_INDEX


@TRANSFORMS.register_module()
class RandomShiftScaleRotate(BaseTransform):
    """Shift, scale and rotate the image and its masks by one random affine
    map.

    albumentations' ``ShiftScaleRotate``, part of Context-CrackNet's
    training augmentation (`Kyem et al., 2025
    <https://arxiv.org/abs/2501.14413>`_, Sec. 4.1 and Fig. 4; the official
    pipeline uses ``ShiftScaleRotate(shift_limit=0.1, scale_limit=0.1,
    rotate_limit=30, p=0.5, border_mode=cv2.BORDER_CONSTANT)``). With
    probability ``prob``:

    * ``angle ~ U(-rotate_limit, rotate_limit)`` degrees (counter-clockwise),
      ``scale ~ U(1 - scale_limit, 1 + scale_limit)``, ``dx, dy ~
      U(-shift_limit, shift_limit)`` as fractions of the width and height;
    * the map is ``cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)``
      followed by a translation of ``(dx * w, dy * h)`` pixels; the output
      keeps the input size;
    * the image is warped with ``interpolation`` and the maps of
      ``seg_fields`` with nearest neighbour; pixels from outside the input
      are ``img_border_value`` in the image and ``seg_border_value`` in the
      masks.

    albumentations fills the mask border with 0 (background); mmseg's
    convention, the default here, is 255 (ignore).

    Required Keys:

    - img
    - gt_seg_map (optional)

    Modified Keys:

    - img
    - gt_seg_map

    Args:
        shift_limit (float): Largest shift, as a fraction of the size.
            Defaults to 0.1.
        scale_limit (float): Largest relative change of scale; must be
            below 1. Defaults to 0.1.
        rotate_limit (float): Largest rotation in degrees. Defaults to 30.
        prob (float): Probability of the transform. Defaults to 0.5.
        interpolation (str): Interpolation of the image, a name of
            ``mmcv.image.geometric.cv2_interp_codes``. Defaults to
            'bilinear'.
        img_border_value (float): Fill value of the image. Defaults to 0.
        seg_border_value (int): Fill value of the masks. Defaults to 255.
    """

    def __init__(self,
                 shift_limit: float = 0.1,
                 scale_limit: float = 0.1,
                 rotate_limit: float = 30,
                 prob: float = 0.5,
                 interpolation: str = 'bilinear',
                 img_border_value: float = 0,
                 seg_border_value: int = IGNORE_INDEX) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], not {prob}.')
        if not 0 <= scale_limit < 1:
            raise ValueError(
                f'scale_limit must be in [0, 1), not {scale_limit}.')
        if min(shift_limit, rotate_limit) < 0:
            raise ValueError(
                'shift_limit and rotate_limit must be >= 0, not '
                f'{shift_limit} and {rotate_limit}.')
        if interpolation not in cv2_interp_codes:
            raise ValueError(
                f'interpolation must be one of {sorted(cv2_interp_codes)}, '
                f'not {interpolation!r}.')
        self.shift_limit = shift_limit
        self.scale_limit = scale_limit
        self.rotate_limit = rotate_limit
        self.prob = prob
        self.interpolation = interpolation
        self.img_border_value = img_border_value
        self.seg_border_value = seg_border_value

    @staticmethod
    def affine_matrix(height: int, width: int, angle: float, scale: float,
                      dx: float, dy: float) -> np.ndarray:
        """The 2 x 3 map of albumentations' ``shift_scale_rotate``."""
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle,
                                         scale)
        matrix[0, 2] += dx * width
        matrix[1, 2] += dy * height
        return matrix

    @staticmethod
    def _warp(img: np.ndarray, matrix: np.ndarray, flags: int,
              border_value: float) -> np.ndarray:
        height, width = img.shape[:2]
        # A scalar borderValue would fill only the first channel.
        return cv2.warpAffine(
            img,
            matrix, (width, height),
            flags=flags,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(border_value, ) * 4)

    def transform(self, results: dict) -> dict:
        """Warp ``results['img']`` and the maps of ``seg_fields``."""
        if np.random.rand() >= self.prob:
            return results
        angle = np.random.uniform(-self.rotate_limit, self.rotate_limit)
        scale = np.random.uniform(1 - self.scale_limit, 1 + self.scale_limit)
        dx, dy = np.random.uniform(-self.shift_limit, self.shift_limit, 2)
        height, width = results['img'].shape[:2]
        matrix = self.affine_matrix(height, width, angle, scale, dx, dy)
        results['img'] = self._warp(results['img'], matrix,
                                    cv2_interp_codes[self.interpolation],
                                    self.img_border_value)
        for key in results.get('seg_fields', []):
            results[key] = self._warp(results[key], matrix, cv2.INTER_NEAREST,
                                      self.seg_border_value)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(shift_limit={self.shift_limit}, '
                f'scale_limit={self.scale_limit}, '
                f'rotate_limit={self.rotate_limit}, prob={self.prob}, '
                f'interpolation={self.interpolation!r}, '
                f'img_border_value={self.img_border_value}, '
                f'seg_border_value={self.seg_border_value})')
