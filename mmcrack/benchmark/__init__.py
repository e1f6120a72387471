"""Size, cost and speed of segmentors on every backend a machine has.

``tools/benchmark.py`` is the command line of this package; from Python::

    from mmcrack.benchmark import BenchmarkModel, measure_inference
    timings = measure_inference([BenchmarkModel('hrsegnet-b16', cfg)],
                                ['pytorch', 'onnxruntime'], (400, 400))

* :mod:`~mmcrack.benchmark.backends`: the backends and which ones a
  machine has;
* :mod:`~mmcrack.benchmark.model_cases`: one model built for inference,
  exported and loaded on every backend, running what the exported graph
  computes;
* :mod:`~mmcrack.benchmark.gemm_reference`: the large-GEMM rate each
  backend's MAC rate is compared with;
* :mod:`~mmcrack.benchmark.timing`: warm-up, then round-robin timing, and
  the latency and throughput of each case;
* :mod:`~mmcrack.benchmark.inference_speed`: all of it for several models;
* :mod:`~mmcrack.benchmark.comparison_models`: the real-time models of the
  HrSegNet paper's comparison, from mmseg's configs;
* :mod:`~mmcrack.benchmark.training_speed`: training throughput and
  data-wait share;
* :mod:`~mmcrack.benchmark.report`: the markdown table and the machine.
"""
from .backends import (ALL_BACKENDS, CPU_BACKENDS, CUDA_BACKENDS,
                       ONNX_BACKENDS, available_backends)
from .comparison_models import COMPARE_MODELS, compare_config
from .gemm_reference import GEMM_OF, GEMM_SIZES, gemm_cases, gemm_name
from .inference_speed import BenchmarkModel, measure_inference
from .model_cases import model_cases, sample_image
from .report import (load_average, machine_info, markdown_table,
                     training_summary)
from .timing import Case, time_cases
from .training_speed import measure_training

__all__ = [
    'ALL_BACKENDS', 'CPU_BACKENDS', 'CUDA_BACKENDS', 'ONNX_BACKENDS',
    'available_backends', 'COMPARE_MODELS', 'compare_config', 'GEMM_OF',
    'GEMM_SIZES', 'gemm_cases', 'gemm_name', 'BenchmarkModel',
    'measure_inference', 'model_cases', 'sample_image', 'load_average',
    'machine_info', 'markdown_table', 'training_summary', 'Case',
    'time_cases', 'measure_training'
]
