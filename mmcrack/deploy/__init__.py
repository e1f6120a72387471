"""Deployment: ONNX export through mmdeploy, ONNX Runtime and TensorRT 10
runners, and the TensorRT operator check.

Only the standard library and numpy are imported here; each backend's
package is imported when it is used, so ``import mmcrack.deploy`` works
without onnxruntime, mmdeploy or TensorRT.
"""
from .builder import DEFAULT_DEVICES, build_runner

__all__ = ['DEFAULT_DEVICES', 'build_runner']
