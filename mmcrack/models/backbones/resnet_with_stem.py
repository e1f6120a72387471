"""ResNet that also returns its stem: the encoder of Context-CrackNet and
CrackSeg."""
from typing import Sequence, Tuple

from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ResNetWithStem(ResNet):
    """mmseg's :class:`~mmseg.models.backbones.ResNet` returning the stem
    output too.

    Encoder-decoder crack segmenters take a skip connection from the stem,
    which mmseg's ResNet does not return. Output ``0`` is the stem
    (``conv1``-``bn1``-``relu``, or the three convs of ``deep_stem``) and
    outputs ``1``-``4`` are ``layer1``-``layer4``:

    * `Context-CrackNet <https://arxiv.org/abs/2501.14413>`_ (Kyem et al.,
      2025), Sec. 3.2, Algorithm 1: a ResNet50 encoder giving
      ``{F0, F1, F2, F3, F4}``, where ``F0`` is the stem *before* the max
      pool (64 channels at 1/2 resolution, ``pool_stem=False``) and
      ``F1``-``F4`` are ``layer1``-``layer4`` (256 / 512 / 1024 / 2048
      channels at 1/4-1/32).
    * `CrackSeg <https://doi.org/10.1155/2020/6412562>`_ (Song et al.,
      2020), Sec. 2.1 and Fig. 2: a dilated ResNet50/101 (output stride 16:
      ``strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)``) whose low-level
      features are "Conv1 + pool1" (the stem *after* the max pool, 1/4
      resolution, ``pool_stem=True``; Table 1) and Block1, and whose
      high-level features are Block3 and Block4.

    With ``deep_stem=False`` and ``style='pytorch'`` (the defaults) the
    layout and parameter names are torchvision's, so ImageNet weights load
    with ``init_cfg=dict(type='Pretrained',
    checkpoint='torchvision://resnet50')`` (its ``fc`` is left out).

    Args:
        out_indices (Sequence[int]): Outputs to return: 0 the stem, 1-4
            ``layer1``-``layer4`` (up to ``num_stages``). Defaults to
            (0, 1, 2, 3, 4).
        pool_stem (bool): Return the stem output after the 3x3 stride-2 max
            pool (1/4 resolution, CrackSeg's "Conv1 + pool1") instead of
            before it (1/2 resolution, Context-CrackNet's ``F0``). Defaults
            to False.
        **kwargs: The other arguments of :class:`mmseg.models.backbones.
            ResNet` (``depth``, ``strides``, ``dilations``,
            ``contract_dilation``, ``deep_stem``, ``norm_cfg``,
            ``norm_eval``, ``frozen_stages``, ``init_cfg``, ...).
    """

    def __init__(self,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 pool_stem: bool = False,
                 **kwargs) -> None:
        num_stages = kwargs.get('num_stages', 4)
        out_indices = tuple(out_indices)
        if not out_indices or not set(out_indices) <= set(
                range(num_stages + 1)):
            raise ValueError(
                f'out_indices must be drawn from 0 (stem) to {num_stages} '
                f'(layer{num_stages}), not {out_indices}.')
        # mmseg's ResNet only knows the residual layers (0-based).
        super().__init__(out_indices=tuple(range(num_stages)), **kwargs)
        self.out_indices = out_indices
        self.pool_stem = pool_stem

    def train(self, mode: bool = True) -> 'ResNetWithStem':
        """As mmseg's ResNet (``norm_eval``, ``frozen_stages``), but
        returning ``self`` as :meth:`torch.nn.Module.train` does, so that
        ``model.eval()`` can be chained."""
        super().train(mode)
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return the outputs selected by ``out_indices``, shallow first."""
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        stem = x
        x = self.maxpool(x)
        outs = []
        if 0 in self.out_indices:
            outs.append(x if self.pool_stem else stem)
        for i, layer_name in enumerate(self.res_layers, 1):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
            if i == max(self.out_indices):
                break
        return tuple(outs)
