from .hrsegnet_head import HrSegNetAuxHead, HrSegNetHead

__all__ = ['HrSegNetAuxHead', 'HrSegNetHead']
