"""Multiscale dilated convolution module of CrackSeg, as a neck."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class MultiscaleDilatedConv(BaseModule):
    """Multiscale dilated convolution module of CrackSeg.

    This neck is the multiscale dilated convolution module of `Automated
    Pavement Crack Damage Detection Using Deep Multiscale Convolutional
    Features <https://doi.org/10.1155/2020/6412562>`_ (Song et al., Journal
    of Advanced Transportation, 2020), the paper that introduces CrackSeg.

    Sec. 2.2, Fig. 3 and Table 4 ("Fusion-S-dilated", the best setting):
    the high-level features ``inputs[i] for i in in_index`` (Block3 and
    Block4 of an output-stride-16 ResNet, both at 1/16) are concatenated
    and fed to parallel branches; branch ``i`` is a ``kernel_sizes[i]``
    convolution followed by a 3x3 convolution with dilation
    ``dilations[i]`` (1x1 -> d=1, 3x3 -> d=3, 5x5 -> d=5, the "small
    dilation rates" {1, 3, 5}); the branch outputs are concatenated and
    reduced by a 1x1 convolution to ``out_channels`` (256, Fig. 3). The
    module returns ``inputs`` followed by this fused feature, so a decode
    head selects it with ``in_index=len(inputs)`` (or -1) next to the
    low-level features it also needs.

    Where the paper is silent, these choices are made:

    * Block3 and Block4 are fused by concatenation *before* the branches
      (Fig. 3 shows "Feature maps -> Concat" at the module input; Sec. 2.2:
      "features of three different scales are fused" by the branches, and
      Sec. 4.1 fuses "two high-level crack feature maps"). Inputs of other
      resolutions are resized bilinearly to the first one's.
    * Every branch convolution has ``channels`` (256) outputs, the width of
      the module output in Fig. 3 and of DeepLab's ASPP branches, which
      Table 4 compares against. With 3072 input channels this makes the 5x5
      convolution the largest layer of the model (19.7 M parameters).
    * Every convolution is Conv-BN-ReLU (``ConvModule``), as in the
      DeepLab-style modules the paper builds on and compares with (ASPP,
      Table 4); the paper does not name the norm or activation.
    * The "+" nodes of Fig. 3 are read as the concatenations (Fig. 2 marks
      its concatenations "+ Concat" the same way), not as residual sums.

    Args:
        in_channels (Sequence[int]): Channels of the fused inputs. Defaults
            to (1024, 2048) (ResNet50/101 Block3 and Block4).
        in_index (Sequence[int]): Indices of the fused inputs. Defaults to
            (3, 4) (the outputs of :class:`ResNetWithStem` are Conv1,
            Block1-Block4).
        channels (int): Output channels of every branch convolution.
            Defaults to 256.
        out_channels (int): Channels of the fused output. Defaults to 256.
        kernel_sizes (Sequence[int]): Kernel size of the first convolution
            of each branch. Defaults to (1, 3, 5).
        dilations (Sequence[int]): Dilation of the 3x3 convolution of each
            branch. Defaults to (1, 3, 5).
        conv_cfg (dict, optional): Config of conv layers. Defaults to None.
        norm_cfg (dict): Config of norm layers. Defaults to
            dict(type='BN').
        act_cfg (dict): Config of activation layers. Defaults to
            dict(type='ReLU').
        align_corners (bool): align_corners of the resize of inputs of
            other resolutions. Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (1024, 2048),
                 in_index: Sequence[int] = (3, 4),
                 channels: int = 256,
                 out_channels: int = 256,
                 kernel_sizes: Sequence[int] = (1, 3, 5),
                 dilations: Sequence[int] = (1, 3, 5),
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(in_index):
            raise ValueError(
                f'in_channels {tuple(in_channels)} and in_index '
                f'{tuple(in_index)} must have the same length.')
        if len(kernel_sizes) != len(dilations):
            raise ValueError(
                f'kernel_sizes {tuple(kernel_sizes)} and dilations '
                f'{tuple(dilations)} must have the same length (one of each '
                'per branch).')
        if any(k % 2 == 0 for k in kernel_sizes):
            raise ValueError(
                f'kernel_sizes must be odd, not {tuple(kernel_sizes)}.')
        self.in_index = tuple(in_index)
        self.align_corners = align_corners
        fused_channels = sum(in_channels)
        # Fig. 3: k x k conv, then a 3x3 conv of dilation d, per branch.
        self.branches = nn.ModuleList(
            nn.Sequential(
                ConvModule(
                    fused_channels,
                    channels,
                    kernel,
                    padding=kernel // 2,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg),
                ConvModule(
                    channels,
                    channels,
                    3,
                    padding=dilation,
                    dilation=dilation,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
            for kernel, dilation in zip(kernel_sizes, dilations))
        # Sec. 2.2: "the 1 x 1 kernel size convolution operation is carried
        # out to reduce the dimension" of the concatenated branches.
        self.fuse = ConvModule(
            channels * len(kernel_sizes),
            out_channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Return ``inputs`` followed by the fused high-level feature."""
        feats = [inputs[i] for i in self.in_index]
        size = feats[0].shape[2:]
        feats = [
            feat if feat.shape[2:] == size else resize(
                feat,
                size=size,
                mode='bilinear',
                align_corners=self.align_corners) for feat in feats
        ]
        x = torch.cat(feats, dim=1)
        x = self.fuse(torch.cat([branch(x) for branch in self.branches],
                                dim=1))
        return tuple(inputs) + (x, )
