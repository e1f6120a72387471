"""mmcrack.datasets.weak_labels on the real sets."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmcrack.datasets import CrackDataError, make_weak_labels
from mmcrack.datasets import weak_labels

pytestmark = pytest.mark.usefixtures('one_thread')


def read_labels(out):
    lines = (out / 'labels.txt').read_text().split('\n')
    return [(p, int(lb)) for p, lb in (ln.split() for ln in lines if ln)]


def test_crack_images_and_crack_free_crops(cfd_dir, tmp_path):
    out = tmp_path / 'cfd_weak'
    result = make_weak_labels(
        str(cfd_dir),
        str(out),
        split='val',
        negatives_per_image=2,
        negative_size=96,
        margin=8,
        progress=False)
    stems = sorted(p.stem for p in (cfd_dir / 'masks').glob('*.png'))
    assert result.images == len(stems[4::5])  # the val split only
    labels = read_labels(out)
    assert result.crack == sum(lb for _, lb in labels) > 0
    assert result.no_crack == sum(1 - lb for _, lb in labels) > 0
    # Whole crack images (grid 1), and crack-free 96x96 crops of the same
    # photos with no crack pixel within 8 pixels.
    for rel, label in labels:
        image = cv2.imread(str(out / rel))
        mask = cv2.imread(str(out / 'masks' / rel), 0)
        assert image.shape[:2] == mask.shape
        stem = Path(rel).stem.split('_')[0]
        assert stem in stems[4::5]
        if label:
            assert rel.startswith('crack/') and (mask == 1).sum() >= 50
            assert image.shape[:2] == (320, 480)
        else:
            assert rel.startswith('no_crack/') and not (mask == 1).any()
            assert image.shape[:2] == (96, 96)
            full = cv2.imread(str(cfd_dir / 'images' / f'{stem}.jpg'))
            match = cv2.matchTemplate(full, image, cv2.TM_SQDIFF)
            y, x = np.unravel_index(match.argmin(), match.shape)
            full_mask = cv2.imread(str(cfd_dir / 'masks' / f'{stem}.png'),
                                   0)
            window = full_mask[max(y - 8, 0):y + 104, max(x - 8, 0):x + 104]
            assert not (window == 1).any()
    assert f'{result.crack} crack and' in result.summary()


def test_grid_of_enlarged_patches(cfd_dir, tmp_path):
    out = tmp_path / 'grid'
    result = make_weak_labels(
        str(cfd_dir),
        str(out),
        split='val',
        scale=1.5,
        grid=3,
        negatives_per_image=0,
        resize=128,
        progress=False)
    labels = read_labels(out)
    assert len(labels) <= 9 * result.images
    names = {Path(rel).stem for rel, _ in labels}
    assert all('_r' in n and 'c' in n for n in names)
    for rel, label in labels:
        mask = cv2.imread(str(out / 'masks' / rel), 0)
        assert mask.shape == (128, 128)
        assert (mask == 1).any() == bool(label)


def test_default_train_split(cfd_dir, tmp_path):
    """The docs' form (the train split by default) keeps val out."""
    out = tmp_path / 'cfd_weak'
    result = make_weak_labels(
        str(cfd_dir),
        str(out),
        grid=3,
        negatives_per_image=0,
        resize=32,
        progress=False)
    stems = sorted(p.stem for p in (cfd_dir / 'masks').glob('*.png'))
    val = set(stems[4::5])
    assert result.images == len(stems) - len(val)
    used = {Path(rel).stem.split('_')[0] for rel, _ in read_labels(out)}
    assert used and not used & val
    assert not result.notes


def write_pair(root, stem, mask, image=None):
    (root / 'images').mkdir(parents=True, exist_ok=True)
    (root / 'masks').mkdir(exist_ok=True)
    if image is None:
        image = np.full(mask.shape + (3, ), 128, np.uint8)
    cv2.imwrite(str(root / 'images' / f'{stem}.jpg'), image)
    cv2.imwrite(str(root / 'masks' / f'{stem}.png'), mask)


def test_bad_input_stops_before_writing(tmp_path):
    src, out = tmp_path / 'src', tmp_path / 'out'
    crack = np.zeros((64, 64), np.uint8)
    crack[:, 30:33] = 1
    write_pair(src, 'a', crack)
    write_pair(src, 'b', np.zeros((64, 64), np.uint8))
    cv2.imwrite(str(src / 'images' / 'c.jpg'), np.zeros((8, 8, 3), np.uint8))
    kwargs = dict(split=None, min_crack_pixels=10, margin=2, progress=False)

    # An image without a mask is named; the others are converted.
    result = make_weak_labels(str(src), str(out), negative_size=32, **kwargs)
    assert (result.crack, result.no_crack) == (1, 2)
    assert result.notes == [
        f'skipped 1 images without an annotation in {src} (c.jpg)'
    ]

    # A second run into the same OUT needs overwrite, which replaces the
    # earlier output (no stale crops are left behind).
    with pytest.raises(CrackDataError, match='--overwrite'):
        make_weak_labels(str(src), str(out), **kwargs)
    result = make_weak_labels(
        str(src), str(out), negatives_per_image=0, overwrite=True, **kwargs)
    assert (result.crack, result.no_crack) == (1, 1)
    assert sorted(p.name for p in (out / 'no_crack').iterdir()) == ['b.png']

    # Crack-free crops larger than the image.
    with pytest.raises(CrackDataError, match='--negative-size 128 is larger'):
        make_weak_labels(str(src), str(out), overwrite=True, **kwargs)

    # A 0/255 mask would turn every crack patch into a crack-free one: the
    # check of CrackDataset (check_crack_pair) stops it.
    write_pair(src, 'a', crack * 255)
    with pytest.raises(CrackDataError, match=r'a\.png holds 255 but no 1'):
        make_weak_labels(
            str(src),
            str(out),
            negatives_per_image=0,
            overwrite=True,
            **kwargs)
    assert (out / 'crack' / 'a.png').is_file()  # the last good output

    with pytest.raises(CrackDataError, match='must hold images/ and masks/'):
        make_weak_labels(str(src / 'images'), str(tmp_path / 'elsewhere'))


def test_failed_run_keeps_the_previous_set(cfd_dir, tmp_path, monkeypatch):
    out = tmp_path / 'weak'
    make_weak_labels(str(cfd_dir), str(out), split='val', progress=False)
    before = {
        p.relative_to(out): p.read_bytes()
        for p in out.rglob('*') if p.is_file()
    }
    read_pair = weak_labels.read_pair
    calls = []

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError('disk full')
        return read_pair(*args)

    monkeypatch.setattr(weak_labels, 'read_pair', failing)
    with pytest.raises(OSError, match='disk full'):
        make_weak_labels(
            str(cfd_dir),
            str(out),
            split='val',
            grid=2,
            overwrite=True,
            progress=False)
    after = {
        p.relative_to(out): p.read_bytes()
        for p in out.rglob('*') if p.is_file()
    }
    assert after == before
