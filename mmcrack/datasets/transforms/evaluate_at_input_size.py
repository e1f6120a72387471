"""Evaluate at the network's input size, as papers that resize their data
do."""
import mmcv
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EvaluateAtInputSize(BaseTransform):
    """Score predictions at the resized image's size, not the photo's.

    mmseg resizes every prediction back to ``ori_shape``, the size the
    photo was loaded at, and scores it against the mask there (full
    resolution). Some papers evaluate at the network's input size instead:
    Context-CrackNet (`Kyem et al., 2025
    <https://arxiv.org/abs/2501.14413>`_, Sec. 4.1) resizes every image
    **and its mask** to 448x448 and computes its metrics on those. Placed
    after ``Resize`` and ``LoadAnnotations``, this transform resizes the
    mask to the image (nearest neighbour, so it stays 0/1) and sets
    ``ori_shape`` to ``img_shape``, so predictions stay at the input size
    and are scored against the resized mask. Without a mask (inference, e.g.
    mmseg's ``MMSegInferencer`` on the test pipeline) it does nothing, so
    predictions come at the photo's size. With ``enabled=False`` it does
    nothing and the evaluation is at full resolution; a config switches with
    ``--cfg-options test_dataloader.dataset.pipeline.<i>.enabled=False``
    (``<i>``: this step's index).

    Required Keys:

    - img_shape
    - gt_seg_map (optional: without it nothing changes)

    Modified Keys:

    - gt_seg_map
    - ori_shape

    Args:
        enabled (bool): Evaluate at the input size. Defaults to True.
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def transform(self, results: dict) -> dict:
        seg = results.get('gt_seg_map')
        if not self.enabled or seg is None:
            return results
        h, w = results['img_shape'][:2]
        if seg.shape[:2] != (h, w):
            results['gt_seg_map'] = mmcv.imresize(
                seg, (w, h), interpolation='nearest')
        results['ori_shape'] = (h, w)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(enabled={self.enabled})'
