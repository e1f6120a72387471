"""Measure a segmentor's size, cost and speed on every backend present.

For one config (and optionally a checkpoint) at one input size, reports
parameters, MACs (``mmcrack.utils.complexity``, thop's rules) and
inference latency and throughput (warm-up runs, then timed runs: mean,
median, p90 latency, images/s) on the backends this machine has:

* ``pytorch``: eager fp32 on CPU;
* ``cuda``, ``cuda-fp16``, ``cuda-channels-last``, ``cuda-graph``: eager on
  the GPU in fp32, autocast fp16, channels-last fp16, and fp16 replayed as a
  CUDA graph (only where torch sees a GPU);
* ``onnxruntime``: the model exported as ``tools/deploy.py`` exports it
  (mmdeploy, static shape, ArgMax in the graph, :func:`optimize_onnx`), run
  with mmcrack's session options (intra-op threads = physical cores,
  sequential execution, graph optimization level ALL);
* ``onnxruntime-int8``: that ONNX file quantized to static INT8 as
  ``tools/deploy.py`` does with an ``-int8`` deployment config
  (:func:`mmcrack.deploy.quantization.quantize_onnx`, calibrated on
  ``--calib-data`` or, for speed alone, on the sample photo);
* ``tensorrt``, ``tensorrt-fp16``: engines built from that ONNX file (only
  with TensorRT 10 and a GPU).

Every backend runs what the deployed graph computes: backbone, decode
head, the resize to the input size and the argmax.

The same run measures the machine's large-GEMM rate (a 2048 x 2048 x 2048
fp32 matmul, in torch and as an ONNX Runtime MatMul, and for the INT8 row
the same MatMul quantized as the models are) and reports each
model's achieved MAC rate (its MACs, counted on the PyTorch modules, per
second) as a share of the GEMM rate of its backend.

All timings are taken in round robin (:func:`time_cases`): after the
warm-up, every model on every backend, and the GEMMs, run once per round,
so load that other processes put on the machine hits them alike and the
ratios are measured side by side.

``--compare`` adds the real-time models the HrSegNet paper compares with,
built from mmseg's own configs with 2 classes and random weights (nothing is
downloaded), and measured in the same process, so the "x" column (the
config's throughput over each model's, same backend) is a side-by-side
ratio. ``--train-iters N`` runs N training iterations of the config's own
train dataloader and optimizer and reports images/s and the share of each
iteration spent waiting for data.

Writes ``benchmark.md`` (the table) and ``benchmark.json`` (all numbers,
the machine and the command) to ``--out-dir``. Example (the numbers in the
README come from it)::

    python tools/benchmark.py \\
        configs/hrsegnet/hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py \\
        --shape 400 400 --compare --backends pytorch onnxruntime

Timings on a shared machine vary with its load: the JSON records the load
average before and after; compare only numbers from one run.
"""
import argparse
import copy
import inspect
import json
import logging
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
import traceback
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

import mmcrack  # noqa: F401  (compat fixes, modules)
from mmcrack.apis import load_model_checkpoint, resolve_model
from mmcrack.deploy.export import labels_from_logits
from mmcrack.utils.complexity import profile_call
from mmcrack.utils.pretrained import drop_pretrained
from mmcrack.utils.tool_utils import (add_cfg_options_arg, add_shape_arg,
                                      load_model_config)

MMSEG_CONFIGS = osp.join(
    osp.dirname(__import__('mmseg').__file__), '.mim', 'configs')

#: --compare: the real-time models of the HrSegNet paper's comparison
#: (Sec. 4.4), by mmseg's shipped configs.
COMPARE_MODELS = {
    'BiSeNetV2': 'bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py',
    'STDC1': 'stdc/stdc1_4xb12-80k_cityscapes-512x1024.py',
    'DDRNet-23-slim': ('ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_'
                       'cityscapes-1024x1024.py'),
    'PSPNet-R18': 'pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'DeepLabV3+-R18': ('deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_'
                       'cityscapes-512x1024.py'),
    'UNet': 'unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py',
    'OCRNet-HRNetW18': 'ocrnet/ocrnet_hr18_4xb2-40k_cityscapes-512x1024.py',
}
CPU_BACKENDS = ('pytorch', 'onnxruntime', 'onnxruntime-int8')
CUDA_BACKENDS = ('cuda', 'cuda-fp16', 'cuda-channels-last', 'cuda-graph',
                 'tensorrt', 'tensorrt-fp16')
