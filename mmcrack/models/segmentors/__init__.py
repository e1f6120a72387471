from .wp_cracknet import WPCrackNet

__all__ = ['WPCrackNet']
