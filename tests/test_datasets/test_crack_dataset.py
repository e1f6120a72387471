import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError, CrackDataset


def write_pair(root, stem, mask, img_size=None, mode=None):
    """Write images/<stem>.jpg and masks/<stem>.png under ``root``."""
    (root / 'images').mkdir(parents=True, exist_ok=True)
    (root / 'masks').mkdir(parents=True, exist_ok=True)
    h, w = mask.shape[:2]
    img_w, img_h = img_size or (w, h)
    Image.fromarray(np.full((img_h, img_w, 3), 128, np.uint8)).save(
        root / 'images' / f'{stem}.jpg')
    Image.fromarray(mask, mode).save(root / 'masks' / f'{stem}.png')


def build(root, **kwargs):
    kwargs.setdefault('pipeline', [])
    return CrackDataset(
        data_root=str(root),
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        **kwargs)


def crack_mask(values=(0, 1)):
    mask = np.full((8, 10), values[0], np.uint8)
    mask[3:5, :] = values[1]
    return mask


def test_loads_valid_pairs_and_splits(tmp_path):
    for i in range(10):
        write_pair(tmp_path, f'{i:02d}', crack_mask())
    mask = crack_mask()
    mask[0, 0] = 255  # ignore is allowed
    write_pair(tmp_path, '10', mask)
    assert len(build(tmp_path)) == 11
    val = build(tmp_path, split='val')
    assert [d['img_path'][-6:] for d in val.load_data_list()] == [
        '04.jpg', '09.jpg'
    ]
    assert len(build(tmp_path, split='train')) == 9
    assert build(tmp_path).metainfo['classes'] == ('background', 'crack')


def test_ann_file_selects_stems(tmp_path):
    for i in range(3):
        write_pair(tmp_path, f'{i}', crack_mask())
    (tmp_path / 'splits').mkdir()
    (tmp_path / 'splits' / 'val.txt').write_text('2\n0\n')
    dataset = build(tmp_path, ann_file='splits/val.txt')
    assert len(dataset) == 2
    assert dataset.get_data_info(0)['seg_map_path'].endswith('2.png')


def test_zero_255_mask_names_file_values_and_converter(tmp_path):
    write_pair(tmp_path, 'b', crack_mask((0, 1)))
    write_pair(tmp_path, 'c', crack_mask((0, 128)))
    with pytest.raises(CrackDataError) as err:
        build(tmp_path)
    assert 'c.png' in str(err.value)
    assert '[0, 128]' in str(err.value)
    assert 'tools/dataset_converters/folder.py' in str(err.value)


def test_zero_255_mask_is_refused(tmp_path):
    # 255 is 'ignore', so a 0/255 mask has only valid values, but training on
    # it would silently learn 'no crack anywhere': a mask with 255 and no 1
    # is refused unless the user says ignore-only masks are intended.
    write_pair(tmp_path, 'a', crack_mask((0, 255)))
    with pytest.raises(CrackDataError, match=r'a\.png.*0/255'):
        build(tmp_path)
    assert len(build(tmp_path, allow_ignore_without_crack=True)) == 1


def test_rgb_mask(tmp_path):
    mask = np.zeros((8, 10, 3), np.uint8)
    mask[3:5] = 255
    write_pair(tmp_path, 'a', mask)
    with pytest.raises(CrackDataError, match=r'a\.png.*single-channel'):
        build(tmp_path)


def test_size_mismatch(tmp_path):
    write_pair(tmp_path, 'a', crack_mask(), img_size=(12, 8))
    with pytest.raises(CrackDataError, match=r'12x8.*10x8'):
        build(tmp_path)


def test_unreadable_image(tmp_path):
    write_pair(tmp_path, 'a', crack_mask())
    (tmp_path / 'images' / 'a.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(CrackDataError, match=r'Cannot decode image .*a\.jpg'):
        build(tmp_path)


def test_truncated_jpeg_is_caught_by_the_check(tmp_path, cfd_dir):
    # A real photo cut in half: its header reads, its pixels do not decode.
    photo = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    write_pair(tmp_path, 'a', np.zeros((320, 480), np.uint8))
    data = photo.read_bytes()
    (tmp_path / 'images' / 'a.jpg').write_bytes(data[:len(data) // 2])
    with pytest.raises(CrackDataError,
                       match=r'Cannot decode image .*a\.jpg: it is truncated'):
        build(tmp_path)
    # Unchecked (or changed since the check), the loader names file and fix.
    dataset = build(
        tmp_path,
        check_files=False,
        pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(CrackDataError,
                       match=r'Cannot load sample .*a\.jpg.*Replace or '
                       'remove the file'):
        dataset[0]


def test_missing_mask(tmp_path):
    write_pair(tmp_path, 'a', crack_mask())
    (tmp_path / 'masks' / 'a.png').unlink()
    with pytest.raises(CrackDataError, match='has no mask'):
        build(tmp_path)


def test_empty_split_and_missing_folder(tmp_path, monkeypatch):
    write_pair(tmp_path, 'a', crack_mask())
    with pytest.raises(CrackDataError,
                       match="Split 'val' of the 1 images .* every 5-th"):
        build(tmp_path, split='val')
    (tmp_path / 'empty.txt').write_text('\n')
    with pytest.raises(CrackDataError, match='empty.txt lists no stems'):
        build(tmp_path, ann_file='empty.txt')
    (tmp_path / 'images' / 'a.jpg').unlink()
    with pytest.raises(CrackDataError, match='No images in .*tools/'):
        build(tmp_path)
    with pytest.raises(CrackDataError, match='does not exist'):
        build(tmp_path / 'nowhere')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CrackDataError,
                       match=f'relative to the working directory {tmp_path}'):
        build('nowhere')


def test_reduce_zero_label_is_refused(tmp_path):
    write_pair(tmp_path, 'a', crack_mask())
    with pytest.raises(CrackDataError, match='reduce_zero_label'):
        build(tmp_path, reduce_zero_label=True)


def test_real_data_splits(cfd_dir, cracksc_dir):
    # Every fifth sorted stem is validation: 118 -> 23, 195 -> 39.
    assert len(build(cfd_dir, split='val')) == 23
    assert len(build(cfd_dir, split='train')) == 95
    assert len(build(cracksc_dir, split='val')) == 39
    sample = build(cracksc_dir, split='val', pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations')
    ])[0]
    assert sample['img'].shape[:2] == sample['gt_seg_map'].shape
    assert set(np.unique(sample['gt_seg_map'])) <= {0, 1}
