"""What every mmcrack loss shares: the weight, the checked name, and the
crack logit of a binary head."""
import torch.nn as nn
from torch import Tensor


class BaseCrackLoss(nn.Module):
    """Base of the mmcrack losses: ``loss_weight`` and ``loss_name``.

    mmseg's decode heads and segmentors put each loss into their dict of
    losses under its ``loss_name``, and only items named ``loss_*`` are
    back-propagated (mmseg's convention, read by mmengine's
    ``parse_losses``). A loss named otherwise would be logged but never
    trained, so the name is checked here, where the config is built.

    Args:
        loss_weight (float): Weight of the loss.
        loss_name (str): Name of the loss item; it must start with
            ``loss_``.

    Raises:
        ValueError: If ``loss_name`` does not start with ``loss_``.
    """

    def __init__(self, loss_weight: float, loss_name: str) -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f'loss_name must start with "loss_" to be back-propagated, '
                f'not {loss_name!r}.')
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """Name of the loss item, e.g. 'loss_bce_dice'."""
        return self._loss_name


def crack_logit(cls_score: Tensor, loss: str) -> Tensor:
    """The (N, H, W) crack logit of binary (N, 1 or 2, H, W) scores.

    One channel (a sigmoid head, ``out_channels=1``) is the crack logit
    itself; of two (a softmax head) the crack logit is ``logit_1 -
    logit_0``, since ``softmax(logits)[1] = sigmoid(logit_1 - logit_0)``.

    Args:
        cls_score (Tensor): Scores of shape (N, 1, H, W) or (N, 2, H, W).
        loss (str): Name of the calling loss, for the error message.

    Raises:
        ValueError: For any other shape: the caller is a binary loss.
    """
    if cls_score.dim() != 4 or cls_score.shape[1] not in (1, 2):
        raise ValueError(
            f'{loss} is a binary loss: it needs (N, 1, H, W) logits '
            '(out_channels=1) or (N, 2, H, W) logits, not '
            f'{tuple(cls_score.shape)}.')
    if cls_score.shape[1] == 1:
        return cls_score[:, 0]
    return cls_score[:, 1] - cls_score[:, 0]
