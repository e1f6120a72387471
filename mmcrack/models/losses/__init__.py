from .balanced_cross_entropy_loss import BalancedCrossEntropyLoss
from .bce_dice_loss import BCEDiceLoss
from .crack_loss import CrackLoss, crack_logit
from .ohem_cross_entropy_loss import OhemCrossEntropyLoss

__all__ = [
    'BalancedCrossEntropyLoss', 'BCEDiceLoss', 'CrackLoss',
    'OhemCrossEntropyLoss', 'crack_logit'
]
