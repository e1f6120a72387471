"""tools/benchmark.py, the command line of mmcrack.benchmark (tested in
tests/test_benchmark): a tiny input, two runs, the report and the table.

No timing is asserted: the numbers depend on the machine and its load."""
import json

import pytest
from helpers import REPO_ROOT

from mmcrack.benchmark import GEMM_SIZES, gemm_name

CONFIG = ('configs/hrsegnet/'
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('benchmark.py')


def test_benchmark_report(tmp_path, cfd_dir, random_checkpoint, run_tool):
    checkpoint = random_checkpoint(REPO_ROOT / CONFIG)
    out_dir = tmp_path / 'bench'
    proc = run_tool('benchmark.py', CONFIG, '--shape', '64', '--warmup', '1',
                    '--runs', '2', '--backends', 'pytorch', 'onnxruntime',
                    '--compare', '--compare-models', 'BiSeNetV2',
                    '--train-iters', '1', '--train-warmup', '0',
                    '--train-batch', '2', '--train-data', cfd_dir,
                    '--out-dir', out_dir, '--checkpoint', checkpoint)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    report = json.loads((out_dir / 'benchmark.json').read_text())
    assert report['checkpoint'] == str(checkpoint)
    assert report['input_shape'] == [1, 3, 64, 64]
    assert set(report['gemm_macs_per_s']) == {'torch-cpu', 'onnxruntime-cpu'}
    rows = {(r['model'], r['backend']): r for r in report['results']}
    assert set(rows) == {(m, b)
                         for m in ('hrsegnet-b16', 'BiSeNetV2')
                         for b in ('pytorch', 'onnxruntime')}
    for row in rows.values():
        for key in ('params', 'macs', 'mean_ms', 'median_ms', 'p90_ms',
                    'images_per_s', 'macs_per_s'):
            assert row[key] > 0, (row, key)
    # HrSegNet-B16 for inference (no auxiliary heads): 0.605 M parameters.
    assert abs(rows['hrsegnet-b16', 'pytorch']['params'] - 605e3) < 5e3
    training = report['training']
    assert training['images_per_s'] > 0
    assert 0 <= training['data_wait_share'] <= 1
    table = (out_dir / 'benchmark.md').read_text()
    assert '| BiSeNetV2 | onnxruntime |' in table
    assert 'x hrsegnet-b16' in table
    # Each GEMM reference is named by the size it multiplies.
    for row in report['gemm']:
        size = GEMM_SIZES[row['backend']]
        assert row['model'] == gemm_name(size) and row['macs'] == size**3
        assert f'{row["backend"]} {row["model"]} ' in table


def test_a_model_that_cannot_run_fails_the_command(tool, tmp_path, capsys):
    """Context-CrackNet takes 448x448 only: at 64x64 its row holds the
    reason, and the command exits 1 after writing the report."""
    with pytest.raises(SystemExit) as exc:
        tool.main([
            str(REPO_ROOT / 'configs' / 'context_cracknet' /
                'context-cracknet_r50_1xb8-40k_cfd-448x448.py'), '--shape',
            '64',
            '--backends', 'pytorch', '--warmup', '0', '--runs', '1',
            '--out-dir',
            str(tmp_path)
        ])
    assert exc.value.code == 1
    assert 'ran on no backend' in capsys.readouterr().err
    report = json.loads((tmp_path / 'benchmark.json').read_text())
    row, = report['results']
    assert 'was built for 448x448 inputs' in row['error']
