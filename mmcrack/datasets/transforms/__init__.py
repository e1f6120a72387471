from .crack_aware_crop import CrackAwareCrop
from .evaluate_at_input_size import EvaluateAtInputSize
from .random_distort import RandomDistort
from .random_gaussian_noise import RandomGaussianNoise
from .random_rotate90 import RandomRotate90
from .random_shift_scale_rotate import RandomShiftScaleRotate
from .random_step_scale import RandomStepScale

__all__ = [
    'CrackAwareCrop', 'RandomDistort', 'RandomGaussianNoise',
    'RandomRotate90', 'RandomShiftScaleRotate', 'RandomStepScale',
    'EvaluateAtInputSize'
]
