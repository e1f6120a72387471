"""Multi-layer fused feature map Z of WP-CrackNet's reconstructor."""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor


@MODELS.register_module()
class ReconFeatureFusion(BaseModule):
    """Project encoder levels with 1x1 convs and concatenate them.

    `WP-CrackNet <https://mias.group/WP-CrackNet/>`_ Sec. 3.2: "multi-layer
    fused feature map Z is obtained by passing [the crack image] through
    Rec.E", which Eq. (2) then splits by the crack CAM. In the official
    code (after ACR) Z concatenates, at 1/8 resolution, the pre-activated
    ResNet38d stage ``b4`` (512 -> 64), the pre-activated stage ``b5``
    (1024 -> 128) and the final 4096-channel feature (4096 -> ``D`` = 256),
    each through a bias-free 1x1 conv: ``Z`` has 448 channels.

    Args:
        in_channels (Sequence[int]): Channels of the inputs. Defaults to
            (512, 1024, 4096).
        out_channels (Sequence[int]): Channels of each projection. Defaults
            to (64, 128, 256).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None (PyTorch's default, as the official code).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024, 4096),
                 out_channels: Sequence[int] = (64, 128, 256),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(
                f'in_channels {tuple(in_channels)} and out_channels '
                f'{tuple(out_channels)} must have the same length.')
        self.in_channels = tuple(in_channels)
        self.out_channels = sum(out_channels)
        self.projs = nn.ModuleList(
            nn.Conv2d(cin, cout, 1, bias=False)
            for cin, cout in zip(in_channels, out_channels))

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Return Z (N, sum(out_channels), h, w) from same-size inputs."""
        if len(inputs) != len(self.projs):
            raise ValueError(f'Expected {len(self.projs)} inputs, got '
                             f'{len(inputs)}.')
        return torch.cat([p(x) for p, x in zip(self.projs, inputs)], dim=1)
