"""The backends the benchmark measures, and which of them a machine has.

* ``pytorch``: what the exported graph computes
  (:class:`~mmcrack.deploy.exported_graph.ExportedGraph`), eager fp32 on the
  CPU;
* ``cuda``, ``cuda-fp16``, ``cuda-channels-last``, ``cuda-graph``: the same
  on the GPU in fp32, autocast fp16, channels-last fp16, and fp16 replayed
  as a CUDA graph;
* ``onnxruntime``: the graph exported as ``tools/deploy.py`` exports it,
  run with mmcrack's session options;
* ``onnxruntime-int8``: that graph quantized to static INT8 as
  ``tools/deploy.py`` does with an ``-int8`` deployment config;
* ``tensorrt``, ``tensorrt-fp16``: engines built from that graph.
"""
from typing import List, Optional, Sequence

import torch

CPU_BACKENDS = ('pytorch', 'onnxruntime', 'onnxruntime-int8')
CUDA_BACKENDS = ('cuda', 'cuda-fp16', 'cuda-channels-last', 'cuda-graph',
                 'tensorrt', 'tensorrt-fp16')
ALL_BACKENDS = CPU_BACKENDS + CUDA_BACKENDS
#: The backends that run the exported ONNX graph.
ONNX_BACKENDS = ('onnxruntime', 'onnxruntime-int8', 'tensorrt',
                 'tensorrt-fp16')


def available_backends(
        requested: Optional[Sequence[str]] = None) -> List[str]:
    """The ``requested`` backends, or every one this machine can run:
    ``pytorch``; the ONNX Runtime ones where onnxruntime and mmdeploy are
    installed; the CUDA ones where torch sees a GPU, and the TensorRT ones
    there too with TensorRT 10."""
    if requested:
        return list(requested)
    backends = ['pytorch']
    try:
        import mmdeploy  # noqa: F401
        import onnxruntime  # noqa: F401
        backends += ['onnxruntime', 'onnxruntime-int8']
    except ImportError:
        pass
    if torch.cuda.is_available():
        backends += ['cuda', 'cuda-fp16', 'cuda-channels-last', 'cuda-graph']
        try:
            from mmcrack.deploy.tensorrt import import_tensorrt
            import_tensorrt()
            backends += ['tensorrt', 'tensorrt-fp16']
        except ImportError:
            pass
    return backends
