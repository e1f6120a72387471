from .cagm import CAGM
from .multiscale_dilated_conv import MultiscaleDilatedConv

__all__ = ['CAGM', 'MultiscaleDilatedConv']
