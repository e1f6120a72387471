"""mmcrack.datasets.conversion.staging: the guard on OUT and the staged
writing."""
from pathlib import Path

import pytest

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import check_output_dir, staged_output


def test_check_output_dir(tmp_path):
    check_output_dir(str(tmp_path / 'new'), False)
    (tmp_path / 'out').mkdir()
    check_output_dir(str(tmp_path / 'out'), False)  # empty is fine
    (tmp_path / 'out' / 'f').touch()
    with pytest.raises(CrackDataError, match='not empty.*--overwrite'):
        check_output_dir(str(tmp_path / 'out'), False)
    check_output_dir(str(tmp_path / 'out'), True)
    with pytest.raises(CrackDataError, match='overlaps the source'):
        check_output_dir(
            str(tmp_path / 'src' / 'out'), True, [str(tmp_path / 'src')])


def write_set(root, names):
    """Write ``images/<name>`` files and a ``SOURCE.txt`` under ``root``."""
    (root / 'images').mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / 'images' / name).write_text(name)
    (root / 'SOURCE.txt').write_text(' '.join(names))


def files(root):
    return {
        str(p.relative_to(root)): p.read_text()
        for p in root.rglob('*') if p.is_file()
    }


def test_staged_output_replaces_the_outputs(tmp_path):
    out = tmp_path / 'out'
    write_set(out, ['old.jpg'])
    (out / 'notes.txt').write_text('keep me')
    with staged_output(str(out), ('images', 'SOURCE.txt')) as staging:
        assert (out / 'images' / 'old.jpg').is_file()
        write_set(Path(staging), ['new.jpg'])
    # Folders and files of the outputs are replaced, nothing of the old set
    # is left, other files stay, and the staging folder is gone.
    assert files(out) == {
        'images/new.jpg': 'new.jpg',
        'SOURCE.txt': 'new.jpg',
        'notes.txt': 'keep me'
    }


def test_failure_mid_write_leaves_out_as_it_was(tmp_path):
    out = tmp_path / 'out'
    write_set(out, ['a.jpg', 'b.jpg'])
    before = files(out)
    with pytest.raises(OSError, match='disk full'):
        with staged_output(str(out), ('images', 'SOURCE.txt')) as staging:
            (Path(staging) / 'images' / 'a.jpg').write_text('half')
            raise OSError('disk full')
    assert files(out) == before
    assert sorted(p.name for p in out.iterdir()) == ['SOURCE.txt', 'images']


def test_failure_into_a_new_out_leaves_nothing(tmp_path):
    out = tmp_path / 'new'
    with pytest.raises(KeyboardInterrupt):
        with staged_output(str(out)):
            raise KeyboardInterrupt
    assert not out.exists()
