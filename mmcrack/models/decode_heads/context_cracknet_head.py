"""Context-CrackNet decoder: four up-sampling stages with RFEM-gated
skips."""
import warnings
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer, build_upsample_layer
from mmengine.model import BaseModule
from mmseg.models.backbones.unet import BasicConvBlock
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from ..utils import multiple_select_kwargs


class RFEM(BaseModule):
    """Region-Focused Enhancement Module of Context-CrackNet.

    Sec. 3.4, Eqs. (12)-(17), Fig. 3 and Algorithm 3 of `Context-CrackNet
    <https://arxiv.org/abs/2501.14413>`_ (Kyem et al., 2025): an attention
    gate on the encoder skip ``x`` (``F_e,l``), driven by the up-sampled
    decoder feature ``g`` (``F_d,l+1``), then a conv block on the
    concatenation::

        G = BN(W_g * g + b_g),  X = BN(W_x * x + b_x)    # Eq. (12), 1x1
        psi = sigmoid(W_psi * ReLU(G + X) + b_psi)        # Eqs. (13)-(14)
        out = ConvBlock(concat(psi * x, g))               # Eqs. (15)-(17)

    where ``ConvBlock`` is ``num_convs`` x (3x3 conv without bias, BN,
    ReLU). The 1x1 convolutions keep their biases before BN as in the
    official code (they count in its 82.05 M parameters).

    Args:
        in_channels (int): Channels of the encoder skip ``x``.
        gate_channels (int): Channels of the decoder feature ``g``.
        inter_channels (int): Channels ``F_int`` of ``G`` and ``X``.
        out_channels (int): Channels of the output.
        num_convs (int): 3x3 conv layers of the conv block. Defaults to 2.
        conv_cfg (dict, optional): Config of conv layers. Defaults to None.
        norm_cfg (dict): Config of norm layers. Defaults to
            dict(type='BN').
        act_cfg (dict): Config of activation layers. Defaults to
            dict(type='ReLU').
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 gate_channels: int,
                 inter_channels: int,
                 out_channels: int,
                 num_convs: int = 2,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        with warnings.catch_warnings():
            # The official W_g and W_x keep a bias before their BN.
            warnings.filterwarnings('ignore', 'Unnecessary conv bias')
            self.gate_conv, self.skip_conv = (ConvModule(
                channels,
                inter_channels,
                1,
                bias=True,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=None) for channels in (gate_channels, in_channels))
        self.activate = build_activation_layer(act_cfg)
        self.psi = ConvModule(
            inter_channels,
            1,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=None,
            act_cfg=dict(type='Sigmoid'))
        self.convs = BasicConvBlock(
            in_channels + gate_channels,
            out_channels,
            num_convs=num_convs,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)

    def attention(self, x: Tensor, g: Tensor) -> Tensor:
        """Eqs. (12)-(14): the (N, 1, H, W) attention map ``psi``."""
        return self.psi(self.activate(self.gate_conv(g) + self.skip_conv(x)))

    def forward(self, x: Tensor, g: Tensor) -> Tensor:
        """Eqs. (15)-(17): gate ``x``, concatenate with ``g``, convolve."""
        return self.convs(torch.cat([x * self.attention(x, g), g], dim=1))


@MODELS.register_module()
class ContextCrackNetHead(BaseDecodeHead):
    """Decoder of Context-CrackNet.

    This head is the decoder of `Context-CrackNet: A Context-Aware Framework
    for Precise Segmentation of Tiny Cracks in Pavement Images
    <https://arxiv.org/abs/2501.14413>`_ (Kyem et al., 2025).

    Sec. 3.2, Eqs. (4)-(5) and Algorithm 1: starting from the deepest
    feature (``F4``, 2048 channels at 1/32), each of the four stages
    up-samples the decoder feature by a 2x2 stride-2 transposed convolution
    to the channels of the next shallower skip and fuses both with an
    :class:`RFEM`, whose gate has half the skip's channels: 2048 -> 1024
    (gate 512) with ``F_CAGM``, 1024 -> 512 (256) with ``F2``, 512 -> 256
    (128) with ``F1`` and 256 -> 64 (32) with ``F0`` at 1/2 resolution. The
    1x1 classifier ``conv_seg`` (Algorithm 1, line 12) gives the logits at
    1/2 resolution; the bilinear up-sampling to the input size
    (``align_corners=False``, official code) is the resize of
    :class:`BaseDecodeHead`. For binary crack segmentation the paper
    predicts one sigmoid channel: ``num_classes=2, out_channels=1`` with a
    ``threshold``. When a skip's size is not twice the deeper feature's
    (inputs not divisible by 32), the up-sampled feature is resized to the
    skip's size; the official code supports multiples of 32 only.

    With ``out_channels=1`` the ``acc_seg`` log item is the pixel accuracy
    of ``sigmoid(logit) > threshold`` (mmseg's ``accuracy`` would take the
    arg-max of the single channel, always class 0).

    Args:
        num_convs (int): 3x3 conv layers of each RFEM conv block. Defaults
            to 2.
        dropout_ratio (float): Dropout before ``conv_seg``; Context-CrackNet
            has none. Defaults to 0.
        align_corners (bool): align_corners of the final bilinear
            up-sampling and of the resize of odd-sized features. Defaults to
            False (official code).
        **kwargs: The other arguments of :class:`BaseDecodeHead`.
            ``in_channels`` lists the encoder features from the shallowest
            (the stem, ``F0``) to the deepest (``F4``), e.g.
            ``[64, 256, 512, 1024, 2048]`` with ``in_index=[0, 1, 2, 3, 4]``;
            ``channels`` must equal ``in_channels[0]`` (the last decoder
            stage has the stem's channels); ``input_transform`` is always
            'multiple_select'.
    """

    def __init__(self,
                 num_convs: int = 2,
                 dropout_ratio: float = 0.,
                 align_corners: bool = False,
                 **kwargs) -> None:
        super().__init__(
            dropout_ratio=dropout_ratio,
            align_corners=align_corners,
            **multiple_select_kwargs('ContextCrackNetHead', kwargs))
        if len(self.in_channels) < 2:
            raise ValueError(
                'ContextCrackNetHead needs at least two input features (skips '
                f'and the deepest feature), got in_channels '
                f'{self.in_channels}.')
        if self.channels != self.in_channels[0]:
            raise ValueError(
                f'channels ({self.channels}) must equal in_channels[0] '
                f'({self.in_channels[0]}): the last decoder stage has the '
                'channels of the shallowest skip.')
        self.up_convs = nn.ModuleList()
        self.rfems = nn.ModuleList()
        deeper = self.in_channels[-1]
        for skip in reversed(self.in_channels[:-1]):
            self.up_convs.append(
                build_upsample_layer(
                    dict(type='deconv'),
                    deeper,
                    skip,
                    kernel_size=2,
                    stride=2))
            self.rfems.append(
                RFEM(
                    skip,
                    skip,
                    skip // 2,
                    skip,
                    num_convs=num_convs,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg))
            deeper = skip

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Return the logits at the resolution of the shallowest skip."""
        feats = self._transform_inputs(inputs)
        x = feats[-1]
        # Algorithm 1, lines 8-10: D_up = Upsample(D_l+1), D_l = RFEM(F_l,
        # D_up), for l = 3, 2, 1, 0.
        for up_conv, rfem, skip in zip(self.up_convs, self.rfems,
                                       reversed(feats[:-1])):
            x = up_conv(x)
            if x.shape[2:] != skip.shape[2:]:
                x = resize(
                    x,
                    size=skip.shape[2:],
                    mode='bilinear',
                    align_corners=self.align_corners)
            x = rfem(skip, x)
        return self.cls_seg(x)

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """The losses of :class:`BaseDecodeHead`, with ``acc_seg`` from the
        thresholded sigmoid when ``out_channels == 1``."""
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        if self.out_channels == 1:
            with torch.no_grad():
                label = self._stack_batch_gt(batch_data_samples).squeeze(1)
                logits = resize(
                    seg_logits,
                    size=label.shape[1:],
                    mode='bilinear',
                    align_corners=self.align_corners)[:, 0]
                pred = (logits.sigmoid() > self.threshold).long()
                valid = label != self.ignore_index
                correct = ((pred == label) & valid).sum()
                losses['acc_seg'] = correct * 100. / valid.sum().clamp(min=1)
        return losses
