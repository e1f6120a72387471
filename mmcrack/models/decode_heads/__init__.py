from .cam_head import CAMHead
from .context_cracknet_head import ContextCrackNetHead
from .crackseg_head import CrackSegHead
from .hrsegnet_head import HrSegNetAuxHead, HrSegNetHead
from .unet_generator import UNetGenerator
from .wp_cracknet_head import WPCrackNetHead

__all__ = [
    'CAMHead', 'ContextCrackNetHead', 'CrackSegHead', 'HrSegNetAuxHead',
    'HrSegNetHead', 'UNetGenerator', 'WPCrackNetHead'
]
