"""tools/deploy.py end to end: mmdeploy's torch2onnx in a spawned process
(which must import mmcrack by itself), the ONNX Runtime model it writes,
and the TensorRT path on a machine without TensorRT."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from mmcrack.deploy.trt_support import default_matrix_path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = ('configs/hrsegnet/'
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


def deploy(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, 'tools/deploy.py', *map(str, args)],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)


def test_deploy_onnxruntime(tmp_path, cfd_dir):
    image = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    work_dir = tmp_path / 'ort'
    proc = deploy('configs/deploy/segmentation_onnxruntime_static-400x400.py',
                  CONFIG, 'none', image, '--work-dir', work_dir,
                  '--dump-info')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # torch2onnx ran in a subprocess of mmdeploy's.
    assert 'torch2onnx in subprocess' in out
    assert 'Optimized the graph: ' in out
    assert 'commute_resize_conv1x1 x9' in out
    onnx_file = work_dir / 'end2end.onnx'
    for name in ('end2end.onnx', 'deploy.json', 'pipeline.json',
                 'detail.json'):
        assert f'{work_dir / name} (' in proc.stdout
    assert (f"build_runner('onnxruntime', '{onnx_file}')" in proc.stdout)

    from mmcrack.deploy import build_runner
    runner = build_runner('onnxruntime', str(onnx_file))
    assert runner.input_shape == [1, 3, 400, 400]
    labels = runner(torch.randn(1, 3, 400, 400))
    assert labels.shape == (1, 1, 400, 400) and labels.dtype == np.int64
    assert set(np.unique(labels)) <= {0, 1}

    # The README's next step: tools/infer.py on the exported model. The
    # 480x320 photo does not fit the static 400x400 input: it slides.
    infer = subprocess.run(
        [
            sys.executable, 'tools/infer.py', CONFIG,
            str(onnx_file),
            str(image), '--backend', 'onnxruntime', '--out',
            str(tmp_path / 'infer')
        ],
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        capture_output=True,
        text=True,
        timeout=600)
    assert infer.returncode == 0, (infer.stdout + infer.stderr)[-3000:]
    assert 'sliding-window (crop 400x400' in infer.stdout
    mask = cv2.imread(str(tmp_path / 'infer' / 'masks' / f'{image.stem}.png'),
                      cv2.IMREAD_UNCHANGED)
    assert mask.shape == (320, 480) and set(np.unique(mask)) <= {0, 1}


def test_deploy_tensorrt_without_tensorrt(tmp_path, cfd_dir):
    try:
        import tensorrt  # noqa: F401
        import pytest
        pytest.skip('TensorRT is installed')
    except ImportError:
        pass
    image = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    work_dir = tmp_path / 'trt'
    proc = deploy('configs/deploy/segmentation_tensorrt_static-256x256.py',
                  CONFIG, 'none', image, '--work-dir', work_dir,
                  '--no-optimize')
    out = proc.stdout + proc.stderr
    # The ONNX graph for TensorRT is exported on the CPU; the engine cannot
    # be built, and the error says why and how to get TensorRT.
    assert proc.returncode == 1, out[-3000:]
    assert (work_dir / 'end2end.onnx').is_file()
    assert not (work_dir / 'end2end.engine').exists()
    assert 'pip install tensorrt' in out
    # --no-optimize keeps mmdeploy's graph, whose run-time shape arithmetic
    # the TensorRT check reports (the optimized graph has none left:
    # tests/test_deploy/test_trt_support.py); without the operator matrix
    # the check says it was skipped.
    assert 'Optimized the graph' not in out
    if default_matrix_path().is_file():
        assert ('TensorRT 10 support: Shape node' in out
                and 'a static graph should have no Shape nodes left' in out)
    else:
        assert 'TensorRT 10 operator check skipped' in out
