"""build_runner: one call for every backend."""
import pytest
import torch

from mmcrack.deploy import DEFAULT_DEVICES, build_runner
from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner


def test_build_onnxruntime_runner(tmp_path):
    path = tmp_path / 'model.onnx'
    torch.onnx.export(
        torch.nn.Conv2d(3, 1, 1), (torch.zeros(1, 3, 4, 4), ),
        str(path),
        opset_version=17)
    runner = build_runner('onnxruntime', str(path))
    assert isinstance(runner, OnnxRuntimeRunner) and runner.device == 'cpu'
    assert runner(torch.zeros(1, 3, 4, 4)).shape == (1, 1, 4, 4)


def test_unknown_backend():
    with pytest.raises(ValueError, match='onnxruntime'):
        build_runner('openvino', 'model.xml')
    assert set(DEFAULT_DEVICES) == {'onnxruntime', 'tensorrt'}


def test_tensorrt_without_tensorrt_or_gpu_says_how_to_install(tmp_path):
    try:
        from mmcrack.deploy.tensorrt import import_tensorrt
        import_tensorrt()
        if torch.cuda.is_available():
            pytest.skip('TensorRT and a GPU are present')
    except ImportError:
        pass
    with pytest.raises(ImportError, match='pip install tensorrt'):
        build_runner('tensorrt', str(tmp_path / 'end2end.engine'))
