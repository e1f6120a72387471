"""CrackSeg up-sampling module: high-level features fused with Conv1 and
Block1."""
from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.backbones.unet import BasicConvBlock
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import multiple_select_kwargs


@MODELS.register_module()
class CrackSegHead(BaseDecodeHead):
    """Up-sampling module of CrackSeg.

    This head is the up-sampling module of `Automated Pavement Crack Damage
    Detection Using Deep Multiscale Convolutional Features
    <https://doi.org/10.1155/2020/6412562>`_ (Song et al., Journal of
    Advanced Transportation, 2020), the paper that introduces CrackSeg.

    Sec. 2.3, Fig. 2 and Table 1: the high-level feature (the output of
    :class:`MultiscaleDilatedConv`, at 1/16) is projected by a 1x1 conv to
    ``high_channels`` (512) and resized bilinearly to the low-level
    resolution (1/4); each low-level feature (Conv1 after pool1 and Block1,
    the best pair of Table 5) is projected by a 1x1 conv to
    ``low_channels`` (256); the three are concatenated and refined by
    ``num_convs`` (3, Table 5) 3x3 convs of ``channels`` (256); the 1x1
    classifier ``conv_seg`` gives the two-class logits at 1/4, which
    :class:`BaseDecodeHead` up-samples to the input size (H x W) for the
    softmax cross-entropy (Eqs. (1)-(2)). Every conv is Conv-BN-ReLU
    (the paper does not name the norm or activation).

    Args:
        high_channels (int): Channels of the projected high-level feature.
            Defaults to 512 (Table 1).
        low_channels (int): Channels of each projected low-level feature.
            Defaults to 256 (Table 1).
        num_convs (int): 3x3 convs after the concatenation. Defaults to 3
            (Table 5).
        dropout_ratio (float): Dropout before ``conv_seg``; CrackSeg has
            none. Defaults to 0.
        **kwargs: The other arguments of :class:`BaseDecodeHead`.
            ``in_channels``/``in_index`` list the low-level features first
            (their resolution is that of the first one) and the high-level
            feature last, e.g. ``in_channels=[64, 256, 256]`` with
            ``in_index=[0, 1, 5]`` after :class:`ResNetWithStem` and
            :class:`MultiscaleDilatedConv`; ``channels`` is the width of the
            3x3 convs (256); ``input_transform`` is always
            'multiple_select'.
    """

    def __init__(self,
                 high_channels: int = 512,
                 low_channels: int = 256,
                 num_convs: int = 3,
                 dropout_ratio: float = 0.,
                 **kwargs) -> None:
        super().__init__(
            dropout_ratio=dropout_ratio,
            **multiple_select_kwargs('CrackSegHead', kwargs))
        if len(self.in_channels) < 2:
            raise ValueError(
                'CrackSegHead needs low-level features and one high-level '
                f'feature, got in_channels {self.in_channels}.')

        def conv1x1(in_channels, out_channels):
            return ConvModule(
                in_channels,
                out_channels,
                1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg)

        # Table 1: "High-level features 1 x 1, 512, H/16".
        self.high_conv = conv1x1(self.in_channels[-1], high_channels)
        # Table 1: "Low-level features 1 x 1, 256, H/4".
        self.low_convs = nn.ModuleList(
            conv1x1(channels, low_channels)
            for channels in self.in_channels[:-1])
        # Table 1: Conv-1 to Conv-3, 3 x 3, 256, H/4.
        self.convs = BasicConvBlock(
            high_channels + low_channels * len(self.low_convs),
            self.channels,
            num_convs=num_convs,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Return the logits at the resolution of the first low-level
        feature."""
        feats = self._transform_inputs(inputs)
        size = feats[0].shape[2:]
        outs = [
            resize(
                conv(feat),
                size=size,
                mode='bilinear',
                align_corners=self.align_corners)
            for conv, feat in zip([*self.low_convs, self.high_conv], feats)
        ]
        return self.cls_seg(self.convs(torch.cat(outs, dim=1)))
