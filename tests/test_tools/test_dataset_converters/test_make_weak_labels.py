"""tools/dataset_converters/make_weak_labels.py: the command line of
mmcrack.datasets.weak_labels (tested in tests/test_datasets/)."""
import pytest

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('dataset_converters/make_weak_labels.py')


def test_arguments_reach_the_library(tool, cfd_dir, tmp_path, capsys):
    out = tmp_path / 'cfd_weak'
    result = tool.main([
        str(cfd_dir),
        str(out), '--split', 'all', '--grid', '3', '--scale', '0.5',
        '--negatives-per-image', '0', '--resize', '32'
    ])
    assert result.images == len(list((cfd_dir / 'masks').glob('*.png')))
    assert result.split is None
    lines = (out / 'labels.txt').read_text().split()
    assert len(lines) // 2 == result.crack + result.no_crack
    assert all('_r' in path for path in lines[::2])
    printed = capsys.readouterr().out
    assert (f'{result.images} all images of {cfd_dir} -> {result.crack} '
            f'crack and {result.no_crack} crack-free images in {out} '
            '(crack/, no_crack/, masks/, labels.txt)') in printed


def test_bad_input_exits_with_the_message(tool, cfd_dir, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'f').touch()
    with pytest.raises(SystemExit, match='^error: OUT .* --overwrite'):
        tool.main([str(cfd_dir), str(out)])


def test_help(tool, capsys):
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(['--help'])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for arg in ('--split', '--val-every', '--grid', '--negative-size',
                '--overwrite', 'crack/, no_crack/, masks/, labels.txt'):
        assert arg in out
