"""One model on every backend, built, exported and loaded, ready to time.

Every backend runs what the deployed graph computes
(:class:`~mmcrack.deploy.exported_graph.ExportedGraph`): backbone, decode
head, the resize to the input size and the label map. The model is built
for inference by :func:`~mmcrack.apis.init_model`, exported as
``tools/deploy.py`` exports it (mmdeploy, static shape, label map in the
graph, mmcrack's graph passes) and run with mmcrack's runners.
"""
import copy
import logging
import os
import os.path as osp
import traceback
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log

from mmcrack.apis import init_model
from mmcrack.apis.model_index import index_dir
from mmcrack.deploy.exported_graph import ExportedGraph
from mmcrack.utils.complexity import profile_call
from .backends import ONNX_BACKENDS
from .timing import Case

#: The deployment config the ONNX backends' graph is exported with (its
#: input shape is set to the benchmark's).
DEPLOY_CONFIG = osp.join('configs', 'deploy',
                         'segmentation_onnxruntime_static-400x400.py')
#: Photos the INT8 model is calibrated on by default: enough to time it.
DEFAULT_CALIB_COUNT = 16


def log_failure() -> None:
    """Log the exception being handled, whose case is reported as failed
    while the benchmark goes on."""
    print_log(traceback.format_exc(), logger='current', level=logging.WARNING)


def sample_image(shape: Sequence[int],
                 photo_dir: Optional[str] = None) -> np.ndarray:
    """An ``H x W x 3`` BGR image to trace the export with and, without
    calibration photos, to calibrate the INT8 model on: the first photo of
    ``photo_dir`` resized to ``shape``, or uniform noise."""
    if photo_dir is not None and osp.isdir(photo_dir):
        import mmcv
        files = sorted(os.listdir(photo_dir))
        if files:
            img = mmcv.imread(osp.join(photo_dir, files[0]))
            return mmcv.imresize(img, (shape[1], shape[0]))
    return np.random.RandomState(0).randint(
        0, 256, (shape[0], shape[1], 3), dtype=np.uint8)


def export_for_benchmark(cfg: Config, checkpoint: Optional[str],
                         shape: Sequence[int], batch: int, work_dir: str,
                         sample_img: np.ndarray) -> str:
    """Export ``cfg`` as ``tools/deploy.py`` does, with the static input
    ``batch x 3 x H x W``; returns the ONNX file."""
    from mmcrack.deploy.convert import export_onnx
    deploy_cfg = Config.fromfile(osp.join(index_dir(), DEPLOY_CONFIG))
    deploy_cfg.onnx_config.input_shape = [shape[1], shape[0]]
    return export_onnx(deploy_cfg, cfg, [sample_img] * batch, work_dir,
                       checkpoint, 'cpu')


def onnxruntime_int8_case(base: dict, cfg: Config, onnx_file: str,
                          inputs: np.ndarray, sample_img: np.ndarray,
                          threads: int,
                          calib_data: Optional[str] = None) -> Case:
    """The ``onnxruntime-int8`` case: ``onnx_file`` quantized as
    ``tools/deploy.py`` quantizes it
    (:func:`~mmcrack.deploy.quantization.quantize_onnx`), calibrated on the
    photos of ``calib_data`` or on ``sample_img`` (speed does not depend on
    the calibration). A failed quantization is the case's ``error``."""
    import mmcv

    from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner
    from mmcrack.deploy.quantization import quantize_onnx
    if calib_data is None:
        calib_data = osp.join(osp.dirname(onnx_file), 'calib')
        mmcv.imwrite(sample_img, osp.join(calib_data, 'sample.png'))
    int8_file = osp.splitext(onnx_file)[0] + '-int8.onnx'
    try:
        quantize_onnx(
            onnx_file,
            int8_file,
            cfg,
            calib_data,
            calib_count=DEFAULT_CALIB_COUNT)
    except Exception as e:  # noqa: BLE001  (report, go on)
        log_failure()
        return Case(
            base,
            'onnxruntime-int8',
            error=f'INT8 quantization failed: {type(e).__name__}: {e}')
    runner = OnnxRuntimeRunner(int8_file, num_threads=threads)
    return Case(base, 'onnxruntime-int8', lambda: runner(inputs))


