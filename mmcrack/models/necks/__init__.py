from .cagm import CAGM
from .multiscale_dilated_conv import MultiscaleDilatedConv
from .paam import PAAM
from .recon_feature_fusion import ReconFeatureFusion

__all__ = ['CAGM', 'MultiscaleDilatedConv', 'PAAM', 'ReconFeatureFusion']