ALL_BACKENDS = CPU_BACKENDS + CUDA_BACKENDS
#: Backend whose GEMM rate a backend's MAC rate is compared with.
GEMM_OF = {b: 'torch-cpu' for b in ('pytorch', )}
GEMM_OF.update({
    'onnxruntime': 'onnxruntime-cpu',
    'onnxruntime-int8': 'onnxruntime-int8-cpu'
})
GEMM_OF.update({b: 'torch-cuda' for b in CUDA_BACKENDS})


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'config',
        help='model config file, or a model name of the index '
        '(tools/infer.py --list-models), whose weights are loaded')
    parser.add_argument(
        '--checkpoint',
        help='weights to load (default: a name\'s published weights; for a '
        'config, random weights)')
    parser.add_argument(
        '--calib-data',
        metavar='DIR',
        help='training photos to calibrate the onnxruntime-int8 model on '
        '(default: the sample photo; enough to time it)')
    add_shape_arg(parser, (400, 400))
    parser.add_argument(
        '--batch', type=int, default=1, help='batch size (default: 1)')
    parser.add_argument(
        '--backends',
        nargs='+',
        default=None,
        choices=ALL_BACKENDS,
        help='backends to measure (default: every one this machine has)')
    parser.add_argument(
        '--warmup',
        type=int,
        default=10,
        help='untimed runs before timing (default: 10)')
    parser.add_argument(
        '--runs', type=int, default=50, help='timed runs (default: 50)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='CPU threads for torch and ONNX Runtime (default: the '
        'physical cores)')
    parser.add_argument(
        '--compare',
        action='store_true',
        help='also measure ' + ', '.join(COMPARE_MODELS) +
        " from mmseg's configs (2 classes, random weights)")
    parser.add_argument(
        '--compare-models',
        nargs='+',
        default=None,
        metavar='NAME',
        help='with --compare, only these of the models above')
    parser.add_argument(
        '--train-iters',
        type=int,
        default=0,
        help='also run this many training iterations with the config\'s '
        'train dataloader and report images/s and data-wait share '
        '(default: 0, skip)')
    parser.add_argument(
        '--train-warmup',
        type=int,
        default=2,
        help='untimed training iterations first (default: 2)')
    parser.add_argument(
        '--train-data',
        help='data_root for the training measurement: for a pixel-labelled '
        'config a folder with images/ and masks/ (e.g. ../shared/data/cfd), '
        'whose training images the config\'s split rule picks; for '
        'WP-CrackNet an image-level set made by tools/dataset_converters/'
        'make_weak_labels.py')
    parser.add_argument(
        '--train-batch', type=int, help='training batch size override')
    parser.add_argument(
        '--out-dir',
        default=None,
        help='where to write benchmark.md and benchmark.json (default: '
        'work_dirs/benchmark/<config name>)')
    add_cfg_options_arg(parser)
    args = parser.parse_args(argv)
    if args.compare_models:
        unknown = set(args.compare_models) - set(COMPARE_MODELS)
        if unknown:
            parser.error(f'unknown --compare-models {sorted(unknown)}; '
                         f'choose from {list(COMPARE_MODELS)}')
    return args


# --------------------------------------------------------------- models ---
def _set_num_classes(cfg, num_classes: int):
    if isinstance(cfg, dict):
        if 'num_classes' in cfg:
            cfg['num_classes'] = num_classes
        for value in cfg.values():
            _set_num_classes(value, num_classes)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _set_num_classes(value, num_classes)


def compare_config(name: str) -> Config:
    """mmseg's config of a comparison model: 2 classes, no pretrained
    weights, plain BN, whole-image inference."""
    cfg = Config.fromfile(osp.join(MMSEG_CONFIGS, COMPARE_MODELS[name]))
    model = cfg.model.to_dict() if hasattr(cfg.model,
                                            'to_dict') else cfg.model
    model = copy.deepcopy(model)
    drop_pretrained(model)
    _set_num_classes(model, 2)
    model['test_cfg'] = dict(mode='whole')
    cfg.model = model
    cfg.load_from = None
    return cfg


def build_model(cfg: Config, checkpoint: Optional[str] = None) -> nn.Module:
    """Build ``cfg.model`` for inference on CPU (BN instead of SyncBN, no
    auxiliary heads)."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    if not checkpoint:  # random weights: fetch no pretrained ones
        drop_pretrained(model_cfg)
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    if checkpoint:
        load_model_checkpoint(model, checkpoint, cfg.filename or 'the config')
    else:
        model.init_weights()
    if getattr(model, 'auxiliary_head', None) is not None:
        model.auxiliary_head = None
    return model.eval()


class Deployed(nn.Module):
    """What the deployed graph computes: logits at the input size, then
    the label map (:func:`~mmcrack.deploy.export.labels_from_logits`: argmax,
    or the sigmoid thresholded for one-channel heads), as mmcrack's rewriter
    of mmdeploy's ``BaseSegmentor.forward`` exports it.
    """

    def __init__(self, segmentor: nn.Module) -> None:
        super().__init__()
        self.segmentor = segmentor

    def forward(self, x):
        h, w = x.shape[2:]
        metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))
                 ] * x.shape[0]
        logits = self.segmentor.encode_decode(x, metas)
        head = self.segmentor.decode_head
        if isinstance(head, nn.ModuleList):  # a cascade: the last head
            head = head[-1]
        return labels_from_logits(logits, head.threshold)


# --------------------------------------------------------------- timing ---
def export_for_benchmark(cfg: Config, checkpoint: Optional[str],
                         shape: Sequence[int], batch: int, work_dir: str,
                         sample_img) -> str:
    """Export ``cfg`` as tools/deploy.py does, static ``batch x 3 x H x W``."""
    from mmcrack.deploy.export import export_onnx
    deploy_cfg = Config.fromfile(
        osp.join(
            osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
            'deploy', 'segmentation_onnxruntime_static-400x400.py'))
    deploy_cfg.onnx_config.input_shape = [shape[1], shape[0]]
    onnx_file = export_onnx(deploy_cfg, cfg, [sample_img] * batch, work_dir,
                            checkpoint, 'cpu')
    return onnx_file


def sample_image(shape: Sequence[int]) -> np.ndarray:
    """A real crack photo from ../shared/data if present, else noise."""
    root = osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), '..', 'shared',
        'data', 'cfd', 'images')
    if osp.isdir(root):
        import mmcv
        files = sorted(os.listdir(root))
        if files:
            img = mmcv.imread(osp.join(root, files[0]))
            return mmcv.imresize(img, (shape[1], shape[0]))
    return np.random.RandomState(0).randint(
        0, 256, (shape[0], shape[1], 3), dtype=np.uint8)


def int8_case(base: dict, cfg: Config, onnx_file: str, x: np.ndarray,
              img: np.ndarray, args) -> 'Case':
    """The ``onnxruntime-int8`` case: ``onnx_file`` quantized as
    tools/deploy.py quantizes it, calibrated on ``--calib-data`` or on the
    sample photo (speed does not depend on the calibration)."""
    import mmcv

    from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner
    from mmcrack.deploy.quantization import quantize_onnx
    calib_dir = args.calib_data
    if calib_dir is None:
        calib_dir = osp.join(osp.dirname(onnx_file), 'calib')
        mmcv.imwrite(img, osp.join(calib_dir, 'sample.png'))
    int8_file = osp.splitext(onnx_file)[0] + '-int8.onnx'
    try:
        quantize_onnx(onnx_file, int8_file, cfg, calib_dir, calib_count=16)
    except Exception as e:  # noqa: BLE001  (report, go on)
        traceback.print_exc()
        return Case(base, 'onnxruntime-int8',
                    error=f'INT8 quantization failed: {type(e).__name__}: {e}')
    runner = OnnxRuntimeRunner(int8_file, num_threads=args.threads)
    return Case(base, 'onnxruntime-int8', lambda: runner(x))


class Case:
    """One model on one backend: a call to time, or why it cannot run."""

    def __init__(self, base: dict, backend: str, fn=None, sync=None,
                 error: Optional[str] = None) -> None:
        self.base, self.backend = base, backend
        self.fn, self.sync, self.error = fn, sync or (lambda: None), error
        self.times: List[float] = []

    def row(self, batch: int) -> dict:
        row = dict(self.base, backend=self.backend)
        if self.error is not None:
            row['error'] = self.error
            return row
        times = sorted(self.times)
        row.update(
            mean_ms=statistics.fmean(times),
            median_ms=statistics.median(times),
            p90_ms=times[min(len(times) - 1,
                             int(round(0.9 * (len(times) - 1))))],
            min_ms=times[0],
            runs=len(times))
        row['images_per_s'] = batch / (row['median_ms'] / 1e3)
        row['macs_per_s'] = row['macs'] * batch / (row['median_ms'] / 1e3)
        return row


def prepare_model(name: str, cfg: Config, checkpoint: Optional[str], args,
                  backends: Sequence[str], tmp_dir: str,
                  img: np.ndarray) -> List[Case]:
    """Build, export and load one model on every backend, untimed."""
    h, w = args.shape
    model = build_model(cfg, checkpoint)
    deployed = Deployed(model).eval()
    x = torch.from_numpy(
        np.random.RandomState(0).randn(args.batch, 3, h,
                                       w).astype(np.float32))
    # Parameters and MACs of what runs: the inference path.
    base = dict(model=name, **profile_call(deployed, x[:1]))
    cases = []

    if 'pytorch' in backends:

        def eager():
            with torch.inference_mode():
                return deployed(x)

        cases.append(Case(base, 'pytorch', eager))
    if any(b.startswith('cuda') for b in backends):
        cases += prepare_cuda(base, deployed, x, backends)
    onnx_backends = [
        b for b in ('onnxruntime', 'onnxruntime-int8', 'tensorrt',
                    'tensorrt-fp16') if b in backends
    ]
    if not onnx_backends:
        return cases
    try:
        onnx_file = export_for_benchmark(cfg, checkpoint, args.shape,
                                         args.batch, osp.join(tmp_dir, name),
                                         img)
    except Exception as e:  # noqa: BLE001  (report, go on)
        traceback.print_exc()
        error = f'ONNX export failed: {type(e).__name__}: {e}'
        return cases + [Case(base, b, error=error) for b in onnx_backends]
    if 'onnxruntime' in backends:
        from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner
        runner = OnnxRuntimeRunner(onnx_file, num_threads=args.threads)
        xn = x.numpy()
        cases.append(Case(base, 'onnxruntime', lambda: runner(xn)))
    if 'onnxruntime-int8' in backends:
        cases.append(int8_case(base, cfg, onnx_file, x.numpy(), img, args))
    for backend in [b for b in onnx_backends if b.startswith('tensorrt')]:
        try:
            from mmcrack.deploy.tensorrt import TensorRTRunner, build_engine
            engine = build_engine(
                onnx_file,
                osp.join(tmp_dir, name, f'{backend}.engine'),
                fp16=backend.endswith('fp16'),
                max_workspace_size=1 << 30)
            trt_runner = TensorRTRunner(engine)
            xc = x.cuda()
            cases.append(
                Case(base, backend,
                     lambda r=trt_runner: r.forward(xc),
                     torch.cuda.synchronize))
        except ImportError as e:
            cases.append(Case(base, backend, error=str(e)))
    return cases


def prepare_cuda(base: dict, deployed: nn.Module, x: torch.Tensor,
                 backends: Sequence[str]) -> List[Case]:
    """The eager CUDA variants: fp32, fp16, channels-last, CUDA graph."""
    wanted = [b for b in backends if b.startswith('cuda')]
    if not torch.cuda.is_available():
        return [Case(base, b, error='torch sees no CUDA GPU') for b in wanted]
    sync = torch.cuda.synchronize
    model = copy.deepcopy(deployed).cuda().eval()
    xc = x.cuda()
    cases = []

    def run(module, inputs, fp16):
        with torch.inference_mode(), torch.autocast(
                'cuda', dtype=torch.float16, enabled=fp16):
            return module(inputs)

    if 'cuda' in wanted:
        cases.append(Case(base, 'cuda', lambda: run(model, xc, False), sync))
    if 'cuda-fp16' in wanted:
        cases.append(
            Case(base, 'cuda-fp16', lambda: run(model, xc, True), sync))
    if 'cuda-channels-last' in wanted:
        model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
        xcl = xc.contiguous(memory_format=torch.channels_last)
        cases.append(
            Case(base, 'cuda-channels-last', lambda: run(model_cl, xcl, True),
                 sync))
    if 'cuda-graph' in wanted:
        static_x = xc.clone()
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                run(model, static_x, True)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), torch.autocast(
                'cuda', dtype=torch.float16), torch.cuda.graph(graph):
            model(static_x)
        cases.append(Case(base, 'cuda-graph', graph.replay, sync))
    return cases


#: The GEMM cases' model name and the backend family each one measures.
GEMM_NAME = 'GEMM 2048^3'
GEMM_SIZE = 2048


def gemm_cases(backends: Sequence[str], threads: int) -> List[Case]:
    """A large fp32 GEMM on each backend family present, timed in the same
    rounds as the models: its MAC rate is the machine's reference."""
    size = GEMM_SIZE
    cases = []
    base = dict(model=GEMM_NAME, params=0, macs=size**3)
    if 'pytorch' in backends:
        a, b = torch.randn(size, size), torch.randn(size, size)
        cases.append(Case(base, 'torch-cpu', lambda: torch.matmul(a, b)))
    if 'onnxruntime' in backends:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        from mmcrack.deploy.onnxruntime import session_options
        weight = numpy_helper.from_array(
            np.random.randn(size, size).astype(np.float32), 'B')
        graph = helper.make_graph(
            [helper.make_node('MatMul', ['A', 'B'], ['C'])], 'gemm',
            [helper.make_tensor_value_info('A', TensorProto.FLOAT,
                                           [size, size])],
            [helper.make_tensor_value_info('C', TensorProto.FLOAT,
                                           [size, size])], [weight])
        # IR version 8 (onnx 1.13's); onnx >= 1.23 writes a newer one by
        # default than ONNX Runtime 1.31 reads.
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid('', 17)], ir_version=8)
        session = ort.InferenceSession(
            model.SerializeToString(), session_options(threads),
            providers=['CPUExecutionProvider'])
        a_np = np.random.randn(size, size).astype(np.float32)
        cases.append(
            Case(base, 'onnxruntime-cpu',
                 lambda: session.run(None, {'A': a_np})))
    if 'onnxruntime-int8' in backends:
        cases.append(int8_gemm_case(base, size, threads))
    if torch.cuda.is_available() and any(b in CUDA_BACKENDS
                                         for b in backends):
        a_gpu = torch.randn(size * 2, size * 2, device='cuda')
        cases.append(
            Case(
                dict(base, model=f'GEMM {size * 2}^3', macs=(size * 2)**3),
                'torch-cuda',
                lambda: torch.matmul(a_gpu, a_gpu), torch.cuda.synchronize))
    return cases


