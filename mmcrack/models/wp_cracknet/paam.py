"""Path-Aware Attention Module (PAAM) of WP-CrackNet's detector."""
import warnings
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import SELayer
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from torch import Tensor


@MODELS.register_module()
class PAAM(BaseModule):
    """Path-Aware Attention Module: directional spatial attention, then SE.

    `WP-CrackNet <https://mias.group/WP-CrackNet/>`_ Sec. 3.3 and Fig. 3.
    The inputs (the ``b5`` features of the reconstructor encoder and of the
    classifier) are concatenated into ``Z_con``; then

    * Eq. (7): ``R_theta = |D_theta(Z_con)|`` for four directional convs
      ``D_theta`` with one output channel and no bias: 0 deg a 1x3 kernel,
      90 deg a 3x1 kernel, 45 and 135 deg 2x2 kernels (padding 1, the
      extra last row and column cropped), as in the official code; the 0
      and 90 deg kernels start as the derivative ``[-1, 0, 1]`` on every
      channel (official initialisation; the diagonal ones keep PyTorch's
      default);
    * Eq. (8): ``A = sigmoid(R_0 + R_45 + R_90 + R_135)``, one map;
    * Eq. (9): ``Z_spatial = ReLU(BN(W_1x1(Z_con * A)))``, a 1x1 conv (with
      bias, as the official code) halving the channels;
    * Eqs. (10)-(11): squeeze-and-excitation, ``A_c = sigmoid(FC(ReLU(FC(
      avgpool(Z_spatial)))))`` with reduction ``se_ratio``, and
      ``Z_F = Z_spatial * A_c``.

    Fixed from the official code: it crops the 45/135 deg responses to a
    hard-coded 32x32, right only for 256x256 inputs; here they are cropped
    to the input's own size, so any input size works.

    Args:
        in_channels (int): Channels of ``Z_con`` (the inputs together).
            Defaults to 2048.
        channels (int, optional): Output channels of the 1x1 fusion conv.
            Defaults to ``in_channels // 2``.
        se_ratio (int): Reduction of the SE block. Defaults to 16.
        norm_cfg (dict): Norm config of the fusion conv. Defaults to
            ``dict(type='BN')``.
        act_cfg (dict): Activation of the fusion conv. Defaults to ReLU.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 2048,
                 channels: Optional[int] = None,
                 se_ratio: int = 16,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channels = in_channels // 2 if channels is None else channels
        # Eq. (7): directional convs D_theta, one response map each.
        self.conv_0 = nn.Conv2d(
            in_channels, 1, (1, 3), padding=(0, 1), bias=False)
        self.conv_45 = nn.Conv2d(in_channels, 1, 2, padding=1, bias=False)
        self.conv_90 = nn.Conv2d(
            in_channels, 1, (3, 1), padding=(1, 0), bias=False)
        self.conv_135 = nn.Conv2d(in_channels, 1, 2, padding=1, bias=False)
        self.reset_directional_kernels()
        # Eq. (9); the official 1x1 conv keeps its bias before the BN.
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', 'Unnecessary conv bias')
            self.fusion_conv = ConvModule(
                in_channels,
                self.channels,
                1,
                bias=True,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
        # Eqs. (10)-(11).
        self.se = SELayer(
            self.channels,
            ratio=se_ratio,
            act_cfg=(dict(type='ReLU'), dict(type='Sigmoid')))

    def reset_directional_kernels(self) -> None:
        """Set the 0 and 90 deg kernels to ``[-1, 0, 1]`` on every input
        channel, as the official code does."""
        with torch.no_grad():
            self.conv_0.weight.copy_(
                torch.tensor([-1., 0., 1.]).view(1, 1, 1, 3).expand_as(
                    self.conv_0.weight))
            self.conv_90.weight.copy_(
                torch.tensor([-1., 0., 1.]).view(1, 1, 3, 1).expand_as(
                    self.conv_90.weight))

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict)
                and self.init_cfg.get('type') == 'Pretrained'):
            self.reset_directional_kernels()

    def path_attention(self, x: Tensor) -> Tensor:
        """Eqs. (7)-(8): the path attention map ``A`` (N, 1, H, W)."""
        h, w = x.shape[2:]
        response = (
            self.conv_0(x).abs() + self.conv_45(x)[..., :h, :w].abs() +
            self.conv_90(x).abs() + self.conv_135(x)[..., :h, :w].abs())
        return response.sigmoid()

    def forward(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Return ``Z_F`` (N, channels, H, W) from one tensor or from
        same-size tensors to concatenate."""
        x = inputs if isinstance(inputs, Tensor) else torch.cat(
            list(inputs), dim=1)
        if x.shape[1] != self.in_channels:
            raise ValueError(f'PAAM expects {self.in_channels} channels in '
                             f'all, got {x.shape[1]}.')
        x = self.fusion_conv(x * self.path_attention(x))
        return self.se(x)
