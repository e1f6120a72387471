"""Random crop centred on a crack pixel with an adjustable probability."""
import multiprocessing
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...utils.constants import CRACK


@TRANSFORMS.register_module()
class CrackAwareCrop(BaseTransform):
    """Crop around a random crack pixel with probability ``pos_prob``.

    The sample-level knob of balanced learning (see
    :class:`~mmcrack.engine.hooks.BalancedLearningHook`): with probability
    ``pos_prob`` the crop window is centred on a crack pixel drawn
    uniformly from ``gt_seg_map`` (shifted to stay inside the image), so
    the crop surely holds crack; otherwise, or when the image has no crack,
    it is placed uniformly at random as mmseg's ``RandomCrop``. Raising
    ``pos_prob`` raises the share of crack pixels the model sees.

    ``pos_prob`` lives in shared memory (a ``multiprocessing.Value``), so a
    hook that sets it in the main process also changes it in dataloader
    workers that were started (forked or spawned) after the dataset was
    built, persistent workers included.

    Required Keys:

    - img
    - gt_seg_map

    Modified Keys:

    - img
    - img_shape
    - gt_seg_map (and the other maps of ``seg_fields``)

    Args:
        crop_size (int | tuple[int, int]): Crop (height, width); an image
            smaller than that is cropped to its own size along that axis.
        pos_prob (float): Probability of a crack-centred crop. Defaults to
            0.5.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 pos_prob: float = 0.5) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if len(crop_size) != 2 or min(crop_size) <= 0:
            raise ValueError(f'Bad crop_size {crop_size}.')
        self.crop_size = tuple(crop_size)
        self._pos_prob = multiprocessing.Value('d', 0.0, lock=False)
        self.pos_prob = pos_prob

    @property
    def pos_prob(self) -> float:
        """Probability of a crack-centred crop (shared with workers)."""
        return self._pos_prob.value

    @pos_prob.setter
    def pos_prob(self, value: float) -> None:
        if not 0 <= value <= 1:
            raise ValueError(f'pos_prob must be in [0, 1], not {value}.')
        self._pos_prob.value = float(value)

    def crop_bbox(self, results: dict) -> Tuple[int, int, int, int]:
        """(y1, y2, x1, x2) of the crop window."""
        h, w = results['img'].shape[:2]
        ch, cw = min(self.crop_size[0], h), min(self.crop_size[1], w)
        seg = results.get('gt_seg_map')
        ys = xs = None
        if seg is not None and np.random.rand() < self.pos_prob:
            ys, xs = np.nonzero(seg == CRACK)
        if ys is not None and len(ys):
            i = np.random.randint(len(ys))
            y1 = int(np.clip(ys[i] - ch // 2, 0, h - ch))
            x1 = int(np.clip(xs[i] - cw // 2, 0, w - cw))
        else:
            y1 = np.random.randint(h - ch + 1)
            x1 = np.random.randint(w - cw + 1)
        return y1, y1 + ch, x1, x1 + cw

    def transform(self, results: dict) -> dict:
        """Crop the image and every map of ``seg_fields``."""
        y1, y2, x1, x2 = self.crop_bbox(results)
        results['img'] = results['img'][y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape[:2]
        for key in results.get('seg_fields', []):
            results[key] = results[key][y1:y2, x1:x2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'pos_prob={self.pos_prob})')
