"""OnnxRuntimeRunner: the runner interface on a small exported model."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from mmcrack.deploy.onnxruntime import (OnnxRuntimeRunner, physical_cpu_cores,
                                        session_options)


@pytest.fixture(scope='module')
def model_file(tmp_path_factory):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.ReLU()).eval()
    path = tmp_path_factory.mktemp('ort') / 'model.onnx'
    torch.onnx.export(
        model, (torch.zeros(1, 3, 8, 8), ),
        str(path),
        opset_version=17,
        input_names=['input'],
        output_names=['output'],
        dynamic_axes=dict(input={0: 'batch'}, output={0: 'batch'}))
    return path, model


def test_runner_matches_pytorch(model_file):
    path, model = model_file
    runner = OnnxRuntimeRunner(str(path))
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        expected = model(x).numpy()
    for inputs in (x, x.numpy(), x.double().numpy()):
        out = runner(inputs)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        np.testing.assert_allclose(out, expected, atol=1e-5)
    assert runner.input_shape == ['batch', 3, 8, 8]
    assert runner.backend == 'onnxruntime'


def test_session_options():
    options = session_options(num_threads=3, optimization_level='basic')
    assert options.intra_op_num_threads == 3
    assert options.inter_op_num_threads == 1
    assert options.get_session_config_entry(
        'session.intra_op.allow_spinning') == '0'
    assert 1 <= physical_cpu_cores() <= (__import__('os').cpu_count() or 1)
    assert session_options().intra_op_num_threads == physical_cpu_cores()


def test_runner_errors(model_file, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        OnnxRuntimeRunner(str(tmp_path / 'missing.onnx'))
    with pytest.raises(ValueError, match='device must be'):
        OnnxRuntimeRunner(str(model_file[0]), device='npu')
    import onnxruntime
    if 'CUDAExecutionProvider' not in onnxruntime.get_available_providers():
        with pytest.raises(RuntimeError, match='onnxruntime-gpu'):
            OnnxRuntimeRunner(str(model_file[0]), device='cuda')
