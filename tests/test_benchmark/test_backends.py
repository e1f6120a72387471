"""mmcrack.benchmark.backends: which backends a machine has."""
import torch

from mmcrack.benchmark import (ALL_BACKENDS, CPU_BACKENDS, CUDA_BACKENDS,
                               ONNX_BACKENDS, available_backends)


def test_requested_backends_are_kept():
    assert available_backends(['onnxruntime', 'pytorch']) == [
        'onnxruntime', 'pytorch'
    ]


def test_this_machines_backends():
    backends = available_backends()
    # onnxruntime and mmdeploy are installed with mmcrack's deploy extras.
    assert backends[:3] == ['pytorch', 'onnxruntime', 'onnxruntime-int8']
    assert set(backends) <= set(ALL_BACKENDS)
    assert any(b in CUDA_BACKENDS
               for b in backends) == torch.cuda.is_available()


def test_backend_families():
    assert set(ALL_BACKENDS) == set(CPU_BACKENDS) | set(CUDA_BACKENDS)
    assert set(ONNX_BACKENDS) <= set(ALL_BACKENDS)
