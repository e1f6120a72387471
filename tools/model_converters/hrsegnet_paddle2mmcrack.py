"""Convert an official HrSegNet checkpoint (PaddleSeg .pdparams) to mmcrack.

The official weights of HrSegNet (CHDyshli/HrSegNet4CrackSegmentation) are
PaddlePaddle state dicts: a pickled dict of numpy arrays, which this tool
reads without Paddle. It renames every tensor to mmcrack's EncoderDecoder
(backbone ``HrSegNet``, ``decode_head`` ``HrSegNetHead``, the two
``auxiliary_head`` s ``HrSegNetAuxHead``), turns Paddle's BN ``_mean`` /
``_variance`` into ``running_mean`` / ``running_var``, checks every name and
shape against the model mmcrack builds for that base width, and saves an
MMEngine checkpoint (``state_dict`` and ``meta``).

Example:
    python tools/model_converters/hrsegnet_paddle2mmcrack.py \\
        hrsegnet_b16.pdparams checkpoints/hrsegnet-b16_crackseg9k.pth
    python tools/test.py \\
        configs/hrsegnet/hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py \\
        checkpoints/hrsegnet-b16_crackseg9k.pth
"""
import argparse
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import mmengine
import numpy as np
import torch

#: Paddle BN parameter name -> PyTorch name.
BN_NAMES = {
    'weight': 'weight',
    'bias': 'bias',
    '_mean': 'running_mean',
    '_variance': 'running_var'
}
#: Heads of the official model -> mmcrack EncoderDecoder prefixes.
HEADS = {
    'head': 'decode_head',
    'aux_head1': 'auxiliary_head.0',
    'aux_head2': 'auxiliary_head.1'
}


def _conv_bn(index: int, param: str, conv: str, bn: str) -> Optional[str]:
    """Name of a param of a Paddle ``Sequential(Conv2D, BatchNorm2D, ...)``
    at ``index`` (0 conv, 1 BN) as the ConvModule ``conv`` / ``bn``."""
    if index == 0 and param in ('weight', 'bias'):
        return f'{conv}.{param}'
    if index == 1 and param in BN_NAMES:
        return f'{bn}.{BN_NAMES[param]}'
    return None


