"""mmcrack's folder for files it fetches or converts once: converted official
weights (``checkpoints/``) and the CrackSeg9k split lists (``splits/``)."""
import os
import os.path as osp

DEFAULT_HOME = '~/.cache/mmcrack'


def mmcrack_home() -> str:
    """``$MMCRACK_HOME``, else ``~/.cache/mmcrack``, expanded."""
    return osp.expanduser(os.environ.get('MMCRACK_HOME', DEFAULT_HOME))
