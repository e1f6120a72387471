"""One entry point for every inference backend: :func:`build_runner`."""
from typing import Optional

#: The deployed-model backends and the device each uses by default.
DEFAULT_DEVICES = dict(onnxruntime='cpu', tensorrt='cuda:0')


def build_runner(backend: str,
                 model_file: str,
                 device: Optional[str] = None,
                 **kwargs):
    """Build the runner of ``backend`` for a deployed model.

    Every runner is called the same way::

        runner = build_runner('onnxruntime', 'work_dir/end2end.onnx')
        out = runner(inputs)   # inputs: N x 3 x H x W float32 (numpy or
                               # torch), normalized as the model's data
                               # preprocessor does; out: numpy array, the
                               # N x 1 x H x W int64 label map (deployment
                               # configs with with_argmax=True) or the
                               # N x C x H x W logits

    A static-shape export only takes its ``input_shape``; resize the image
    to it first. ``runner.input_shape`` tells the shape the model takes.

    Args:
        backend (str): 'onnxruntime' or 'tensorrt'.
        model_file (str): ``end2end.onnx`` or ``end2end.engine`` written by
            ``tools/deploy.py``.
        device (str, optional): Defaults to 'cpu' for onnxruntime and
            'cuda:0' for tensorrt.
        **kwargs: Extra arguments of the runner class
            (:class:`~mmcrack.deploy.onnxruntime.OnnxRuntimeRunner`,
            :class:`~mmcrack.deploy.tensorrt.TensorRTRunner`).

    Raises:
        ImportError: If the backend's package (or, for TensorRT, a CUDA
            GPU) is missing; the message says how to install it.
    """
    if backend not in DEFAULT_DEVICES:
        raise ValueError(
            f'backend must be one of {sorted(DEFAULT_DEVICES)}, not '
            f'{backend!r}.')
    device = device or DEFAULT_DEVICES[backend]
    if backend == 'onnxruntime':
        from .onnxruntime import OnnxRuntimeRunner
        return OnnxRuntimeRunner(model_file, device=device, **kwargs)
    from .tensorrt import TensorRTRunner
    return TensorRTRunner(model_file, device=device, **kwargs)
