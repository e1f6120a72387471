import pytest

from mmcrack.datasets import select_split


def test_every_fifth_sorted_stem_is_validation():
    stems = [f'{i:03d}' for i in range(12)]
    assert select_split(stems, 'val') == ['004', '009']
    train = select_split(stems, 'train')
    assert len(train) == 10 and '004' not in train and '000' in train
    assert select_split(stems, None) == stems
    assert select_split(stems, 'val', val_every=3) == ['002', '005', '008',
                                                       '011']


@pytest.mark.parametrize('split,val_every', [('test', 5), ('val', 1)])
def test_bad_arguments(split, val_every):
    with pytest.raises(ValueError):
        select_split(['a', 'b'], split, val_every)
