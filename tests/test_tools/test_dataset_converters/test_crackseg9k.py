"""tools/dataset_converters/crackseg9k.py on the Dataverse layout (Images/,
Images-2/, Final_Masks/Masks/ with JPEG-compressed 0/255 masks) built from
real CrackSC and CFD photos, split by the official lists (served from
127.0.0.1, cached, or from a folder) or by the every-nth rule."""
import socket

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import crackseg9k_source
from mmcrack.datasets.split import select_split


def closed_address():
    """An address on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}/crackseg9k'


@pytest.fixture
def crackseg9k(load_converter, tmp_path, monkeypatch):
    """The converter, offline: $MMCRACK_HOME in tmp_path, the official
    lists' address a closed local port (a test serves them itself)."""
    module = load_converter('crackseg9k')
    monkeypatch.setenv('MMCRACK_HOME', str(tmp_path / 'home'))
    monkeypatch.setattr(crackseg9k_source, 'OFFICIAL_LISTS_URL',
                        closed_address())
    return module


def official_line(name):
    return f'images/{name}.jpg labels/{name}.png\n'


def write_lists(folder, lists, line=official_line):
    """{split: names} -> <folder>/<split>.txt in the official format."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, names in lists.items():
        (folder / f'{split}.txt').write_text(''.join(map(line, names)))
    return folder


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
    result = crackseg9k.main(
        [str(tmp_path / 'src'),
         str(out), '--split', 'every-nth'])
    names = sorted(expected)
    assert result.splits == {
        'train': select_split(names, 'train'),
        'val': select_split(names, 'val')
    }
    assert 'one sorted stem in 5 is val' in result.summary()
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
    # --val-every implies the every-nth rule.
    result = crackseg9k.main(args + ['--val-every', '5'])
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
                 '--split', 'official', 'every-nth', '--split-list',
                 '--val-every', '--threshold', '--strict', 'Images-2',
                 'Final_Masks', '400x400', '8,751', 'MMCRACK_HOME'):
        assert word in text


def official_src(root, cfd_dir, cracksc_dir, real_pairs, copy_image,
                 save_mask):
    """The Dataverse layout with 7 pairs; returns their sorted names."""
    return sorted(
        make_crackseg9k(root, [('Images', 'CFD', real_pairs(cfd_dir, 4)),
                               ('Images-2', 'CrackSC',
                                real_pairs(cracksc_dir, 3))], copy_image,
                        save_mask))


def test_official_lists_fetched_once_and_cached(tmp_path, monkeypatch,
                                                crackseg9k, served, cfd_dir,
                                                cracksc_dir, real_pairs,
                                                copy_image, save_mask,
                                                load_split):
    names = official_src(tmp_path / 'src', cfd_dir, cracksc_dir, real_pairs,
                         copy_image, save_mask)
    lists = {
        'train': [names[0], 'CFD_999', names[1], names[2]],
        'val': [names[3]],
        'test': [names[4], 'CrackSC_999']
    }
    root, address = served
    write_lists(root / 'crackseg9k', lists)
    monkeypatch.setattr(crackseg9k_source, 'OFFICIAL_LISTS_URL',
                        f'{address}/crackseg9k')
    out = tmp_path / 'out'
    result = crackseg9k.main([str(tmp_path / 'src'), str(out)])
    assert result.splits == {
        'train': names[:3],
        'val': [names[3]],
        'test': [names[4]]
    }
    # The pairs in no list are left out of OUT, not only of the splits.
    assert sorted(p.stem for p in (out / 'images').iterdir()) == names[:5]
    assert len(load_split(out, 'test')) == 1
    summary = result.summary()
    assert 'official lists (train 4, val 1, test 2 names)' in summary
    assert (f'left out 2 pairs of SRC that are in none of the lists (the '
            'official split drops the pairs whose image and mask do not '
            f'align): {names[5]}, {names[6]}') in summary
    assert ('2 listed pairs are not among the pairs of SRC (train 1, '
            'test 1), so those splits are smaller: CFD_999, CrackSC_999'
            ) in summary
    # Cached whole, without temporary files.
    cache = tmp_path / 'home' / 'splits' / 'crackseg9k'
    assert sorted(p.name for p in cache.iterdir()) == [
        'test.txt', 'train.txt', 'val.txt'
    ]
    for split in lists:
        assert (cache / f'{split}.txt').read_text() == \
            (root / 'crackseg9k' / f'{split}.txt').read_text()
    # Offline, the cache serves.
    monkeypatch.setattr(crackseg9k_source, 'OFFICIAL_LISTS_URL',
                        closed_address())
    again = crackseg9k.main([str(tmp_path / 'src'), str(tmp_path / 'out2')])
    assert again.splits == result.splits
    assert f'cached in {cache}' in again.summary()


def test_offline_without_cache_stops_before_writing(tmp_path, crackseg9k,
                                                    cfd_dir, cracksc_dir,
                                                    real_pairs, copy_image,
                                                    save_mask, capsys):
    official_src(tmp_path / 'src', cfd_dir, cracksc_dir, real_pairs,
                 copy_image, save_mask)
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as error:
        crackseg9k.main([str(tmp_path / 'src'), str(out)])
    message = str(error.value)
    cache = tmp_path / 'home' / 'splits' / 'crackseg9k'
    for part in (f'{crackseg9k_source.OFFICIAL_LISTS_URL}/train.txt could not '
                 'be fetched', f'not in {cache}', '--split-list DIR',
                 '--split every-nth'):
        assert part in message
    assert not out.exists()
    assert not (tmp_path / 'home').exists()


def test_split_list_folder(tmp_path, crackseg9k, cfd_dir, real_pairs,
                           copy_image, save_mask):
    # The authors' copy: images/ and labels/ with 0/1 PNG labels.
    pairs = real_pairs(cfd_dir, 5)
    for stem, img, mask in pairs:
        copy_image(img, tmp_path / 'src' / 'images' / f'{stem}.jpg')
        save_mask(mask, tmp_path / 'src' / 'labels' / f'{stem}.png', '0/1')
    names = [stem for stem, _, _ in pairs]
    # Bare stems, and no test.txt.
    lists = write_lists(tmp_path / 'lists', {
        'train': names[:3],
        'val': names[3:]
    }, lambda name: f'{name}\n')
    result = crackseg9k.main([
        str(tmp_path / 'src'),
        str(tmp_path / 'out'), '--split-list',
        str(lists)
    ])
    assert result.splits == {'train': names[:3], 'val': names[3:]}
    assert f'official lists (train 3, val 2 names) of {lists}' in \
        result.summary()
    assert not (tmp_path / 'home').exists()  # nothing fetched


def test_split_rule_options(crackseg9k, capsys):
    args = crackseg9k.parse_args(['SRC', 'OUT'])
    assert (args.split, args.val_every) == ('official', 5)
    args = crackseg9k.parse_args(['SRC', 'OUT', '--val-every', '3'])
    assert (args.split, args.val_every) == ('every-nth', 3)
    for wrong, error in (
        (['--split', 'official', '--val-every', '3'], '--val-every sets'),
        (['--split', 'every-nth', '--split-list', 'DIR'],
         '--split-list gives the official split'),
        (['--val-every', '3', '--split-list', 'DIR'],
         '--split-list gives the official split'),
    ):
        with pytest.raises(SystemExit):
            crackseg9k.parse_args(['SRC', 'OUT', *wrong])
        assert error in capsys.readouterr().err
