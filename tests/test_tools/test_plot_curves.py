"""tools/analysis_tools/plot_curves.py: parsing scalars.json, the PNG."""
import json
import os
import time

import pytest
from PIL import Image


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('analysis_tools/plot_curves.py')


def write_scalars(path, losses, metrics, val_interval=2, start=1):
    """Training lines for iterations start..start+N-1 and a validation line
    every ``val_interval`` iterations, as MMEngine's LocalVisBackend
    writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for it, loss in enumerate(losses, start=start):
        lines.append(
            dict(
                lr=0.01,
                data_time=0.1,
                loss=loss,
                **{'decode.loss_ohem': loss / 2},
                time=0.5,
                iter=it,
                step=it))
        if it % val_interval == 0:
            iou, f1 = metrics[(it - start + 1) // val_interval - 1]
            lines.append(
                dict(
                    IoU=iou,
                    F1=f1,
                    mIoU=iou / 2,
                    data_time=0.0,
                    time=0.2,
                    step=it))
    path.write_text('\n'.join(json.dumps(line) for line in lines) +
                    '\n{"loss": 0.1, "st')  # a line still being written
    return path


def test_help_explains_every_argument(tool, capsys):
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(['--help'])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for arg in ('--keys', '--legend', '--out', '--title', '--dpi'):
        assert arg in out


def test_load_scalars_separates_training_and_validation(tool, tmp_path):
    path = write_scalars(tmp_path / 'scalars.json', [1.0, 0.8, 0.6, 0.5],
                         [(10.0, 18.0), (20.0, 33.0)])
    series = tool.load_scalars(str(path))
    assert series['loss'] == ([1, 2, 3, 4], [1.0, 0.8, 0.6, 0.5])
    assert series['val/IoU'] == ([2, 4], [10.0, 20.0])
    assert series['val/F1'] == ([2, 4], [18.0, 33.0])
    # "time" is in both kinds of line: each keeps its own series.
    assert series['time'][0] == [1, 2, 3, 4]
    assert series['val/time'] == ([2, 4], [0.2, 0.2])
    assert tool.select(series, 'IoU') == series['val/IoU']
    assert tool.select(series, 'mIoU') == ([2, 4], [5.0, 10.0])
    assert tool.select(series, 'Recall') is None


def test_find_scalars_lists_a_work_dirs_runs_oldest_first(tool, tmp_path):
    old = write_scalars(
        tmp_path / 'work' / '20240101_000000' / 'vis_data' / 'scalars.json',
        [1.0, 0.9], [(1.0, 2.0)])
    new = write_scalars(
        tmp_path / 'work' / '20240102_000000' / 'vis_data' / 'scalars.json',
        [0.7, 0.6], [(5.0, 9.0)])
    now = time.time()
    os.utime(old, (now - 100, now - 100))
    os.utime(new, (now, now))
    assert tool.find_scalars(str(tmp_path / 'work')) == [str(old), str(new)]
    assert tool.find_scalars(str(old)) == [str(old)]
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        tool.find_scalars(str(tmp_path))


def test_resumed_run_continues_and_fresh_run_replaces(tool, tmp_path):
    # Stopped after iteration 6 with a checkpoint at 4; resumed from it.
    first = tool.load_scalars(
        str(
            write_scalars(tmp_path / 'a.json', [1.0, 0.9, 0.8, 0.7, 0.6, 0.5],
                          [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)])))
    resumed = tool.load_scalars(
        str(
            write_scalars(
                tmp_path / 'b.json', [0.55, 0.45, 0.4, 0.3],
                [(6.0, 7.0), (8.0, 9.0)],
                start=5)))
    joined = tool.join_resumed([first, resumed])
    assert joined['loss'] == ([1, 2, 3, 4, 5, 6, 7, 8],
                              [1.0, 0.9, 0.8, 0.7, 0.55, 0.45, 0.4, 0.3])
    # Validation at 2 and 4 from the first file, 6 and 8 from the second.
    assert joined['val/IoU'] == ([2, 4, 6, 8], [1.0, 3.0, 6.0, 8.0])
    # Training again from iteration 1 in the same work dir starts over.
    fresh = tool.load_scalars(
        str(write_scalars(tmp_path / 'c.json', [2.0, 1.5], [(9.0, 9.5)])))
    assert tool.join_resumed([first, resumed, fresh]) == fresh


def test_two_runs_to_png(tool, tmp_path, capsys):
    run_a = write_scalars(
        tmp_path / 'b16' / '20240101_000000' / 'vis_data' / 'scalars.json',
        [1.0, 0.8, 0.6, 0.5], [(10.0, 18.0), (20.0, 33.0)])
    run_b = write_scalars(tmp_path / 'b32.json', [1.2, 0.7, 0.4, 0.3],
                          [(12.0, 21.0), (25.0, 40.0)])
    out = tmp_path / 'curves.png'
    keys = tool.main([
        str(tmp_path / 'b16'),
        str(run_b), '--legend', 'B16', 'B32', '--title', 'B16 and B32',
        '--out',
        str(out)
    ])
    assert keys == ['loss', 'IoU', 'F1']
    with Image.open(out) as png:
        # 8 x 3 inches per panel at 100 dpi.
        assert png.size == (800, 900)
    printed = capsys.readouterr().out
    assert f'to {out}' in printed and str(run_a) in printed

    # Keys in no run are left out and reported; the figure shrinks.
    tool.main([str(run_b), '--keys', 'loss', 'Recall', '--out', str(out)])
    with Image.open(out) as png:
        assert png.size == (800, 300)
    assert 'not found: Recall' in capsys.readouterr().out
    with pytest.raises(KeyError, match='available keys'):
        tool.main([str(run_b), '--keys', 'Recall', '--out', str(out)])


def test_legend_must_match_runs(tool, tmp_path):
    run = write_scalars(tmp_path / 's.json', [1.0, 0.5], [(1.0, 2.0)])
    with pytest.raises(SystemExit):
        tool.parse_args([str(run), '--legend', 'a', 'b'])
