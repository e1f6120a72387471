"""Convert a trained segmentor to ONNX Runtime or TensorRT 10 in one call.

:func:`deploy_model` is mmcrack's deployment entry point: ``tools/deploy.py``
parses its arguments and calls it, and the tests and the benchmark export
through it (:func:`export_onnx`). It works like
mmdeploy's ``tools/deploy.py`` with mmcrack's deployment configs
(``configs/deploy/``):

1. check the inputs (sample image, checkpoint against the model, INT8
   calibration photos) before anything is written;
2. export to ONNX with mmdeploy's ``torch2onnx`` (its mmseg rewriters and
   mmcrack's, :mod:`mmcrack.deploy.rewriters`), in a spawned process or in
   this one;
3. rewrite the graph with the exact, standard-operator passes of
   :mod:`mmcrack.deploy.onnx_passes`;
4. for a ``quantization`` dict in the deployment config, quantize to INT8
   (:mod:`mmcrack.deploy.quantization`), keeping the float model beside it;
5. for ``backend_config.type='tensorrt'``, check the graph against TensorRT
   10's operator matrix (:mod:`mmcrack.deploy.trt_support`) and build the
   engine (:mod:`mmcrack.deploy.tensorrt`; needs TensorRT and a CUDA GPU);
6. optionally write mmdeploy's SDK files.

The decision threshold published with the model travels into the export:
a label-map export (``codebase_config.with_argmax=True``) applies it in the
graph (:func:`~mmcrack.deploy.export.threshold_checkpoint`), a logits export
records it in the ONNX metadata.

Everything is written into a staging folder inside ``work_dir`` and moved
into place only when the export succeeded, so a failed run leaves an
earlier export untouched.
"""
import copy
import logging
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

from .export import (prepare_model_config, set_threshold_metadata,
                     static_input_shape, threshold_checkpoint)

#: Backends a deployment config may name.
DEPLOY_BACKENDS = ('onnxruntime', 'tensorrt')
#: Modules the export process imports before it builds the model.
_EXPORT_MODULES = ('mmcrack', 'mmcrack.deploy.rewriters')
#: mmdeploy's SDK information files (``dump_info=True``).
SDK_FILES = ('deploy.json', 'pipeline.json', 'detail.json')


class DeployInputError(ValueError):
    """An input of :func:`deploy_model` that cannot be exported; raised
    before anything is written."""


@dataclass
class DeployResult:
    """What :func:`deploy_model` wrote.

    Attributes:
        backend (str): ``'onnxruntime'`` or ``'tensorrt'``.
        files (list[str]): The files written into the work dir: the ONNX
            model first, then (where made) the float model of an INT8
            export, the TensorRT engine and the SDK files.
        threshold (float, optional): The decision threshold of the export.
        threshold_in_graph (bool): The label map applies ``threshold``;
            otherwise it is recorded in the ONNX metadata.
        errors (list[str]): Steps that failed after the ONNX model was
            written (the engine without TensorRT, the SDK files).
    """
    backend: str
    files: List[str]
    threshold: Optional[float] = None
    threshold_in_graph: bool = False
    errors: List[str] = field(default_factory=list)

    @property
    def onnx_file(self) -> str:
        """The (INT8 or float) ONNX model."""
        return self.files[0]

    @property
    def runner_file(self) -> str:
        """The model file :func:`~mmcrack.deploy.build_runner` runs: the
        engine where one was built, else the ONNX model."""
        engines = [f for f in self.files if f.endswith('.engine')]
        return engines[0] if engines else self.onnx_file

    @property
    def runner_backend(self) -> str:
        """The backend of :attr:`runner_file`."""
        return ('tensorrt'
                if self.runner_file.endswith('.engine') else 'onnxruntime')


def _check_sample(img) -> None:
    """A sample image: a readable file, an image array or a list of them
    (one per batch element)."""
    import mmcv
    for sample in (img if isinstance(img, (list, tuple)) else [img]):
        if isinstance(sample, np.ndarray):
            continue
        if not osp.isfile(str(sample)) or mmcv.imread(str(sample)) is None:
            raise DeployInputError(
                f'Sample image {sample} does not exist or cannot be read: '
                'give any crack photo the model can run on while it is '
                'traced.')