def cuda_cases(base: dict, graph: nn.Module, inputs: torch.Tensor,
               backends: Sequence[str]) -> List[Case]:
    """The eager CUDA cases of ``backends``: fp32 (``cuda``), autocast fp16
    (``cuda-fp16``), channels-last fp16 (``cuda-channels-last``) and fp16
    replayed as a CUDA graph (``cuda-graph``). Without a GPU each case's
    ``error`` says so."""
    wanted = [b for b in backends if b.startswith('cuda')]
    if not torch.cuda.is_available():
        return [Case(base, b, error='torch sees no CUDA GPU') for b in wanted]
    sync = torch.cuda.synchronize
    model = copy.deepcopy(graph).cuda().eval()
    x = inputs.cuda()
    cases = []

    def run(module, batch, fp16):
        with torch.inference_mode(), torch.autocast(
                'cuda', dtype=torch.float16, enabled=fp16):
            return module(batch)

    if 'cuda' in wanted:
        cases.append(Case(base, 'cuda', lambda: run(model, x, False), sync))
    if 'cuda-fp16' in wanted:
        cases.append(
            Case(base, 'cuda-fp16', lambda: run(model, x, True), sync))
    if 'cuda-channels-last' in wanted:
        model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        cases.append(
            Case(base, 'cuda-channels-last',
                 lambda: run(model_cl, x_cl, True), sync))
    if 'cuda-graph' in wanted:
        static_x = x.clone()
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                run(model, static_x, True)
        torch.cuda.current_stream().wait_stream(stream)
        cuda_graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), torch.autocast(
                'cuda', dtype=torch.float16), torch.cuda.graph(cuda_graph):
            model(static_x)
        cases.append(Case(base, 'cuda-graph', cuda_graph.replay, sync))
    return cases


def model_cases(name: str,
                cfg: Config,
                checkpoint: Optional[str],
                backends: Sequence[str],
                shape: Sequence[int],
                work_dir: str,
                sample_img: np.ndarray,
                batch: int = 1,
                threads: int = 1,
                calib_data: Optional[str] = None) -> List[Case]:
    """Build, export and load one model on every backend, untimed.

    Args:
        name (str): The model's name in the rows.
        cfg (Config): Its config.
        checkpoint (str, optional): Its weights; without them the weights
            are random (:func:`~mmcrack.apis.init_model`).
        backends (Sequence[str]): Names of
            :data:`~mmcrack.benchmark.backends.ALL_BACKENDS`.
        shape (Sequence[int]): Input (H, W).
        work_dir (str): Where the exported files go (``work_dir/name``);
            they must stay until the cases are timed.
        sample_img (np.ndarray): A BGR image of that size
            (:func:`sample_image`).
        batch (int): Images per run. Defaults to 1.
        threads (int): CPU threads of the ONNX Runtime sessions.
        calib_data (str, optional): Photos to calibrate the INT8 model on.

    Returns:
        list[Case]: One per backend, each with ``params`` and ``macs`` of
        one image through the inference path (counted on the PyTorch
        modules that run) and a call that runs ``batch`` images; a backend
        that cannot run (failed export, no GPU, no TensorRT) has the reason
        as its ``error``.
    """
    h, w = shape
    graph = ExportedGraph(init_model(cfg, checkpoint))
    x = torch.from_numpy(
        np.random.RandomState(0).randn(batch, 3, h, w).astype(np.float32))
    base = dict(model=name, **profile_call(graph, x[:1]))
    cases = []
    if 'pytorch' in backends:

        def eager():
            with torch.inference_mode():
                return graph(x)

        cases.append(Case(base, 'pytorch', eager))
    if any(b.startswith('cuda') for b in backends):
        cases += cuda_cases(base, graph, x, backends)
    onnx_backends = [b for b in ONNX_BACKENDS if b in backends]
    if not onnx_backends:
        return cases
    try:
        onnx_file = export_for_benchmark(cfg, checkpoint, shape, batch,
                                         osp.join(work_dir, name), sample_img)
    except Exception as e:  # noqa: BLE001  (report, go on)
        log_failure()
        error = f'ONNX export failed: {type(e).__name__}: {e}'
        return cases + [Case(base, b, error=error) for b in onnx_backends]
    if 'onnxruntime' in backends:
        from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner
        runner = OnnxRuntimeRunner(onnx_file, num_threads=threads)
        x_np = x.numpy()
        cases.append(Case(base, 'onnxruntime', lambda: runner(x_np)))
    if 'onnxruntime-int8' in backends:
        cases.append(
            onnxruntime_int8_case(base, cfg, onnx_file, x.numpy(), sample_img,
                                  threads, calib_data))
    for backend in [b for b in onnx_backends if b.startswith('tensorrt')]:
        try:
            from mmcrack.deploy.tensorrt import TensorRTRunner, build_engine
            engine = build_engine(
                onnx_file,
                osp.join(work_dir, name, f'{backend}.engine'),
                fp16=backend.endswith('fp16'),
                max_workspace_size=1 << 30)
            trt_runner = TensorRTRunner(engine)
            x_cuda = x.cuda()
            cases.append(
                Case(base, backend, lambda r=trt_runner: r.forward(x_cuda),
                     torch.cuda.synchronize))
        except ImportError as e:
            cases.append(Case(base, backend, error=str(e)))
    return cases
