"""TensorRT 10 builder and runner.

Without TensorRT and a GPU (CI), the builder runs against a stand-in of the
``tensorrt`` module that records the TensorRT 10 calls, and the real build
and run are skipped; both errors name what is missing and how to get it.
"""
import sys
import types

import numpy as np
import pytest
import torch

from mmcrack.deploy import tensorrt as mmcrack_trt


def tensorrt_available():
    try:
        mmcrack_trt.import_tensorrt()
    except ImportError:
        return False
    return torch.cuda.is_available()


class FakeTensorRT(types.ModuleType):
    """The subset of TensorRT 10's Python API the builder uses."""

    def __init__(self, input_shape, parse_ok=True):
        super().__init__('tensorrt')
        self.__version__ = '10.0.1'
        self.calls = []
        fake = self

        class Logger:
            VERBOSE, INFO, WARNING, ERROR, INTERNAL_ERROR = range(5)

            def __init__(self, level):
                fake.calls.append(('Logger', level))

        class Input:
            name, shape = 'input', input_shape

        class Network:
            num_inputs = 1

            def get_input(self, i):
                return Input()

        class Parser:

            def __init__(self, network, logger):
                self.num_errors = 0 if parse_ok else 1

            def parse_from_file(self, path):
                fake.calls.append(('parse_from_file', path))
                return parse_ok

            def get_error(self, i):
                return 'In node 0: unsupported operator Foo'

        class Profile:

            def set_shape(self, name, *shapes):
                fake.calls.append(('set_shape', name, shapes))

        class Config:

            def set_memory_pool_limit(self, pool, size):
                fake.calls.append(('set_memory_pool_limit', pool, size))

            def set_flag(self, flag):
                fake.calls.append(('set_flag', flag))

            def add_optimization_profile(self, profile):
                fake.calls.append(('add_optimization_profile', ))

        class Builder:
            platform_has_fast_fp16 = True

            def __init__(self, logger):
                pass

            def create_network(self, flags):
                fake.calls.append(('create_network', flags))
                return Network()

            def create_builder_config(self):
                return Config()

            def create_optimization_profile(self):
                return Profile()

            def build_serialized_network(self, network, config):
                return b'engine'

        self.Logger, self.Builder, self.OnnxParser = Logger, Builder, Parser
        self.MemoryPoolType = types.SimpleNamespace(WORKSPACE='WORKSPACE')
        self.BuilderFlag = types.SimpleNamespace(FP16='FP16')


@pytest.fixture
def fake_trt(monkeypatch):

    def install(input_shape, parse_ok=True):
        module = FakeTensorRT(input_shape, parse_ok)
        monkeypatch.setitem(sys.modules, 'tensorrt', module)
        return module

    return install


def test_build_static_fp16_engine(fake_trt, tmp_path):
    trt = fake_trt((1, 3, 256, 256))
    engine = tmp_path / 'out' / 'end2end.engine'
    mmcrack_trt.build_engine(
        'end2end.onnx', str(engine), fp16=True, max_workspace_size=1 << 30)
    assert engine.read_bytes() == b'engine'
    assert ('create_network', 0) in trt.calls  # explicit batch
    assert ('set_memory_pool_limit', 'WORKSPACE', 1 << 30) in trt.calls
    assert ('set_flag', 'FP16') in trt.calls
    # A static input needs no optimization profile.
    assert not [c for c in trt.calls if c[0] == 'set_shape']


def test_build_dynamic_engine_from_deploy_config(fake_trt, tmp_path):
    from mmengine.config import Config
    trt = fake_trt((-1, 3, -1, -1))
    deploy_cfg = Config.fromfile(
        'configs/deploy/segmentation_tensorrt_dynamic-256x256-1024x1024.py')
    mmcrack_trt.build_engine_from_config('end2end.onnx',
                                         str(tmp_path / 'e.engine'),
                                         deploy_cfg)
    assert ('set_shape', 'input', ((1, 3, 256, 256), (1, 3, 400, 400),
                                   (8, 3, 1024, 1024))) in trt.calls
    assert ('add_optimization_profile', ) in trt.calls
    assert ('Logger', trt.Logger.WARNING) in trt.calls
    assert not [c for c in trt.calls if c[0] == 'set_flag']


def test_build_errors(fake_trt, tmp_path):
    fake_trt((-1, 3, -1, -1))
    with pytest.raises(ValueError, match='give its min_shape'):
        mmcrack_trt.build_engine('m.onnx', str(tmp_path / 'e.engine'))
    with pytest.raises(ValueError, match='does not fit'):
        mmcrack_trt.build_engine(
            'm.onnx',
            str(tmp_path / 'e.engine'),
            input_shapes=dict(
                input=dict(
                    min_shape=[1, 4, 64, 64],
                    opt_shape=[1, 3, 64, 64],
                    max_shape=[1, 3, 64, 64])))
    fake_trt((1, 3, 8, 8), parse_ok=False)
    with pytest.raises(RuntimeError, match='unsupported operator Foo'):
        mmcrack_trt.build_engine('m.onnx', str(tmp_path / 'e.engine'))


def test_old_or_stub_tensorrt_is_refused(monkeypatch):
    stub = types.ModuleType('tensorrt')
    stub.__file__ = 'tensorrt/__init__.py'
    monkeypatch.setitem(sys.modules, 'tensorrt', stub)
    with pytest.raises(mmcrack_trt.TensorRTUnavailable, match='stub'):
        mmcrack_trt.import_tensorrt()
    old = FakeTensorRT((1, 3, 8, 8))
    old.__version__ = '8.6.1'
    monkeypatch.setitem(sys.modules, 'tensorrt', old)
    with pytest.raises(mmcrack_trt.TensorRTUnavailable, match='>= 10'):
        mmcrack_trt.import_tensorrt()


@pytest.mark.skipif(
    tensorrt_available(), reason='tests the error without TensorRT/GPU')
def test_missing_tensorrt_or_gpu_is_explained(tmp_path):
    for call in (lambda: mmcrack_trt.build_engine('m.onnx', 'e.engine'),
                 lambda: mmcrack_trt.TensorRTRunner(
                     str(tmp_path / 'e.engine'))):
        with pytest.raises(mmcrack_trt.TensorRTUnavailable) as info:
            call()
        assert 'pip install tensorrt' in str(info.value)


@pytest.mark.skipif(
    not tensorrt_available(), reason='needs TensorRT 10 and a CUDA GPU')
@pytest.mark.parametrize('fp16', [False, True])
def test_engine_matches_onnxruntime(exported, tmp_path, fp16):
    """Build the family's TensorRT-targeted export and run it."""
    from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner
    onnx_file = str(exported.onnx['labels'])
    engine = mmcrack_trt.build_engine(
        onnx_file, str(tmp_path / 'end2end.engine'), fp16=fp16)
    runner = mmcrack_trt.TensorRTRunner(engine)
    reference = OnnxRuntimeRunner(onnx_file)
    for inputs in exported.inputs.split(1):
        labels = runner(inputs)
        assert labels.dtype == np.int64
        agreement = (labels == reference(inputs)).mean()
        assert agreement >= (0.99 if fp16 else 0.999)
        on_gpu = runner.forward(inputs.cuda())
        assert on_gpu.is_cuda and on_gpu.shape == labels.shape
