"""Convert the ImageNet ResNet38d weights (MXNet .params) to mmcrack.

WP-CrackNet's official code, like PSA and ACR before it, starts both of
its encoders from the ImageNet ResNet38 of Wu et al. ("Wider or Deeper",
``resnet_38d.params``, an MXNet NDArray list). This tool reads that file
without MXNet (:func:`read_ndarray_list`: MXNet's documented list format,
dense float arrays), renames every tensor to mmcrack's
:class:`~mmcrack.models.wp_cracknet.ResNet38d` (:func:`convert_key`), checks
names and shapes against the model mmcrack builds, and saves an MMEngine
checkpoint. The ImageNet classifier (``linear1000``) is left out; any other
tensor that has no mmcrack name, and any mmcrack weight the file lacks, is
an error.

Example:
    python tools/model_converters/resnet38d_mxnet2mmcrack.py \\
        resnet_38d.params ~/.cache/mmcrack/checkpoints/resnet38d_imagenet.pth
    python tools/train.py \\
        configs/wp_cracknet/wp-cracknet_r38d_1xb4-46k_cfd-weak-256x256.py \\
        --cfg-options \\
        model.pretrained=~/.cache/mmcrack/checkpoints/resnet38d_imagenet.pth
"""
import argparse
import os.path as osp
import re
import struct
from collections import OrderedDict
from typing import BinaryIO, Dict, Optional, Sequence

import numpy as np

#: Magic number of an MXNet NDArray list file.
LIST_MAGIC = 0x112
#: Magic numbers of one saved NDArray: V1 (no storage type), V2, V3 (numpy
#: shape semantics); V2 and V3 store the storage type next.
NDARRAY_MAGICS = {0xF993FAC8: 1, 0xF993FAC9: 2, 0xF993FACA: 3}
#: MXNet type flags -> numpy dtypes.
DTYPES = {
    0: np.float32,
    1: np.float64,
    2: np.float16,
    3: np.uint8,
    4: np.int32,
    5: np.int8,
    6: np.int64
}
#: MXNet BatchNorm parameter names -> PyTorch's.
BN_NAMES = dict(
    gamma='weight',
    beta='bias',
    moving_mean='running_mean',
    moving_var='running_var')
#: The ImageNet classifier, which the encoders do not have.
CLASSIFIER = re.compile(r'(fc|linear)\d*_')


def _read(f: BinaryIO, fmt: str):
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError('the file ends early (truncated?)')
    return struct.unpack(fmt, data)


def _read_ndarray(f: BinaryIO) -> np.ndarray:
    magic, = _read(f, '<I')
    version = NDARRAY_MAGICS.get(magic)
    if version is None:
        raise ValueError(f'unknown NDArray magic {magic:#x}')
    if version >= 2:
        storage_type, = _read(f, '<i')
        if storage_type != 0:
            raise ValueError(
                f'storage type {storage_type} (sparse) is not supported')
    ndim, = _read(f, '<i' if version >= 2 else '<I')
    shape = _read(f, f'<{ndim}q' if version >= 2 else f'<{ndim}I')
    if ndim == 0 or (version < 3 and not shape):
        return np.zeros((0, ), np.float32)
    _read(f, '<ii')  # context: device type and id
    type_flag, = _read(f, '<i')
    if type_flag not in DTYPES:
        raise ValueError(f'unknown type flag {type_flag}')
    dtype = np.dtype(DTYPES[type_flag])
    count = int(np.prod(shape))
    data = f.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError('the file ends early (truncated?)')
    return np.frombuffer(data, dtype).reshape(shape).copy()


def read_ndarray_list(path: str) -> Dict[str, np.ndarray]:
    """Read an MXNet NDArray list (``mx.nd.save`` of a dict) without MXNet.

    Layout (little-endian): uint64 list magic 0x112, uint64 reserved,
    uint64 count, the arrays (each: uint32 magic, int32 storage type from
    V2 on, the shape as int32 ndim and int64 dims (uint32 both in V1), the
    context as two int32, int32 type flag, the raw data), then uint64 count
    and the names (uint64 length, bytes).
    """
    with open(path, 'rb') as f:
        try:
            magic, _ = _read(f, '<QQ')
            if magic != LIST_MAGIC:
                raise ValueError(f'list magic {magic:#x}, not {LIST_MAGIC:#x}'
                                 ': not an MXNet .params file')
            count, = _read(f, '<Q')
            arrays = [_read_ndarray(f) for _ in range(count)]
            num_names, = _read(f, '<Q')
            names = []
            for _ in range(num_names):
                length, = _read(f, '<Q')
                names.append(f.read(length).decode('utf-8'))
        except (ValueError, struct.error, UnicodeDecodeError) as err:
            raise ValueError(f'{path}: cannot read it as an MXNet NDArray '
                             f'list: {err}') from err
    if len(names) != len(arrays):
        raise ValueError(f'{path}: {len(arrays)} arrays but {len(names)} '
                         'names; a ResNet38d .params file names each array.')
    return dict(zip(names, arrays))