def _check_inputs(deploy_cfg: Config, model_cfg: Config, img,
                  checkpoint: Optional[str], model_name: str,
                  calib_data: Optional[str], calib_count: int,
                  allow_partial: bool) -> None:
    """Check everything the export reads before anything is written."""
    from mmseg.registry import MODELS

    from mmcrack.apis.model_loading import load_model_checkpoint
    from .quantization import calibration_images
    backend = deploy_cfg.backend_config.type
    if backend not in DEPLOY_BACKENDS:
        raise DeployInputError(
            f'backend {backend!r} is not supported by mmcrack: use an '
            f'{" or ".join(DEPLOY_BACKENDS)} deployment config '
            '(configs/deploy/).')
    _check_sample(img)
    if deploy_cfg.get('quantization') is not None:
        if backend != 'onnxruntime':
            raise DeployInputError(
                'INT8 quantization (the quantization dict of the deployment '
                'config) is for onnxruntime only.')
        if not calib_data:
            raise DeployInputError(
                'The deployment config quantizes the model to INT8: give '
                'calibration photos (tools/deploy.py --calib-data DIR, a '
                'folder of training photos).')
        calibration_images(calib_data, calib_count)
    if checkpoint is not None:
        model = MODELS.build(copy.deepcopy(model_cfg.model))
        load_model_checkpoint(model, checkpoint, model_name, allow_partial)


def _export_onnx(deploy_cfg: Config, model_cfg: Config, img, work_dir: str,
                 checkpoint: Optional[str], device: str, spawn: bool,
                 log_level: str) -> str:
    """mmdeploy's ``torch2onnx`` into ``work_dir``; the ONNX file."""
    from mmdeploy.apis import torch2onnx
    from mmdeploy.apis.core import PIPELINE_MANAGER

    from . import rewriters  # noqa: F401  (registers mmcrack's rewriter)
    save_file = deploy_cfg.onnx_config.get('save_file', 'end2end.onnx')
    # A spawned export process imports mmcrack and its rewriter before it
    # builds the model: mmdeploy imports codebase_config.module there.
    modules = list(deploy_cfg.codebase_config.get('module', []))
    deploy_cfg.codebase_config.module = modules + [
        m for m in _EXPORT_MODULES if m not in modules
    ]
    if spawn:
        from torch.multiprocessing import set_start_method
        set_start_method('spawn', force=True)
    PIPELINE_MANAGER.enable_multiprocess(spawn, [torch2onnx])
    PIPELINE_MANAGER.set_log_level(logging._nameToLevel[log_level],
                                   [torch2onnx])
    torch2onnx(img, work_dir, save_file, deploy_cfg, model_cfg, checkpoint,
               device)
    onnx_file = osp.join(work_dir, save_file)
    if not osp.isfile(onnx_file):
        raise RuntimeError('The ONNX export failed (no ONNX file was '
                           "written); see mmdeploy's log above.")
    return onnx_file


def _check_tensorrt_support(onnx_file: str, deploy_cfg: Config,
                            logger) -> None:
    """Log the graph's problems with TensorRT 10's operators."""
    from .trt_support import (MissingSupportMatrixError, check_onnx,
                              load_support_matrix)
    try:
        matrix = load_support_matrix()
    except MissingSupportMatrixError as err:
        logger.warning(f'TensorRT 10 operator check skipped: {err}')
        return
    problems, _ = check_onnx(
        onnx_file, matrix, static=static_input_shape(deploy_cfg) is not None)
    for problem in problems:
        logger.warning(f'TensorRT 10 support: {problem}')


def _build_engine(onnx_file: str, deploy_cfg: Config, device: str,
                  work_dir: str) -> str:
    """Build the TensorRT engine beside ``onnx_file``."""
    import torch

    from .tensorrt import build_engine_from_config
    engine_file = osp.splitext(onnx_file)[0] + '.engine'
    device = device if device.startswith('cuda') else 'cuda:0'
    if torch.cuda.is_available():
        torch.cuda.set_device(device)
    build_engine_from_config(onnx_file, engine_file, deploy_cfg)
    return engine_file