def int8_gemm_case(base: dict, size: int, threads: int) -> Case:
    """The GEMM reference of the INT8 row: the fp32 MatMul quantized with
    the models' settings (QDQ, uint8 activations, per-channel int8
    weights), which ONNX Runtime runs as an integer matmul."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import (QuantFormat, QuantType,
                                          quantize_static)

    from mmcrack.deploy.onnxruntime import session_options
    rng = np.random.RandomState(0)
    weight = numpy_helper.from_array(
        rng.randn(size, size).astype(np.float32), 'B')
    graph = helper.make_graph(
        [helper.make_node('MatMul', ['A', 'B'], ['C'])], 'gemm',
        [helper.make_tensor_value_info('A', TensorProto.FLOAT, [size, size])],
        [helper.make_tensor_value_info('C', TensorProto.FLOAT, [size, size])],
        [weight])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid('', 17)], ir_version=8)
    a_np = rng.rand(size, size).astype(np.float32)

    class Reader:
        done = False

        def get_next(self):
            if self.done:
                return None
            self.done = True
            return {'A': a_np}

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = osp.join(tmp, 'gemm.onnx'), osp.join(tmp, 'gemm-int8.onnx')
        onnx.save(model, src)
        quantize_static(
            src,
            dst,
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8)
        session = ort.InferenceSession(
            dst, session_options(threads),
            providers=['CPUExecutionProvider'])
    return Case(base, 'onnxruntime-int8-cpu',
                lambda: session.run(None, {'A': a_np}))


def time_cases(cases: List[Case], warmup: int, runs: int) -> None:
    """Warm every case up, then time them in round robin.

    One timed run of every model and backend per round, ``runs`` rounds:
    load from other processes that comes and goes hits all of them alike,
    so the ratios between them hold even on a shared machine.
    """
    live = [case for case in cases if case.error is None]
    for case in live:
        for _ in range(warmup):
            case.fn()
        case.sync()
    for _ in range(runs):
        for case in live:
            start = time.perf_counter()
            case.fn()
            case.sync()
            case.times.append((time.perf_counter() - start) * 1e3)


# ------------------------------------------------------------- training ---
def measure_training(cfg: Config, args) -> dict:
    """Images/s and data-wait share of ``args.train_iters`` iterations."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    loader_cfg = cfg.train_dataloader
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if args.train_data:
        dataset = loader_cfg.dataset
        dataset.data_root = args.train_data
        # A pixel-labelled set (CrackDataset) picks its training images by
        # its split rule; an image-level one (ImageLabelDataset, for
        # WP-CrackNet) keeps its own list file or folders.
        dataset_class = DATASETS.get(dataset.type)
        if 'split' in inspect.signature(dataset_class).parameters:
            dataset.ann_file = ''
            dataset.split = 'train'
    if args.train_batch:
        loader_cfg.batch_size = args.train_batch
    loader_cfg.sampler = dict(type='InfiniteSampler', shuffle=True)
    drop_pretrained(cfg.model)  # speed only: random weights
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = iter(loader)
    data_times, iter_times = [], []
    total = args.train_warmup + args.train_iters
    for i in range(total):
        start = time.perf_counter()
        data = next(batches)
        got = time.perf_counter()
        model.train_step(data, optim_wrapper)
        end = time.perf_counter()
        if i >= args.train_warmup:
            data_times.append(got - start)
            iter_times.append(end - start)
    batch = loader_cfg.batch_size
    return dict(
        iters=args.train_iters,
        batch_size=batch,
        num_workers=loader_cfg.get('num_workers', 0),
        crop=list(cfg.get('crop_size', [])),
        images_per_s=batch * len(iter_times) / sum(iter_times),
        iter_ms_mean=1e3 * statistics.fmean(iter_times),
        data_ms_mean=1e3 * statistics.fmean(data_times),
        data_wait_share=sum(data_times) / sum(iter_times))


