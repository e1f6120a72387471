"""Cross-entropy with an adaptive crack weight, for balanced learning."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...utils.constants import CRACK, IGNORE_INDEX
from .base_crack_loss import BaseCrackLoss, crack_logit


@MODELS.register_module()
class BalancedCrossEntropyLoss(BaseCrackLoss):
    """Binary crack cross-entropy whose crack weight is adapted in training.

    The loss half of the "balanced learning" of Zhang et al. (2022),
    "Balanced Learning for Road Crack Segmentation" (their recurrent
    adaptive network, Sec. 5 of the Encyclopedia entry): precision and
    recall are measured on the training batches and made to "flow" towards
    each other by re-weighting the loss (feature level) and re-sampling the
    data (sample level). This module does the measuring and the weighting; the
    :class:`~mmcrack.engine.hooks.BalancedLearningHook` reads the counts
    every few iterations and moves ``pos_weight`` (and the sampling knob).

    The loss is the cross-entropy with the crack class weighted by
    ``pos_weight``, averaged over the valid pixels (not over the weights, so
    that the weight really scales the crack pixels' share)::

        L = sum_valid w(y) * CE(p, y) / #valid,  w(crack) = pos_weight,
                                                 w(background) = 1

    for one-channel logits (``out_channels=1``, a sigmoid:
    ``BCEWithLogits(pos_weight)``) or two-channel logits (a softmax, whose
    class-weighted cross-entropy is that same BCE of ``logit_1 - logit_0``,
    see :func:`crack_logit`). Each call in training mode also adds the
    batch's crack true positives, false positives and false negatives
    (prediction: crack probability above ``threshold``, i.e. argmax for two
    channels at 0.5) to the ``tp``, ``fp``, ``fn`` buffers, which the hook
    reads and resets.

    Args:
        pos_weight (float): Initial crack weight. Defaults to 1.0.
        threshold (float): Crack probability above which a pixel counts as
            predicted crack. Defaults to 0.5.
        ignore_index (int): Label to ignore, used when the caller passes
            none. Defaults to 255.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to
            'loss_balanced_ce'.
    """

    def __init__(self,
                 pos_weight: float = 1.0,
                 threshold: float = 0.5,
                 ignore_index: int = IGNORE_INDEX,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_balanced_ce') -> None:
        super().__init__(loss_weight, loss_name)
        if pos_weight <= 0 or not 0 < threshold < 1:
            raise ValueError('pos_weight must be > 0 and threshold in (0, '
                             f'1), not {pos_weight} and {threshold}.')
        self.threshold = threshold
        self.ignore_index = ignore_index
        # Saved in checkpoints, so a resumed run keeps the adapted weight.
        self.register_buffer(
            'pos_weight', torch.tensor(float(pos_weight), dtype=torch.float))
        for name in ('tp', 'fp', 'fn'):
            self.register_buffer(
                name, torch.zeros((), dtype=torch.float64), persistent=False)

    def counts(self) -> Tuple[float, float, float]:
        """Crack (TP, FP, FN) pixels counted since the last reset."""
        return float(self.tp), float(self.fp), float(self.fn)

    def reset_counts(self) -> None:
        """Zero the TP / FP / FN counts."""
        for buf in (self.tp, self.fp, self.fn):
            buf.zero_()

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Compute the loss (and count TP / FP / FN in training).

        Args:
            cls_score (Tensor): Logits (N, 1, H, W) or (N, 2, H, W).
            label (Tensor): Labels (N, H, W): 0 background, 1 crack.
            weight (Tensor, optional): Per-pixel weights (N, H, W), e.g.
                from a pixel sampler. Defaults to None.
            ignore_index (int, optional): Label to ignore. Defaults to
                ``self.ignore_index``.
            **kwargs: Other mmseg loss arguments, unused.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """
        logit = crack_logit(cls_score, 'BalancedCrossEntropyLoss')
        if ignore_index is None:
            ignore_index = self.ignore_index
        valid = label != ignore_index
        target = (label == CRACK) & valid
        loss = F.binary_cross_entropy_with_logits(
            logit, target.to(logit.dtype), reduction='none')
        # BCE's pos_weight: crack pixels' loss scaled by pos_weight.
        loss = torch.where(target, loss * self.pos_weight.to(logit.dtype),
                           loss)
        prob = logit.sigmoid()
        loss = loss * valid
        if weight is not None:
            loss = loss * weight
        loss = loss.sum() / valid.sum().clamp(min=1)
        if self.training:
            with torch.no_grad():
                pred = (prob > self.threshold) & valid
                self.tp += (pred & target).sum()
                self.fp += (pred & ~target).sum()
                self.fn += (~pred & target).sum()
        return self.loss_weight * loss
