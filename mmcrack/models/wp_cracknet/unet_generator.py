"""pix2pix U-Net generator: the decoder Rec.D of WP-CrackNet's
reconstructor."""
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, OptMultiConfig
from torch import Tensor


@MODELS.register_module()
class UNetGenerator(BaseModule):
    """U-Net generator of pix2pix, mapping a feature map to an image.

    The generator of `pix2pix <https://arxiv.org/abs/1611.07004>`_ (Isola et
    al., 2017) as ACR and `WP-CrackNet <https://mias.group/WP-CrackNet/>`_
    (Sec. 3.2, Eq. (3): ``O = Rec.D(Z)``) use it to reconstruct the image
    from the masked feature map. With ``num_downs=8``:

    * down ``i = 1..8``: 4x4 stride-2 conv (no bias), InstanceNorm (not on
      the first and last), LeakyReLU 0.2, dropout ``dropout`` from down 4
      on; channels ``min(base_channels * 2**(i-1), max_channels)``:
      64, 128, 256, 512, 512, 512, 512, 512;
    * up ``j = 1..7``: 4x4 stride-2 transposed conv (no bias),
      InstanceNorm, ReLU, dropout on the ups that produce the
      ``max_channels`` maps of downs 4-7, then concatenation with the skip
      of down ``8 - j``;
    * a nearest x2 up-sampling and a 3x3 conv (with bias) to
      ``out_channels``.

    The input height and width must be divisible by ``2**num_downs`` (256
    by default); smaller ``num_downs`` suit smaller inputs.

    Args:
        in_channels (int): Channels of the input feature map.
        out_channels (int): Channels of the output image. Defaults to 3.
        num_downs (int): Number of down-sampling layers (>= 2). Defaults
            to 8.
        base_channels (int): Channels of the first down layer. Defaults
            to 64.
        max_channels (int): Channel cap of the down layers. Defaults to
            512.
        dropout (float): Dropout rate. Defaults to 0.5.
        norm_cfg (dict, optional): Norm config. Defaults to
            ``dict(type='IN')`` (InstanceNorm2d without affine parameters).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 3,
                 num_downs: int = 8,
                 base_channels: int = 64,
                 max_channels: int = 512,
                 dropout: float = 0.5,
                 norm_cfg: OptConfigType = dict(type='IN'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_downs < 2:
            raise ValueError(f'num_downs must be >= 2, not {num_downs}.')
        self.num_downs = num_downs
        chans = [
            min(base_channels * 2**i, max_channels) for i in range(num_downs)
        ]
        leaky = dict(type='LeakyReLU', negative_slope=0.2)
        self.downs = nn.ModuleList()
        cin = in_channels
        for i, cout in enumerate(chans, 1):
            self.downs.append(
                self._layer(
                    ConvModule(
                        cin,
                        cout,
                        4,
                        stride=2,
                        padding=1,
                        bias=False,
                        norm_cfg=None if i in (1, num_downs) else norm_cfg,
                        act_cfg=leaky), dropout if i >= 4 else 0.))
            cin = cout
        self.ups = nn.ModuleList()
        for j in range(1, num_downs):
            skip = chans[num_downs - j - 1]
            self.ups.append(
                self._layer(
                    ConvModule(
                        cin,
                        skip,
                        4,
                        stride=2,
                        padding=1,
                        bias=False,
                        conv_cfg=dict(type='deconv'),
                        norm_cfg=norm_cfg,
                        act_cfg=dict(type='ReLU')),
                    dropout if num_downs - j >= 4 else 0.))
            cin = 2 * skip
        self.final = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.Conv2d(cin, out_channels, 3, padding=1))

    @staticmethod
    def _layer(conv: ConvModule, dropout: float) -> nn.Module:
        return nn.Sequential(conv, nn.Dropout(dropout)) if dropout else conv

    def forward(self, x: Tensor) -> Tensor:
        """Return the image (N, out_channels, H, W) for features (N,
        in_channels, H, W)."""
        factor = 2**self.num_downs
        if x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(
                f'UNetGenerator with num_downs={self.num_downs} needs a '
                f'height and width divisible by {factor}, got '
                f'{tuple(x.shape[2:])}: use crops of a multiple of {factor} '
                'or lower num_downs.')
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        skips.pop()  # the innermost map is not a skip
        for up in self.ups:
            x = torch.cat([up(x), skips.pop()], dim=1)
        return self.final(x)
