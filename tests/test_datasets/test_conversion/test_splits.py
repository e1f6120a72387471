"""mmcrack.datasets.conversion.splits: stems per split."""
import pytest

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import Sample, assign_splits
from mmcrack.datasets.split import select_split


def test_assign_splits():
    stems = [f'{i:03d}' for i in range(12)]
    samples = [Sample(s, '', '') for s in reversed(stems)]
    splits = assign_splits(samples, val_every=4)
    assert splits == {
        'train': select_split(stems, 'train', 4),
        'val': select_split(stems, 'val', 4)
    }
    official = [Sample('b', '', '', 'train'), Sample('a', '', '', 'test')]
    assert assign_splits(
        official, aliases={'val': 'test'}) == {
            'train': ['b'],
            'val': ['a'],
            'test': ['a']
        }
    with pytest.raises(CrackDataError, match="'val' split is empty"):
        assign_splits(official)
    with pytest.raises(CrackDataError, match="'val' split is empty"):
        assign_splits(samples[:3], val_every=5)
