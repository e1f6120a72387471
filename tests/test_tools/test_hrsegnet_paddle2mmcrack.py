"""tools/model_converters/hrsegnet_paddle2mmcrack.py: official weights in
the official parameter names load into mmcrack's HrSegNet unchanged."""
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('model_converters/hrsegnet_paddle2mmcrack.py')


def build_model(base):
    init_default_scope('mmseg')
    head = dict(
        in_channels=base,
        channels=base,
        num_classes=2,
        norm_cfg=dict(type='BN'),
        loss_decode=dict(type='OhemCrossEntropyLoss'))
    return MODELS.build(
        dict(
            type='EncoderDecoder',
            backbone=dict(
                type='HrSegNet', base_channels=base,
                norm_cfg=dict(type='BN')),
            decode_head=dict(type='HrSegNetHead', in_index=2, **head),
            auxiliary_head=[
                dict(type='HrSegNetAuxHead', in_index=i, **head)
                for i in (0, 1)
            ]))


def official_names():
    """mmcrack module -> official module (HrSegNet4CrackSegmentation's
    models/hrsegnet_b*.py), written out from the official model, and
    whether it is a conv or a BN."""
    names = {}
    for i in (1, 2):  # stage1/stage2 = Sequential(Conv2D, BatchNorm2D, ReLU)
        names[f'backbone.stem.{i - 1}.conv'] = f'stage{i}.0'
        names[f'backbone.stem.{i - 1}.bn'] = f'stage{i}.1'
    for i in (1, 2, 3):
        ours, theirs = f'backbone.blocks.{i - 1}', f'seg{i}'
        for k in (1, 2, 3):
            names[f'{ours}.high_convs.{k - 1}.conv'] = f'{theirs}.h_conv{k}.0'
            names[f'{ours}.high_convs.{k - 1}.bn'] = f'{theirs}.h_conv{k}.1'
            names[f'{ours}.fuse_convs.{k - 1}'] = f'{theirs}.l2h_conv{k}'
        for k in (2, 3):
            names[f'{ours}.semantic_convs.{k - 1}.conv'] = (
                f'{theirs}.l_conv{k}.0')
            names[f'{ours}.semantic_convs.{k - 1}.bn'] = (
                f'{theirs}.l_conv{k}.1')
        # l_conv1: [AvgPool2D,] Conv2D, BN, ReLU[, Conv2D, BN, ReLU]
        down = {
            1: {'0.0.conv': 0, '0.0.bn': 1},
            2: {'0.1.conv': 1, '0.1.bn': 2},
            3: {'0.1.conv': 1, '0.1.bn': 2, '0.2.conv': 4, '0.2.bn': 5},
        }[i]
        for sub, index in down.items():
            names[f'{ours}.semantic_convs.{sub}'] = f'{theirs}.l_conv1.{index}'
    for ours, theirs in (('decode_head', 'head'),
                         ('auxiliary_head.0', 'aux_head1'),
                         ('auxiliary_head.1', 'aux_head2')):
        names[f'{ours}.bn'] = f'{theirs}.bn1'
        names[f'{ours}.conv.conv'] = f'{theirs}.con_bn_relu.0'
        names[f'{ours}.conv.bn'] = f'{theirs}.con_bn_relu.1'
        names[f'{ours}.conv_seg'] = f'{theirs}.conv'
    return names


def write_pdparams(model, path, drop=(), extra=None):
    """Save ``model`` as paddle.save would: official names, numpy arrays,
    BN ``_mean``/``_variance``, and Paddle's name-table entry."""
    bn_names = dict(running_mean='_mean', running_var='_variance')
    names = official_names()
    state = {}
    for key, value in model.state_dict().items():
        module, param = key.rsplit('.', 1)
        if param == 'num_batches_tracked':
            continue
        name = f'{names[module]}.{bn_names.get(param, param)}'
        state[name] = value.numpy().copy()
    for name in drop:
        del state[name]
    state.update(extra or {})
    state['StructuredToParameterName@@'] = {k: f'p_{i}'
                                            for i, k in enumerate(state)}
    with open(path, 'wb') as f:
        pickle.dump(state, f, protocol=2)
    return state


