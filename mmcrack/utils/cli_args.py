"""The command-line arguments the tools share.

``tools/train.py`` and ``tools/test.py`` keep the arguments of MMSegmentation's
tools, and every tool that loads a config takes ``--cfg-options``; this module
holds them once. Configs are loaded and checked by
:func:`mmcrack.utils.config_check.load_model_config`.
"""
import argparse
import os
import os.path as osp
from typing import Tuple

from mmengine.config import Config, DictAction

from .config_check import load_model_config


def add_cfg_options_arg(parser: argparse.ArgumentParser) -> None:
    """Add mmseg's ``--cfg-options`` (``key=value`` config overrides)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed: mmengine\'s parser (DictAction) removes the spaces '
        'inside a value, so set a value with spaces (a path, a title) in a '
        'config file that inherits this one.')


class _ShapeAction(argparse.Action):
    """Store one or two numbers as an (H, W) tuple; one is a square."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(values) not in (1, 2):
            parser.error(f'{option_string} takes one or two numbers (H W)')
        setattr(namespace, self.dest, (values[0], values[-1]))


def add_shape_arg(parser: argparse.ArgumentParser,
                  default: Tuple[int, int]) -> None:
    """Add ``--shape H [W]``, the input size, parsed into ``(H, W)``."""
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=tuple(default),
        action=_ShapeAction,
        metavar='SIZE',
        help=f'input size: H W, or one number for a square input '
        f'(default: {default[0]} {default[1]})')


def add_model_args(parser: argparse.ArgumentParser,
                   *trailing: str) -> None:
    """Add ``MODEL [CHECKPOINT] TRAILING...``, ``--list-models`` and
    ``--allow-partial``.

    ``MODEL`` is a model name of the index (its config and published
    weights) or a config file, which then needs ``CHECKPOINT``; a checkpoint
    after a name replaces its weights. ``trailing`` gives the names and help
    texts of the positional arguments that follow (e.g. ``'input', '...'``);
    :func:`parse_model_args` sorts them out after parsing.
    """
    names = trailing[0::2]
    parser.add_argument(
        'model',
        nargs='?',
        help='a model name of the index (see --list-models) or a model '
        'config file')
    parser.add_argument(
        'paths',
        nargs='*',
        metavar=' '.join(['[CHECKPOINT]'] + [n.upper() for n in names]),
        help='the checkpoint (with a config: needed; with a name: replaces '
        'its published weights), then ' + '; '.join(
            f'{n.upper()}: {h}' for n, h in zip(names, trailing[1::2])))
    parser.add_argument(
        '--list-models',
        action='store_true',
        help='print the model names of the index with their data, results '
        'and weights, and exit')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='load a checkpoint that fits the model only in part (missing, '
        'unexpected or mis-shaped weights are otherwise an error)')


def parse_model_args(parser: argparse.ArgumentParser,
                     args: argparse.Namespace, *names: str) -> None:
    """Set ``args.checkpoint`` and ``args.<name>`` for each of ``names``
    from the positional arguments of :func:`add_model_args`."""
    if args.model is None:
        parser.error('a model name or config is needed (or --list-models)')
    paths = list(args.paths)
    if len(paths) == len(names) + 1:
        args.checkpoint = paths.pop(0)
    elif len(paths) == len(names):
        args.checkpoint = None
    else:
        wanted = ' '.join(n.upper() for n in names)
        parser.error(f'expected MODEL [CHECKPOINT] {wanted}'.rstrip() +
                     f', got {len(paths) + 1} positional arguments')
    for name, value in zip(names, paths):
        setattr(args, name, value)


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed launchers pass --local-rank (or set LOCAL_RANK).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the arguments and export ``LOCAL_RANK`` like mmseg's tools."""
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_config(args: argparse.Namespace) -> Config:
    """Load ``args.config``, apply ``--cfg-options`` and pick the work dir.

    The work dir is, in this order: ``--work-dir``, ``work_dir`` in the
    config, ``./work_dirs/<config name>``.
    """
    cfg = load_model_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg
