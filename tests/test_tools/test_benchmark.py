"""tools/benchmark.py smoke test: a tiny input, two runs, the report keys.

No timing is asserted: the numbers depend on the machine and its load."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = ('configs/hrsegnet/'
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


def test_benchmark_report(tmp_path, cfd_dir):
    out_dir = tmp_path / 'bench'
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run([
        sys.executable, 'tools/benchmark.py', CONFIG, '--shape', '64',
        '--warmup', '1', '--runs', '2', '--backends', 'pytorch',
        'onnxruntime', '--compare', '--compare-models', 'BiSeNetV2',
        '--train-iters', '1', '--train-warmup', '0', '--train-batch', '2',
        '--train-data', str(cfd_dir), '--out-dir', str(out_dir)
    ],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    report = json.loads((out_dir / 'benchmark.json').read_text())
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