def randomized(model):
    """``model`` in eval mode with random weights and BN statistics."""
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.2 + ('bn' in name) * 1.0)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.slow
@pytest.mark.parametrize('base', [16, 32])
def test_round_trip_gives_identical_outputs(tool, tmp_path, capsys, base):
    model = randomized(build_model(base))
    state = write_pdparams(model, tmp_path / 'official.pdparams')
    # One official tensor per mmcrack tensor (BN counters aside).
    assert len(state) - 1 == len(
        [k for k in model.state_dict() if 'num_batches' not in k])

    dst = tmp_path / 'out' / 'hrsegnet.pth'
    tool.main([str(tmp_path / 'official.pdparams'), str(dst), '--base',
               str(base)])
    out = capsys.readouterr().out
    assert f'HrSegNet-B{base}' in out and str(dst) in out

    checkpoint = torch.load(dst, weights_only=False)
    assert checkpoint['meta']['base_channels'] == base
    assert checkpoint['meta']['dataset_meta']['classes'] == ('background',
                                                            'crack')
    fresh = build_model(base).eval()
    load_checkpoint(fresh, str(dst), strict=True)
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        assert torch.equal(fresh._forward(x), model._forward(x))
        feats = fresh.extract_feat(x)
        ref = model.extract_feat(x)
        for ours, theirs in zip(fresh.auxiliary_head, model.auxiliary_head):
            assert torch.equal(ours(feats), theirs(ref))


def test_reports_leftover_missing_and_wrong_base(tool, tmp_path):
    model = build_model(16)
    write_pdparams(
        model,
        tmp_path / 'bad.pdparams',
        drop=['seg2.l_conv1.2._mean'],
        extra={'seg2.extra.weight': np.zeros(3, np.float32)})
    with pytest.raises(SystemExit) as err:
        tool.main([str(tmp_path / 'bad.pdparams'), str(tmp_path / 'x.pth')])
    message = str(err.value)
    assert '1 official keys left over:\n  seg2.extra.weight' in message
    assert ('1 mmcrack keys missing:\n'
            '  backbone.blocks.1.semantic_convs.0.1.bn.running_mean'
            in message)
    assert not (tmp_path / 'x.pth').exists()

    write_pdparams(model, tmp_path / 'b16.pdparams')
    with pytest.raises(SystemExit, match='--base 32 was given, but the '
                       'weights are HrSegNet-B16'):
        tool.main([str(tmp_path / 'b16.pdparams'), str(tmp_path / 'x.pth'),
                   '--base', '32'])


def test_convert_key_rejects_unknown_names(tool):
    assert tool.convert_key('seg1.l_conv1.0.weight') == (
        'backbone.blocks.0.semantic_convs.0.0.conv.weight')
    assert tool.convert_key('seg3.l_conv1.5._variance') == (
        'backbone.blocks.2.semantic_convs.0.2.bn.running_var')
    for key in ('seg1.l_conv1.2.weight', 'seg2.l_conv1.0.weight',
                'head.bn1.foo', 'stage3.0.weight', 'backbone.x'):
        assert tool.convert_key(key) is None, key


def test_help_explains_every_argument(tool, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args(['--help'])
    text = capsys.readouterr().out
    for word in ('SRC.pdparams', 'DST.pth', '--base', 'official'):
        assert word in text


class RunsCode:
    """Unpickles by calling a function: what a crafted file does."""

    def __reduce__(self):
        import os
        return (os.system, ('touch pwned',))


def test_crafted_file_runs_no_code(tool, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'crafted.pdparams'
    with open(path, 'wb') as f:
        pickle.dump({'stage1.0.weight': RunsCode()}, f, protocol=2)
    with pytest.raises(SystemExit, match='refusing to load posix.system'):
        tool.load_pdparams(str(path))
    assert not (tmp_path / 'pwned').exists()
