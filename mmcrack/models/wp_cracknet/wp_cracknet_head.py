"""The detector of WP-CrackNet: PAAM, three convs and transposed convs."""
import warnings
from typing import List, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from torch import Tensor

from ..utils import multiple_select_kwargs


@MODELS.register_module()
class WPCrackNetHead(BaseDecodeHead):
    """Detector ``Det`` of WP-CrackNet, with its PAAM.

    `WP-CrackNet <https://mias.group/WP-CrackNet/>`_ Sec. 3.3: the ``b5``
    features of the reconstructor encoder and of the classifier (``in_index
    = (0, 1)``, concatenated in that order) go through :class:`PAAM`, then
    "a series of convolution and transposed convolution layers", which the
    official code makes 3x3 Conv-BN-ReLU layers 1024 -> 512 -> 256 -> 128,
    2x2 stride-2 transposed Conv-BN-ReLU layers 128 -> 64 -> 32, and a last
    2x2 stride-2 transposed conv 32 -> 1 (``conv_seg`` here, without
    dropout), back to the input resolution from output stride 8. All these
    layers keep the official conv biases.

    The output is one crack logit per pixel (``out_channels=1``), trained
    by ``loss_decode`` on the CRF pseudo labels (Eq. (22), a binary
    cross-entropy: ``CrossEntropyLoss(use_sigmoid=True)``). Fixed from the
    official code: it applies a sigmoid to the decoder output and then
    ``BCEWithLogitsLoss`` (a double sigmoid, whose gradient vanishes and
    whose probabilities never drop below 0.5); here the head returns logits
    and the sigmoid is applied once, in the loss or at inference.

    Args:
        in_channels (Sequence[int]): Channels of the two inputs. Defaults to
            (1024, 1024).
        conv_channels (Sequence[int]): Channels of the 3x3 convs. Defaults
            to (512, 256, 128).
        deconv_channels (Sequence[int]): Channels of the transposed convs
            before ``conv_seg``; ``channels`` is the last one. Defaults to
            (64, 32).
        paam (dict): Config of the :class:`PAAM` (its ``in_channels`` is set
            to the sum of ``in_channels``). Defaults to ``dict(type='PAAM')``.
        **kwargs: Arguments of :class:`BaseDecodeHead` (``num_classes=2``,
            ``out_channels=1``, ``threshold=0.5``, ``in_index=(0, 1)``,
            ``input_transform='multiple_select'``, ``dropout_ratio=0`` and
            ``norm_cfg=dict(type='BN')`` by default; ``channels`` is
            derived).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (1024, 1024),
                 conv_channels: Sequence[int] = (512, 256, 128),
                 deconv_channels: Sequence[int] = (64, 32),
                 paam: ConfigType = dict(type='PAAM'),
                 **kwargs) -> None:
        kwargs.setdefault('num_classes', 2)
        kwargs.setdefault('out_channels', 1)
        kwargs.setdefault('threshold', 0.5)
        kwargs.setdefault('in_index', (0, 1))
        multiple_select_kwargs('WPCrackNetHead', kwargs)
        kwargs.setdefault('dropout_ratio', 0.)
        kwargs.setdefault('norm_cfg', dict(type='BN'))
        kwargs.setdefault(
            'loss_decode',
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0))
        if 'channels' in kwargs:
            raise ValueError('WPCrackNetHead derives `channels` from '
                             '`deconv_channels`; do not set it.')
        super().__init__(
            list(in_channels), channels=deconv_channels[-1], **kwargs)
        self.paam = MODELS.build(dict(paam, in_channels=sum(in_channels)))
        convs: List[nn.Module] = []
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', 'Unnecessary conv bias')
            cin = self.paam.channels
            for cout in conv_channels:
                convs.append(
                    ConvModule(
                        cin,
                        cout,
                        3,
                        padding=1,
                        bias=True,
                        conv_cfg=self.conv_cfg,
                        norm_cfg=self.norm_cfg,
                        act_cfg=self.act_cfg))
                cin = cout
            for cout in deconv_channels:
                convs.append(
                    ConvModule(
                        cin,
                        cout,
                        2,
                        stride=2,
                        bias=True,
                        conv_cfg=dict(type='deconv'),
                        norm_cfg=self.norm_cfg,
                        act_cfg=self.act_cfg))
                cin = cout
        self.convs = nn.Sequential(*convs)
        # The last transposed conv is the classifier layer.
        self.conv_seg = nn.ConvTranspose2d(
            self.channels, self.out_channels, 2, stride=2)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Return crack logits (N, 1, H, W) at 8x the input resolution."""
        x = self.paam(self._transform_inputs(inputs))
        return self.cls_seg(self.convs(x))
