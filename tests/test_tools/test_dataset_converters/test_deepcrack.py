"""tools/dataset_converters/deepcrack.py on the DeepCrack layout
(train_img/train_lab/test_img/test_lab, 0/255 PNG masks) built from real
CFD photos."""
import shutil

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError


@pytest.fixture
def deepcrack(load_converter):
    return load_converter('deepcrack')


def make_deepcrack(root, pairs, copy_image, save_mask, n_train):
    for i, (stem, img, mask) in enumerate(pairs):
        split = 'train' if i < n_train else 'test'
        copy_image(img, root / f'{split}_img' / f'{stem}.jpg')
        save_mask(mask, root / f'{split}_lab' / f'{stem}.png')


def test_official_split_val_is_test(tmp_path, deepcrack, cfd_dir, real_pairs,
                                    copy_image, save_mask, load_split):
    pairs = real_pairs(cfd_dir, 7)
    # As unpacked from the repository: DeepCrack-master/dataset/...
    make_deepcrack(tmp_path / 'src' / 'DeepCrack-master' / 'dataset', pairs,
                   copy_image, save_mask, 4)
    out = tmp_path / 'out'
    result = deepcrack.main([str(tmp_path / 'src'), str(out)])

    stems = [stem for stem, _, _ in pairs]
    assert result.splits == {
        'train': stems[:4],
        'val': stems[4:],
        'test': stems[4:]
    }
    for split in ('train', 'val', 'test'):
        lines = (out / 'splits' / f'{split}.txt').read_text().split()
        assert lines == result.splits[split]
    assert result.crack_pixels['val'] == result.crack_pixels['test']
    assert any('val.txt repeats test.txt' in n for n in result.notes)
    for stem, img, mask in pairs:
        assert (out / 'images' / f'{stem}.jpg').read_bytes() == \
            img.read_bytes()
        assert np.array_equal(
            np.asarray(Image.open(out / 'masks' / f'{stem}.png')), mask)
    assert len(load_split(out, 'train')) == 4
    assert len(load_split(out, 'val')) == 3
    assert len(load_split(out, 'test')) == 3


def test_repeated_stems_are_prefixed(tmp_path, deepcrack, cfd_dir, real_pairs,
                                     copy_image, save_mask, load_split):
    pairs = real_pairs(cfd_dir, 3)
    make_deepcrack(tmp_path / 'src', pairs, copy_image, save_mask, 2)
    # The same file name in train and test.
    stem, img, mask = pairs[0]
    copy_image(img, tmp_path / 'src' / 'test_img' / f'{stem}.jpg')
    save_mask(mask, tmp_path / 'src' / 'test_lab' / f'{stem}.png')
    result = deepcrack.main([str(tmp_path / 'src'), str(tmp_path / 'out')])
    assert result.splits['train'] == [
        f'train_{pairs[0][0]}', f'train_{pairs[1][0]}'
    ]
    assert result.splits['test'] == [
        f'test_{pairs[0][0]}', f'test_{pairs[2][0]}'
    ]
    assert len(load_split(tmp_path / 'out', 'test')) == 2


def test_missing_folder_and_bad_mask(tmp_path, deepcrack, cfd_dir, real_pairs,
                                     copy_image, save_mask):
    pairs = real_pairs(cfd_dir, 3)
    make_deepcrack(tmp_path / 'src', pairs, copy_image, save_mask, 2)
    args = deepcrack.parse_args([str(tmp_path / 'src'), str(tmp_path / 'o')])
    test_lab = tmp_path / 'src' / 'test_lab'
    shutil.rmtree(test_lab)
    with pytest.raises(
            CrackDataError, match='No test mask folder.*'
            'test_lab'):
        deepcrack.convert(args)
    # Labels 0..4 instead of 0/255: refused, naming the file.
    save_mask(pairs[2][2], test_lab / f'{pairs[2][0]}.png')
    bad = (pairs[0][2] * 4).astype(np.uint8)
    bad[0, :5] = [0, 1, 2, 3, 4]
    Image.fromarray(bad).save(tmp_path / 'src' / 'train_lab' /
                              f'{pairs[0][0]}.png')
    with pytest.raises(
            CrackDataError,
            match=rf'{pairs[0][0]}\.png holds the values '
            r'\[0, 1, 2, 3, 4\]'):
        deepcrack.convert(args)


def test_help(deepcrack, capsys):
    with pytest.raises(SystemExit):
        deepcrack.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--threshold', '--strict',
                 'train_img', 'test_lab', 'val = test'):
        assert word in text
