"""ResNet38d: the wide pre-activation ResNet-38 with output stride 8."""
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig
from torch import Tensor

#: The eight outputs of :class:`ResNet38d`, by index: (name, stride).
RESNET38D_OUTPUTS = (
    ('conv1a', 1),
    ('b2', 2),  # stage 2 (b2, b2_1, b2_2)
    ('b3', 4),  # stage 3
    ('b4', 8),  # stage 4 (b4 ... b4_5)
    ('b5 block', 8),  # the first block of stage 5 alone
    ('b5', 8),  # stage 5 (b5, b5_1, b5_2)
    ('b6', 8),
    ('b7', 8),  # b7, then bn7 and ReLU
)


class PreActBlock(BaseModule):
    """Pre-activation basic block of ResNet38d: BN-ReLU-conv3x3 twice.

    ``y = shortcut(x) + conv_b(ReLU(BN_b(conv_a(ReLU(BN_a(x))))))``; the
    shortcut is the identity, or a 1x1 conv of ``ReLU(BN_a(x))`` where the
    shape changes. The layer names are those of the converted MXNet
    ImageNet weights (``bn_branch2a``, ``conv_branch2a``, ...).

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Channels after the first 3x3 conv.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv and of the shortcut.
        dilation (int): Dilation of the second conv.
        first_dilation (int, optional): Dilation of the first conv.
            Defaults to ``dilation``.
        norm_cfg (dict): Norm layer config.
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 first_dilation: Optional[int] = None,
                 norm_cfg: ConfigType = dict(type='BN')) -> None:
        super().__init__()
        if first_dilation is None:
            first_dilation = dilation
        self.same_shape = in_channels == out_channels and stride == 1
        self.bn_branch2a = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv_branch2a = nn.Conv2d(
            in_channels,
            mid_channels,
            3,
            stride,
            padding=first_dilation,
            dilation=first_dilation,
            bias=False)
        self.bn_branch2b1 = build_norm_layer(norm_cfg, mid_channels)[1]
        self.conv_branch2b1 = nn.Conv2d(
            mid_channels,
            out_channels,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False)
        if not self.same_shape:
            self.conv_branch1 = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def preact(self, x: Tensor) -> Tensor:
        """``ReLU(BN_a(x))``: the input as the block's convs see it."""
        return F.relu(self.bn_branch2a(x))

    def forward(self, x: Tensor) -> Tensor:
        branch2 = self.preact(x)
        branch1 = x if self.same_shape else self.conv_branch1(branch2)
        branch2 = self.conv_branch2a(branch2)
        branch2 = self.conv_branch2b1(F.relu(self.bn_branch2b1(branch2)))
        return branch1 + branch2


class PreActBottleneck(BaseModule):
    """Pre-activation bottleneck of ResNet38d (``b6``, ``b7``).

    BN-ReLU-conv1x1 (``out/4``), BN-ReLU-dropout-conv3x3 (``out/2``,
    dilated), BN-ReLU-dropout-conv1x1 (``out``), plus a 1x1 conv shortcut of
    the pre-activated input.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        dilation (int): Dilation of the 3x3 conv.
        dropout (float): Rate of the two ``Dropout2d``. Defaults to 0.
        norm_cfg (dict): Norm layer config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dilation: int = 1,
                 dropout: float = 0.,
                 norm_cfg: ConfigType = dict(type='BN')) -> None:
        super().__init__()
        self.bn_branch2a = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv_branch2a = nn.Conv2d(
            in_channels, out_channels // 4, 1, bias=False)
        self.bn_branch2b1 = build_norm_layer(norm_cfg, out_channels // 4)[1]
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(
            out_channels // 4,
            out_channels // 2,
            3,
            padding=dilation,
            dilation=dilation,
            bias=False)
        self.bn_branch2b2 = build_norm_layer(norm_cfg, out_channels // 2)[1]
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(
            out_channels // 2, out_channels, 1, bias=False)
        self.conv_branch1 = nn.Conv2d(
            in_channels, out_channels, 1, bias=False)

    def preact(self, x: Tensor) -> Tensor:
        """``ReLU(BN_a(x))``: the input as the block's convs see it."""
        return F.relu(self.bn_branch2a(x))

    def forward(self, x: Tensor) -> Tensor:
        branch2 = self.preact(x)
        branch1 = self.conv_branch1(branch2)
        branch2 = self.conv_branch2a(branch2)
        branch2 = self.dropout_2b1(F.relu(self.bn_branch2b1(branch2)))
        branch2 = self.conv_branch2b1(branch2)
        branch2 = self.dropout_2b2(F.relu(self.bn_branch2b2(branch2)))
        return branch1 + self.conv_branch2b2(branch2)


