from .bce_dice_loss import BCEDiceLoss
from .ohem_cross_entropy_loss import OhemCrossEntropyLoss

__all__ = ['BCEDiceLoss', 'OhemCrossEntropyLoss']
