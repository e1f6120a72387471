from . import transforms  # noqa: F401
from .crack_concat_dataset import CrackConcatDataset
from .crack_dataset import CrackDataError, CrackDataset, check_crack_pair
from .image_label_dataset import ImageLabelDataset
from .split import select_split

__all__ = [
    'CrackConcatDataset', 'CrackDataError', 'CrackDataset',
    'ImageLabelDataset', 'check_crack_pair', 'select_split'
]
