"""tools/dataset_converters/crack500.py on the CRACK500 layout (split
folders holding <name>.jpg + <name>.png, or <name>_mask.png for the full
photos) built from real CFD photos."""
import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets import CrackDataError

SPLITS = {'train': 3, 'val': 2, 'test': 2}


@pytest.fixture
def crack500(load_converter):
    return load_converter('crack500')


def make_crack500(root,
                  pairs,
                  copy_image,
                  save_mask,
                  kind='crop',
                  nested=True,
                  splits=SPLITS):
    """CRACK500/<split><kind>/[<split><kind>/]<name>.jpg + mask."""
    layout, i = {}, 0
    for split, n in splits.items():
        folder = root / f'{split}{kind}'
        if nested:  # as unzipped: traincrop/traincrop/
            folder = folder / f'{split}{kind}'
        suffix = '_mask' if kind == 'data' else ''
        for stem, img, mask in pairs[i:i + n]:
            copy_image(img, folder / f'{stem}.jpg')
            save_mask(mask, folder / f'{stem}{suffix}.png')
        layout[split] = [stem for stem, _, _ in pairs[i:i + n]]
        i += n
    return layout


def test_crops_official_split(tmp_path, crack500, cfd_dir, real_pairs,
                              copy_image, save_mask, load_split):
    pairs = real_pairs(cfd_dir, 7)
    layout = make_crack500(tmp_path / 'src' / 'CRACK500', pairs, copy_image,
                           save_mask)
    # The list files of the release name the same pairs; they are ignored.
    (tmp_path / 'src' / 'CRACK500' /
     'train.txt').write_text('traincrop/x.jpg traincrop/x.png\n')
    out = tmp_path / 'out'
    result = crack500.main([str(tmp_path / 'src'), str(out)])
    assert result.splits == layout
    for split, stems in layout.items():
        assert (out / 'splits' / f'{split}.txt').read_text().split() == stems
        assert len(load_split(out, split)) == len(stems)
    for stem, img, mask in pairs:
        assert (out / 'images' / f'{stem}.jpg').read_bytes() == \
            img.read_bytes()
        assert np.array_equal(
            np.asarray(Image.open(out / 'masks' / f'{stem}.png')), mask)


def test_full_photos_with_mask_suffix(tmp_path, crack500, cfd_dir, real_pairs,
                                      copy_image, save_mask, load_split):
    pairs = real_pairs(cfd_dir, 5)
    layout = make_crack500(
        tmp_path / 'src',
        pairs,
        copy_image,
        save_mask,
        kind='data',
        nested=False,
        splits={
            'train': 3,
            'val': 2
        })
    out = tmp_path / 'out'
    args = [str(tmp_path / 'src'), str(out)]
    # The default converts the crops, which are not there.
    with pytest.raises(SystemExit, match='No train split folder.*traincrop'):
        crack500.main(args)
    result = crack500.main(args + ['--full'])
    assert result.splits == layout  # no test split: reported, not written
    assert any('no testdata/' in note for note in result.notes)
    assert not (out / 'splits' / 'test.txt').exists()
    assert len(load_split(out, 'val')) == 2


def test_unpaired_and_strict(tmp_path, crack500, cfd_dir, real_pairs,
                             copy_image, save_mask):
    pairs = real_pairs(cfd_dir, 8)
    make_crack500(tmp_path / 'src', pairs[:7], copy_image, save_mask)
    copy_image(pairs[7][1],
               tmp_path / 'src' / 'valcrop' / 'valcrop' / 'nomask.jpg')
    result = crack500.main([str(tmp_path / 'src'), str(tmp_path / 'o1')])
    assert len(result.splits['val']) == 2
    assert any('nomask.jpg' in note for note in result.notes)
    args = crack500.parse_args(
        [str(tmp_path / 'src'),
         str(tmp_path / 'o2'), '--strict'])
    with pytest.raises(CrackDataError, match='nomask.jpg'):
        crack500.convert(args)


def test_help(crack500, capsys):
    with pytest.raises(SystemExit):
        crack500.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--full', '--threshold',
                 '--strict', 'traincrop', '_mask.png'):
        assert word in text
