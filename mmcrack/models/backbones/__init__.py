from .hrsegnet import HrSegNet
from .resnet38d import ResNet38d
from .resnet_with_stem import ResNetWithStem

__all__ = ['HrSegNet', 'ResNet38d', 'ResNetWithStem']