# --------------------------------------------------------------- report ---
def markdown_table(results: List[dict], main: str, gemm: Dict[str, float],
                   shape: Sequence[int], batch: int) -> str:
    """The results as a markdown table (one row per model and backend)."""
    main_rate = {
        r['backend']: r['images_per_s']
        for r in results if r['model'] == main and 'images_per_s' in r
    }
    lines = [
        f'Input {batch}x3x{shape[0]}x{shape[1]}; "x {main}" = {main}\'s '
        'throughput / the row\'s, same backend, same run; "% GEMM" = the '
        'row\'s MAC rate / the large-GEMM MAC rate of its backend.', '',
        '| model | backend | params (M) | GMACs | mean ms | median ms | '
        f'p90 ms | img/s | GMAC/s | % GEMM | x {main} |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    ]
    for r in results:
        head = (f'| {r["model"]} | {r["backend"]} | {r["params"] / 1e6:.3f} '
                f'| {r["macs"] / 1e9:.3f} |')
        if 'images_per_s' not in r:
            lines.append(f'{head} {r.get("error", "-")} | | | | | | |')
            continue
        gemm_rate = gemm.get(GEMM_OF.get(r['backend'], ''), None)
        share = (f'{100 * r["macs_per_s"] / gemm_rate:.1f}'
                 if gemm_rate else '-')
        ratio = (f'{main_rate[r["backend"]] / r["images_per_s"]:.2f}'
                 if r['backend'] in main_rate else '-')
        lines.append(
            f'{head} {r["mean_ms"]:.2f} | {r["median_ms"]:.2f} | '
            f'{r["p90_ms"]:.2f} | {r["images_per_s"]:.2f} | '
            f'{r["macs_per_s"] / 1e9:.2f} | {share} | {ratio} |')
    lines.append('')
    lines.append(f'Large-GEMM MAC rate ({GEMM_SIZE}^3 matmul in fp32, in '
                 f'int8 for onnxruntime-int8-cpu, {2 * GEMM_SIZE}^3 fp32 on '
                 'torch-cuda; timed in the same rounds): ' + ', '.join(
        f'{k} {v / 1e9:.1f} GMAC/s' for k, v in gemm.items()))
    return '\n'.join(lines)


def available_backends(requested: Optional[Sequence[str]]) -> List[str]:
    """The requested backends, or every one this machine can run."""
    if requested:
        return list(requested)
    backends = ['pytorch']
    try:
        import onnxruntime  # noqa: F401
        import mmdeploy  # noqa: F401
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


def load_average() -> Optional[List[float]]:
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    # Building 8 models logs every initialised parameter at INFO.
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    from mmcrack.deploy.onnxruntime import physical_cpu_cores
    args.threads = args.threads or physical_cpu_cores()
    torch.set_num_threads(args.threads)
    backends = available_backends(args.backends)
    resolved = resolve_model(args.config, args.checkpoint)
    args.config, args.checkpoint = resolved.config, resolved.checkpoint
    cfg = load_model_config(args.config, args.cfg_options)
    main_name = osp.splitext(osp.basename(args.config))[0].split('_')[0]
    out_dir = args.out_dir or osp.join(
        'work_dirs', 'benchmark',
        osp.splitext(osp.basename(args.config))[0])
    os.makedirs(out_dir, exist_ok=True)
    load_before = load_average()

    models = [(main_name, cfg, args.checkpoint)]
    if args.compare:
        for name in args.compare_models or COMPARE_MODELS:
            models.append((name, compare_config(name), None))
    img = sample_image(args.shape)
    cases = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        for name, model_cfg, checkpoint in models:
            try:
                cases += prepare_model(name, model_cfg, checkpoint, args,
                                       backends, tmp_dir, img)
            except Exception as e:  # noqa: BLE001  (report, go on)
                traceback.print_exc()
                cases.append(
                    Case(
                        dict(model=name, params=0, macs=0),
                        '-',
                        error=f'{type(e).__name__}: {e}'))
        gemm = gemm_cases(backends, args.threads)
        print(f'[benchmark] timing {len(cases)} cases and {len(gemm)} GEMMs: '
              f'{args.warmup} warm-up runs each, then {args.runs} rounds',
              flush=True)
        time_cases(cases + gemm, args.warmup, args.runs)
    gemm_rows = [case.row(1) for case in gemm]
    gemm_rates = {row['backend']: row['macs_per_s'] for row in gemm_rows}
    results = [case.row(args.batch) for case in cases]
    for row in results:
        status = (f'{row["median_ms"]:.2f} ms median, '
                  f'{row["images_per_s"]:.2f} img/s'
                  if 'median_ms' in row else f'skipped: {row["error"]}')
        print(f'[benchmark] {row["model"]:18s} {row["backend"]:20s} '
              f'{status}')
    training = None
    if args.train_iters:
        training = measure_training(cfg, args)
    report = dict(
        command=' '.join([osp.basename(sys.executable), *sys.argv])
        if argv is None else ' '.join(['tools/benchmark.py', *argv]),
        config=args.config,
        checkpoint=args.checkpoint,
        input_shape=[args.batch, 3, *args.shape],
        backends=backends,
        warmup=args.warmup,
        runs=args.runs,
        machine=dict(
            cpu=platform.processor() or platform.machine(),
            cpu_model=_cpu_model(),
            threads=args.threads,
            cuda=torch.cuda.get_device_name()
            if torch.cuda.is_available() else None,
            torch=torch.__version__,
            onnxruntime=_version('onnxruntime'),
            tensorrt=_version('tensorrt'),
            load_average_before=load_before,
            load_average_after=load_average()),
        gemm_macs_per_s=gemm_rates,
        gemm=gemm_rows,
        results=results,
        training=training)
    table = markdown_table(results, main_name, gemm_rates, args.shape,
                           args.batch)
    if training:
        table += (
            f'\n\nTraining: {training["images_per_s"]:.2f} img/s '
            f'(batch {training["batch_size"]}, {training["iters"]} '
            f'iterations, {training["num_workers"]} workers); waiting for '
            f'data {100 * training["data_wait_share"]:.1f} % of each '
            'iteration.')
    with open(osp.join(out_dir, 'benchmark.json'), 'w') as f:
        json.dump(report, f, indent=2)
    with open(osp.join(out_dir, 'benchmark.md'), 'w') as f:
        f.write(f'`{report["command"]}`\n\n{table}\n')
    print(table)
    print(f'[benchmark] wrote {osp.join(out_dir, "benchmark.md")} and '
          f'{osp.join(out_dir, "benchmark.json")}')
    if not any('median_ms' in row for row in results
               if row['model'] == main_name):
        print(f'[benchmark] error: {main_name} ran on no backend; the '
              'reasons are above and in the report.', file=sys.stderr)
        raise SystemExit(1)
    return report


def _cpu_model() -> Optional[str]:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return None


def _version(package: str) -> Optional[str]:
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:  # noqa: BLE001
        return None


if __name__ == '__main__':
    main()
