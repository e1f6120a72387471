from .ohem_cross_entropy_loss import OhemCrossEntropyLoss

__all__ = ['OhemCrossEntropyLoss']
