"""WP-CrackNet (Ma et al.): its encoder, heads, modules, loss and
segmentor, registered in mmseg's ``MODELS`` on import."""
from .cam_head import CAMHead
from .ceccm_loss import CECCMLoss, center_enhance
from .paam import PAAM
from .recon_feature_fusion import ReconFeatureFusion
from .resnet38d import ResNet38d
from .unet_generator import UNetGenerator
from .wp_cracknet import WPCrackNet
from .wp_cracknet_head import WPCrackNetHead

__all__ = [
    'CAMHead', 'CECCMLoss', 'PAAM', 'ReconFeatureFusion', 'ResNet38d',
    'UNetGenerator', 'WPCrackNet', 'WPCrackNetHead', 'center_enhance'
]
