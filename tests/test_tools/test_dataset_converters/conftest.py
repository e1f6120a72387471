"""Fixtures shared by the converter tests: load a converter script, build
the converted set as :class:`CrackDataset`, and take real pairs from
``../shared/data``."""
import shutil
from pathlib import Path

import numpy as np
import pytest
from mmseg.registry import DATASETS
from PIL import Image


@pytest.fixture
def load_converter(load_tool):
    """name -> the module ``tools/dataset_converters/<name>.py``."""
    return lambda name: load_tool(f'dataset_converters/{name}.py')


@pytest.fixture
def load_split():
    """(OUT, split) -> the converted split built as CrackDataset, which
    checks every pair (readable, 0/1/255 mask, same size)."""

    def build(out, split='train'):
        return DATASETS.build(
            dict(
                type='CrackDataset',
                data_root=str(out),
                data_prefix=dict(img_path='images', seg_map_path='masks'),
                ann_file=f'splits/{split}.txt',
                pipeline=[]))

    return build


@pytest.fixture
def real_pairs():
    """(shared set folder, n) -> the first n real pairs as
    (stem, image path, 0/1 mask array)."""

    def take(data_dir, n):
        pairs = []
        for img in sorted((Path(data_dir) / 'images').glob('*.jpg'))[:n]:
            mask = np.asarray(
                Image.open(Path(data_dir) / 'masks' / f'{img.stem}.png'))
            pairs.append((img.stem, img, mask.copy()))
        return pairs

    return take


@pytest.fixture
def copy_image():
    """(image path, destination) -> copy, creating the folder."""

    def copy(src, dst):
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return Path(dst)

    return copy


@pytest.fixture
def save_mask():
    """(0/1 array, destination, mode) -> mask file in a source format:
    '0/255' grey PNG, '0/1' grey PNG, '1bit' PNG, 'rgb' red on black,
    'jpeg' 0/255 JPEG (lossy), 'bmp' 0/255 BMP."""

    def save(mask, dst, mode='0/255'):
        dst = Path(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        mask = np.asarray(mask, dtype=np.uint8)
        if mode == '0/255':
            Image.fromarray(mask * 255).save(dst, format='PNG')
        elif mode == '0/1':
            Image.fromarray(mask).save(dst, format='PNG')
        elif mode == '1bit':
            Image.fromarray(mask.astype(bool)).save(dst, format='PNG')
        elif mode == 'rgb':
            rgb = np.zeros(mask.shape + (3, ), np.uint8)
            rgb[mask == 1] = (255, 0, 0)
            Image.fromarray(rgb).save(dst, format='PNG')
        elif mode == 'jpeg':
            Image.fromarray(mask * 255).save(dst, format='JPEG', quality=75)
        elif mode == 'bmp':
            Image.fromarray(mask * 255).save(dst, format='BMP')
        else:
            raise ValueError(mode)
        return dst

    return save
