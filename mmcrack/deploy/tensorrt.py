"""Build and run TensorRT 10 engines from mmcrack's ONNX exports.

mmdeploy 1.3.1's ``TRTWrapper`` and engine builder use the binding-index API
that TensorRT 10 removed (``get_binding_index``, ``execute_async_v2``, ...;
open-mmlab/mmdeploy#2758), and its bundled ``libmmdeploy_tensorrt_ops.so``
links TensorRT 8. Segmentors need none of those custom plugins, so this
module talks to TensorRT directly, with the name-based I/O tensor API
(TensorRT >= 8.5, the only one in 10):

* :func:`build_engine` parses the ONNX file (explicit batch), sets the
  workspace with ``set_memory_pool_limit``, the FP16 flag and one
  optimization profile for inputs with dynamic axes, and serializes the
  engine.
* :class:`TensorRTRunner` deserializes an engine and runs it with
  ``set_input_shape`` / ``set_tensor_address`` / ``execute_async_v3`` on
  torch CUDA tensors, whatever the output dtype (int64 label maps included).

Both raise :class:`TensorRTUnavailable` (an ImportError) naming what is
missing where TensorRT or a CUDA GPU is absent.
"""
import os
from typing import Dict, Optional, Sequence, Union

import numpy as np

INSTALL_HINT = ('TensorRT 10 runs on NVIDIA GPUs only: on a CUDA 12 machine '
                '`pip install tensorrt` (or tensorrt-cu12), with a CUDA '
                'build of torch')

#: Names accepted for ``log_level`` (mmdeploy configs pass the same names).
LOG_LEVELS = ('VERBOSE', 'INFO', 'WARNING', 'ERROR', 'INTERNAL_ERROR')


class TensorRTUnavailable(ImportError):
    """TensorRT or a CUDA GPU is missing; the message says how to get it."""


def import_tensorrt():
    """Import TensorRT, or raise :class:`TensorRTUnavailable`."""
    try:
        import tensorrt as trt
    except ImportError as e:
        raise TensorRTUnavailable(
            f'The tensorrt backend needs the TensorRT Python package, which '
            f'is not installed ({e}). {INSTALL_HINT}.') from e
    if not hasattr(trt, 'Builder'):
        # PyPI's `tensorrt` is a stub until its NVIDIA wheels install.
        raise TensorRTUnavailable(
            f'The installed tensorrt package ({trt.__file__}) is a stub '
            f'without the TensorRT libraries. {INSTALL_HINT}.')
    major = int(trt.__version__.split('.')[0])
    if major < 10:
        raise TensorRTUnavailable(
            f'mmcrack needs TensorRT >= 10 (found {trt.__version__}); '
            f'{INSTALL_HINT}.')
    return trt


def require_cuda(device: str = 'cuda:0'):
    """Return ``torch.device(device)`` if it is a usable CUDA device."""
    import torch
    if not str(device).startswith('cuda'):
        raise ValueError(f'TensorRT runs on CUDA devices, not {device!r}.')
    if not torch.cuda.is_available():
        raise TensorRTUnavailable(
            f'The tensorrt backend needs a CUDA GPU, but torch '
            f'{torch.__version__} sees none (torch.cuda.is_available() is '
            f'False). {INSTALL_HINT}.')
    return torch.device(device)


def _logger(trt, log_level: Union[str, int]):
    if isinstance(log_level, str):
        if log_level.upper() not in LOG_LEVELS:
            raise ValueError(
                f'log_level must be one of {LOG_LEVELS}, not {log_level!r}.')
        log_level = getattr(trt.Logger, log_level.upper())
    return trt.Logger(log_level)


