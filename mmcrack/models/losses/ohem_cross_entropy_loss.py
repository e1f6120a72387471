"""Cross-entropy with online hard example mining over the whole batch."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...utils.constants import IGNORE_INDEX
from .base_crack_loss import BaseCrackLoss


@MODELS.register_module()
class OhemCrossEntropyLoss(BaseCrackLoss):
    """Cross-entropy over the hard pixels of a batch, as in PaddleSeg.

    HrSegNet trains every head with PaddleSeg's ``OhemCrossEntropyLoss``
    (Sec. 4.2, Table 3 "OHEM"); this loss reproduces it:

    1. ``p`` is the softmax probability of each valid pixel's true class
       (pixels labelled ``ignore_index`` never count).
    2. Mining happens only when the batch holds more than ``min_kept`` valid
       pixels; otherwise every valid pixel is kept.
    3. The threshold is ``thresh``, raised to the ``min_kept``-th smallest
       ``p`` of the whole batch (not per image) when that is larger, so that
       about ``min_kept`` pixels survive even in an easy batch.
    4. Pixels with ``p`` strictly below the threshold are kept: when the
       threshold was raised, the ``min_kept``-th pixel itself is dropped,
       as in PaddleSeg.
    5. The loss is the mean cross-entropy over the kept pixels only:
       ``sum(ce * kept) / (n_kept + eps * n_pixels)`` with ``eps = 1e-5``.

    This differs from mmseg's ``OHEMPixelSampler`` + ``CrossEntropyLoss``
    (``min_kept`` per image, mean over all pixels, the unkept ones as zeros)
    and from mmseg's ``OhemCrossEntropy`` (PIDNet's: it mines even batches
    of fewer than ``min_kept`` pixels, and it does not take the ``weight``
    and ``ignore_index`` arguments that :class:`BaseDecodeHead` passes). One
    deliberate difference from PaddleSeg: with ``min_kept=0`` PaddleSeg
    skips mining altogether, while here the ``thresh`` rule still applies.

    Args:
        thresh (float): Pixels whose true-class probability is below this
            are hard. Defaults to 0.7.
        min_kept (int): Least number of pixels to keep per batch (see 3).
            Defaults to 10000.
        ignore_index (int): Label to ignore, used when the caller passes
            none (:class:`BaseDecodeHead` passes its own). Defaults to 255.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; it must start with
            ``loss_`` to be back-propagated. Defaults to 'loss_ohem'.
    """

    EPS = 1e-5

    def __init__(self,
                 thresh: float = 0.7,
                 min_kept: int = 10000,
                 ignore_index: int = IGNORE_INDEX,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ohem') -> None:
        super().__init__(loss_weight, loss_name)
        if min_kept < 0:
            raise ValueError(f'min_kept must be >= 0, not {min_kept}.')
        self.thresh = thresh
        self.min_kept = min_kept
        self.ignore_index = ignore_index

    @torch.no_grad()
    def kept_mask(self, cls_score: Tensor, label: Tensor,
                  ignore_index: int) -> Tensor:
        """Return the (N, H, W) bool mask of the pixels that enter the loss.

        Args:
            cls_score (Tensor): Logits of shape (N, C, H, W).
            label (Tensor): Labels of shape (N, H, W).
            ignore_index (int): Label to ignore.
        """
        valid = label != ignore_index
        num_valid = int(valid.sum())
        if num_valid <= self.min_kept:
            return valid
        prob = cls_score.float().softmax(dim=1)
        true_prob = prob.gather(1, (label * valid).unsqueeze(1)).squeeze(1)
        # Ignored pixels sort after every valid one (PaddleSeg adds 1).
        true_prob = true_prob.masked_fill(~valid, 2.)
        threshold = torch.tensor(self.thresh, device=true_prob.device)
        if self.min_kept > 0:
            kth = true_prob.flatten().kthvalue(self.min_kept).values
            threshold = torch.maximum(threshold, kth)
        return valid & (true_prob < threshold)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits of shape (N, C, H, W).
            label (Tensor): Labels of shape (N, H, W).
            weight (Tensor, optional): Per-pixel weights from a pixel
                sampler; not supported, as the mining is built in.
            ignore_index (int, optional): Label to ignore. Defaults to
                ``self.ignore_index``.
            **kwargs: Other arguments of mmseg losses (``avg_factor``,
                ``reduction_override``), which do not apply here.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """
        if weight is not None:
            raise ValueError(
                'OhemCrossEntropyLoss mines hard pixels itself: remove the '
                '`sampler` of the decode head.')
        if ignore_index is None:
            ignore_index = self.ignore_index
        label = label.long()
        kept = self.kept_mask(cls_score, label, ignore_index)
        loss = F.cross_entropy(
            cls_score,
            label.masked_fill(~kept, ignore_index),
            ignore_index=ignore_index,
            reduction='none')
        loss = loss.sum() / (kept.sum() + self.EPS * kept.numel())
        return self.loss_weight * loss
