from .random_distort import RandomDistort
from .random_step_scale import RandomStepScale

__all__ = ['RandomDistort', 'RandomStepScale']
