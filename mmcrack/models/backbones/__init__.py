from .hrsegnet import HrSegNet
from .resnet_with_stem import ResNetWithStem

__all__ = ['HrSegNet', 'ResNetWithStem']
