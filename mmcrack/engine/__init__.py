from .hooks import BalancedLearningHook, precision_recall_factor
from .optimizers import MultiOptimWrapperConstructor

__all__ = [
    'BalancedLearningHook', 'MultiOptimWrapperConstructor',
    'precision_recall_factor'
]
