import math

import pytest
import torch
import torch.nn.functional as F
from helpers import assert_gradients_reach_every_parameter

from mmcrack.models.necks import CAGM
from mmcrack.models.necks.cagm import LinformerSelfAttention
from mmcrack.utils.complexity import count_macs

#: The 1024-channel CAGM of Context-CrackNet at 448x448: W_Q, W_K, W_V, W_O
#: (4 x 1,049,600), E and F (2 x 784 x 256), two LayerNorms (2 x 2,048) and
#: the 1024-2048-1024 FFN (4,197,376).
CAGM_448_PARAMS = 8801280


def small_cagm(**kwargs):
    """A CAGM on 32 channels for 64x64 inputs (a 4x4 token grid)."""
    cfg = dict(
        in_channels=32,
        in_index=2,
        num_heads=4,
        proj_len=8,
        feedforward_channels=64,
        img_size=64)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return CAGM(**cfg)


def features(grid=(4, 4), batch=2):
    torch.manual_seed(1)
    return (torch.randn(batch, 8, 32, 32), torch.randn(batch, 16, 8, 8),
            torch.randn(batch, 32, *grid), torch.randn(batch, 64, 2, 2))


def reference(neck, x):
    """Eqs. (6)-(11) and the pre-norm residual block, written out."""
    b, c, h, w = x.shape
    attn, heads = neck.attn, neck.attn.num_heads
    t = x.flatten(2).transpose(1, 2)
    y = neck.norm1(t)

    def split(z):
        return z.view(b, h * w, heads, c // heads).transpose(1, 2)

    q, k, v = (split(lin(y))
               for lin in (attn.q_proj, attn.k_proj, attn.v_proj))
    k = (k.transpose(-2, -1) @ attn.proj_e).transpose(-2, -1)
    v = (v.transpose(-2, -1) @ attn.proj_f).transpose(-2, -1)
    a = (q @ k.transpose(-2, -1) / math.sqrt(c // heads)).softmax(-1)
    z = (a @ v).transpose(1, 2).reshape(b, h * w, c)
    t = t + attn.out_proj(z)
    fc1, fc2 = neck.ffn.layers[0][0], neck.ffn.layers[1]
    t = t + fc2(F.relu(fc1(neck.norm2(t))))
    return t.transpose(1, 2).reshape(b, c, h, w)


def test_transforms_only_its_input_as_the_official_block():
    neck = small_cagm().eval()
    inputs = features()
    with torch.no_grad():
        outs = neck(inputs)
        expected = reference(neck, inputs[2])
    assert len(outs) == 4
    assert all(outs[i] is inputs[i] for i in (0, 1, 3))
    assert outs[2].shape == inputs[2].shape
    assert torch.allclose(outs[2], expected, atol=1e-5)
    assert not torch.allclose(outs[2], inputs[2])


def test_exact_mode_refuses_another_size():
    neck = small_cagm()
    with pytest.raises(ValueError) as err:
        neck(features(grid=(5, 4)))
    message = str(err.value)
    for part in ("mode='exact'", 'built for 64x64 inputs', '4x4 = 16-token',
                 'got a 5x4 grid', 'about 80x64', "mode='resample'"):
        assert part in message, message
    # The paper's module: 448x448 inputs, 28x28 = 784 tokens.
    assert CAGM(mode='exact').seq_len == 784


def test_resample_mode_equals_exact_at_the_built_size():
    exact = small_cagm().eval()
    resample = small_cagm(mode='resample').eval()
    resample.load_state_dict(exact.state_dict())
    inputs = features()
    with torch.no_grad():
        assert torch.equal(exact(inputs)[2], resample(inputs)[2])
        for grid in [(5, 4), (2, 3), (9, 12)]:
            out = resample(features(grid=grid))[2]
            assert out.shape == (2, 32, *grid) and torch.isfinite(out).all()


def test_resampled_projections_keep_their_mass():
    """E and F are resized over the grid and scaled by N0 / N, so a sum
    over the tokens keeps its scale (a constant map sums to N0)."""
    attn = LinformerSelfAttention(8, 2, grid=(4, 6), proj_len=3,
                                  mode='resample')
    with torch.no_grad():
        attn.proj_e.fill_(1.)
        attn.proj_f.copy_(torch.arange(24.).view(4, 6).flatten()[:, None]
                          .expand(24, 3))
    for grid in [(2, 3), (8, 12), (5, 7)]:
        proj_e, proj_f = attn.projections(grid)
        assert proj_e.shape == (grid[0] * grid[1], 3)
        assert torch.allclose(proj_e.sum(0), torch.full((3, ), 24.))
        # A ramp over the grid stays a ramp with the same total.
        ramp = proj_f[:, 0].view(grid)
        assert ramp.diff(dim=0).gt(0).all() and ramp.diff(dim=1).gt(0).all()
        assert ramp.sum().item() == pytest.approx(276.)  # 0 + ... + 23
    with pytest.raises(ValueError, match='4x6 token grid'):
        LinformerSelfAttention(8, 2, grid=(4, 6), proj_len=3).projections(
            (2, 3))


@pytest.mark.parametrize('mode,grid', [('exact', (4, 4)),
                                       ('resample', (3, 5))])
def test_gradients_reach_every_parameter(mode, grid):
    neck = small_cagm(mode=mode).train()
    neck(features(grid=grid))[2].square().mean().backward()
    assert_gradients_reach_every_parameter(neck)


def test_dropout_as_the_official_block():
    """p on the attention weights and the attention output; the official
    FFN output passes two dropouts of p, i.e. one of 1 - (1 - p)**2."""
    neck = small_cagm(dropout=0.1)
    assert neck.attn.attn_drop == 0.1
    assert neck.drop.p == 0.1
    assert neck.ffn.dropout_layer.p == pytest.approx(0.19)
    assert all(m.p == 0 for m in neck.ffn.layers.modules()
               if isinstance(m, torch.nn.Dropout))
    neck.eval()
    with torch.no_grad():
        inputs = features()
        assert torch.equal(neck(inputs)[2], neck(inputs)[2])


def test_parameters_and_macs():
    with torch.device('meta'):
        neck = CAGM()
    assert sum(p.numel() for p in neck.parameters()) == CAGM_448_PARAMS
    assert neck.attn.proj_e.shape == (784, 256)
    neck = small_cagm().eval()
    # Linear layers (Q, K, V, O: 4 x N C^2; FFN: 2 x N C F), LayerNorms
    # (2 x 4 N C) and the attention products (4 x N k C), for B = 2.
    b, n, c, f, k = 2, 16, 32, 64, 8
    expected = b * (4 * n * c * c + 2 * n * c * f + 2 * 4 * n * c +
                    4 * n * k * c)
    assert count_macs(neck, features()) == expected


def test_invalid_arguments():
    with pytest.raises(ValueError, match='divisible'):
        CAGM(in_channels=30, num_heads=4)
    with pytest.raises(ValueError, match='mode'):
        CAGM(mode='interpolate')
    with pytest.raises(ValueError, match='smaller than feature_stride'):
        CAGM(img_size=8)


@pytest.mark.parametrize('mode,grid', [('exact', (4, 4)),
                                       ('resample', (6, 5))])
def test_exports_to_onnx_opset_11(mode, grid, tmp_path):
    """Exact mode and resampling to a larger grid use plain ops only."""
    ort = pytest.importorskip('onnxruntime')

    class Wrapper(torch.nn.Module):

        def __init__(self, neck):
            super().__init__()
            self.neck = neck

        def forward(self, x):
            return self.neck((x, ))[0]

    model = Wrapper(small_cagm(in_index=0, mode=mode)).eval()
    x = torch.randn(1, 32, *grid)
    path = str(tmp_path / 'cagm.onnx')
    torch.onnx.export(model, (x, ), path, opset_version=11, dynamo=False)
    session = ort.InferenceSession(path)
    out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        assert torch.allclose(torch.from_numpy(out), model(x), atol=1e-5)
