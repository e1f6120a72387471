"""tools/model_converters/resnet38d_mxnet2mmcrack.py on files written in
MXNet's NDArray list format with known values."""
import re
import struct

import numpy as np
import pytest
import torch

from mmcrack.models.wp_cracknet import ResNet38d

#: 1/8 of the ImageNet model's widths: small files, the same layout.
CHANNELS = [8, 16, 32, 64, 128, 256, 512]
BN_MX = dict(
    weight='gamma', bias='beta', running_mean='moving_mean',
    running_var='moving_var')


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('model_converters/resnet38d_mxnet2mmcrack.py')


def mxnet_name(name: str) -> str:
    """The MXNet ResNet38 name of a mmcrack ResNet38d parameter."""
    if name == 'conv1a.weight':
        return 'arg:conv1a_weight'
    if name.startswith('bn7.'):
        param = BN_MX[name.split('.')[1]]
        return ('aux:' if 'moving' in param else 'arg:') + f'bn7_{param}'
    block, layer, param = name.split('.')
    m = re.fullmatch(r'b(\d)(?:_(\d+))?', block)
    unit = 'a' if m[2] is None else f'b{m[2]}'
    kind, branch = layer.split('_branch')
    if kind == 'conv':
        return f'arg:res{m[1]}{unit}_branch{branch}_weight'
    param = BN_MX[param]
    prefix = 'aux:' if 'moving' in param else 'arg:'
    return f'{prefix}bn{m[1]}{unit}_branch{branch}_{param}'


def write_params(path, arrays: dict, version: int = 2) -> None:
    """``mx.nd.save(path, arrays)`` as MXNet writes it (float32, CPU)."""
    magic = {1: 0xF993FAC8, 2: 0xF993FAC9}[version]
    with open(path, 'wb') as f:
        f.write(struct.pack('<QQQ', 0x112, 0, len(arrays)))
        for value in arrays.values():
            f.write(struct.pack('<I', magic))
            if version >= 2:
                f.write(struct.pack('<i', 0))  # dense
                f.write(struct.pack('<i', value.ndim))
                f.write(struct.pack(f'<{value.ndim}q', *value.shape))
            else:
                f.write(struct.pack('<I', value.ndim))
                f.write(struct.pack(f'<{value.ndim}I', *value.shape))
            f.write(struct.pack('<iii', 1, 0, 0))  # cpu(0), float32
            f.write(np.ascontiguousarray(value, np.float32).tobytes())
        f.write(struct.pack('<Q', len(arrays)))
        for name in arrays:
            data = name.encode()
            f.write(struct.pack('<Q', len(data)) + data)


@pytest.fixture(scope='module')
def source():
    """A 1/8-width ResNet38d with distinct values, as MXNet arrays."""
    torch.manual_seed(0)
    model = ResNet38d(channels=CHANNELS)
    state = {
        k: torch.randn_like(v.float())
        for k, v in model.state_dict().items()
        if not k.endswith('num_batches_tracked')
    }
    arrays = {mxnet_name(k): v.numpy() for k, v in state.items()}
    arrays['arg:linear1000_weight'] = np.ones((10, 512), np.float32)
    return state, arrays


@pytest.mark.parametrize('version', [1, 2])
def test_every_tensor_maps_to_its_value(tool, tmp_path, source, version,
                                        capsys):
    state, arrays = source
    src, dst = tmp_path / 'r38d.params', tmp_path / 'out' / 'r38d.pth'
    write_params(src, arrays, version)
    tool.main([str(src), str(dst), '--channels', *map(str, CHANNELS)])
    converted = torch.load(dst, weights_only=True)['state_dict']
    for name, value in state.items():
        assert torch.equal(converted[name], value), name
    # It loads into the encoder with every key used.
    model = ResNet38d(channels=CHANNELS)
    assert not model.load_state_dict(converted, strict=True).missing_keys
    assert 'Converted ResNet38d' in capsys.readouterr().out


def test_files_that_do_not_map_are_refused(tool, tmp_path, source):
    _, arrays = source
    extra = dict(arrays, **{'arg:res8a_branch1_weight': np.ones(1)})
    write_params(tmp_path / 'extra.params', extra)
    with pytest.raises(SystemExit, match=r'1 tensors with no ResNet38d name:'
                       r'\n  arg:res8a_branch1_weight'):
        tool.main([str(tmp_path / 'extra.params'), str(tmp_path / 'x.pth'),
                   '--channels', *map(str, CHANNELS)])
    fewer = {k: v for k, v in arrays.items() if k != 'arg:conv1a_weight'}
    write_params(tmp_path / 'fewer.params', fewer)
    with pytest.raises(SystemExit, match=r'1 ResNet38d weights missing:'
                       r'\n  conv1a.weight'):
        tool.main([str(tmp_path / 'fewer.params'), str(tmp_path / 'x.pth'),
                   '--channels', *map(str, CHANNELS)])
    # The full-width model does not take 1/8-width weights.
    with pytest.raises(SystemExit, match='shapes that disagree'):
        tool.main([str(tmp_path / 'extra.params'), str(tmp_path / 'x.pth')])
    assert not (tmp_path / 'x.pth').exists()


def test_other_files_are_refused(tool, tmp_path, source):
    _, arrays = source
    (tmp_path / 'a.params').write_bytes(b'\x89PNG\r\n' + bytes(40))
    with pytest.raises(SystemExit, match='not an MXNet .params file'):
        tool.main([str(tmp_path / 'a.params'), str(tmp_path / 'x.pth')])
    write_params(tmp_path / 'full.params', arrays)
    data = (tmp_path / 'full.params').read_bytes()
    (tmp_path / 'cut.params').write_bytes(data[:len(data) // 2])
    with pytest.raises(SystemExit, match='ends early'):
        tool.main([str(tmp_path / 'cut.params'), str(tmp_path / 'x.pth')])
