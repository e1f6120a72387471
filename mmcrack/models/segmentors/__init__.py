from .crack_tta_model import CrackTTAModel

__all__ = ['CrackTTAModel']
