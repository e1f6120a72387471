"""Weighted sum of binary cross-entropy and batch Dice loss for cracks."""
from typing import Optional

import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...utils.constants import CRACK, IGNORE_INDEX
from .base_crack_loss import BaseCrackLoss, crack_logit


@MODELS.register_module()
class BCEDiceLoss(BaseCrackLoss):
    """Binary cross-entropy plus Dice loss on the crack probability.

    The binary segmentation loss of `Context-CrackNet
    <https://arxiv.org/abs/2501.14413>`_ (Kyem et al., 2025), Sec. 3.5.1,
    Eqs. (18)-(20), with the weights of the official training script
    (``alpha = beta = 0.5``)::

        L = bce_weight * BCE(p, y) + dice_weight * (1 - (2 sum(p y) + s) /
                                                    (sum(p) + sum(y) + s))

    where ``p`` is the crack probability of each pixel, ``y`` is 1 for crack
    (label 1) and 0 for every other valid label, and both the BCE mean and
    the Dice sums run over all valid pixels of the batch at once (as the
    official ``BinaryDiceLoss`` flattens the batch), with ``s = smooth``.
    Pixels labelled ``ignore_index`` count in neither term; a batch without
    a valid pixel gives 0.

    It works with any decode head:

    * one output channel (``out_channels=1``, a sigmoid head such as
      :class:`ContextCrackNetHead`): ``p = sigmoid(logit)``;
    * two output channels (softmax heads): ``p = softmax(logits)[1] =
      sigmoid(logit_1 - logit_0)``, so the BCE term is the two-class
      cross-entropy;
    * more channels: a ``ValueError``, as the loss is binary.

    Args:
        bce_weight (float): Weight ``alpha`` of the BCE term. Defaults to
            0.5.
        dice_weight (float): Weight ``beta`` of the Dice term. Defaults to
            0.5.
        smooth (float): Smoothing constant ``s`` of the Dice term (Eq. (19)).
            Defaults to 1e-5 (official code).
        ignore_index (int): Label to ignore, used when the caller passes
            none (:class:`BaseDecodeHead` passes its own). Defaults to 255.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; it must start with
            ``loss_`` to be back-propagated. Defaults to 'loss_bce_dice'.
    """

    def __init__(self,
                 bce_weight: float = 0.5,
                 dice_weight: float = 0.5,
                 smooth: float = 1e-5,
                 ignore_index: int = IGNORE_INDEX,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bce_dice') -> None:
        super().__init__(loss_weight, loss_name)
        self.bce_weight = bce_weight
        self.dice_weight = dice_weight
        self.smooth = smooth
        self.ignore_index = ignore_index

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits of shape (N, 1, H, W) or
                (N, 2, H, W).
            label (Tensor): Labels of shape (N, H, W).
            weight (Tensor, optional): Per-pixel weights from a pixel
                sampler; not supported.
            ignore_index (int, optional): Label to ignore. Defaults to
                ``self.ignore_index``.
            **kwargs: Other arguments of mmseg losses (``avg_factor``,
                ``reduction_override``), which do not apply here.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """
        if weight is not None:
            raise ValueError(
                'BCEDiceLoss does not take per-pixel weights: remove the '
                '`sampler` of the decode head.')
        if ignore_index is None:
            ignore_index = self.ignore_index
        logit = crack_logit(cls_score, 'BCEDiceLoss').float()
        if label.shape != logit.shape:
            raise ValueError(
                f'label shape {tuple(label.shape)} does not match the logits '
                f'{tuple(cls_score.shape)}: expected (N, H, W) = '
                f'{tuple(logit.shape)}.')
        valid = (label != ignore_index).float()
        target = (label == CRACK).float()
        num_valid = valid.sum().clamp(min=1)
        # Eq. (20), averaged over the valid pixels of the batch.
        bce = F.binary_cross_entropy_with_logits(
            logit, target, reduction='none')
        bce = (bce * valid).sum() / num_valid
        # Eq. (19) over the whole batch.
        prob = logit.sigmoid() * valid
        target = target * valid
        dice = 1 - (2 * (prob * target).sum() + self.smooth) / (
            prob.sum() + target.sum() + self.smooth)
        return self.loss_weight * (
            self.bce_weight * bce + self.dice_weight * dice)
