from .context_cracknet_head import ContextCrackNetHead
from .crackseg_head import CrackSegHead
from .hrsegnet_head import HrSegNetAuxHead, HrSegNetHead

__all__ = [
    'ContextCrackNetHead', 'CrackSegHead', 'HrSegNetAuxHead', 'HrSegNetHead'
]
