"""Print the parameters and MACs of a segmentor config at one input size.

Mirrors mmseg's tools/analysis_tools/get_flops.py (same arguments), but
counts multiply-accumulates with the rules of mmcrack.utils.complexity
(those of thop.profile: convs and linears, norms, average pooling), which
reproduce HrSegNet's published complexity, and it reports all parameters
and those of the inference path (the modules that run in ``'tensor'`` mode:
no auxiliary heads, nor WP-CrackNet's training-only parts).

Example:
    python tools/analysis_tools/get_flops.py \\
        configs/hrsegnet/hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py \\
        --shape 400 400
"""
import argparse
from typing import Optional, Sequence

import torch
from mmengine import Config

from mmcrack.apis import init_model
from mmcrack.utils.complexity import count_params, profile_call
from mmcrack.utils.cli_args import add_cfg_options_arg, add_shape_arg
from mmcrack.utils.config_check import load_model_config


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config file path')
    # mmseg's default size.
    add_shape_arg(parser, (2048, 1024))
    add_cfg_options_arg(parser)
    return parser.parse_args(argv)


def get_complexity(cfg: Config, shape: Sequence[int]) -> dict:
    """Build ``cfg.model`` for inference (:func:`~mmcrack.apis.init_model`)
    and count its parameters and MACs.

    Args:
        cfg (Config): A config with a segmentor ``model``.
        shape (Sequence[int]): Input (H, W).

    Returns:
        dict: ``params`` (all parameters), ``params_infer`` (those of the
        modules that run at inference) and ``macs`` (one 1x3xHxW image, in
        test mode).
    """
    model = init_model(cfg)
    # mode='tensor' runs what inference runs (backbone and decode head).
    result = profile_call(model, torch.zeros(1, 3, *shape), mode='tensor')
    return dict(
        params=count_params(model),
        params_infer=result['params'],
        macs=result['macs'])


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_model_config(args.config, args.cfg_options)
    result = get_complexity(cfg, args.shape)
    split_line = '=' * 30
    params = f'{result["params"] / 1e6:.4f} M'
    if result['params_infer'] != result['params']:
        params += (f' ({result["params_infer"] / 1e6:.4f} M at inference: '
                   'without training-only parts such as auxiliary heads)')
    print(f'{split_line}\nConfig: {args.config}\n'
          f'Input shape: (1, 3, {args.shape[0]}, {args.shape[1]})\n'
          f'MACs: {result["macs"] / 1e9:.3f} G\n'
          f'Params: {params}\n{split_line}')
    print('MACs count conv/linear multiply-accumulates, 2 ops per norm '
          'element (4 with affine) and 1 per average-pooled element, as '
          'thop.profile does; see mmcrack/utils/complexity.py.')


if __name__ == '__main__':
    main()
