from .balanced_learning_hook import (BalancedLearningHook,
                                     precision_recall_factor)

__all__ = ['BalancedLearningHook', 'precision_recall_factor']
