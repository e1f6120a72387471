"""Convert a trained segmentor to ONNX Runtime or TensorRT 10.

Works like mmdeploy's ``tools/deploy.py`` (same positional arguments and
main options), with mmcrack's deployment configs (``configs/deploy/``). The
conversion is :func:`mmcrack.deploy.convert.deploy_model` (its docstring
lists the steps: ONNX export through mmdeploy in a spawned process, the
graph rewrites of ``mmcrack.deploy.onnx_passes`` unless ``--no-optimize``,
INT8 quantization for configs with a ``quantization`` dict, the TensorRT
10 operator check and engine for ``segmentation_tensorrt*`` configs, SDK
files with ``--dump-info``); this script parses the arguments and prints
what was written. Nothing in ``--work-dir`` changes unless the export
succeeds.

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
import logging
import os
import sys
from typing import Optional, Sequence

from mmengine.config import DictAction

import mmcrack  # noqa: F401  (compat fixes before anything exports)
from mmcrack.apis import format_model_table
from mmcrack.apis.model_index import is_config_path
from mmcrack.deploy.convert import DeployInputError, deploy_model
from mmcrack.utils.cli_args import (add_cfg_options_arg, add_model_args,
                                    parse_model_args)


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


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.list_models:
        print(format_model_table())
        return 0
    checkpoint = args.checkpoint
    if checkpoint is not None and checkpoint.lower() in ('none', ''):
        if not is_config_path(args.model):
            raise SystemExit('"none" exports random weights: give a config '
                             'with it, not a model name.')
        checkpoint = None
    elif checkpoint is None and is_config_path(args.model):
        raise SystemExit(f'{args.model} is a config: give its checkpoint (or '
                         '"none" for random weights), or a model name.')
    try:
        result = deploy_model(
            args.deploy_cfg,
            args.model,
            args.img,
            args.work_dir,
            checkpoint,
            cfg_options=args.cfg_options,
            deploy_cfg_options=args.deploy_cfg_options,
            device=args.device,
            threshold=args.threshold,
            optimize=not args.no_optimize,
            calib_data=args.calib_data,
            calib_count=args.calib_count,
            calib_method=args.calib_method,
            dump_info=args.dump_info,
            spawn=not args.no_spawn,
            allow_partial=args.allow_partial,
            log_level=args.log_level)
    except DeployInputError as err:
        raise SystemExit(str(err)) from err
    except RuntimeError as err:
        raise SystemExit(f'{err} {args.work_dir} is unchanged.') from err

    weights = checkpoint or ('random weights' if is_config_path(args.model)
                             else 'published weights')
    lines = [f'[deploy] {result.backend} model of {args.model} ({weights}) '
             f'written to {args.work_dir}:']
    if result.threshold is not None:
        lines.append(f'[deploy] threshold {result.threshold:g} ' + (
            'applied in the label map' if result.threshold_in_graph else
            'recorded for tools/infer.py'))
    lines += [_file_line(path) for path in result.files]
    lines.append(f"[deploy] run it: mmcrack.deploy.build_runner("
                 f"'{result.runner_backend}', '{result.runner_file}')")
    print('\n'.join(lines))
    return 1 if result.errors else 0


if __name__ == '__main__':
    sys.exit(main())
