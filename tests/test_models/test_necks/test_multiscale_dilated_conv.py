import pytest
import torch
import torch.nn as nn
from helpers import assert_gradients_reach_every_parameter

from mmcrack.models.necks import MultiscaleDilatedConv

#: Fusion-S-dilated on ResNet Block3 + Block4 (3072 channels): branches
#: 1x1 / 3x3 / 5x5 (3072 -> 256) then 3x3 dilated 1 / 3 / 5 (256 -> 256),
#: the 1x1 fusion 768 -> 256, each conv bias-free with BN.
DEFAULT_PARAMS = 29494784


def features(block4_size=(6, 10)):
    torch.manual_seed(0)
    return (torch.randn(2, 4, 24, 40), torch.randn(2, 8, 24, 40),
            torch.randn(2, 8, 12, 20), torch.randn(2, 16, 6, 10),
            torch.randn(2, 24, *block4_size))


def small_module(**kwargs):
    cfg = dict(in_channels=(16, 24), channels=8, out_channels=12)
    cfg.update(kwargs)
    return MultiscaleDilatedConv(**cfg)


def test_appends_the_fused_feature():
    module = small_module().eval()
    inputs = features()
    with torch.no_grad():
        outs = module(inputs)
    assert len(outs) == 6
    assert all(a is b for a, b in zip(outs, inputs))
    assert outs[5].shape == (2, 12, 6, 10)


def test_branches_as_figure_3():
    module = small_module()
    convs = [[m.conv for m in branch] for branch in module.branches]
    assert [(k.kernel_size, d.kernel_size, d.dilation)
            for k, d in convs] == [((1, 1), (3, 3), (1, 1)),
                                   ((3, 3), (3, 3), (3, 3)),
                                   ((5, 5), (3, 3), (5, 5))]
    # Block3 and Block4 are concatenated before the branches.
    assert all(k.in_channels == 16 + 24 for k, _ in convs)
    assert module.fuse.conv.kernel_size == (1, 1)
    assert module.fuse.conv.in_channels == 3 * 8
    conv_modules = [*(m for branch in module.branches for m in branch),
                    module.fuse]
    assert len(conv_modules) == 7
    assert all(
        isinstance(m.bn, nn.BatchNorm2d) and m.conv.bias is None
        and isinstance(m.activate, nn.ReLU) for m in conv_modules)


def test_fusion_equals_the_written_out_module():
    module = small_module().eval()
    inputs = features()
    with torch.no_grad():
        x = torch.cat([inputs[3], inputs[4]], dim=1)
        expected = module.fuse(
            torch.cat([b[1](b[0](x)) for b in module.branches], dim=1))
        assert torch.allclose(module(inputs)[5], expected)


def test_other_resolutions_are_resized_to_the_first_input():
    module = small_module().eval()
    with torch.no_grad():
        out = module(features(block4_size=(3, 5)))[5]
    assert out.shape == (2, 12, 6, 10)


def test_gradients_reach_every_parameter():
    module = small_module().train()
    module(features())[5].square().mean().backward()
    assert_gradients_reach_every_parameter(module)


def test_default_parameters():
    with torch.device('meta'):
        module = MultiscaleDilatedConv()
    assert sum(p.numel() for p in module.parameters()) == DEFAULT_PARAMS


def test_invalid_arguments():
    with pytest.raises(ValueError, match='same length'):
        MultiscaleDilatedConv(in_channels=(1024, ), in_index=(3, 4))
    with pytest.raises(ValueError, match='one of each'):
        MultiscaleDilatedConv(kernel_sizes=(1, 3), dilations=(1, 3, 5))
    with pytest.raises(ValueError, match='odd'):
        MultiscaleDilatedConv(kernel_sizes=(1, 4, 5))