def build_engine(onnx_file: str,
                 engine_file: str,
                 input_shapes: Optional[Dict[str, Dict[str,
                                                       Sequence[int]]]] = None,
                 fp16: bool = False,
                 max_workspace_size: int = 0,
                 log_level: Union[str, int] = 'WARNING') -> str:
    """Build a TensorRT 10 engine from an ONNX file.

    Args:
        onnx_file (str): The ONNX model (standard operators only, see
            :mod:`mmcrack.deploy.trt_support`).
        engine_file (str): Where to write the serialized engine.
        input_shapes (dict, optional): ``{input name: dict(min_shape=...,
            opt_shape=..., max_shape=...)}``, mmdeploy's
            ``backend_config.model_inputs[0].input_shapes``. Needed for
            every input with a dynamic axis; a static input may be left
            out (its shape is used for all three).
        fp16 (bool): Allow FP16 kernels (``BuilderFlag.FP16``). Defaults to
            False.
        max_workspace_size (int): Workspace limit in bytes
            (``MemoryPoolType.WORKSPACE``); 0 keeps TensorRT's default, the
            device's memory. Defaults to 0.
        log_level (str | int): TensorRT logger level. Defaults to
            'WARNING'.

    Returns:
        str: ``engine_file``.
    """
    trt = import_tensorrt()
    input_shapes = input_shapes or {}
    logger = _logger(trt, log_level)
    builder = trt.Builder(logger)
    # Networks are always explicit-batch in TensorRT 10 (the
    # EXPLICIT_BATCH creation flag is deprecated and ignored).
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(os.fspath(onnx_file)):
        errors = '\n'.join(
            str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(
            f'TensorRT could not parse {onnx_file}:\n{errors}\nCheck the '
            'graph with mmcrack.deploy.trt_support.check_onnx.')
    config = builder.create_builder_config()
    if max_workspace_size:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE,
                                     int(max_workspace_size))
    if fp16:
        if not builder.platform_has_fast_fp16:
            raise RuntimeError('fp16 was asked for, but this GPU has no '
                               'fast FP16.')
        config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    dynamic = False
    names = [network.get_input(i).name for i in range(network.num_inputs)]
    unknown = sorted(set(input_shapes) - set(names))
    if unknown:
        raise ValueError(f'input_shapes names {unknown}, which are not '
                         f'inputs of the network; its inputs are {names}.')
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        shape = tuple(tensor.shape)
        given = input_shapes.get(tensor.name)
        if given is None:
            if any(dim < 0 for dim in shape):
                raise ValueError(
                    f'Input {tensor.name!r} has dynamic shape {shape}: give '
                    f'its min_shape/opt_shape/max_shape in input_shapes.')
            continue
        dynamic = True
        min_shape, opt_shape, max_shape = (
            tuple(given[key]) for key in ('min_shape', 'opt_shape',
                                          'max_shape'))
        for name, value in (('min_shape', min_shape),
                            ('opt_shape', opt_shape),
                            ('max_shape', max_shape)):
            if len(value) != len(shape) or any(
                    dim >= 0 and dim != v for dim, v in zip(shape, value)):
                raise ValueError(
                    f'{name} {value} of input {tensor.name!r} does not fit '
                    f'its ONNX shape {shape} (-1 marks a dynamic axis).')
        profile.set_shape(tensor.name, min_shape, opt_shape, max_shape)
    if dynamic:
        config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(
            f'TensorRT failed to build an engine from {onnx_file}; rerun '
            "with log_level='VERBOSE' for the reason.")
    os.makedirs(os.path.dirname(os.path.abspath(engine_file)), exist_ok=True)
    with open(engine_file, 'wb') as f:
        f.write(serialized)
    return engine_file


def build_engine_from_config(onnx_file: str, engine_file: str,
                             deploy_cfg) -> str:
    """:func:`build_engine` with the settings of an mmdeploy TensorRT
    ``backend_config`` (``common_config`` and ``model_inputs[0]``)."""
    backend_config = deploy_cfg['backend_config']
    common = backend_config.get('common_config', {})
    model_inputs = backend_config.get('model_inputs', [])
    if len(model_inputs) > 1:
        raise ValueError('mmcrack builds one engine (one entry in '
                         'backend_config.model_inputs).')
    input_shapes = model_inputs[0].get('input_shapes') if model_inputs else {}
    return build_engine(
        onnx_file,
        engine_file,
        input_shapes=input_shapes,
        fp16=common.get('fp16_mode', False),
        max_workspace_size=common.get('max_workspace_size', 0),
        log_level=common.get('log_level', 'WARNING'))


