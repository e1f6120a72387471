"""tools/misc/generate_synthetic_cracks.py writes what it says."""
import hashlib
import re

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets.synthetic_cracks import generate_synthetic_cracks


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('misc/generate_synthetic_cracks.py')


def test_help_explains_every_argument(tool, capsys):
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(['--help'])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ('OUT_DIR', '--num-train', '--num-val', '--size', '--seed',
                   '--crack-fraction', '--jpeg-quality', '--overwrite'):
        assert option in text
    assert text.count('default:') >= 6


def test_defaults(tool):
    args = tool.parse_args(['out'])
    assert (args.num_train, args.num_val, tuple(args.size),
            args.seed) == (200, 40, (256, 256), 0)
    assert tuple(args.crack_fraction) == (0.01, 0.05)


def test_writes_what_it_says(tool, tmp_path, capsys):
    out = tmp_path / 'cli'
    tool.main([
        str(out), '--num-train', '3', '--num-val', '2', '--size', '96', '80',
        '--seed', '5'
    ])
    printed = capsys.readouterr().out
    assert f'Wrote 5 synthetic crack images of 96x80 (WxH) to {out}' in (
        printed)
    assert 'train: 3' in printed and 'val: 2' in printed
    assert (out / 'splits' / 'train.txt').read_text().split() == [
        'train_00000', 'train_00001', 'train_00002'
    ]
    assert (out / 'splits' /
            'val.txt').read_text().split() == ['val_00000', 'val_00001']
    fractions = []
    for mask_path in sorted((out / 'masks').glob('*.png')):
        with Image.open(mask_path) as mask:
            assert mask.size == (96, 80)
            fractions.append(np.asarray(mask).mean())
    assert len(fractions) == 5
    low, high, mean = map(
        float,
        re.search(
            r'crack pixels per image: ([\d.]+)% to ([\d.]+)% '
            r'\(mean ([\d.]+)%\)', printed).groups())
    assert low == round(100 * min(fractions), 2)
    assert high == round(100 * max(fractions), 2)
    assert mean == round(100 * np.mean(fractions), 2)
    # Same files as the library with the same arguments.
    lib = tmp_path / 'lib'
    generate_synthetic_cracks(
        str(lib), num_train=3, num_val=2, size=(96, 80), seed=5)
    for path in (out / 'images').iterdir():
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(
            (lib / 'images' / path.name).read_bytes()).digest()


def test_refuses_non_empty_out_dir(tool, tmp_path):
    (tmp_path / 'old.txt').write_text('x')
    with pytest.raises(SystemExit, match='--overwrite'):
        tool.main([str(tmp_path), '--num-train', '1', '--num-val', '0'])


@pytest.mark.parametrize('argv', [
    ['--size', '32', '32'],
    ['--num-val', '-1'],
    ['--crack-fraction', '0.2', '0.1'],
    ['--seed', '-1'],
])
def test_bad_arguments(tool, argv):
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(['out'] + argv)
    assert exc.value.code == 2
