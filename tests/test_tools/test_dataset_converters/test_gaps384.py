"""tools/dataset_converters/gaps384.py on the GAPs384 layout of the FPHBN
archive (croppedimg/ + croppedgt/) with grey JPEG tiles made from real CFD
photos."""
import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets.split import select_split


@pytest.fixture
def gaps384(load_converter):
    return load_converter('gaps384')


def make_tiles(root, pairs, save_mask):
    """Grey JPEG tiles (GAPs is grey) + 0/255 PNG masks."""
    tiles = {}
    for i, (stem, img, mask) in enumerate(pairs):
        name = f'img_{i:04d}_{stem}'
        tile = root / 'croppedimg' / 'croppedimg' / f'{name}.jpg'
        tile.parent.mkdir(parents=True, exist_ok=True)
        Image.open(img).convert('L').save(tile, quality=95)
        save_mask(mask, root / 'croppedgt' / 'croppedgt' / f'{name}.png')
        tiles[name] = (tile, mask)
    return tiles


def test_cropped_tiles(tmp_path, gaps384, cfd_dir, real_pairs, save_mask,
                       load_split):
    tiles = make_tiles(tmp_path / 'src' / 'GAPS384', real_pairs(cfd_dir, 6),
                       save_mask)
    out = tmp_path / 'out'
    result = gaps384.main(
        [str(tmp_path / 'src'),
         str(out), '--val-every', '3'])
    names = sorted(tiles)
    assert result.splits == {
        'train': select_split(names, 'train', 3),
        'val': select_split(names, 'val', 3)
    }
    for name, (tile, mask) in tiles.items():
        assert (out / 'images' / f'{name}.jpg').read_bytes() == \
            tile.read_bytes()
        assert np.array_equal(
            np.asarray(Image.open(out / 'masks' / f'{name}.png')), mask)
    assert len(load_split(out, 'train')) == 4
    assert len(load_split(out, 'val')) == 2


def test_full_photos_without_mask_are_skipped(tmp_path, gaps384, cfd_dir,
                                              real_pairs, copy_image,
                                              save_mask, load_split):
    pairs = real_pairs(cfd_dir, 7)
    for i, (stem, img, mask) in enumerate(pairs):
        copy_image(img, tmp_path / 'photos' / f'{stem}.jpg')
        if i != 3:  # 404 photos, 384 masks in the archive
            save_mask(mask, tmp_path / 'gt_full' / f'{stem}.png')
    out = tmp_path / 'out'
    result = gaps384.main([
        str(tmp_path),
        str(out), '--img-dir',
        str(tmp_path / 'photos'), '--ann-dir',
        str(tmp_path / 'gt_full')
    ])
    assert sum(len(s) for s in result.splits.values()) == 6
    assert any(f'{pairs[3][0]}.jpg' in note and 'without an annotation' in note
               for note in result.notes)
    assert len(load_split(out, 'train')) == 5


def test_help(gaps384, capsys):
    with pytest.raises(SystemExit):
        gaps384.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--img-dir', '--ann-dir',
                 '--val-every', '--threshold', '--strict', 'croppedimg',
                 'croppedgt', '509'):
        assert word in text
