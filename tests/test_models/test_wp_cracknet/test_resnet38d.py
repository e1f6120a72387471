import pytest
import torch
import torch.nn.functional as F

from mmcrack.models.wp_cracknet import ResNet38d
from mmcrack.utils.complexity import count_params

#: The published ResNet38d (conv1a to bn7), BatchNorm affine included.
RESNET38D_PARAMS = 105070912
TINY = (8, 16, 32, 64, 128, 256, 512)

pytestmark = pytest.mark.usefixtures('one_thread')


def test_published_network_parameters_and_layout():
    with torch.device('meta'):
        model = ResNet38d()
    assert count_params(model) == RESNET38D_PARAMS
    assert count_params(model, trainable_only=True) == sum(
        p.numel() for n, p in model.named_parameters() if 'bn' not in n)
    keys = model.state_dict().keys()
    # The names of the converted MXNet weights (PSA / ACR / WP-CrackNet).
    for key in ('conv1a.weight', 'b2.conv_branch1.weight',
                'b4_5.conv_branch2b1.weight', 'b5.bn_branch2a.running_mean',
                'b5_2.conv_branch2a.weight', 'b6.conv_branch2b2.weight',
                'b7.conv_branch1.weight', 'bn7.running_var'):
        assert key in keys
    assert 'b2_1.conv_branch1.weight' not in keys  # identity shortcut
    assert model.b5.conv_branch2a.dilation == (1, 1)
    assert model.b5.conv_branch2b1.dilation == (2, 2)
    assert model.b5_1.conv_branch2a.dilation == (2, 2)
    assert model.b6.conv_branch2b1.dilation == (4, 4)
    assert model.b7.conv_branch2b1.weight.shape == (2048, 1024, 3, 3)
    assert model.b6.dropout_2b1.p == model.b7.dropout_2b2.p == 0.2


def test_outputs_strides_and_pre_activation():
    torch.manual_seed(0)
    model = ResNet38d(channels=TINY, out_indices=tuple(range(8))).eval()
    x = torch.randn(2, 3, 64, 48)
    outs = model(x)
    shapes = [tuple(o.shape[1:]) for o in outs]
    assert shapes == [(8, 64, 48), (16, 32, 24), (32, 16, 12), (64, 8, 6),
                      (128, 8, 6), (128, 8, 6), (256, 8, 6), (512, 8, 6)]
    assert model.out_channels == (8, 16, 32, 64, 128, 128, 256, 512)
    assert (outs[7] >= 0).all()  # ReLU(bn7(.))
    pre = ResNet38d(
        channels=TINY, out_indices=(3, 4, 5), preact_indices=(3, 5)).eval()
    pre.load_state_dict(model.state_dict())
    b4, b5_block, b5 = pre(x)
    assert torch.allclose(b4, F.relu(model.b5.bn_branch2a(outs[3])))
    assert torch.equal(b5_block, outs[4])
    assert torch.allclose(b5, F.relu(model.b6.bn_branch2a(outs[5])))


def test_stops_after_the_last_output_asked_for():
    model = ResNet38d(channels=TINY, out_indices=(4, 7)).eval()
    ran = []
    for name in ('b5', 'b5_1', 'b7'):
        getattr(model, name).register_forward_hook(
            lambda m, i, o, name=name: ran.append(name))
    (out, ) = model(torch.randn(1, 3, 32, 32), out_indices=(4, ))
    assert ran == ['b5'] and out.shape == (1, 128, 4, 4)
    with pytest.raises(ValueError, match='0-7'):
        model(torch.randn(1, 3, 32, 32), out_indices=(8, ))
    with pytest.raises(ValueError, match='preact_indices'):
        ResNet38d(channels=TINY, out_indices=(3, ), preact_indices=(5, ))


def test_batchnorm_is_frozen_as_in_the_official_code():
    model = ResNet38d(channels=TINY, out_indices=(7, ))
    assert model.train() is model
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(bn.training for bn in bns)
    assert not any(p.requires_grad for bn in bns for p in bn.parameters())
    before = model.bn7.running_mean.clone()
    model(torch.randn(2, 3, 32, 32))
    assert torch.equal(model.bn7.running_mean, before)
    # Dropout in b6/b7 still follows the train flag.
    assert model.b7.dropout_2b1.training
