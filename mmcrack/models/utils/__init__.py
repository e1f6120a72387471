from .check_keys import check_keys
from .frozen import frozen
from .head_inputs import multiple_select_kwargs
from .max_norm import max_norm

__all__ = ['check_keys', 'frozen', 'max_norm', 'multiple_select_kwargs']
