import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcrack.models.wp_cracknet import PAAM
from mmcrack.utils.complexity import count_params

pytestmark = pytest.mark.usefixtures('one_thread')


def directional_reference(x, w0, w45, w90, w135):
    """Eqs. (7)-(8) with explicit loops over (C, H, W) numpy arrays: 1x3 and
    3x1 kernels centred, 2x2 kernels covering rows i-1..i, cols j-1..j."""
    c, h, w = x.shape
    pad = np.zeros((c, h + 2, w + 2))
    pad[:, 1:-1, 1:-1] = x
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            pi, pj = i + 1, j + 1
            r0 = sum(w0[k, 0, d] * pad[k, pi, pj + d - 1] for k in range(c)
                     for d in range(3))
            r90 = sum(w90[k, d, 0] * pad[k, pi + d - 1, pj] for k in range(c)
                      for d in range(3))
            r45 = sum(w45[k, a, b] * pad[k, pi + a - 1, pj + b - 1]
                      for k in range(c) for a in range(2) for b in range(2))
            r135 = sum(w135[k, a, b] * pad[k, pi + a - 1, pj + b - 1]
                       for k in range(c) for a in range(2) for b in range(2))
            out[i, j] = abs(r0) + abs(r45) + abs(r90) + abs(r135)
    return 1 / (1 + np.exp(-out))


def small_paam():
    torch.manual_seed(0)
    return PAAM(in_channels=2, channels=4, se_ratio=2).eval()


def test_vertical_line_by_hand():
    paam = small_paam()
    with torch.no_grad():
        paam.conv_45.weight.zero_()
        paam.conv_135.weight.zero_()
    x = torch.zeros(1, 2, 4, 5)
    x[:, :, :, 2] = 1  # a vertical crack on both channels
    attn = paam.path_attention(x)[0, 0]
    s2, half = 1 / (1 + math.exp(-2)), 0.5
    # 0 deg ([-1, 0, 1] on 2 channels): +-2 on the flanks, 0 on the line;
    # 90 deg: +-2 where the line starts (row 0) and ends (row 3).
    expected = torch.tensor([[half, s2, s2, s2, half],
                             [half, s2, half, s2, half],
                             [half, s2, half, s2, half],
                             [half, s2, s2, s2, half]])
    assert torch.allclose(attn, expected)


def test_directional_attention_matches_loops_at_any_size():
    paam = small_paam()
    with torch.no_grad():
        paam.conv_45.weight.copy_(
            torch.tensor([[0., 1.], [-1., 0.]]).expand(1, 2, 2, 2))
        paam.conv_135.weight.copy_(
            torch.tensor([[1., 0.], [0., -2.]]).expand(1, 2, 2, 2))
    x = torch.randn(1, 2, 5, 7)  # not the official code's 32x32
    expected = directional_reference(
        x[0].numpy(), paam.conv_0.weight[0].detach().numpy(),
        paam.conv_45.weight[0].detach().numpy(),
        paam.conv_90.weight[0].detach().numpy(),
        paam.conv_135.weight[0].detach().numpy())
    attn = paam.path_attention(x)
    assert attn.shape == (1, 1, 5, 7)
    np.testing.assert_allclose(attn[0, 0].detach().numpy(), expected,
                               rtol=1e-5)


def test_forward_is_eqs_7_to_11():
    paam = small_paam()
    a, b = torch.randn(2, 1, 6, 6), torch.randn(2, 1, 6, 6)
    out = paam([a, b])
    x = torch.cat([a, b], dim=1)
    conv, bn = paam.fusion_conv.conv, paam.fusion_conv.bn
    z = F.relu(bn(conv(x * paam.path_attention(x))))  # Eq. (9)
    s = z.mean(dim=(2, 3), keepdim=True)  # Eq. (10)
    se1, se2 = paam.se.conv1.conv, paam.se.conv2.conv
    a_c = torch.sigmoid(se2(F.relu(se1(s))))  # Eq. (11)
    assert out.shape == (2, 4, 6, 6)
    assert torch.allclose(out, z * a_c, atol=1e-6)
    assert torch.equal(paam(x), out)
    with pytest.raises(ValueError, match='2 channels'):
        paam(torch.randn(1, 3, 6, 6))


def test_published_module():
    with torch.device('meta'):
        paam = PAAM(in_channels=2048)
    assert paam.channels == 1024
    assert paam.se.conv1.conv.out_channels == 64  # reduction 16
    directional = 2048 * (3 + 4 + 3 + 4)
    fusion = 2048 * 1024 + 1024 + 2 * 1024
    se = 1024 * 64 + 64 + 64 * 1024 + 1024
    assert count_params(paam) == directional + fusion + se == 2261056
    # The official [-1, 0, 1] start of the 0 and 90 deg kernels.
    paam = PAAM(in_channels=3)
    paam.init_weights()
    assert torch.equal(paam.conv_0.weight[0, :, 0],
                       torch.tensor([-1., 0., 1.]).expand(3, 3))
    assert torch.equal(paam.conv_90.weight[0, :, :, 0],
                       torch.tensor([-1., 0., 1.]).expand(3, 3))
