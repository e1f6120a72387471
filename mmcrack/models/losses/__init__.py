from .balanced_cross_entropy_loss import BalancedCrossEntropyLoss
from .base_crack_loss import BaseCrackLoss, crack_logit
from .bce_dice_loss import BCEDiceLoss
from .ohem_cross_entropy_loss import OhemCrossEntropyLoss

__all__ = [
    'BalancedCrossEntropyLoss', 'BaseCrackLoss', 'BCEDiceLoss',
    'OhemCrossEntropyLoss', 'crack_logit'
]