def _torch_dtype(trt, dtype):
    import torch
    table = {
        trt.float32: torch.float32,
        trt.float16: torch.float16,
        trt.int32: torch.int32,
        trt.int64: torch.int64,
        trt.int8: torch.int8,
        trt.uint8: torch.uint8,
        trt.bool: torch.bool,
    }
    if hasattr(trt, 'bfloat16'):
        table[trt.bfloat16] = torch.bfloat16
    if dtype not in table:
        raise TypeError(f'TensorRT dtype {dtype} has no torch equivalent.')
    return table[dtype]


class TensorRTRunner:
    """Run a TensorRT 10 engine of an mmcrack segmentor.

    Args:
        model_file (str): The serialized engine (``end2end.engine`` of
            ``tools/deploy.py``), built by :func:`build_engine` with the
            same TensorRT version on the same GPU model.
        device (str): CUDA device. Defaults to 'cuda:0'.
        log_level (str): TensorRT logger level. Defaults to 'WARNING'.

    Call it with the preprocessed ``N x 3 x H x W`` batch (numpy array or
    torch tensor, on any device); it returns the single output as a numpy
    array, like :class:`~mmcrack.deploy.onnxruntime.OnnxRuntimeRunner`.
    :meth:`forward` keeps everything on the GPU (torch tensors in and out),
    for benchmarks and pipelines that stay on the device.
    """

    backend = 'tensorrt'

    def __init__(self,
                 model_file: str,
                 device: str = 'cuda:0',
                 log_level: str = 'WARNING') -> None:
        import torch
        trt = import_tensorrt()
        self.device = require_cuda(device)
        if not os.path.isfile(model_file):
            raise FileNotFoundError(f'TensorRT engine {model_file} not found.')
        self._trt = trt
        self.model_file = model_file
        with torch.cuda.device(self.device):
            self.runtime = trt.Runtime(_logger(trt, log_level))
            with open(model_file, 'rb') as f:
                self.engine = self.runtime.deserialize_cuda_engine(f.read())
            if self.engine is None:
                raise RuntimeError(
                    f'TensorRT could not deserialize {model_file}: engines '
                    'only load with the TensorRT version and GPU model that '
                    'built them; rebuild it with tools/deploy.py.')
            self.context = self.engine.create_execution_context()
        names = [
            self.engine.get_tensor_name(i)
            for i in range(self.engine.num_io_tensors)
        ]
        self.input_names = [
            n for n in names
            if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT
        ]
        self.output_names = [
            n for n in names
            if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT
        ]
        if len(self.input_names) != 1 or len(self.output_names) != 1:
            raise ValueError(
                f'{model_file} has inputs {self.input_names} and outputs '
                f'{self.output_names}; a segmentor has one of each.')
        self.input_dtype = _torch_dtype(
            trt, self.engine.get_tensor_dtype(self.input_names[0]))
        self.output_dtype = _torch_dtype(
            trt, self.engine.get_tensor_dtype(self.output_names[0]))
        #: The output is a label map (an export with with_argmax=True).
        self.outputs_labels = not self.output_dtype.is_floating_point
        #: Engine input shape; -1 marks a dynamic axis.
        self.input_shape = tuple(
            self.engine.get_tensor_shape(self.input_names[0]))

    def forward(self, inputs):
        """Run on a batch; return the output as a CUDA tensor."""
        import torch
        x = torch.as_tensor(inputs).to(
            self.device, self.input_dtype).contiguous()
        name = self.input_names[0]
        if not self.context.set_input_shape(name, tuple(x.shape)):
            raise ValueError(
                f'Input shape {tuple(x.shape)} is outside the engine\'s '
                f'profile (engine shape {self.input_shape}).')
        self.context.set_tensor_address(name, x.data_ptr())
        out_name = self.output_names[0]
        out_shape = tuple(self.context.get_tensor_shape(out_name))
        output = torch.empty(
            out_shape, dtype=self.output_dtype, device=self.device)
        self.context.set_tensor_address(out_name, output.data_ptr())
        stream = torch.cuda.current_stream(self.device)
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise RuntimeError(f'TensorRT failed to run {self.model_file}.')
        return output

    def __call__(self, inputs) -> np.ndarray:
        """Run on a batch; return the output as a numpy array."""
        output = self.forward(inputs)
        return output.cpu().numpy()
