"""tools/dataset_converters/make_weak_labels.py on the real sets."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
TOOL = REPO_ROOT / 'tools' / 'dataset_converters' / 'make_weak_labels.py'

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('make_weak_labels', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_labels(out):
    lines = (out / 'labels.txt').read_text().split('\n')
    return [(p, int(lb)) for p, lb in (ln.split() for ln in lines if ln)]


def test_crack_images_and_crack_free_crops(tool, cfd_dir, tmp_path, capsys):
    out = tmp_path / 'cfd_weak'
    summary = tool.main([
        str(cfd_dir),
        str(out), '--split', 'val', '--negatives-per-image', '2',
        '--negative-size', '96', '--margin', '8'
    ])
    stems = sorted(p.stem for p in (cfd_dir / 'masks').glob('*.png'))
    assert summary['images'] == len(stems[4::5])  # the val split only
    labels = read_labels(out)
    assert summary['crack'] == sum(lb for _, lb in labels) > 0
    assert summary['no_crack'] == sum(1 - lb for _, lb in labels) > 0
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
    assert 'crack and' in capsys.readouterr().out


def test_grid_of_enlarged_patches(tool, cfd_dir, tmp_path):
    out = tmp_path / 'grid'
    summary = tool.main([
        str(cfd_dir),
        str(out), '--split', 'val', '--scale', '1.5', '--grid', '3',
        '--negatives-per-image', '0', '--resize', '128'
    ])
    labels = read_labels(out)
    assert len(labels) <= 9 * summary['images']
    names = {Path(rel).stem for rel, _ in labels}
    assert all('_r' in n and 'c' in n for n in names)
    for rel, label in labels:
        mask = cv2.imread(str(out / 'masks' / rel), 0)
        assert mask.shape == (128, 128)
        assert (mask == 1).any() == bool(label)
