"""HrSegNet segmentation heads: the two-step head and the auxiliary head."""
from typing import List

import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from mmengine.model.weight_init import xavier_init
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor

from ..backbones.hrsegnet import HRSEGNET_INIT_CFG


@MODELS.register_module()
class HrSegNetHead(BaseDecodeHead):
    """Two-step segmentation head of HrSegNet.

    This head is the implementation of `HrSegNet: Real-time High-Resolution
    Neural Network with Semantic Guidance for Crack Segmentation
    <https://arxiv.org/abs/2307.00270>`_ (Li et al., 2023).

    Sec. 3.3 and Fig. 4(b): BN and ReLU on the 1/4-resolution backbone
    output, a 3x3 stride-2 transposed Conv-BN-ReLU to 1/2 resolution, and
    the 1x1 classifier (``conv_seg``); the second step, bilinear
    up-sampling to the input size with ``align_corners=True``, is the
    resize that :class:`BaseDecodeHead` applies in ``loss_by_feat`` and
    ``predict_by_feat``, so ``forward`` returns 1/2-resolution logits.

    Args:
        in_channels (int): Channels of the input feature, ``base_channels``
            of the backbone.
        channels (int): Channels after the transposed conv, before
            ``conv_seg``; ``base_channels`` in the paper.
        dropout_ratio (float): Dropout before ``conv_seg``; HrSegNet has
            none. Defaults to 0.
        align_corners (bool): align_corners of the final bilinear
            up-sampling. Defaults to True (official code).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to Kaiming-normal fan-in convs and BN weight 1, bias 0
            (Sec. 4.2); the transposed conv is Xavier uniform (see
            :meth:`init_weights`).
        **kwargs: The other arguments of :class:`BaseDecodeHead`
            (``num_classes``, ``in_index``, ``norm_cfg``, ``loss_decode``,
            ...).
    """

    def __init__(self,
                 dropout_ratio: float = 0.,
                 align_corners: bool = True,
                 init_cfg: OptMultiConfig = HRSEGNET_INIT_CFG,
                 **kwargs) -> None:
        super().__init__(
            dropout_ratio=dropout_ratio,
            align_corners=align_corners,
            init_cfg=init_cfg,
            **kwargs)
        # Fig. 4: every head starts with BN and ReLU on its input.
        self.norm_name, norm = build_norm_layer(self.norm_cfg,
                                                self.in_channels)
        self.add_module(self.norm_name, norm)
        self.activate = build_activation_layer(self.act_cfg)
        self.conv = self._build_conv()

    def init_weights(self) -> None:
        """``init_cfg``, then the transposed convolution as the official
        code leaves it.

        mmengine initialises a module's children after its ``init_cfg``,
        and ``ConvModule.init_weights`` re-draws its conv with mmcv's
        ``kaiming_init`` (fan-out). The official code applies its Kaiming
        initialization to ``Conv2D`` layers only and leaves the head's
        ``Conv2DTranspose`` at PaddlePaddle's default, Xavier uniform with a
        zero bias (fans of the ``in x out x k x k`` weight, which torch
        computes alike), so it is drawn that way last. A ``Pretrained``
        ``init_cfg`` is left as loaded.
        """
        super().init_weights()
        cfgs = self.init_cfg if isinstance(self.init_cfg,
                                           list) else [self.init_cfg]
        pretrained = any(
            cfg and cfg.get('type') == 'Pretrained' for cfg in cfgs)
        if isinstance(self.conv.conv, nn.ConvTranspose2d) and not pretrained:
            xavier_init(self.conv.conv, distribution='uniform', bias=0)

    @property
    def norm(self):
        """The BN applied to the input feature."""
        return getattr(self, self.norm_name)

    def _build_conv(self) -> ConvModule:
        """Table 1, Seg head: 3x3 stride-2 transposed Conv-BN-ReLU."""
        return ConvModule(
            self.in_channels,
            self.channels,
            3,
            stride=2,
            padding=1,
            bias=True,
            conv_cfg=dict(type='deconv', output_padding=1),
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Return the logits at twice the resolution of the input feature
        (at the input feature's resolution for :class:`HrSegNetAuxHead`)."""
        x = self._transform_inputs(inputs)
        x = self.conv(self.activate(self.norm(x)))
        return self.cls_seg(x)


@MODELS.register_module()
class HrSegNetAuxHead(HrSegNetHead):
    """Single-step auxiliary head of HrSegNet's deep supervision.

    Sec. 3.4, Fig. 4(a) and Fig. 5: on the outputs of HrSeg blocks 1 and 2
    during training only (loss weight 0.5 each, Eq. (2)): BN and ReLU, a
    3x3 Conv-BN-ReLU at the feature's 1/4 resolution and the 1x1
    classifier; the logits are up-sampled to the input size in one bilinear
    step by :class:`BaseDecodeHead`.

    Args:
        **kwargs: The arguments of :class:`HrSegNetHead`.
    """

    def _build_conv(self) -> ConvModule:
        """Fig. 4(a): 3x3 stride-1 Conv-BN-ReLU."""
        return ConvModule(
            self.in_channels,
            self.channels,
            3,
            padding=1,
            bias=True,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
