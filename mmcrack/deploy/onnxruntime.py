"""Run an exported segmentor with ONNX Runtime.

:class:`OnnxRuntimeRunner` has the interface of every mmcrack runner (see
:func:`mmcrack.deploy.build_runner`): construct it with the model file and a
device, call it with the preprocessed ``N x 3 x H x W`` float batch, get the
model's output as a numpy array.
"""
import os
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

if TYPE_CHECKING:
    import torch

INSTALL_HINT = ('pip install onnxruntime (CPU) or onnxruntime-gpu (CUDA); '
                'see requirements/deploy.txt')


def physical_cpu_cores() -> int:
    """Physical cores among the CPUs this process may run on.

    Hyper-threads share a core's vector units, so more ONNX Runtime threads
    than cores only add contention. Read from ``/sys`` topology where Linux
    provides it, else ``os.cpu_count()``.
    """
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        base = f'/sys/devices/system/cpu/cpu{cpu}/topology/'
        try:
            with open(base + 'physical_package_id') as f:
                package = f.read().strip()
            with open(base + 'core_id') as f:
                cores.add((package, f.read().strip()))
        except OSError:
            return len(cpus)
    return max(len(cores), 1)


def session_options(num_threads: Optional[int] = None,
                    optimization_level: str = 'all',
                    allow_spinning: bool = False,
                    profile: bool = False):
    """The session options mmcrack runs segmentors with.

    Args:
        num_threads (int, optional): Intra-op threads; defaults to
            :func:`physical_cpu_cores`. Sequential execution: the graphs
            are chains, so inter-op parallelism only adds thread hops.
        optimization_level (str): 'disable', 'basic', 'extended' or 'all'.
            'all' adds ONNX Runtime's CPU layout transform (NCHWc blocked
            convolutions with fused activations and sums). Defaults to
            'all'.
        allow_spinning (bool): Let idle intra-op threads spin between ops
            (ONNX Runtime's default). Off by default: on cores shared with
            other processes the spinning threads take their time slices
            (``docs/benchmark.md`` has the measurement); turn it on for
            cores of its own.
        profile (bool): Write an ONNX Runtime profile. Defaults to False.
    """
    ort = _import_onnxruntime()
    levels = dict(
        disable=ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        basic=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        extended=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        all=ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads or physical_cpu_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = levels[optimization_level]
    options.enable_profiling = profile
    options.add_session_config_entry('session.intra_op.allow_spinning',
                                     '1' if allow_spinning else '0')
    options.log_severity_level = 3
    return options


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as e:
        raise ImportError(
            f'The onnxruntime backend needs ONNX Runtime: {INSTALL_HINT}.'
        ) from e
    return onnxruntime


#: ONNX metadata keys that tools/deploy.py writes: the model's decision
#: threshold, and whether the graph's label output applies it already.
THRESHOLD_KEY = 'mmcrack_threshold'
THRESHOLD_IN_GRAPH_KEY = 'mmcrack_threshold_in_graph'


class OnnxRuntimeRunner:
    """Run an ONNX segmentor with ONNX Runtime.

    Args:
        model_file (str): The ``.onnx`` file (``end2end.onnx`` of
            ``tools/deploy.py``).
        device (str): 'cpu', or 'cuda' / 'cuda:N' for the CUDA execution
            provider of onnxruntime-gpu. Defaults to 'cpu'.
        num_threads (int, optional): CPU intra-op threads; defaults to the
            physical cores.
        optimization_level (str): See :func:`session_options`. Defaults to
            'all'.
        allow_spinning (bool): See :func:`session_options`. Defaults to
            False.

    Call it with the preprocessed batch (``N x 3 x H x W`` float32: the
    data preprocessor's mean/std normalization applied, in the channel
    order the model was trained with), a numpy array or a torch tensor.
    It returns the graph's single output as a numpy array: the label map
    ``N x 1 x H x W`` (int64) for a deployment config with
    ``with_argmax=True``, else the logits ``N x C x H x W``.
    """

    backend = 'onnxruntime'

    def __init__(self,
                 model_file: str,
                 device: str = 'cpu',
                 num_threads: Optional[int] = None,
                 optimization_level: str = 'all',
                 allow_spinning: bool = False) -> None:
        ort = _import_onnxruntime()
        if not os.path.isfile(model_file):
            raise FileNotFoundError(f'ONNX model {model_file} not found.')
        providers = ['CPUExecutionProvider']
        if device.startswith('cuda'):
            if 'CUDAExecutionProvider' not in ort.get_available_providers():
                raise RuntimeError(
                    f'device={device!r} needs the CUDA execution provider, '
                    'which this onnxruntime build lacks: pip install '
                    'onnxruntime-gpu on a CUDA machine, or use device="cpu".')
            device_id = int(device.split(':')[1]) if ':' in device else 0
            providers.insert(0, ('CUDAExecutionProvider',
                                 dict(device_id=device_id)))
        elif device != 'cpu':
            raise ValueError(f'device must be "cpu" or "cuda[:N]", not '
                             f'{device!r}.')
        self.model_file = model_file
        self.device = device
        self.session = ort.InferenceSession(
            model_file,
            session_options(num_threads, optimization_level,
                            allow_spinning),
            providers=providers)
        inputs = self.session.get_inputs()
        outputs = self.session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ValueError(
                f'{model_file} has {len(inputs)} inputs and {len(outputs)} '
                'outputs; a segmentor export has one of each.')
        self.input_name = inputs[0].name
        self.output_name = outputs[0].name
        #: Shape of the input, ints for static axes, names for dynamic ones.
        self.input_shape = inputs[0].shape
        #: The output is a label map (an export with with_argmax=True).
        self.outputs_labels = 'int' in outputs[0].type
        meta = self.session.get_modelmeta().custom_metadata_map
        #: The decision threshold that tools/deploy.py recorded (a published
        #: model's), or None; None too when the graph's labels apply it.
        self.threshold = (
            float(meta[THRESHOLD_KEY]) if THRESHOLD_KEY in meta
            and meta.get(THRESHOLD_IN_GRAPH_KEY) != 'True' else None)

    def __call__(self, inputs: Union[np.ndarray, 'torch.Tensor']
                 ) -> np.ndarray:
        """Run the model on one preprocessed batch."""
        if not isinstance(inputs, np.ndarray):
            inputs = inputs.detach().cpu().numpy()
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        return self.session.run([self.output_name],
                                {self.input_name: inputs})[0]
