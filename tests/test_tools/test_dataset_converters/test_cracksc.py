"""tools/dataset_converters/cracksc.py on the Transformer-Crack layout
(image/*.jpg + 1-bit label/*.png) rebuilt from the real CrackSC pairs, and
on the shared copy itself."""
import shutil

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets.split import select_split


@pytest.fixture
def cracksc(load_converter):
    return load_converter('cracksc')


def make_release(root, pairs, copy_image, save_mask):
    for stem, img, mask in pairs:
        copy_image(img, root / 'image' / f'{stem}.jpg')
        save_mask(mask, root / 'label' / f'{stem}.png', '1bit')
    (root / 'image' / 'image.md').touch()  # the empty placeholders
    (root / 'label' / 'label.md').touch()


def test_original_release(tmp_path, cracksc, cracksc_dir, real_pairs,
                          copy_image, save_mask, load_split):
    pairs = real_pairs(cracksc_dir, 8)
    make_release(tmp_path / 'src', pairs, copy_image, save_mask)
    assert Image.open(tmp_path / 'src' / 'label' /
                      f'{pairs[0][0]}.png').mode == '1'
    # An empty label, like 147 and 148 of the release: skipped.
    save_mask(
        np.zeros_like(pairs[7][2]),
        tmp_path / 'src' / 'label' / f'{pairs[7][0]}.png', '1bit')
    out = tmp_path / 'out'
    result = cracksc.main([str(tmp_path / 'src'), str(out)])

    stems = [stem for stem, _, _ in pairs[:7]]
    assert result.splits == {
        'train': select_split(stems, 'train'),
        'val': select_split(stems, 'val')
    }
    assert any(f'missing annotation): {pairs[7][0]}' in note
               for note in result.notes)
    for stem, img, mask in pairs[:7]:
        assert (out / 'images' / f'{stem}.jpg').read_bytes() == \
            img.read_bytes()
        assert np.array_equal(
            np.asarray(Image.open(out / 'masks' / f'{stem}.png')), mask)
    assert not (out / 'images' / f'{pairs[7][0]}.jpg').exists()
    assert len(load_split(out, 'train')) == 6

    result = cracksc.main(
        [str(tmp_path / 'src'),
         str(out), '--overwrite', '--keep-empty'])
    assert pairs[7][0] in result.splits['train'] + result.splits['val']


def test_shared_copy(tmp_path, cracksc, cracksc_dir, load_split):
    """The shared copy (images/ + 0/1 masks/) converts to itself."""
    src = tmp_path / 'src'
    stems = sorted(p.stem for p in (cracksc_dir / 'images').glob('*.jpg'))
    # A third of the set keeps the test fast; the rule is the same.
    stems = stems[::3]
    for sub, ext in (('images', 'jpg'), ('masks', 'png')):
        (src / sub).mkdir(parents=True)
        for stem in stems:
            shutil.copyfile(cracksc_dir / sub / f'{stem}.{ext}',
                            src / sub / f'{stem}.{ext}')
    out = tmp_path / 'out'
    result = cracksc.main([str(src), str(out)])
    assert result.splits['val'] == select_split(stems, 'val')
    assert result.sizes == {(320, 480): len(stems)}
    # 2.0 % crack pixels on average (SOURCE.txt); a third of the set is
    # close to it.
    assert 1.0 < result.crack_percent('train') < 3.5
    for stem in stems[:10]:
        assert np.array_equal(
            np.asarray(Image.open(out / 'masks' / f'{stem}.png')),
            np.asarray(Image.open(cracksc_dir / 'masks' / f'{stem}.png')))
    assert len(load_split(out, 'train')) == len(result.splits['train'])


def test_help(cracksc, capsys):
    with pytest.raises(SystemExit):
        cracksc.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--img-dir', '--ann-dir',
                 '--keep-empty', '--val-every', '--threshold', '--strict',
                 'label/', '147'):
        assert word in text
