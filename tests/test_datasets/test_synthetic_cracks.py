"""The synthetic crack generator: layout, masks, crack statistics, seeds."""
import hashlib
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage.morphology import skeletonize

from mmcrack.datasets import CrackDataset, check_crack_pair
from mmcrack.datasets.synthetic_cracks import (MAX_HALF_WIDTH,
                                               generate_synthetic_cracks,
                                               render_sample)

SIZE = (160, 128)  # W, H: not square, to catch swapped axes


def file_hashes(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


@pytest.fixture(scope='module')
def synthetic_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthetic') / 'set'
    summary = generate_synthetic_cracks(
        str(out), num_train=4, num_val=2, size=SIZE, seed=0)
    return out, summary


def test_layout_and_splits(synthetic_dir):
    out, summary = synthetic_dir
    train = (out / 'splits' / 'train.txt').read_text().split()
    val = (out / 'splits' / 'val.txt').read_text().split()
    assert train == [f'train_{i:05d}' for i in range(4)]
    assert val == [f'val_{i:05d}' for i in range(2)]
    assert summary.stems == dict(train=train, val=val)
    assert sorted(p.name for p in (out / 'images').iterdir()) == sorted(
        s + '.jpg' for s in train + val)
    assert sorted(p.name for p in (out / 'masks').iterdir()) == sorted(
        s + '.png' for s in train + val)
    source = (out / 'SOURCE.txt').read_text()
    assert 'seed=0' in source and 'size=160x128' in source
    assert 'train=4 val=2' in source


def test_images_and_masks(synthetic_dir):
    out, summary = synthetic_dir
    for stem, fraction in summary.crack_fractions.items():
        img_path = out / 'images' / f'{stem}.jpg'
        mask_path = out / 'masks' / f'{stem}.png'
        check_crack_pair(str(img_path), str(mask_path))
        with Image.open(img_path) as img:
            assert img.format == 'JPEG' and img.mode == 'RGB'
            assert img.size == SIZE
        with Image.open(mask_path) as mask_file:
            assert mask_file.format == 'PNG' and mask_file.mode == 'L'
            mask = np.asarray(mask_file)
        assert mask.shape == (SIZE[1], SIZE[0])
        assert set(np.unique(mask)) == {0, 1}
        assert 0.01 <= mask.mean() <= 0.05
        assert mask.mean() == pytest.approx(fraction)


def test_crack_dataset_loads_the_set(synthetic_dir):
    out, _ = synthetic_dir
    dataset = CrackDataset(
        data_root=str(out),
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        ann_file='splits/val.txt',
        pipeline=[])
    assert [Path(d['img_path']).name
            for d in dataset] == ['val_00000.jpg', 'val_00001.jpg']


def test_stroke_width_and_visibility():
    for index in range(6):
        img, mask = render_sample(7, 'train', index, size=(256, 256))
        assert img.shape == (256, 256, 3) and img.dtype == np.uint8
        assert 0.01 <= mask.mean() <= 0.05
        dist = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        # No blob wider than ~8 px, even where strokes cross.
        assert dist.max() <= MAX_HALF_WIDTH
        # Width along the centre lines, 2 * d - 1 (d is 1 on a 1 px stroke,
        # 3 on the centre of a 5 px one): strokes are 1-5 px, so 90 % are
        # at most 6 px (junctions and slanted strokes measure a bit wider).
        widths = 2 * dist[skeletonize(mask > 0)] - 1
        assert np.percentile(widths, 90) <= 6
        assert np.percentile(widths, 10) <= 2  # thin cracks occur
        # Cracks are darker than the pavement right next to them.
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(float)
        ring = cv2.dilate(mask, np.ones((7, 7), np.uint8)) - mask
        assert gray[mask > 0].mean() < gray[ring > 0].mean() - 10


def test_crack_fraction_range_is_enforced():
    for index in range(4):
        _, mask = render_sample(
            1, 'val', index, size=(128, 96), crack_fraction=(0.02, 0.025))
        assert 0.02 <= mask.mean() <= 0.025


def test_same_seed_gives_identical_files(tmp_path, synthetic_dir):
    out, _ = synthetic_dir
    again = tmp_path / 'again'
    generate_synthetic_cracks(
        str(again), num_train=4, num_val=2, size=SIZE, seed=0)
    assert file_hashes(again) == file_hashes(out)
    other = tmp_path / 'other'
    generate_synthetic_cracks(
        str(other), num_train=4, num_val=2, size=SIZE, seed=1)
    hashes, other_hashes = file_hashes(out), file_hashes(other)
    assert all(hashes[f'images/{s}.jpg'] != other_hashes[f'images/{s}.jpg']
               for s in ('train_00000', 'val_00001'))


def test_image_does_not_depend_on_count(tmp_path, synthetic_dir):
    out, _ = synthetic_dir
    small = tmp_path / 'small'
    generate_synthetic_cracks(
        str(small), num_train=2, num_val=1, size=SIZE, seed=0)
    full, part = file_hashes(out), file_hashes(small)
    for name in ('images/train_00001.jpg', 'masks/train_00001.png',
                 'images/val_00000.jpg'):
        assert part[name] == full[name]


def test_non_empty_out_dir_and_overwrite(tmp_path):
    out = tmp_path / 'set'
    generate_synthetic_cracks(
        str(out), num_train=3, num_val=1, size=(64, 64), seed=0)
    (out / 'notes.txt').write_text('keep me')
    with pytest.raises(ValueError, match='--overwrite'):
        generate_synthetic_cracks(str(out), num_train=1, num_val=1)
    generate_synthetic_cracks(
        str(out), num_train=1, num_val=1, size=(64, 64), overwrite=True)
    # The earlier, larger set leaves nothing behind; other files stay.
    assert sorted(p.name for p in (out / 'images').iterdir()) == [
        'train_00000.jpg', 'val_00000.jpg'
    ]
    assert (out / 'notes.txt').read_text() == 'keep me'


@pytest.mark.parametrize('kwargs, match', [
    (dict(size=(32, 256)), '64x64'),
    (dict(crack_fraction=(0.05, 0.01)), 'crack_fraction'),
    (dict(num_train=-1), 'num_train'),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_synthetic_cracks(str(tmp_path / 'x'), **kwargs)


def test_fast_enough():
    # Vectorised rendering: tens of ms per 256x256 image; a per-pixel
    # Python loop would take seconds. Generous bound for busy machines.
    start = time.perf_counter()
    for index in range(5):
        render_sample(3, 'train', index, size=(256, 256))
    assert (time.perf_counter() - start) / 5 < 0.5


def test_failed_run_keeps_the_previous_set(tmp_path):
    out = tmp_path / 'synthetic'
    generate_synthetic_cracks(str(out), num_train=2, num_val=1, size=(64, 64))
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob('*')
              if p.is_file()}

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_synthetic_cracks(
            str(out), num_train=3, num_val=1, size=(64, 64), seed=1,
            overwrite=True, progress=interrupted)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob('*')
             if p.is_file()}
    assert after == before
