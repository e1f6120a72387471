"""mmcrack.datasets.conversion.pairing: folder search, pairing by stem,
unpaired files, unique stems."""
import pytest

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import (Sample, find_dir, make_stems_unique,
                                         pair_files, report_unpaired)


def test_find_dir(tmp_path):
    (tmp_path / 'CRACK500' / 'traincrop' / 'traincrop').mkdir(parents=True)
    (tmp_path / 'CRACK500' / 'traincrop' / 'traincrop' / 'a.jpg').touch()
    (tmp_path / 'x' / 'images').mkdir(parents=True)
    (tmp_path / 'image').mkdir()
    found = find_dir(str(tmp_path), ['traincrop'], 'train')
    assert found.endswith('traincrop/traincrop')
    # Shallowest first; at one depth the earlier name wins.
    assert find_dir(str(tmp_path), ['images', 'image'],
                    'image') == str(tmp_path / 'image')
    (tmp_path / 'y' / 'images').mkdir(parents=True)
    with pytest.raises(
            CrackDataError, match='several image folders.*'
            '--img-dir'):
        find_dir(str(tmp_path), ['images'], 'image', '--img-dir')
    with pytest.raises(CrackDataError, match='No mask folder .*--ann-dir'):
        find_dir(str(tmp_path), ['gt'], 'mask', '--ann-dir')


def test_pairing_and_report():
    pairing = pair_files(['d/a.jpg', 'd/b.jpg', 'd/c.jpg'],
                         ['m/a.png', 'm/b_mask.png', 'm/z.png'], lambda s:
                         (s, s + '_mask'))
    assert pairing.pairs == [('a', 'd/a.jpg', 'm/a.png'),
                             ('b', 'd/b.jpg', 'm/b_mask.png')]
    assert pairing.unpaired_images == ['d/c.jpg']
    assert pairing.unpaired_anns == ['m/z.png']
    notes = []
    report_unpaired(pairing, 'd', notes=notes)
    assert notes == [
        'skipped 1 images without an annotation in d (c.jpg)',
        'skipped 1 annotations without an image in d (z.png)'
    ]
    with pytest.raises(CrackDataError, match='c.jpg.*drop --strict'):
        report_unpaired(pairing, 'd', strict=True)
    with pytest.raises(CrackDataError, match='share the stem'):
        pair_files(['d/a.jpg', 'd/a.png'], [])


def test_make_stems_unique():
    samples = [Sample('a', '', '', 'train'), Sample('a', '', '', 'test')]
    notes = make_stems_unique(samples, lambda s: s.split)
    assert [s.stem for s in samples] == ['train_a', 'test_a'] and notes
    samples = [Sample('a', '', '', 'train'), Sample('b', '', '', 'test')]
    assert make_stems_unique(samples, lambda s: s.split) == []
    assert [s.stem for s in samples] == ['a', 'b']
