"""The machine's large-GEMM rate, the reference of the models' MAC rates.

A square matrix product large enough to run at a backend's peak rate is
timed in the same rounds as the models, on each backend family the
benchmark measures (:data:`GEMM_OF`): in torch on the CPU and on the GPU,
as an ONNX Runtime ``MatMul``, and for the INT8 rows the same ``MatMul``
quantized as the models are. A row's MAC rate as a share of its family's
GEMM rate says how close the model runs to what the hardware sustains.
:data:`GEMM_SIZES` is the one place that sets each product's size; a
case's name (:func:`gemm_name`) and MACs are derived from it.
"""
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .backends import CUDA_BACKENDS
from .timing import Case

#: Side of the square matrices of each GEMM reference.
GEMM_SIZES = {
    'torch-cpu': 2048,
    'onnxruntime-cpu': 2048,
    'onnxruntime-int8-cpu': 2048,
    'torch-cuda': 4096,
}
#: The GEMM reference a backend's MAC rate is compared with.
GEMM_OF = {
    'pytorch': 'torch-cpu',
    'onnxruntime': 'onnxruntime-cpu',
    'onnxruntime-int8': 'onnxruntime-int8-cpu',
    **{backend: 'torch-cuda'
       for backend in CUDA_BACKENDS}
}


def gemm_name(size: int) -> str:
    """The model name of a GEMM reference: ``'GEMM <size>^3'``."""
    return f'GEMM {size}^3'


def _base(size: int) -> dict:
    return dict(model=gemm_name(size), params=0, macs=size**3)


def torch_gemm_case(size: int, device: str = 'cpu') -> Case:
    """``size x size`` fp32 matrices multiplied in torch on ``device``
    (backend ``torch-cpu`` or ``torch-cuda``)."""
    a, b = (torch.randn(size, size, device=device) for _ in range(2))
    is_cuda = torch.device(device).type == 'cuda'
    return Case(
        _base(size), 'torch-cuda' if is_cuda else 'torch-cpu',
        lambda: torch.matmul(a, b),
        torch.cuda.synchronize if is_cuda else None)


def _matmul_model(size: int, rng: np.random.RandomState):
    """``C = A @ B``, ``B`` a constant: an fp32 ONNX model."""
    from onnx import TensorProto, helper, numpy_helper

    from mmcrack.utils.compat import make_onnx_model
    weight = numpy_helper.from_array(
        rng.randn(size, size).astype(np.float32), 'B')
    graph = helper.make_graph(
        [helper.make_node('MatMul', ['A', 'B'], ['C'])], 'gemm',
        [helper.make_tensor_value_info('A', TensorProto.FLOAT, [size, size])],
        [helper.make_tensor_value_info('C', TensorProto.FLOAT, [size, size])],
        [weight])
    return make_onnx_model(graph, opset=17)


def _session_case(model_file, size: int, backend: str, a: np.ndarray,
                  threads: int) -> Case:
    import onnxruntime as ort

    from mmcrack.deploy.onnxruntime import session_options
    session = ort.InferenceSession(
        model_file, session_options(threads),
        providers=['CPUExecutionProvider'])
    return Case(_base(size), backend, lambda: session.run(None, {'A': a}))


def onnxruntime_gemm_case(size: int, threads: int) -> Case:
    """The fp32 ``MatMul`` in ONNX Runtime with mmcrack's session options
    (backend ``onnxruntime-cpu``)."""
    rng = np.random.RandomState(0)
    model = _matmul_model(size, rng)
    a = rng.randn(size, size).astype(np.float32)
    return _session_case(model.SerializeToString(), size, 'onnxruntime-cpu',
                         a, threads)


def onnxruntime_int8_gemm_case(size: int, threads: int) -> Case:
    """The ``MatMul`` quantized with the models' settings (QDQ, uint8
    activations, per-channel int8 weights), which ONNX Runtime runs as an
    integer matmul (backend ``onnxruntime-int8-cpu``)."""
    import onnx
    from onnxruntime.quantization import (QuantFormat, QuantType,
                                          quantize_static)
    rng = np.random.RandomState(0)
    model = _matmul_model(size, rng)
    a = rng.rand(size, size).astype(np.float32)

    class Calibration:
        """One batch: ``a``."""
        done = False

        def get_next(self) -> Optional[Dict[str, np.ndarray]]:
            if self.done:
                return None
            self.done = True
            return {'A': a}

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = osp.join(tmp, 'gemm.onnx'), osp.join(tmp, 'gemm-int8.onnx')
        onnx.save(model, src)
        quantize_static(
            src,
            dst,
            Calibration(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8)
        return _session_case(dst, size, 'onnxruntime-int8-cpu', a, threads)


def gemm_cases(backends: Sequence[str],
               threads: int,
               sizes: Optional[Dict[str, int]] = None) -> List[Case]:
    """The GEMM references of ``backends`` (one per family of
    :data:`GEMM_OF`; ``torch-cuda`` only where torch sees a GPU).

    Args:
        backends (Sequence[str]): The benchmark's backends.
        threads (int): CPU threads of the ONNX Runtime sessions.
        sizes (dict, optional): Matrix side per reference. Defaults to
            :data:`GEMM_SIZES`.
    """
    sizes = GEMM_SIZES if sizes is None else sizes
    wanted = {GEMM_OF[backend] for backend in backends}
    cases = []
    if 'torch-cpu' in wanted:
        cases.append(torch_gemm_case(sizes['torch-cpu']))
    if 'onnxruntime-cpu' in wanted:
        cases.append(onnxruntime_gemm_case(sizes['onnxruntime-cpu'], threads))
    if 'onnxruntime-int8-cpu' in wanted:
        cases.append(
            onnxruntime_int8_gemm_case(sizes['onnxruntime-int8-cpu'],
                                       threads))
    if 'torch-cuda' in wanted and torch.cuda.is_available():
        cases.append(torch_gemm_case(sizes['torch-cuda'], 'cuda'))
    return cases
