"""mmcrack.datasets.conversion.cli: the pairs a converter takes from its
arguments."""
import argparse

import pytest

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import Sample, collect_source_pairs


def test_collect_source_pairs(tmp_path):
    src = tmp_path / 'src'
    for folder, names in (('images', ['a.jpg', 'b.jpg']),
                          ('gt', ['a.png', 'c.png'])):
        (src / folder).mkdir(parents=True)
        for name in names:
            (src / folder / name).touch()
    args = argparse.Namespace(
        src=str(src),
        img_dir=None,
        ann_dir=None,
        out=str(tmp_path / 'out'),
        overwrite=False,
        strict=False)
    samples, notes = collect_source_pairs(args, ['images'], ['gt'],
                                          ('.png', ))
    assert samples == [
        Sample('a', str(src / 'images' / 'a.jpg'), str(src / 'gt' / 'a.png'))
    ]
    assert len(notes) == 2 and 'b.jpg' in notes[0] and 'c.png' in notes[1]
    # OUT is checked against the folders before anything is read.
    args.out = str(src / 'images' / 'out')
    with pytest.raises(CrackDataError, match='overlaps the source'):
        collect_source_pairs(args, ['images'], ['gt'], ('.png', ))
