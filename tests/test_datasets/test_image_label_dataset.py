import cv2
import numpy as np
import pytest
from helpers import REPO_ROOT

from mmcrack.datasets import (CrackDataError, ImageLabelDataset,
                              make_weak_labels)

META_KEYS = ('img_path', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'img_label')
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=(64, 64)),
    dict(type='PackSegInputs', meta_keys=META_KEYS)
]

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def weak_cracksc(tmp_path_factory):
    """An image-level set built from the real CrackSC val images."""
    data = REPO_ROOT / '..' / 'shared' / 'data' / 'cracksc'
    if not (data / 'images').is_dir():
        pytest.skip(f'real crack data {data} is not available')
    out = tmp_path_factory.mktemp('weak') / 'cracksc_weak'
    make_weak_labels(str(data), str(out), split='val', progress=False)
    return out


@pytest.mark.needs_data
def test_folders_give_image_labels(weak_cracksc):
    dataset = ImageLabelDataset(
        data_root=str(weak_cracksc), pipeline=PIPELINE)
    labels = [dataset.get_data_info(i)['img_label']
              for i in range(len(dataset))]
    n_crack = len(list((weak_cracksc / 'crack').glob('*.png')))
    n_free = len(list((weak_cracksc / 'no_crack').glob('*.png')))
    assert sorted(labels) == [0] * n_free + [1] * n_crack
    assert n_crack and n_free
    sample = dataset[0]['data_samples']
    assert sample.metainfo['img_label'] in (0, 1)
    assert 'gt_sem_seg' not in sample
    assert dataset[0]['inputs'].shape == (3, 64, 64)
    assert dataset.metainfo['classes'] == ('background', 'crack')


@pytest.mark.needs_data
def test_list_file_and_pixel_masks_where_they_exist(weak_cracksc):
    dataset = ImageLabelDataset(
        data_root=str(weak_cracksc),
        ann_file='labels.txt',
        data_prefix=dict(img_path='', seg_map_path='masks'),
        pipeline=[])
    lines = (weak_cracksc / 'labels.txt').read_text().split()
    assert len(dataset) == len(lines) // 2
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        mask = cv2.imread(info['seg_map_path'], 0)
        assert bool((mask == 1).any()) == bool(info['img_label'])


def test_errors_name_the_fix(tmp_path):
    with pytest.raises(CrackDataError, match='make_weak_labels'):
        ImageLabelDataset(data_root=str(tmp_path), pipeline=[])
    with pytest.raises(CrackDataError,
                       match='labels.txt does not exist. Build'):
        ImageLabelDataset(
            data_root=str(tmp_path), ann_file='labels.txt', pipeline=[])
    (tmp_path / 'a.png').write_bytes(b'')
    (tmp_path / 'list.txt').write_text('a.png 2\n')
    with pytest.raises(CrackDataError, match='line 1'):
        ImageLabelDataset(
            data_root=str(tmp_path), ann_file='list.txt', pipeline=[])
    (tmp_path / 'list.txt').write_text('missing.png 1\n')
    with pytest.raises(CrackDataError, match='does not exist'):
        ImageLabelDataset(
            data_root=str(tmp_path), ann_file='list.txt', pipeline=[])
    cv2.imwrite(str(tmp_path / 'b.png'), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / 'list.txt').write_text('b.png 1\n')
    with pytest.warns(UserWarning, match='needs both'):
        dataset = ImageLabelDataset(
            data_root=str(tmp_path), ann_file='list.txt', pipeline=[])
    # Without a seg_map_path no mask is looked up (mmseg's default prefix
    # is data_root, where the PNG image itself lies).
    assert 'seg_map_path' not in dataset.get_data_info(0)
    # A mask that is there is checked: 0/255 is refused.
    (tmp_path / 'masks').mkdir()
    mask = np.zeros((4, 4), np.uint8)
    mask[1, :] = 255
    cv2.imwrite(str(tmp_path / 'masks' / 'b.png'), mask)
    with pytest.raises(CrackDataError, match='0/255'):
        ImageLabelDataset(
            data_root=str(tmp_path),
            ann_file='list.txt',
            data_prefix=dict(img_path='', seg_map_path='masks'),
            pipeline=[])
