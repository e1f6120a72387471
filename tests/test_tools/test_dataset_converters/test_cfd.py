"""tools/dataset_converters/cfd.py on the CrackForest layout: real CFD
photos in image/ and MATLAB groundTruth structs in groundTruth/*.mat."""
import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.split import select_split


@pytest.fixture
def cfd(load_converter):
    return load_converter('cfd')


def save_gt(path, seg, cell=False):
    """A CFD .mat: struct groundTruth with Segmentation and Boundaries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gt = {
        'Segmentation': seg.astype(np.uint8),
        'Boundaries': (seg > 1).astype(np.uint8)
    }
    if cell:  # BSDS-style: a cell array holding the struct
        holder = np.empty((1, 1), dtype=object)
        holder[0, 0] = gt
        gt = holder
    savemat(str(path), {'groundTruth': gt})


def make_cfd(root, pairs, copy_image):
    """Segmentation = 1 background / 2 crack, plus a label-3 patch
    (road enclosed by cracks) and label-4 strokes (thin cracks).

    Returns the expected 0/1 masks, crack = {2, 4}."""
    expected = {}
    for i, (stem, img, mask) in enumerate(pairs):
        copy_image(img, root / 'image' / f'{stem}.jpg')
        seg = 1 + mask.astype(np.uint8)
        seg[100:140, 200:260][mask[100:140, 200:260] == 0] = 3
        seg[5, 10:60] = 4
        save_gt(root / 'groundTruth' / f'{stem}.mat', seg, cell=i == 1)
        expected[stem] = np.isin(seg, (2, 4)).astype(np.uint8)
    return expected


def test_labels_2_and_4_are_crack_3_is_not(tmp_path, cfd, cfd_dir, real_pairs,
                                           copy_image, load_split):
    pairs = real_pairs(cfd_dir, 6)
    expected = make_cfd(tmp_path / 'src', pairs, copy_image)
    # Unannotated photos (201-208, 301-329 in the repository) are skipped.
    copy_image(pairs[0][1], tmp_path / 'src' / 'image' / '201.jpg')
    out = tmp_path / 'out'
    result = cfd.main([str(tmp_path / 'src'), str(out)])

    stems = [stem for stem, _, _ in pairs]
    assert result.splits == {
        'train': select_split(stems, 'train'),
        'val': select_split(stems, 'val')
    }
    assert any('201.jpg' in note for note in result.notes)
    for stem, img, mask in pairs:
        written = np.asarray(Image.open(out / 'masks' / f'{stem}.png'))
        assert np.array_equal(written, expected[stem])
        assert written[120, 230] == 0 or mask[120, 230] == 1  # label 3
        assert (written[5, 10:60] == 1).all()  # label 4
        assert (out / 'images' / f'{stem}.jpg').read_bytes() == \
            img.read_bytes()
    assert len(load_split(out, 'train')) == 5
    assert len(load_split(out, 'val')) == 1

    # The "> 1" convention of other loaders, on request.
    result = cfd.main([
        str(tmp_path / 'src'),
        str(out), '--overwrite', '--crack-labels', '2', '3', '4'
    ])
    written = np.asarray(Image.open(out / 'masks' / f'{stems[0]}.png'))
    assert (written[100:140, 200:260] == 1).all()


def test_matches_the_shared_masks(tmp_path, cfd, cfd_dir, real_pairs,
                                  copy_image):
    """Region maps without 3/4 give back exactly the shared CFD masks."""
    pairs = real_pairs(cfd_dir, 5)
    for stem, img, mask in pairs:
        copy_image(img, tmp_path / 'src' / 'image' / f'{stem}.jpg')
        save_gt(tmp_path / 'src' / 'groundTruth' / f'{stem}.mat', 1 + mask)
    cfd.main([str(tmp_path / 'src'), str(tmp_path / 'out')])
    for stem, _, _ in pairs:
        assert np.array_equal(
            np.asarray(Image.open(tmp_path / 'out' / 'masks' / f'{stem}.png')),
            np.asarray(Image.open(cfd_dir / 'masks' / f'{stem}.png')))


def test_bad_annotations_name_the_file(tmp_path, cfd, cfd_dir, real_pairs,
                                       copy_image):
    pairs = real_pairs(cfd_dir, 5)
    make_cfd(tmp_path / 'src', pairs, copy_image)
    stem, _, mask = pairs[3]
    gt_path = tmp_path / 'src' / 'groundTruth' / f'{stem}.mat'
    args = cfd.parse_args([str(tmp_path / 'src'), str(tmp_path / 'out')])

    seg = 1 + mask.astype(np.uint8)
    seg[0, 0] = 5
    save_gt(gt_path, seg)
    with pytest.raises(
            CrackDataError, match=rf'{stem}\.mat holds labels \[1, 2, 5\]'):
        cfd.convert(args)
    save_gt(gt_path, (1 + mask)[:-1])
    with pytest.raises(
            CrackDataError,
            match=rf'{stem}\.jpg is 480x320.*{stem}\.mat is '
            '480x319'):
        cfd.convert(args)


def test_help(cfd, capsys):
    with pytest.raises(SystemExit):
        cfd.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC', 'OUT', '--overwrite', '--crack-labels', '--img-dir',
                 '--ann-dir', '--val-every', '--strict', 'groundTruth',
                 'Segmentation', '{2, 4}'):
        assert word in text
