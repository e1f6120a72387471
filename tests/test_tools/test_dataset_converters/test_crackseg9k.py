"""tools/dataset_converters/crackseg9k.py on the Dataverse layout (Images/,
Images-2/, Final_Masks/Masks/ with JPEG-compressed 0/255 masks) built from
real CrackSC and CFD photos."""
import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.split import select_split


@pytest.fixture
def crackseg9k(load_converter):
    return load_converter('crackseg9k')


def make_crackseg9k(root, groups, copy_image, save_mask):
    expected = {}
    for folder, prefix, pairs in groups:
        for stem, img, mask in pairs:
            name = f'{prefix}_{stem}'
            copy_image(img, root / folder / f'{name}.jpg')
            save_mask(mask, root / 'Final_Masks' / 'Masks' / f'{name}.jpg',
                      'jpeg')
            expected[name] = (img, mask)
    return expected


def test_two_image_folders_and_jpeg_masks(tmp_path, crackseg9k, cfd_dir,
                                          cracksc_dir, real_pairs, copy_image,
                                          save_mask, load_split):
    expected = make_crackseg9k(
        tmp_path / 'src',
        [('Images', 'CFD', real_pairs(cfd_dir, 4)),
         ('Images-2', 'CrackSC', real_pairs(cracksc_dir, 3))], copy_image,
        save_mask)
    out = tmp_path / 'out'
    result = crackseg9k.main([str(tmp_path / 'src'), str(out)])
    names = sorted(expected)
    assert result.splits == {
        'train': select_split(names, 'train'),
        'val': select_split(names, 'val')
    }
    assert result.sizes == {(480, 320): 4, (320, 480): 3}
    for name, (img, mask) in expected.items():
        assert (out / 'images' / f'{name}.jpg').read_bytes() == \
            img.read_bytes()
        written = np.asarray(Image.open(out / 'masks' / f'{name}.png'))
        # Thresholded at 128 after JPEG compression (quality 75).
        assert np.count_nonzero(written != mask) <= 0.01 * mask.sum()
    assert len(load_split(out, 'train')) == 6
    assert len(load_split(out, 'val')) == 1


def test_masks_folder_options(tmp_path, crackseg9k, cfd_dir, real_pairs,
                              copy_image, save_mask):
    pairs = real_pairs(cfd_dir, 5)
    for stem, img, mask in pairs:
        copy_image(img, tmp_path / 'a' / f'{stem}.jpg')
        save_mask(mask, tmp_path / 'b' / f'{stem}.png')
    args = [
        str(tmp_path),
        str(tmp_path / 'out'), '--img-dir',
        str(tmp_path / 'a'), '--ann-dir',
        str(tmp_path / 'b')
    ]
    result = crackseg9k.main(args)
    assert len(result.splits['train']) == 4
    with pytest.raises(CrackDataError, match='--ann-dir .*nowhere is not'):
        crackseg9k.convert(
            crackseg9k.parse_args(args[:5] +
                                  [str(tmp_path / 'nowhere'), '--overwrite']))
    with pytest.raises(CrackDataError, match='No image folder .*Images'):
        crackseg9k.convert(
            crackseg9k.parse_args([str(tmp_path / 'b'),
                                   str(tmp_path / 'o')]))


def test_help(crackseg9k, capsys):
    with pytest.raises(SystemExit):
        crackseg9k.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--img-dir', '--ann-dir',
                 '--val-every', '--threshold', '--strict', 'Images-2',
                 'Final_Masks', '400x400'):
        assert word in text
