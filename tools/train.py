"""Train a segmentor: MMSegmentation's ``tools/train.py`` with mmcrack loaded.

Arguments and behaviour are those of ``mmseg/tools/train.py``; in addition
mmcrack is imported (its compatibility fixes and modules), misspelt top-level
config keys are reported before anything runs, pretrained weights the
config starts from are checked to be at hand (``mmcrack.utils.pretrained``;
not fetched again when resuming), ``--amp`` without a GPU
trains in bfloat16 autocast where the CPU has native bfloat16 (and stops
with a message where it has not), glibc's malloc is told to keep
freed activation memory (``mmcrack.utils.malloc_tuning``: faster training on
a CPU), and the run ends with a line saying where the checkpoints
and logs are.
"""
import argparse
import logging
import os.path as osp

from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.runner import Runner, find_latest_checkpoint
from mmseg.registry import RUNNERS

import mmcrack  # noqa: F401
from mmcrack.engine.optimizers import cpu_supports_bf16
from mmcrack.utils.pretrained import (PretrainedWeightsError,
                                      check_pretrained, drop_pretrained)
from mmcrack.utils.malloc_tuning import tune_glibc_malloc
from mmcrack.utils.cli_args import (add_runner_args, load_config,
                                    parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    add_runner_args(parser)
    return parse_runner_args(parser)


def main():
    args = parse_args()
    tune_glibc_malloc()

    cfg = load_config(args)

    if args.amp is True and get_device() == 'cpu':
        # bfloat16 autocast (mmengine's AmpOptimWrapper refuses the CPU).
        if not cpu_supports_bf16():
            raise RuntimeError(
                '--amp on the CPU trains in bfloat16, and this CPU has no '
                'native bfloat16 support (AVX-512 BF16 or AMX), so it would '
                'be slower than float32: train without --amp.')
        if cfg.optim_wrapper.type != 'OptimWrapper':
            raise RuntimeError(
                f'--amp on the CPU replaces an OptimWrapper, not '
                f'{cfg.optim_wrapper.type}.')
        cfg.optim_wrapper.type = 'CPUBF16OptimWrapper'
        print_log('--amp on the CPU: bfloat16 autocast (CPUBF16OptimWrapper)',
                  logger='current')
    elif args.amp is True:
        if get_device() == 'mps':
            raise RuntimeError(
                '--amp needs a CUDA (or NPU, MLU, MUSA) device or a CPU with '
                "bfloat16: mmengine's AmpOptimWrapper does not run on MPS. "
                'Train without --amp here (fp32).')
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    cfg.resume = args.resume
    if args.resume or cfg.get('load_from'):
        # The checkpoint replaces the initial weights: fetch no others.
        drop_pretrained(cfg.model)
    else:
        try:
            check_pretrained(cfg.model)
        except PretrainedWeightsError as err:
            raise SystemExit(f'error: {err}') from err
    if (args.resume and cfg.get('load_from') is None
            and find_latest_checkpoint(cfg.work_dir) is None):
        # mmengine would log "resumed from None" and start from scratch.
        raise FileNotFoundError(
            '--resume: no checkpoint to resume in '
            f'{osp.abspath(cfg.work_dir)} (it has no last_checkpoint file). '
            'Pass the --work-dir of the run to continue, or start a new run '
            'without --resume.')

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.train()
    print_log(
        f'Training finished. Checkpoints: {osp.abspath(cfg.work_dir)} '
        f'(last_checkpoint names the latest); logs and scalars: '
        f'{osp.abspath(runner.log_dir)}',
        logger='current')


if __name__ == '__main__':
    main()
