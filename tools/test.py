"""Test (and evaluate) a segmentor: MMSegmentation's ``tools/test.py``.

Arguments and behaviour are those of ``mmseg/tools/test.py``, with mmcrack
loaded; the run ends by printing the metrics and the file they were saved
to, and where the painted predictions went with ``--show-dir``. ``--tta``
says what is missing when a config has no ``tta_model``/``tta_pipeline``.

The model is a config and its checkpoint, or a model name of the index
(``tools/infer.py --list-models``). Every weight of the checkpoint must fit
the config's model (``--allow-partial`` loads what fits). The crack labels
are taken at the threshold published with the model (``--threshold``
overrides it; without either, the model's own labels), and the metrics say
which threshold was used.
"""
import argparse
import json
import os
import os.path as osp
import time

from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

import mmcrack  # noqa: F401
from mmcrack.apis import (BACKENDS, CrackInferencer, format_model_table,
                          load_model_checkpoint, resolve_model)
from mmcrack.apis.evaluation import evaluate_inferencer
from mmcrack.apis.model_loading import published_threshold
from mmcrack.utils.compat import rewrite_test_metrics_file
from mmcrack.utils.cli_args import (add_model_args, add_runner_args,
                                    load_config, parse_model_args,
                                    parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(
        description='MMSeg test (and eval) a model')
    add_model_args(parser)
    parser.add_argument(
        '--work-dir',
        help='the directory the evaluation metrics are dumped to as json')
    parser.add_argument(
        '--out',
        type=str,
        help='directory where each test image\'s predicted mask is saved '
        '(PNG named after the image: 0 background, 1 crack) for offline '
        'evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images (prediction overlays) are '
        'saved, in its vis_data/vis_image/ folder')
    parser.add_argument(
        '--show-interval',
        type=int,
        default=1,
        help='with --show/--show-dir, paint every N-th test image')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s tta_pipeline and '
        'tta_model (mmcrack\'s default runtime: the image as it is and '
        'flipped both ways, probabilities averaged)')
    parser.add_argument(
        '--backend',
        choices=sorted(BACKENDS),
        default='pytorch',
        help='evaluate an exported model: CHECKPOINT is then the '
        'end2end.onnx (onnxruntime; export the logits, '
        'codebase_config.with_argmax=False, for ODS/OIS) or end2end.engine '
        '(tensorrt) that tools/deploy.py wrote; the config\'s test set '
        'runs photo by photo through mmcrack.apis.evaluate_inferencer')
    parser.add_argument(
        '--threshold',
        type=float,
        help='crack where the probability is above this (default: the '
        "threshold published with the model, else the model's labels: "
        'argmax, or the decode head\'s threshold for one-channel heads)')
    add_runner_args(parser)
    args = parse_runner_args(parser)
    if not args.list_models:
        parse_model_args(parser, args)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks: add '
            '"visualization=dict(type=\'SegVisualizationHook\')"')
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    visualization_hook['interval'] = args.show_interval
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def set_threshold(cfg, threshold: float) -> None:
    """Give every ``CrackMetric`` of the test evaluator ``threshold``."""
    metrics = cfg.test_evaluator
    for metric in (metrics if isinstance(metrics, list) else [metrics]):
        if metric.get('type') != 'CrackMetric':
            raise ValueError(
                f'A threshold needs CrackMetric as test_evaluator, not '
                f'{metric.get("type")}; drop --threshold, or evaluate with '
                "test_evaluator=dict(type='CrackMetric').")
        metric['threshold'] = threshold


def test_exported(args, cfg) -> None:
    """Evaluate an exported model on the config's test set and write the
    metrics file as the Runner does (``<work-dir>/<timestamp>.json``)."""
    inferencer = CrackInferencer(
        cfg,
        args.checkpoint,
        backend=args.backend,
        device='cuda' if args.backend == 'tensorrt' else 'cpu',
        threshold=args.threshold)
    metrics = evaluate_inferencer(inferencer, cfg)
    metrics['threshold'] = inferencer.threshold
    metrics_file = osp.join(cfg.work_dir,
                            time.strftime('%Y%m%d_%H%M%S') + '.json')
    os.makedirs(cfg.work_dir, exist_ok=True)
    dump(metrics, metrics_file)
    print_log(
        f'Test metrics ({args.backend}, {args.checkpoint}): ' +
        json.dumps(metrics, default=float) +
        f'\nMetrics saved to {osp.abspath(metrics_file)}',
        logger='current')


def main():
    args = parse_args()
    if args.list_models:
        print(format_model_table())
        return
    resolved = resolve_model(args.model, args.checkpoint)
    if resolved.checkpoint is None:
        raise SystemExit(f'{args.model} is a config: give its checkpoint '
                         '(tools/test.py CONFIG CHECKPOINT), or a model name.')
    args.config, args.checkpoint = resolved.config, resolved.checkpoint

    cfg = load_config(args)
    if args.backend != 'pytorch':
        test_exported(args, cfg)
        return
    # Testing needs no training data, but mmseg's visualization hook reads
    # runner.iter, which builds the train loop and its dataloader (e.g. a
    # WP-CrackNet image-level set that was never made).
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler'):
        cfg[key] = None

    # Loaded below, strictly, rather than by the Runner (load_from), which
    # runs on whatever part of the weights fits.
    cfg.load_from = None
    threshold = args.threshold
    if threshold is None:
        threshold = published_threshold(resolved)
    if threshold is not None:
        set_threshold(cfg, threshold)

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    if args.tta:
        missing = [k for k in ('tta_model', 'tta_pipeline') if k not in cfg]
        if missing:
            raise KeyError(
                f'--tta needs {" and ".join(missing)} in the config; '
                "configs/_base_/default_runtime.py defines both (flip "
                'test-time augmentation with CrackTTAModel): inherit it or '
                'copy them.')
        dataset = cfg.test_dataloader.dataset
        for part in dataset.get('datasets', [dataset]):  # ConcatDataset
            part.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model

    if args.out is not None:
        if osp.isdir(args.out) and os.listdir(args.out):
            raise SystemExit(
                f'--out {args.out} is not empty: its masks would mix with '
                'this run\'s. Give a new folder, or empty this one.')
        cfg.test_evaluator['output_dir'] = args.out

    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    load_model_checkpoint(model.module if args.tta else model,
                          args.checkpoint, args.config, args.allow_partial)
    metrics = runner.test()

    metrics_file = osp.join(runner.log_dir, f'{runner.timestamp}.json')
    rewrite_test_metrics_file(metrics, metrics_file)
    print_log(
        'Test metrics: ' + json.dumps(metrics, default=float) +
        f'\nMetrics saved to {osp.abspath(metrics_file)}',
        logger='current')
    if args.out is not None:
        print_log(f'Predicted masks saved to {osp.abspath(args.out)}',
                  logger='current')
    if args.show_dir:
        print_log(
            'Prediction overlays saved to '
            f'{osp.abspath(osp.join(args.show_dir, "vis_data", "vis_image"))}',
            logger='current')


if __name__ == '__main__':
    main()
