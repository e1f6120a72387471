from .hrsegnet import HrSegNet

__all__ = ['HrSegNet']