def convert_key(key: str) -> Optional[str]:
    """mmcrack name of an official HrSegNet parameter; None if unknown."""
    m = re.fullmatch(r'stage([12])\.([01])\.(\w+)', key)
    if m:  # stem: stage1/stage2 = Sequential(Conv2D, BatchNorm2D, ReLU)
        prefix = f'backbone.stem.{int(m[1]) - 1}'
        return _conv_bn(int(m[2]), m[3], f'{prefix}.conv', f'{prefix}.bn')
    m = re.fullmatch(r'seg([123])\.(\w+?)(\d)\.(?:(\d)\.)?(\w+)', key)
    if m:
        block, layer, k, index, param = (int(m[1]), m[2], int(m[3]),
                                         m[4] and int(m[4]), m[5])
        prefix = f'backbone.blocks.{block - 1}'
        if layer == 'l2h_conv' and index is None:
            return f'{prefix}.fuse_convs.{k - 1}.{param}'
        if layer == 'h_conv' and index in (0, 1):
            sub = f'{prefix}.high_convs.{k - 1}'
            return _conv_bn(index, param, f'{sub}.conv', f'{sub}.bn')
        if layer == 'l_conv' and k in (2, 3) and index in (0, 1):
            sub = f'{prefix}.semantic_convs.{k - 1}'
            return _conv_bn(index, param, f'{sub}.conv', f'{sub}.bn')
        if layer == 'l_conv' and k == 1 and index is not None:
            # Blocks 2 and 3 start with AvgPool2D (no params) in both
            # models; then (Conv2D, BatchNorm2D, ReLU) per ConvModule.
            offset = 0 if block == 1 else 1
            module, pos = divmod(index - offset, 3)
            if index >= offset and pos in (0, 1):
                sub = f'{prefix}.semantic_convs.0.{module + offset}'
                return _conv_bn(pos, param, f'{sub}.conv', f'{sub}.bn')
        return None
    m = re.fullmatch(r'(head|aux_head1|aux_head2)\.(.+)', key)
    if m:
        prefix, rest = HEADS[m[1]], m[2]
        m = re.fullmatch(r'bn1\.(\w+)', rest)
        if m:
            return _conv_bn(1, m[1], '', f'{prefix}.bn')
        m = re.fullmatch(r'con_bn_relu\.([01])\.(\w+)', rest)
        if m:
            return _conv_bn(
                int(m[1]), m[2], f'{prefix}.conv.conv', f'{prefix}.conv.bn')
        m = re.fullmatch(r'conv\.(weight|bias)', rest)
        if m:
            return f'{prefix}.conv_seg.{m[1]}'
    return None


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and plain containers only.

    A ``.pdparams`` file is a pickle, and unpickling runs whatever code the
    file names: this one admits the few numpy globals that rebuild arrays
    (and ``OrderedDict``) and refuses every other, so a crafted file stops
    with an error instead of running code.
    """
    ALLOWED = {
        ('_codecs', 'encode'),  # bytes in a protocol-2 pickle
        ('collections', 'OrderedDict'),
        ('numpy', 'ndarray'),
        ('numpy', 'dtype'),
        ('numpy.core.multiarray', '_reconstruct'),
        ('numpy.core.multiarray', 'scalar'),
        ('numpy._core.multiarray', '_reconstruct'),
        ('numpy._core.multiarray', 'scalar'),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f'refusing to load {module}.{name}: a Paddle state dict holds '
                'numpy arrays only, and this file asks to run other code')
        return super().find_class(module, name)


def load_pdparams(path: str) -> Dict[str, np.ndarray]:
    """Read a Paddle state dict (``paddle.save``) as name -> numpy array,
    with :class:`ArrayUnpickler` (no code in the file is run)."""
    with open(path, 'rb') as f:
        try:
            obj = ArrayUnpickler(f, encoding='latin1').load()
        except pickle.UnpicklingError as err:
            raise SystemExit(f'{path}: not loaded: {err}.') from err
    if not isinstance(obj, dict):
        raise ValueError(
            f'{path} holds a {type(obj).__name__}, not a Paddle state dict.')
    arrays = {}
    for key, value in obj.items():
        if key.endswith('@@'):  # e.g. StructuredToParameterName@@
            continue
        if isinstance(value, tuple) and len(value) == 2:  # (name, array)
            value = value[1]
        arrays[key] = np.asarray(value)
    return arrays


def reference_state_dict(base_channels: int,
                         num_classes: int) -> Dict[str, torch.Tensor]:
    """State dict of the mmcrack model the checkpoint must fill."""
    import mmcrack  # noqa: F401  (registers HrSegNet)
    from mmseg.registry import MODELS
    norm_cfg = dict(type='BN')
    head = dict(
        in_channels=base_channels,
        channels=base_channels,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        loss_decode=dict(type='OhemCrossEntropyLoss'))
    model = MODELS.build(
        dict(
            type='mmseg.EncoderDecoder',
            backbone=dict(
                type='HrSegNet',
                base_channels=base_channels,
                norm_cfg=norm_cfg),
            decode_head=dict(type='HrSegNetHead', in_index=2, **head),
            auxiliary_head=[
                dict(type='HrSegNetAuxHead', in_index=i, **head)
                for i in (0, 1)
            ]))
    return model.state_dict()


def convert(src: Dict[str, np.ndarray],
            base_channels: Optional[int] = None) -> 'OrderedDict':
    """Convert an official state dict to mmcrack's, checking every tensor.

    Args:
        src (dict): Official parameter name -> numpy array.
        base_channels (int, optional): Expected base width; by default it is
            read from the weights.

    Raises:
        ValueError: Listing the official keys left over (no mmcrack name),
            the mmcrack keys missing and the shapes that disagree.
    """
    for key in ('stage2.0.weight', 'head.conv.weight'):
        if key not in src:
            raise ValueError(
                f'{key} is missing: this is not an official HrSegNet state '
                f'dict (first keys: {sorted(src)[:5]}).')
    found_base = src['stage2.0.weight'].shape[0]
    if base_channels is not None and base_channels != found_base:
        raise ValueError(
            f'--base {base_channels} was given, but the weights are '
            f'HrSegNet-B{found_base}.')
    num_classes = src['head.conv.weight'].shape[0]
    ref = reference_state_dict(found_base, num_classes)

    dst, leftover = OrderedDict(), []
    for key, value in src.items():
        new_key = convert_key(key)
        if new_key is None or new_key not in ref:
            leftover.append(key)
        else:
            dst[new_key] = torch.from_numpy(np.ascontiguousarray(value))
    for key, value in ref.items():
        if key.endswith('num_batches_tracked'):
            dst[key] = torch.zeros_like(value)  # Paddle does not track it
    missing = [key for key in ref if key not in dst]
    wrong_shape = [
        f'{key}: {tuple(dst[key].shape)} instead of {tuple(ref[key].shape)}'
        for key in ref if key in dst and dst[key].shape != ref[key].shape
    ]
    if leftover or missing or wrong_shape:
        lines = [f'Cannot convert the weights to HrSegNet-B{found_base}:']
        for title, keys in (('official keys left over', leftover),
                            ('mmcrack keys missing', missing),
                            ('shapes that disagree', wrong_shape)):
            if keys:
                lines.append(f'{len(keys)} {title}:')
                lines.extend(f'  {key}' for key in keys)
        raise ValueError('\n'.join(lines))
    return OrderedDict((key, dst[key].float() if dst[key].is_floating_point()
                        else dst[key]) for key in ref)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'src',
        metavar='SRC.pdparams',
        help='official HrSegNet weights (a PaddleSeg model.pdparams)')
    parser.add_argument(
        'dst',
        metavar='DST.pth',
        help='MMEngine checkpoint to write (folders are created)')
    parser.add_argument(
        '--base',
        type=int,
        choices=(16, 32, 48, 64),
        help='base width of the model (HrSegNet-B16/B32/B48/B64); checked '
        'against the weights, which tell it anyway (default: read from '
        'the weights)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    src = load_pdparams(args.src)
    try:
        state_dict = convert(src, args.base)
    except ValueError as err:
        raise SystemExit(f'{args.src}: {err}') from err
    base = state_dict['backbone.stem.1.conv.weight'].shape[0]
    num_classes = state_dict['decode_head.conv_seg.weight'].shape[0]
    meta = dict(
        source=osp.abspath(args.src),
        converter='tools/model_converters/hrsegnet_paddle2mmcrack.py',
        base_channels=base)
    if num_classes == 2:
        from mmcrack.datasets import CrackDataset
        meta['dataset_meta'] = dict(CrackDataset.METAINFO)
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(args.dst)))
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    num_params = sum(v.numel() for k, v in state_dict.items()
                     if not re.search(r'running_|num_batches', k))
    print(f'Converted HrSegNet-B{base} ({num_classes} classes, '
          f'{num_params / 1e6:.4f} M parameters, {len(src)} official '
          f'tensors) from {args.src} to {osp.abspath(args.dst)}.')
    print(f'Use it with a configs/hrsegnet/hrsegnet-b{base}_*.py config, '
          'e.g. `python tools/test.py CONFIG DST.pth`.')


if __name__ == '__main__':
    main()