@MODELS.register_module()
class ResNet38d(BaseModule):
    """ResNet38d: wide pre-activation ResNet-38 with output stride 8.

    The "model A" of `Wider or Deeper: Revisiting the ResNet Model for
    Visual Recognition <https://arxiv.org/abs/1611.10080>`_ (Wu et al.,
    2019) in the dilated form that weakly supervised segmentation uses
    (PSA, ACR, and `WP-CrackNet <https://mias.group/WP-CrackNet/>`_ Sec.
    3.2, "ResNet38 is employed as the backbone network for both Cls and
    Rec.E"). With the default ``channels = (64, 128, 256, 512, 1024, 2048,
    4096)``:

    * ``conv1a``: 3x3 conv 3 -> 64;
    * ``b2``: 3 basic blocks 128 (the first stride 2), ``b3``: 3 x 256
      (stride 2), ``b4``: 6 x 512 (stride 2);
    * ``b5``: 3 basic blocks 512 -> 1024 with 512 mid channels and dilation
      2 (the first block's first conv undilated);
    * ``b6``: bottleneck 1024 -> 2048, ``b7``: bottleneck 2048 -> 4096,
      both with dilation 4 and dropout 0.2; then ``bn7`` and ReLU.

    Every block is pre-activation (BN-ReLU-conv), so the output of a stage
    is a raw residual sum and the next block normalises it. Outputs are
    chosen by index from :data:`RESNET38D_OUTPUTS`: 0 ``conv1a`` (stride 1),
    1-3 stages ``b2``-``b4`` (strides 2, 4, 8), 4 the first block of
    ``b5`` alone (WP-CrackNet's detector input, Sec. 3.3), 5 stage ``b5``,
    6 ``b6`` and 7 ``ReLU(bn7(b7))``, all at stride 8 from 3 on. An index
    in ``preact_indices`` is returned pre-activated, as ``ReLU(BN(x))``
    with the first BN of the block that follows it (index 7 has no
    following block and is always ``ReLU(bn7(.))``); WP-CrackNet's
    reconstructor takes stages ``b4`` and ``b5`` this way (the official
    code's ``get_x_bn_relu``). Only the blocks up to the highest index
    asked for run.

    Layer names are those of the MXNet ImageNet weights as PSA/ACR convert
    them (``conv1a``, ``b2``, ``b2_1``, ..., ``b7``, ``bn7``; within a block
    ``bn_branch2a``, ``conv_branch2a``, ...), so a converted checkpoint
    loads with ``init_cfg=dict(type='Pretrained', checkpoint=...)``. The
    official code freezes every BatchNorm (eval mode, no affine update):
    that is ``norm_cfg=dict(type='BN', requires_grad=False)`` with
    ``norm_eval=True``, the defaults.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        channels (Sequence[int]): Output channels of ``conv1a``, ``b2``,
            ``b3``, ``b4``, ``b5``, ``b6`` and ``b7``. Defaults to (64, 128,
            256, 512, 1024, 2048, 4096), the published network; narrower
            tuples give small models for tests.
        out_indices (Sequence[int]): Outputs to return, from 0 to 7.
            Defaults to (7, ).
        preact_indices (Sequence[int]): Outputs (among ``out_indices``)
            returned pre-activated. Defaults to ().
        dropout (float): Dropout of ``b6`` and ``b7``. Defaults to 0.2.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN',
            requires_grad=False)``.
        norm_eval (bool): Keep the norm layers in eval mode when training.
            Defaults to True.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (64, 128, 256, 512, 1024, 2048,
                                            4096),
                 out_indices: Sequence[int] = (7, ),
                 preact_indices: Sequence[int] = (),
                 dropout: float = 0.2,
                 norm_cfg: ConfigType = dict(type='BN', requires_grad=False),
                 norm_eval: bool = True,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(channels) != 7:
            raise ValueError('channels must give 7 widths (conv1a, b2-b7), '
                             f'not {tuple(channels)}.')
        self.channels = tuple(channels)
        self.out_indices = self._check_indices(out_indices)
        self.preact_indices = tuple(preact_indices)
        if not set(self.preact_indices) <= set(self.out_indices):
            raise ValueError(f'preact_indices {self.preact_indices} must be '
                             f'among out_indices {self.out_indices}.')
        self.norm_eval = norm_eval
        c0, c2, c3, c4, c5, c6, c7 = channels
        self.conv1a = nn.Conv2d(in_channels, c0, 3, padding=1, bias=False)
        # (stage, blocks, in, mid, out, stride, dilation, first dilation)
        specs = [
            ('b2', 3, c0, c2, c2, 2, 1, 1),
            ('b3', 3, c2, c3, c3, 2, 1, 1),
            ('b4', 6, c3, c4, c4, 2, 1, 1),
            ('b5', 3, c4, c4, c5, 1, 2, 1),
        ]
        #: Names of the blocks in order; ``_output_blocks[i]`` is the
        #: position of the last block of output ``i`` (-1: ``conv1a``).
        self.block_names: List[str] = []
        output_blocks = [-1]  # conv1a
        for stage, num, cin, mid, cout, stride, dilation, first in specs:
            for i in range(num):
                name = stage if i == 0 else f'{stage}_{i}'
                self.add_module(
                    name,
                    PreActBlock(
                        cin if i == 0 else cout,
                        mid,
                        cout,
                        stride=stride if i == 0 else 1,
                        dilation=dilation,
                        first_dilation=first if i == 0 else dilation,
                        norm_cfg=norm_cfg))
                self.block_names.append(name)
                if stage == 'b5' and i == 0:
                    output_blocks.append(len(self.block_names) - 1)
            output_blocks.append(len(self.block_names) - 1)
        self.b6 = PreActBottleneck(
            c5, c6, dilation=4, dropout=dropout, norm_cfg=norm_cfg)
        self.b7 = PreActBottleneck(
            c6, c7, dilation=4, dropout=dropout, norm_cfg=norm_cfg)
        self.block_names += ['b6', 'b7']
        output_blocks += [len(self.block_names) - 2, len(self.block_names) - 1]
        self.bn7 = build_norm_layer(norm_cfg, c7)[1]
        self._output_blocks = tuple(output_blocks)

    @staticmethod
    def _check_indices(indices: Sequence[int]) -> Tuple[int, ...]:
        indices = tuple(sorted(set(indices)))
        if not indices or not set(indices) <= set(range(8)):
            raise ValueError('out_indices must be drawn from 0-7 (see '
                             f'RESNET38D_OUTPUTS), not {indices}.')
        return indices

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of each output in ``out_indices``."""
        c0, c2, c3, c4, c5, c6, c7 = self.channels
        per_index = (c0, c2, c3, c4, c5, c5, c6, c7)
        return tuple(per_index[i] for i in self.out_indices)

    def forward(self,
                x: Tensor,
                out_indices: Optional[Sequence[int]] = None
                ) -> Tuple[Tensor, ...]:
        """Return the outputs of ``out_indices``, shallow first.

        Args:
            x (Tensor): Images (N, C, H, W).
            out_indices (Sequence[int], optional): Outputs for this call
                instead of ``self.out_indices`` (WP-CrackNet's inference
                path stops at index 4). Defaults to None.
        """
        indices = (
            self.out_indices
            if out_indices is None else self._check_indices(out_indices))
        # The last block of each output -> the output index.
        wanted = {self._output_blocks[i]: i for i in indices}
        outs = {}
        x = self.conv1a(x)
        for b, name in enumerate(['conv1a'] + self.block_names, -1):
            if b >= 0:
                x = getattr(self, name)(x)
            if b not in wanted:
                continue
            index = wanted[b]
            if index == 7:
                outs[index] = F.relu(self.bn7(x))
            elif index in self.preact_indices:
                # Pre-activated by the first BN of the following block.
                outs[index] = getattr(self, self.block_names[b + 1]).preact(x)
            else:
                outs[index] = x
            if len(outs) == len(indices):
                break
        return tuple(outs[i] for i in indices)

    def train(self, mode: bool = True) -> 'ResNet38d':
        """Set train/eval mode, keeping norm layers in eval mode when
        ``norm_eval`` (the official code freezes every BatchNorm)."""
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
