from .crack_tta_model import CrackTTAModel
from .wp_cracknet import WPCrackNet

__all__ = ['CrackTTAModel', 'WPCrackNet']