def deploy_model(deploy_cfg: Union[str, Config],
                 model: Union[str, Config],
                 img: Union[str, np.ndarray, Sequence],
                 work_dir: str,
                 checkpoint: Optional[str] = None,
                 *,
                 cfg_options: Optional[dict] = None,
                 deploy_cfg_options: Optional[dict] = None,
                 device: str = 'cpu',
                 threshold: Optional[float] = None,
                 optimize: bool = True,
                 calib_data: Optional[str] = None,
                 calib_count: Optional[int] = None,
                 calib_method: Optional[str] = None,
                 build_engine: bool = True,
                 dump_info: bool = False,
                 spawn: bool = False,
                 allow_partial: bool = False,
                 log_level: str = 'INFO') -> DeployResult:
    """Convert a model to its deployment backend (see the module docstring).

    Args:
        deploy_cfg (str | Config): mmdeploy deployment config, e.g.
            ``configs/deploy/segmentation_onnxruntime_static-400x400.py``.
        model (str | Config): A model name of the index, or a model config
            (file or :class:`Config`).
        img (str | np.ndarray | Sequence): A sample image (path or BGR
            array), or a list of them for a batch, that the model runs on
            while it is traced; a static config resizes it to its
            ``input_shape``.
        work_dir (str): Output folder; created if needed.
        checkpoint (str, optional): Model weights, loaded strictly; with a
            name they replace the published weights. A config without a
            checkpoint exports initial (random) weights.
        cfg_options (dict, optional): Overrides of the model config.
        deploy_cfg_options (dict, optional): Overrides of the deployment
            config, e.g. ``{'codebase_config.with_argmax': False}``.
        device (str): Device the PyTorch model is built on; TensorRT builds
            on it, or on ``cuda:0`` for ``'cpu'``. Defaults to 'cpu'.
        threshold (float, optional): Decision threshold of the export.
            Defaults to the one published with the model, if any.
        optimize (bool): Apply :mod:`~mmcrack.deploy.onnx_passes`.
            Defaults to True.
        calib_data (str, optional): Folder of training photos for an INT8
            deployment config.
        calib_count (int, optional): Photos to calibrate on (default: the
            config's ``quantization.calib_count``, else 64).
        calib_method (str, optional): ``'minmax'``, ``'entropy'`` or
            ``'percentile'`` (default: the config's, else ``'minmax'``).
        build_engine (bool): For a TensorRT config, build the engine after
            the ONNX export. Defaults to True.
        dump_info (bool): Write mmdeploy's SDK files. Defaults to False.
        spawn (bool): Export in a spawned process (mmdeploy's way, which
            keeps the tracing state out of this one). Defaults to False.
        allow_partial (bool): Accept a checkpoint that fits the model only
            in part. Defaults to False.
        log_level (str): mmdeploy's log level. Defaults to 'INFO'.

    Returns:
        DeployResult: The files, in ``work_dir``, and the threshold.

    Raises:
        DeployInputError: a bad input; nothing was written.
        CheckpointError: a checkpoint that does not fit the model.
        RuntimeError: the export failed; ``work_dir`` is unchanged.
    """
    from mmdeploy.utils import get_root_logger

    from mmcrack.apis.model_index import resolve_model
    from mmcrack.apis.model_loading import published_threshold
    from mmcrack.utils.config_check import load_model_config
    from .quantization import quantize_onnx
    logger = get_root_logger(log_level=log_level)
    resolved = resolve_model(model, checkpoint)
    deploy_cfg = (Config.fromfile(str(deploy_cfg)) if isinstance(
        deploy_cfg, (str, os.PathLike)) else copy.deepcopy(deploy_cfg))
    if deploy_cfg_options:
        deploy_cfg.merge_from_dict(deploy_cfg_options)
    model_cfg = load_model_config(resolved.config, cfg_options)
    init_default_scope(model_cfg.get('default_scope', 'mmseg'))
    checkpoint = resolved.checkpoint
    if threshold is None:
        threshold = published_threshold(resolved)
    quantization = deploy_cfg.get('quantization')
    if quantization is not None:
        calib_count = calib_count or quantization.get('calib_count', 64)
        calib_method = calib_method or quantization.get(
            'calib_method', 'minmax')
    _check_inputs(deploy_cfg, model_cfg, img, checkpoint,
                  resolved.config_name, calib_data, calib_count,
                  allow_partial)

    backend = deploy_cfg.backend_config.type
    in_graph = threshold is not None and deploy_cfg.codebase_config.get(
        'with_argmax', True)
    result = DeployResult(backend, [], threshold, in_graph)
    os.makedirs(work_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.deploy-', dir=work_dir)
    try:
        if in_graph and checkpoint is not None:
            checkpoint = threshold_checkpoint(
                checkpoint, threshold, osp.join(staging, 'thresholded.pth'))
        export_cfg = prepare_model_config(model_cfg,
                                          static_input_shape(deploy_cfg))
        onnx_file = _export_onnx(deploy_cfg, export_cfg, img, staging,
                                 checkpoint, device, spawn, log_level)
        written = [onnx_file]
        if optimize:
            from .onnx_passes import optimize_onnx
            counts = optimize_onnx(onnx_file)
            logger.info('Optimized the graph: ' +
                        ', '.join(f'{k} x{v}' for k, v in counts.items()))
        if quantization is not None:
            float_file = osp.splitext(onnx_file)[0] + '-fp32.onnx'
            os.replace(onnx_file, float_file)
            settings = quantize_onnx(
                float_file,
                onnx_file,
                model_cfg,
                calib_data,
                calib_count=calib_count,
                calib_method=calib_method,
                per_channel=quantization.get('per_channel', True),
                op_types_to_exclude=quantization.get(
                    'op_types_to_exclude', ()))
            logger.info(f'Quantized to INT8 ({settings["calib_method"]}, '
                        f'{len(settings["calib_files"])} photos of '
                        f'{calib_data})')
            written.append(float_file)
        if threshold is not None:
            set_threshold_metadata(onnx_file, threshold, in_graph)
        if backend == 'tensorrt':
            _check_tensorrt_support(onnx_file, deploy_cfg, logger)
            if build_engine:
                from .tensorrt import TensorRTUnavailable
                try:
                    written.append(
                        _build_engine(onnx_file, deploy_cfg, device, staging))
                except TensorRTUnavailable as err:
                    result.errors.append(
                        f'Cannot build the TensorRT engine: {err} The ONNX '
                        'model is written; run the conversion again on a '
                        'machine with TensorRT to build the engine.')
        if dump_info:
            from mmdeploy.backend.sdk.export_info import export2SDK
            try:
                export2SDK(deploy_cfg, export_cfg, staging, checkpoint or '',
                           device)
                written += [osp.join(staging, name) for name in SDK_FILES]
            except Exception as err:  # noqa: BLE001 (mmdeploy raises any)
                result.errors.append(
                    'Could not write the SDK information '
                    f'({err!r}); the model files are written.')
        for path in written:
            target = osp.join(work_dir, osp.basename(path))
            os.replace(path, target)
            result.files.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for error in result.errors:
        logger.error(error)
    return result


def export_onnx(deploy_cfg: Union[str, Config],
                model_cfg: Union[str, Config],
                img: Union[str, np.ndarray],
                work_dir: str,
                checkpoint: Optional[str] = None,
                device: str = 'cpu',
                optimize: bool = True) -> str:
    """Export a segmentor to ``<work_dir>/<onnx_config.save_file>``.

    :func:`deploy_model` in this process, without a TensorRT engine: the
    ONNX file of any deployment config (the parity tests and the
    benchmark).

    Args:
        deploy_cfg (str | Config): mmdeploy deployment config, e.g.
            ``configs/deploy/segmentation_onnxruntime_static-400x400.py``.
        model_cfg (str | Config): The model config (or a model name).
        img (str | np.ndarray): A sample image (BGR array or path), or a
            list of them for a batch, that mmdeploy runs the model on while
            tracing.
        work_dir (str): Output directory.
        checkpoint (str, optional): Model weights; random weights if None.
        device (str): Device the model is built on. Defaults to 'cpu'.
        optimize (bool): Apply :mod:`~mmcrack.deploy.onnx_passes`.
            Defaults to True.

    Returns:
        str: Path of the ONNX file.
    """
    return deploy_model(
        deploy_cfg,
        model_cfg,
        img,
        work_dir,
        checkpoint,
        device=device,
        optimize=optimize,
        build_engine=False).onnx_file
