"""Class activation map (CAM) head of WP-CrackNet's classifier and
reconstructor encoder."""
from typing import Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor


@MODELS.register_module()
class CAMHead(BaseModule):
    """CAM head: two 1x1 convs giving one activation map per class.

    `WP-CrackNet <https://mias.group/WP-CrackNet/>`_ Sec. 3.2, Eq. (1):
    ``M, q = Cls(I)``. As in the official code (and ACR/PSA before it), the
    head is ``fc8`` (1x1 conv ``in_channels -> channels``, no bias) and
    ReLU, then ``fc9`` (1x1 conv ``channels -> num_classes``, no bias), both
    Xavier-uniform initialised. The map ``M`` is the CAM (class 0 road,
    class 1 crack) and the image logit ``q`` is its global average, trained
    with a per-class BCE (Eqs. (13), (17)).

    Args:
        in_channels (int): Input channels (4096 after ResNet38d's ``bn7``).
        channels (int): Channels of ``fc8``. Defaults to 256.
        num_classes (int): Number of image classes. Defaults to 2.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to Xavier-uniform on both convs.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 256,
                 num_classes: int = 2,
                 init_cfg: OptMultiConfig = dict(
                     type='Xavier', layer='Conv2d',
                     distribution='uniform')) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channels = channels
        self.num_classes = num_classes
        self.fc8 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.fc9 = nn.Conv2d(channels, num_classes, 1, bias=False)
        # Initialised at construction too, so that a model that is never
        # passed through ``init_weights`` matches the official code.
        for conv in (self.fc8, self.fc9):
            nn.init.xavier_uniform_(conv.weight)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Return the CAM (N, num_classes, h, w) and the image logits
        (N, num_classes), the CAM's spatial mean."""
        cam = self.fc9(F.relu(self.fc8(x)))
        return cam, cam.mean(dim=(2, 3))
