"""mmcrack.datasets.conversion.crackseg9k_source: CrackSeg9k's folders and
its official split lists (read from a folder, or fetched from 127.0.0.1
into the cache)."""
import pytest

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import Sample, crackseg9k_source
from mmcrack.datasets.conversion.crackseg9k_source import (
    fetch_official_lists, image_dirs, mask_dir, official_split,
    parse_split_list, split_by_lists)


def write_lists(folder, lists):
    """{split: lines} -> <folder>/<split>.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, lines in lists.items():
        (folder / f'{split}.txt').write_text(''.join(f'{line}\n'
                                                     for line in lines))
    return str(folder)


def test_image_and_mask_dirs(tmp_path):
    src = tmp_path / 'CrackSeg9k'
    for folder in ('Images/Images', 'Images-2/Images-2',
                   'Final_Masks/Masks'):
        (src / folder).mkdir(parents=True)
        (src / folder / 'a.jpg').touch()
    # The Images-2/ beside an unzipped Images/Images/ chain counts too.
    assert image_dirs(str(tmp_path)) == [
        str(src / 'Images' / 'Images'),
        str(src / 'Images-2' / 'Images-2')
    ]
    assert mask_dir(str(tmp_path)) == str(src / 'Final_Masks' / 'Masks')
    assert image_dirs('SRC', [str(src)]) == [str(src)]
    assert mask_dir('SRC', str(src)) == str(src)
    with pytest.raises(CrackDataError, match='--img-dir .*nowhere is not'):
        image_dirs(str(tmp_path), [str(src), str(tmp_path / 'nowhere')])
    with pytest.raises(CrackDataError, match='--ann-dir .*nowhere is not'):
        mask_dir(str(tmp_path), str(tmp_path / 'nowhere'))
    with pytest.raises(CrackDataError, match='No mask folder .*--ann-dir'):
        mask_dir(str(src / 'Images'))


def test_parse_split_list():
    text = ('images/CFD_001.jpg labels/CFD_001.png\n\n'
            'Volker_DSC.JPG\nnoncrack_a.b\n')
    assert parse_split_list(text, 'train.txt') == [
        'CFD_001', 'Volker_DSC', 'noncrack_a.b'
    ]
    with pytest.raises(CrackDataError, match='train.txt, line 2: .*Is it '
                       'the official CrackSeg9k list'):
        parse_split_list('a\na b c\n', 'train.txt')


def test_official_split_from_a_folder(tmp_path):
    folder = write_lists(tmp_path / 'lists', {
        'train': ['images/a.jpg labels/a.png', 'b'],
        'val': ['c']
    })
    assert official_split(folder) == ({
        'a': 'train',
        'b': 'train',
        'c': 'val'
    }, folder)


@pytest.mark.parametrize('lists,error', [
    (dict(train=['001']), r'val.txt does not exist: .*train.txt and val.txt'),
    (dict(train=['001', '002'], val=['002']),
     "'002' is listed in both train.txt and val.txt"),
    (dict(train=['001'], val=['002 002.png', 'a b c']), r'val.txt, line 2'),
])
def test_bad_split_lists(tmp_path, lists, error):
    folder = write_lists(tmp_path / 'lists', lists)
    with pytest.raises(CrackDataError, match=error):
        official_split(folder)
    with pytest.raises(CrackDataError, match='--split-list .* not a folder'):
        official_split(str(tmp_path / 'nowhere'))


def test_split_by_lists():
    samples = [Sample(stem, '', '') for stem in ('a', 'b', 'c', 'd')]
    split_of = {'a': 'train', 'b': 'val', 'x': 'test', 'c': 'test'}
    notes = []
    listed = split_by_lists(samples, split_of, 'LISTS', notes)
    assert [(s.stem, s.split) for s in listed] == [('a', 'train'),
                                                   ('b', 'val'), ('c', 'test')]
    assert notes == [
        'split: the official lists (train 1, val 1, test 2 names) of LISTS',
        'left out 1 pairs of SRC that are in none of the lists (the '
        'official split drops the pairs whose image and mask do not align): '
        'd', '1 listed pairs are not among the pairs of SRC (test 1), so '
        'those splits are smaller: x'
    ]
    with pytest.raises(
            CrackDataError,
            match=r'None of the 3 pairs of SRC is named in the split lists '
            r'of LISTS \(2 names, e.g. CFD_001, CFD_002; SRC has e.g. 001, '
            r'002, 003\).*every-nth'):
        split_by_lists([Sample(s, '', '') for s in ('001', '002', '003')], {
            'CFD_001': 'train',
            'CFD_002': 'val'
        }, 'LISTS', [])


def test_fetch_only_the_lists_the_cache_lacks(tmp_path, monkeypatch, served):
    root, address = served
    monkeypatch.setenv('MMCRACK_HOME', str(tmp_path / 'home'))
    monkeypatch.setattr(crackseg9k_source, 'OFFICIAL_LISTS_URL', address)
    cache = tmp_path / 'home' / 'splits' / 'crackseg9k'
    write_lists(cache, {'train': ['a']})
    write_lists(root, {'val': ['b'], 'test': ['c']})
    assert fetch_official_lists() == str(cache)
    assert sorted(p.name for p in cache.iterdir()) == [
        'test.txt', 'train.txt', 'val.txt'
    ]
    assert (cache / 'val.txt').read_text() == 'b\n'


def test_fetched_page_that_is_no_list_is_not_cached(tmp_path, monkeypatch,
                                                    served):
    root, address = served
    monkeypatch.setenv('MMCRACK_HOME', str(tmp_path / 'home'))
    for split in ('train', 'val', 'test'):
        (root / f'{split}.txt').write_text(
            '<html>\n<head><title>Sign in to this network</title></head>\n')
    monkeypatch.setattr(crackseg9k_source, 'OFFICIAL_LISTS_URL', address)
    with pytest.raises(CrackDataError, match='train.txt, line 2: .*Is it '
                       'the official CrackSeg9k list'):
        fetch_official_lists()
    assert not (tmp_path / 'home').exists()
