"""tools/dataset_converters/cracktree200.py on the CrackTree200 layout
(cracktree200rgb/ + cracktree200_gt/, one-pixel crack lines) built from real
CFD photos."""
import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets.split import select_split


@pytest.fixture
def cracktree200(load_converter):
    return load_converter('cracktree200')


def centre_lines(mask):
    """A one-pixel-wide line per crack row run, like CrackTree200's GT."""
    lines = np.zeros_like(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    lines[rows, mask[rows].argmax(axis=1)] = 1
    return lines


def test_fphbn_layout(tmp_path, cracktree200, cfd_dir, real_pairs, copy_image,
                      save_mask, load_split):
    pairs = real_pairs(cfd_dir, 6)
    root = tmp_path / 'src' / 'cracktree200'
    expected = {}
    for stem, img, mask in pairs:
        # As unzipped: cracktree200rgb/cracktree200rgb/<name>.jpg
        copy_image(
            img, root / 'cracktree200rgb' / 'cracktree200rgb' / f'{stem}.jpg')
        grey = root / 'cracktree200gray' / 'cracktree200gray' / f'{stem}.jpg'
        grey.parent.mkdir(parents=True, exist_ok=True)
        Image.open(img).convert('L').save(grey)
        expected[stem] = centre_lines(mask)
        save_mask(expected[stem],
                  root / 'cracktree200_gt' / 'cracktree200_gt' / f'{stem}.png')
    out = tmp_path / 'out'
    result = cracktree200.main([str(tmp_path / 'src'), str(out)])

    stems = sorted(expected)
    assert result.splits['val'] == select_split(stems, 'val')
    assert result.sizes == {(480, 320): 6}
    for stem, img, _ in pairs:
        assert (out / 'images' / f'{stem}.jpg').read_bytes() == \
            img.read_bytes()  # the colour photo, not the grey copy
        assert np.array_equal(
            np.asarray(Image.open(out / 'masks' / f'{stem}.png')),
            expected[stem])
    assert len(load_split(out, 'train')) == 5


def test_bmp_ground_truth_with_dir_options(tmp_path, cracktree200, cfd_dir,
                                           real_pairs, copy_image, save_mask,
                                           load_split):
    """The original release's .bmp ground truth, in folders named
    explicitly; drawn dark on bright here, hence --invert."""
    pairs = real_pairs(cfd_dir, 5)
    for stem, img, mask in pairs:
        copy_image(img, tmp_path / 'photos' / f'{stem}.jpg')
        lines = centre_lines(mask)
        save_mask(1 - lines, tmp_path / 'truth' / f'{stem}.bmp', 'bmp')
    out = tmp_path / 'out'
    cracktree200.main([
        str(tmp_path),
        str(out), '--img-dir',
        str(tmp_path / 'photos'), '--ann-dir',
        str(tmp_path / 'truth'), '--invert'
    ])
    stem, _, mask = pairs[0]
    assert np.array_equal(
        np.asarray(Image.open(out / 'masks' / f'{stem}.png')),
        centre_lines(mask))
    assert len(load_split(out, 'val')) == 1


def test_help(cracktree200, capsys):
    with pytest.raises(SystemExit):
        cracktree200.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--img-dir', '--ann-dir',
                 '--val-every', '--threshold', '--invert', '--strict',
                 'cracktree200rgb', '.bmp', '800x600'):
        assert word in text
