from . import transforms  # noqa: F401
from .crack_concat_dataset import CrackConcatDataset
from .crack_dataset import CrackDataset
from .image_label_dataset import ImageLabelDataset
from .mask_format import CrackDataError, check_crack_pair, check_mask
from .split import select_split
from .weak_labels import make_weak_labels

__all__ = [
    'CrackConcatDataset', 'CrackDataError', 'CrackDataset',
    'ImageLabelDataset', 'check_crack_pair', 'check_mask', 'make_weak_labels',
    'select_split'
]
