"""HrSegNet backbone: a stem and three HrSeg blocks at 1/4 resolution."""
from typing import Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

#: Sec. 4.2: "kaiming normal" initialization of the convolutions, as the
#: official code draws it (fan-in, ReLU gain, zero bias), and BN weight 1,
#: bias 0. The official code applies it to ``Conv2D`` layers only; the
#: head's transposed convolution is drawn by :class:`HrSegNetHead`.
HRSEGNET_INIT_CFG = [
    dict(
        type='Kaiming',
        layer='Conv2d',
        mode='fan_in',
        nonlinearity='relu',
        distribution='normal',
        bias=0),
    dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
]


def _conv3x3(in_channels: int,
             out_channels: int,
             stride: int = 1,
             **cfgs) -> ConvModule:
    """3x3 Conv-BN-ReLU with a conv bias, as every official conv has."""
    return ConvModule(
        in_channels,
        out_channels,
        3,
        stride=stride,
        padding=1,
        bias=True,
        **cfgs)


class HrSegBlock(BaseModule):
    """HrSeg block: a high-resolution path guided by a semantic path.

    Sec. 3.1-3.2 and Fig. 3(a) ("single-resolution" guidance within a block,
    the default of Table 2). The high-resolution path keeps ``base_channels``
    channels at the input resolution through three 3x3 Conv-BN-ReLU layers.
    The semantic-guidance path starts again from the block input and runs at
    1/2^i of it with ``base_channels * 2^i`` channels, where ``i`` is
    ``stage_index`` (Table 1): its first layer down-samples (stage 1: a
    stride-2 conv; stage 2: 3x3 average pooling, then a stride-2 conv;
    stage 3: pooling and two stride-2 convs), the other two are 3x3 convs.
    After each of the three layers the semantic features are up-sampled to
    the high-resolution size, projected to ``base_channels`` by a plain 1x1
    conv and added to the high-resolution features (Eq. (4), summation
    fusion); the next high-resolution layer takes the sum while the next
    semantic layer takes the pure semantic features.

    Args:
        base_channels (int): Channels of the high-resolution path.
        stage_index (int): Index ``i`` of the block, 1, 2 or 3: the semantic
            path has ``base_channels * 2**i`` channels at 1/2**i of the
            input resolution.
        conv_cfg (dict, optional): Config of conv layers. Defaults to None.
        norm_cfg (dict): Config of norm layers. Defaults to
            dict(type='BN').
        act_cfg (dict): Config of activation layers. Defaults to
            dict(type='ReLU').
        align_corners (bool): align_corners of the bilinear up-sampling of
            the semantic features. Defaults to True (official code).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 base_channels: int,
                 stage_index: int,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 align_corners: bool = True,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if stage_index not in (1, 2, 3):
            raise ValueError(
                f'stage_index must be 1, 2 or 3, not {stage_index}.')
        self.align_corners = align_corners
        channels = base_channels * 2**stage_index
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        # Sec. 3.1: three stride-1 Conv-BN-ReLU layers at full block size.
        self.high_convs = nn.ModuleList(
            _conv3x3(base_channels, base_channels, **cfgs) for _ in range(3))

        # Table 1: the first semantic layer reaches 1/2**i of the input.
        down = []
        if stage_index > 1:
            # The official code pools with Paddle's default exclusive=True,
            # i.e. the zero padding is not counted in the average.
            down.append(
                nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False))
        down.append(_conv3x3(base_channels, channels, stride=2, **cfgs))
        for _ in range(stage_index - 2):
            down.append(_conv3x3(channels, channels, stride=2, **cfgs))
        self.semantic_convs = nn.ModuleList([
            nn.Sequential(*down),
            _conv3x3(channels, channels, **cfgs),
            _conv3x3(channels, channels, **cfgs)
        ])
        # Sec. 3.2: "adjusted to the same number of channels via a 1x1
        # convolution" (plain conv with bias, no norm or activation).
        self.fuse_convs = nn.ModuleList(
            nn.Conv2d(channels, base_channels, 1) for _ in range(3))

    def forward(self, x: Tensor) -> Tensor:
        """Fuse the three high-resolution and semantic layers (Fig. 3(a))."""
        size = x.shape[2:]
        high, semantic = x, x
        for high_conv, semantic_conv, fuse_conv in zip(
                self.high_convs, self.semantic_convs, self.fuse_convs):
            high = high_conv(high)
            semantic = semantic_conv(semantic)
            # Eq. (4): X_h = X_h + conv1x1(up(X_s)), as the official code
            # computes it, here as up(conv1x1(X_s)): bilinear weights sum
            # to 1, so the two orders give the same output, and projecting
            # first up-samples base_channels instead of 2-8x as many.
            high = high + resize(
                fuse_conv(semantic),
                size=size,
                mode='bilinear',
                align_corners=self.align_corners)
        return high


@MODELS.register_module()
class HrSegNet(BaseModule):
    """HrSegNet backbone.

    This backbone is the implementation of `HrSegNet: Real-time
    High-Resolution Neural Network with Semantic Guidance for Crack
    Segmentation <https://arxiv.org/abs/2307.00270>`_ (Li et al., 2023).

    Sec. 3.5 and Table 1: a stem of two stride-2 3x3 Conv-BN-ReLU layers
    (``in_channels -> base_channels // 2 -> base_channels``) brings the input
    to 1/4 resolution, where three :class:`HrSegBlock` s keep it. The
    published variants HrSegNet-B16/B32/B48/B64 differ only in
    ``base_channels`` (Sec. 4.4). Returns the outputs of the three blocks,
    each ``base_channels`` channels at 1/4 resolution: the last feeds the
    two-step segmentation head, the first two the auxiliary heads of deep
    supervision (Sec. 3.4, Fig. 5).

    Args:
        in_channels (int): Channels of the input image. Defaults to 3.
        base_channels (int): Channels of the high-resolution path, the
            ``base`` of Table 1 (16, 32, 48 or 64 for the published
            variants). Must be even. Defaults to 32.
        out_indices (Sequence[int]): Which block outputs (0, 1, 2) to
            return. Defaults to (0, 1, 2).
        conv_cfg (dict, optional): Config of conv layers. Defaults to None.
        norm_cfg (dict): Config of norm layers. Defaults to
            dict(type='BN').
        act_cfg (dict): Config of activation layers. Defaults to
            dict(type='ReLU').
        align_corners (bool): align_corners of the bilinear up-sampling in
            the HrSeg blocks. Defaults to True (official code).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to :data:`HRSEGNET_INIT_CFG` (Kaiming-normal fan-in
            convs, BN weight 1 and bias 0; Sec. 4.2).
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 32,
                 out_indices: Tuple[int, ...] = (0, 1, 2),
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 align_corners: bool = True,
                 init_cfg: OptMultiConfig = HRSEGNET_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        if base_channels % 2:
            raise ValueError(
                f'base_channels must be even (the first stem conv has '
                f'base_channels // 2 channels), not {base_channels}.')
        if not set(out_indices) <= {0, 1, 2}:
            raise ValueError(
                f'out_indices must be drawn from (0, 1, 2), not '
                f'{out_indices}.')
        self.base_channels = base_channels
        self.out_indices = tuple(out_indices)
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        # Table 1, stem blocks 1 and 2: to 1/2, then 1/4 resolution.
        self.stem = nn.Sequential(
            _conv3x3(in_channels, base_channels // 2, stride=2, **cfgs),
            _conv3x3(base_channels // 2, base_channels, stride=2, **cfgs))
        # Table 1, HrSeg blocks 1-3.
        self.blocks = nn.ModuleList(
            HrSegBlock(
                base_channels,
                stage_index,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                align_corners=align_corners) for stage_index in (1, 2, 3))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return the block outputs selected by ``out_indices``."""
        x = self.stem(x)
        outs = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
