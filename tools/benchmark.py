"""Measure a segmentor's size, cost and speed on every backend present.

For one config (and optionally a checkpoint) or model name at one input
size, reports parameters, MACs (``mmcrack.utils.complexity``, thop's rules)
and inference latency and throughput (warm-up runs, then timed runs: mean,
median, p90 latency, images/s) on the backends this machine has
(``mmcrack.benchmark.backends``):

* ``pytorch``: eager fp32 on CPU;
* ``cuda``, ``cuda-fp16``, ``cuda-channels-last``, ``cuda-graph``: eager on
  the GPU in fp32, autocast fp16, channels-last fp16, and fp16 replayed as a
  CUDA graph (only where torch sees a GPU);
* ``onnxruntime``: the model exported as ``tools/deploy.py`` exports it
  (mmdeploy, static shape, the label map in the graph, mmcrack's graph
  passes), run with mmcrack's session options (intra-op threads = physical
  cores, sequential execution, graph optimization level ALL);
* ``onnxruntime-int8``: that ONNX file quantized to static INT8 as
  ``tools/deploy.py`` does with an ``-int8`` deployment config, calibrated
  on ``--calib-data`` or, for speed alone, on the sample photo;
* ``tensorrt``, ``tensorrt-fp16``: engines built from that ONNX file (only
  with TensorRT 10 and a GPU).

Every backend runs what the deployed graph computes
(``mmcrack.deploy.exported_graph``): backbone, decode head, the resize to
the input size and the label map (argmax, or the sigmoid over the head's
threshold for one-channel heads).

The same run measures the machine's large-GEMM rate (square fp32 matmuls
in torch on the CPU and the GPU and as an ONNX Runtime MatMul, and for the
INT8 row the same MatMul quantized as the models are; the table names
their sizes) and reports each model's achieved MAC rate (its MACs, counted
on the PyTorch modules, per second) as a share of the GEMM rate of its
backend.

All timings are taken in round robin: after the warm-up, every model on
every backend, and the GEMMs, run once per round, so load that other
processes put on the machine hits them alike and the ratios are measured
side by side.

``--compare`` adds the real-time models the HrSegNet paper compares with,
built from mmseg's own configs with 2 classes and random weights (nothing is
downloaded), and measured in the same process, so the "x" column (the
config's throughput over each model's, same backend) is a side-by-side
ratio. ``--train-iters N`` runs N training iterations of the config's own
train dataloader and optimizer and reports images/s and the share of each
iteration spent waiting for data.

Writes ``benchmark.md`` (the table) and ``benchmark.json`` (all numbers,
the machine and the command) to ``--out-dir``. Example (the numbers in
docs/benchmark.md come from it)::

    python tools/benchmark.py \\
        configs/hrsegnet/hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py \\
        --shape 400 400 --compare --backends pytorch onnxruntime

Timings on a shared machine vary with its load: the JSON records the load
average before and after; compare only numbers from one run.
"""
import argparse
import json
import logging
import os
import os.path as osp
import sys
from typing import Optional, Sequence

import torch
from mmengine.logging import MMLogger

import mmcrack  # noqa: F401  (compat fixes, modules)
from mmcrack.apis import resolve_model
from mmcrack.benchmark import (ALL_BACKENDS, COMPARE_MODELS, BenchmarkModel,
                               available_backends, compare_config,
                               load_average, machine_info, markdown_table,
                               measure_inference, measure_training,
                               sample_image, training_summary)
from mmcrack.deploy.onnxruntime import physical_cpu_cores
from mmcrack.utils.cli_args import add_cfg_options_arg, add_shape_arg
from mmcrack.utils.config_check import load_model_config

#: Crack photos the export is traced with, where the data sits beside the
#: repository (else noise).
SAMPLE_PHOTOS = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), '..', 'shared', 'data',
    'cfd', 'images')


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


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    # Building several models logs every step at INFO.
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    args.threads = args.threads or physical_cpu_cores()
    torch.set_num_threads(args.threads)
    backends = available_backends(args.backends)
    resolved = resolve_model(args.config, args.checkpoint)
    args.config, args.checkpoint = resolved.config, resolved.checkpoint
    cfg = load_model_config(args.config, args.cfg_options)
    config_name = osp.splitext(osp.basename(args.config))[0]
    main_name = config_name.split('_')[0]
    out_dir = args.out_dir or osp.join('work_dirs', 'benchmark', config_name)
    os.makedirs(out_dir, exist_ok=True)
    load_before = load_average()

    models = [BenchmarkModel(main_name, cfg, args.checkpoint)]
    if args.compare:
        models += [
            BenchmarkModel(name, compare_config(name))
            for name in args.compare_models or COMPARE_MODELS
        ]
    print(f'[benchmark] timing {len(models)} model(s) on {backends} and the '
          f'GEMM references: {args.warmup} warm-up runs each, then '
          f'{args.runs} rounds', flush=True)
    timings = measure_inference(
        models,
        backends,
        args.shape,
        batch=args.batch,
        warmup=args.warmup,
        runs=args.runs,
        threads=args.threads,
        sample_img=sample_image(args.shape, SAMPLE_PHOTOS),
        calib_data=args.calib_data)
    results, gemm = timings['results'], timings['gemm']
    for row in results:
        status = (f'{row["median_ms"]:.2f} ms median, '
                  f'{row["images_per_s"]:.2f} img/s'
                  if 'median_ms' in row else f'skipped: {row["error"]}')
        print(f'[benchmark] {row["model"]:18s} {row["backend"]:20s} '
              f'{status}')
    training = None
    if args.train_iters:
        training = measure_training(
            cfg,
            args.train_iters,
            warmup=args.train_warmup,
            data_root=args.train_data,
            batch_size=args.train_batch)
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
            machine_info(args.threads),
            load_average_before=load_before,
            load_average_after=load_average()),
        gemm_macs_per_s={row['backend']: row['macs_per_s']
                         for row in gemm},
        gemm=gemm,
        results=results,
        training=training)
    table = markdown_table(results, main_name, gemm, args.shape, args.batch)
    if training:
        table += '\n\n' + training_summary(training)
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


if __name__ == '__main__':
    main()