def convert_key(key: str) -> Optional[str]:
    """mmcrack name of an MXNet ResNet38 parameter; None if it has none.

    ``arg:``/``aux:`` prefixes are dropped. ``res<s><u>_branch<b>_weight``
    and ``bn<s><u>_branch<b>_<param>`` belong to unit ``<u>`` of stage
    ``<s>``: ``a`` is mmcrack's block ``b<s>``, ``b<k>`` is ``b<s>_<k>``.
    """
    key = key.split(':', 1)[-1]
    if key == 'conv1a_weight':
        return 'conv1a.weight'
    m = re.fullmatch(r'bn7_(gamma|beta|moving_mean|moving_var)', key)
    if m:
        return f'bn7.{BN_NAMES[m[1]]}'
    m = re.fullmatch(
        r'(res|bn)(\d)(?:a|b(\d+))_branch(\w+?)_'
        r'(weight|gamma|beta|moving_mean|moving_var)', key)
    if not m:
        return None
    kind, stage, unit, branch, param = m.groups()
    block = f'b{stage}' + (f'_{unit}' if unit else '')
    if kind == 'res' and param == 'weight':
        return f'{block}.conv_branch{branch}.weight'
    if kind == 'bn' and param in BN_NAMES:
        return f'{block}.bn_branch{branch}.{BN_NAMES[param]}'
    return None


def reference_state_dict(channels: Sequence[int]):
    """State dict of the mmcrack ResNet38d the weights must fill."""
    import mmcrack  # noqa: F401  (registers ResNet38d)
    from mmcrack.models.wp_cracknet import ResNet38d
    return ResNet38d(channels=tuple(channels)).state_dict()


def convert(src: Dict[str, np.ndarray],
            channels: Sequence[int] = (64, 128, 256, 512, 1024, 2048, 4096)):
    """Rename ``src`` to mmcrack's ResNet38d and check it completely.

    Returns:
        OrderedDict: name -> tensor, in the model's order.

    Raises:
        ValueError: listing the tensors left over, the weights missing and
            the shapes that disagree.
    """
    import torch
    ref = reference_state_dict(channels)
    dst, leftover = {}, []
    for key, value in src.items():
        name = convert_key(key)
        if name is None and CLASSIFIER.match(key.split(':', 1)[-1]):
            continue
        if name is None or name not in ref:
            leftover.append(key)
        else:
            dst[name] = torch.from_numpy(np.ascontiguousarray(value))
    for name, value in ref.items():
        if name.endswith('num_batches_tracked'):
            dst[name] = torch.zeros_like(value)
    missing = [name for name in ref if name not in dst]
    wrong_shape = [
        f'{name}: {tuple(dst[name].shape)} instead of '
        f'{tuple(ref[name].shape)}' for name in ref
        if name in dst and dst[name].shape != ref[name].shape
    ]
    if leftover or missing or wrong_shape:
        lines = ['Cannot convert the weights to ResNet38d:']
        for title, keys in (('tensors with no ResNet38d name', leftover),
                            ('ResNet38d weights missing', missing),
                            ('shapes that disagree', wrong_shape)):
            if keys:
                lines.append(f'{len(keys)} {title}:')
                lines.extend(f'  {key}' for key in keys)
        raise ValueError('\n'.join(lines))
    return OrderedDict(
        (name, dst[name].float() if dst[name].is_floating_point() else
         dst[name]) for name in ref)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'src', metavar='SRC.params', help='MXNet ResNet38d weights')
    parser.add_argument(
        'dst',
        metavar='DST.pth',
        help='MMEngine checkpoint to write (folders are created)')
    parser.add_argument(
        '--channels',
        type=int,
        nargs=7,
        default=[64, 128, 256, 512, 1024, 2048, 4096],
        help="the ResNet38d widths (conv1a, b2-b7) the weights are for "
        '(default: the ImageNet model)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    import torch
    args = parse_args(argv)
    try:
        state_dict = convert(read_ndarray_list(args.src), args.channels)
    except (OSError, ValueError) as err:
        raise SystemExit(f'{args.src}: {err}') from err
    dst = osp.abspath(osp.expanduser(args.dst))
    import mmengine
    mmengine.mkdir_or_exist(osp.dirname(dst))
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(
                source=osp.abspath(args.src),
                converter='tools/model_converters/resnet38d_mxnet2mmcrack.py',
                channels=list(args.channels))), dst)
    num = sum(v.numel() for k, v in state_dict.items()
              if not re.search(r'running_|num_batches', k))
    print(f'Converted ResNet38d ({num / 1e6:.2f} M parameters, '
          f'{len(state_dict)} tensors) from {args.src} to {dst}.')


if __name__ == '__main__':
    main()
