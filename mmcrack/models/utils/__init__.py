from .head_inputs import multiple_select

__all__ = ['multiple_select']
