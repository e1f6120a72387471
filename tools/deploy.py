"""Convert a trained segmentor to ONNX Runtime or TensorRT 10.

Works like mmdeploy's ``tools/deploy.py`` (same positional arguments and
main options), with mmcrack's deployment configs (``configs/deploy/``):

1. export to ONNX with mmdeploy's ``torch2onnx`` in a spawned process
   (mmdeploy's mmseg rewriters; mmcrack is imported there through
   ``codebase_config.module``), writing ``<work-dir>/end2end.onnx``;
2. rewrite the graph for speed with exact, standard-operator passes
   (``mmcrack.deploy.onnx_passes``; ``--no-optimize`` keeps mmdeploy's
   graph);
3. for ``backend_config.type='tensorrt'``: check the graph against TensorRT
   10's ONNX operator matrix and build ``<work-dir>/end2end.engine`` with
   mmcrack's TensorRT 10 builder (mmdeploy 1.3.1's targets TensorRT 8);
   this needs TensorRT and a CUDA GPU;
4. with ``--dump-info``, mmdeploy's SDK files (``deploy.json``,
   ``pipeline.json``, ``detail.json``).

The model runs on what it exported:
``mmcrack.deploy.build_runner('onnxruntime', '<work-dir>/end2end.onnx')``.

Example::

    python tools/deploy.py \\
        configs/deploy/segmentation_onnxruntime_static-400x400.py \\
        configs/hrsegnet/hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py \\
        work_dirs/hrsegnet-b16/iter_100000.pth demo.jpg \\
        --work-dir work_dirs/hrsegnet-b16-ort
"""
import argparse
import copy
import logging
import os
import os.path as osp
import shutil
import sys
import tempfile
from typing import Optional, Sequence

import mmcv
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmcrack  # noqa: F401  (compat fixes before anything exports)
from mmcrack.apis import (format_model_table, load_model_checkpoint,
                          read_checkpoint, resolve_model)
from mmcrack.apis.model_index import is_config_path
from mmcrack.deploy.export import (prepare_model_config,
                                   set_threshold_metadata, static_input_shape,
                                   threshold_checkpoint)
from mmcrack.deploy.quantization import calibration_images, quantize_onnx
from mmcrack.utils.tool_utils import (add_cfg_options_arg, add_model_args,
                                      load_model_config, parse_model_args)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'deploy_cfg',
        help='deployment config, e.g. configs/deploy/'
        'segmentation_onnxruntime_static-400x400.py')
    add_model_args(
        parser, 'img',
        'sample image the model runs on while it is traced (any crack '
        'photo; a static config resizes it to its input_shape). A '
        'CHECKPOINT of "none" exports random weights')
    parser.add_argument(
        '--work-dir',
        default=os.getcwd(),
        help='directory for the converted model (default: the current '
        'directory)')
    parser.add_argument(
        '--device',
        default='cpu',
        help='device the PyTorch model is built on for the export (the '
        'export itself runs on CPU); TensorRT builds on cuda:0 or the cuda '
        'device given here (default: cpu)')
    parser.add_argument(
        '--log-level',
        default='INFO',
        choices=list(logging._nameToLevel),
        help='mmdeploy log level (default: INFO)')
    parser.add_argument(
        '--dump-info',
        action='store_true',
        help="write mmdeploy's SDK information (deploy.json, pipeline.json, "
        'detail.json)')
    parser.add_argument(
        '--no-optimize',
        action='store_true',
        help="keep mmdeploy's graph as exported (skip the rewrites of "
        'mmcrack.deploy.onnx_passes)')
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--deploy-cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the deployment config (key=value, as '
        '--cfg-options does for the model config), e.g. '
        'codebase_config.with_argmax=False to export the logits instead of '
        'the label map (tools/infer.py then writes probability maps)')
    parser.add_argument(
        '--calib-data',
        metavar='DIR',
        help='photos of the training set to calibrate an INT8 model on '
        '(deployment configs with a quantization dict, e.g. '
        'segmentation_onnxruntime-int8_static-400x400.py)')
    parser.add_argument(
        '--calib-count',
        type=int,
        help="photos to calibrate on (default: the config's calib_count)")
    parser.add_argument(
        '--calib-method',
        choices=('minmax', 'entropy', 'percentile'),
        help="calibration method (default: the config's calib_method)")
    parser.add_argument(
        '--threshold',
        type=float,
        help='decision threshold of the export (default: the one published '
        'with the checkpoint, if any): a label-map export '
        '(with_argmax=True) applies it in the graph, a logits export records '
        'it for tools/infer.py')
    parser.add_argument(
        '--no-spawn',
        action='store_true',
        help='export in this process instead of a spawned one (debugging)')
    args = parser.parse_args(argv)
    if not args.list_models:
        parse_model_args(parser, args, 'img')
    return args


def _file_line(path: str) -> str:
    return f'  {path} ({os.path.getsize(path) / 2**20:.2f} MiB)'


def check_inputs(args: argparse.Namespace, model_cfg: Config) -> None:
    """Check the sample image and the checkpoint before any output."""
    if not osp.isfile(args.img) or mmcv.imread(args.img) is None:
        raise FileNotFoundError(
            f'Sample image {args.img} does not exist or cannot be read: give '
            'any crack photo the model can run on while it is traced.')
    quantization = args.deploy_cfg_obj.get('quantization')
    if quantization is not None:
        if args.deploy_cfg_obj.backend_config.type != 'onnxruntime':
            raise SystemExit('INT8 quantization (the quantization dict of the '
                             'deployment config) is for onnxruntime only.')
        if not args.calib_data:
            raise SystemExit(
                f'{args.deploy_cfg} quantizes the model to INT8: give '
                '--calib-data DIR, a folder of training photos.')
        calibration_images(args.calib_data, args.calib_count
                           or quantization.get('calib_count', 64))
    if args.checkpoint is not None:
        model = MODELS.build(copy.deepcopy(model_cfg.model))
        load_model_checkpoint(model, args.checkpoint, args.model,
                              args.allow_partial)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.list_models:
        print(format_model_table())
        return 0
    from mmdeploy.apis import torch2onnx
    from mmdeploy.apis.core import PIPELINE_MANAGER
    from mmdeploy.utils import get_root_logger
    logger = get_root_logger(log_level=args.log_level)

    if args.checkpoint is not None and args.checkpoint.lower() in ('none',
                                                                   ''):
        if not is_config_path(args.model):
            raise SystemExit('"none" exports random weights: give a config '
                             'with it, not a model name.')
        resolved = resolve_model(args.model, None)
    else:
        resolved = resolve_model(args.model, args.checkpoint)
        if resolved.checkpoint is None:
            raise SystemExit(
                f'{args.model} is a config: give its checkpoint (or "none" '
                'for random weights), or a model name.')
    args.model_cfg, checkpoint = resolved.config, resolved.checkpoint
    args.checkpoint = checkpoint
    threshold = args.threshold
    if threshold is None and checkpoint is not None:
        threshold = (read_checkpoint(checkpoint).get('meta')
                     or {}).get('threshold')
    if threshold is None and resolved.entry is not None:
        threshold = resolved.entry.metadata.get('Threshold')

    deploy_cfg = Config.fromfile(args.deploy_cfg)
    if args.deploy_cfg_options:
        deploy_cfg.merge_from_dict(args.deploy_cfg_options)
    model_cfg = load_model_config(args.model_cfg, args.cfg_options)
    init_default_scope(model_cfg.get('default_scope', 'mmseg'))
    args.deploy_cfg_obj = deploy_cfg
    check_inputs(args, model_cfg)
    float_model_cfg = model_cfg
    # The spawned export process must import mmcrack and its rewriter before
    # it builds the model; mmdeploy imports codebase_config.module there.
    modules = list(deploy_cfg.codebase_config.get('module', []))
    for module in ('mmcrack', 'mmcrack.deploy.rewriters'):
        if module not in modules:
            modules.append(module)
    deploy_cfg.codebase_config.module = modules
    model_cfg = prepare_model_config(model_cfg,
                                     static_input_shape(deploy_cfg))
    backend = deploy_cfg.backend_config.type
    if backend not in ('onnxruntime', 'tensorrt'):
        logger.error(f'backend {backend!r} is not supported by mmcrack: use '
                     'an onnxruntime or tensorrt deployment config.')
        return 2
    # Everything is written to a staging folder and moved into the work dir
    # only when the export succeeded: a failed run leaves the previous
    # export in place.
    os.makedirs(args.work_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.deploy-', dir=args.work_dir)
    in_graph = threshold is not None and deploy_cfg.codebase_config.get(
        'with_argmax', True)
    try:
        if in_graph and checkpoint is not None:
            checkpoint = threshold_checkpoint(
                checkpoint, threshold, osp.join(staging, 'thresholded.pth'))
        status, written = export(args, deploy_cfg, model_cfg, checkpoint,
                                 backend, staging, logger, torch2onnx,
                                 PIPELINE_MANAGER)
        quantization = deploy_cfg.get('quantization')
        if written and quantization is not None:
            written = quantize(args, quantization, float_model_cfg,
                               written, logger)
        if written and threshold is not None:
            set_threshold_metadata(written[0], threshold, in_graph)
        final = []
        for path in written:
            target = osp.join(args.work_dir, osp.basename(path))
            os.replace(path, target)
            final.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not final:
        return status

    lines = [f'[deploy] {backend} model of {args.model_cfg} '
             f'({args.checkpoint or "random weights"}) written to '
             f'{args.work_dir}:']
    if threshold is not None:
        lines.append(f'[deploy] threshold {threshold:g} ' + (
            'applied in the label map' if in_graph else
            'recorded for tools/infer.py'))
    lines += [_file_line(path) for path in final if osp.isfile(path)]
    runner_file = final[1] if backend == 'tensorrt' and len(
        final) > 1 and final[1].endswith('.engine') else final[0]
    runner_backend = 'tensorrt' if runner_file.endswith(
        '.engine') else 'onnxruntime'
    lines.append(f"[deploy] run it: mmcrack.deploy.build_runner("
                 f"'{runner_backend}', '{runner_file}')")
    print('\n'.join(lines))
    return status


def quantize(args, quantization, model_cfg, written, logger):
    """Quantize the exported end2end.onnx to INT8 in place; the float
    model stays beside it as end2end-fp32.onnx."""
    onnx_file = written[0]
    float_file = osp.splitext(onnx_file)[0] + '-fp32.onnx'
    os.replace(onnx_file, float_file)
    settings = quantize_onnx(
        float_file,
        onnx_file,
        model_cfg,
        args.calib_data,
        calib_count=args.calib_count or quantization.get('calib_count', 64),
        calib_method=args.calib_method
        or quantization.get('calib_method', 'minmax'),
        per_channel=quantization.get('per_channel', True),
        op_types_to_exclude=quantization.get('op_types_to_exclude', ()))
    logger.info(
        f'Quantized to INT8 ({settings["calib_method"]}, '
        f'{len(settings["calib_files"])} photos of {args.calib_data})')
    return [onnx_file, float_file] + written[1:]


def export(args, deploy_cfg, model_cfg, checkpoint, backend, work_dir,
           logger, torch2onnx, pipeline_manager):
    """Export into ``work_dir``; returns (status, files written)."""
    save_file = deploy_cfg.onnx_config.get('save_file', 'end2end.onnx')
    onnx_file = osp.join(work_dir, save_file)
    if not args.no_spawn:
        from torch.multiprocessing import set_start_method
        set_start_method('spawn', force=True)
        pipeline_manager.enable_multiprocess(True, [torch2onnx])
    pipeline_manager.set_log_level(logging._nameToLevel[args.log_level],
                                   [torch2onnx])
    torch2onnx(args.img, work_dir, save_file, deploy_cfg, model_cfg,
               checkpoint, args.device)
    if not osp.isfile(onnx_file):
        logger.error('The ONNX export failed (no ONNX file was written); see '
                     f'the log above. {args.work_dir} is unchanged.')
        return 1, []
    written = [onnx_file]

    if not args.no_optimize:
        from mmcrack.deploy.onnx_passes import optimize_onnx
        counts = optimize_onnx(onnx_file)
        logger.info('Optimized the graph: ' +
                    ', '.join(f'{k} x{v}' for k, v in counts.items()))

    status = 0
    if backend == 'tensorrt':
        from mmcrack.deploy.tensorrt import (TensorRTUnavailable,
                                             build_engine_from_config)
        from mmcrack.deploy.trt_support import (check_onnx,
                                                default_matrix_path,
                                                load_support_matrix)
        if default_matrix_path().is_file():
            problems, _ = check_onnx(
                onnx_file,
                load_support_matrix(),
                static=static_input_shape(deploy_cfg) is not None)
            for problem in problems:
                logger.warning(f'TensorRT 10 support: {problem}')
        else:
            logger.warning(
                'TensorRT 10 operator check skipped: no support matrix at '
                f'{default_matrix_path()} (set MMCRACK_TRT_MATRIX to '
                "onnx-tensorrt's docs/operators.md to check the graph before "
                'the engine is built).')
        engine_file = osp.splitext(onnx_file)[0] + '.engine'
        try:
            import torch
            device = args.device if args.device.startswith(
                'cuda') else 'cuda:0'
            if torch.cuda.is_available():
                torch.cuda.set_device(device)
            build_engine_from_config(onnx_file, engine_file, deploy_cfg)
            written.append(engine_file)
        except TensorRTUnavailable as e:
            logger.error(f'Cannot build the TensorRT engine: {e} The ONNX '
                         'model is written to '
                         f'{osp.join(args.work_dir, save_file)}; run this '
                         'command again '
                         'on a machine with TensorRT to build the engine.')
            status = 1

    if args.dump_info:
        from mmdeploy.backend.sdk.export_info import export2SDK
        try:
            export2SDK(deploy_cfg, model_cfg, work_dir, checkpoint or '',
                       args.device)
            written += [
                osp.join(work_dir, name)
                for name in ('deploy.json', 'pipeline.json', 'detail.json')
            ]
        except Exception as e:  # noqa: BLE001  (mmdeploy raises anything)
            logger.error(f'--dump-info: could not write the SDK information '
                         f'({e!r}); the model files are written.')
            status = 1

    return status, written


if __name__ == '__main__':
    sys.exit(main())
