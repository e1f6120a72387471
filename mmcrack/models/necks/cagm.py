"""Context-Aware Global Module (CAGM) of Context-CrackNet: a Linformer block
on one encoder level."""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN
from mmengine.model import BaseModule
from mmengine.utils import to_2tuple
from mmseg.registry import MODELS
from torch import Tensor

from ...utils.complexity import MAC_RULES

#: The two ways :class:`CAGM` maps its projections E and F to a grid.
CAGM_MODES = ('exact', 'resample')


class LinformerSelfAttention(BaseModule):
    """Multi-head self-attention with keys and values projected along the
    sequence (Linformer, `Wang et al., 2020
    <https://arxiv.org/abs/2006.04768>`_), as Context-CrackNet's CAGM uses
    it.

    Context-CrackNet Sec. 3.3, Eqs. (7)-(11): ``Q, K, V = X W_Q, X W_K,
    X W_V`` (Eq. (7)); the sequence axis of the keys and values is
    projected from ``N`` tokens to ``k`` with learned ``E, F`` of shape
    ``N x k``, shared by all heads (Eq. (8)); ``A = softmax(Q K_proj^T /
    sqrt(d))`` with dropout on ``A`` (Eq. (9)); ``Z = A V_proj`` (Eq. (10));
    the heads are concatenated and projected by ``W_O`` (Eq. (11)). ``E``
    and ``F`` are drawn from N(0, 1) as in the official code.

    ``E`` and ``F`` have as many rows as the ``grid`` they were built for.
    :meth:`projections` gives them for another grid in ``'resample'``
    mode: each of the ``k`` columns, seen as a map over the 2-D grid, is
    resized bilinearly (anti-aliased where it shrinks) and multiplied by
    ``N0 / N``, so ``K_proj = E^T K``, a sum over the tokens, keeps its
    scale when the number of tokens changes (a Riemann sum of the same
    integral); at the built grid it returns ``E`` and ``F`` unchanged.

    Args:
        embed_dims (int): Channels ``C`` of the tokens.
        num_heads (int): Number of heads; ``embed_dims`` must divide by it.
        grid (tuple[int, int]): Token grid (h, w) that ``E`` and ``F`` are
            learned for; ``N0 = h * w``.
        proj_len (int): Projected sequence length ``k``.
        attn_drop (float): Dropout on the attention weights. Defaults to
            0.1.
        mode (str): 'exact' (only ``grid`` is accepted) or 'resample'.
            Defaults to 'exact'.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 grid: Tuple[int, int],
                 proj_len: int,
                 attn_drop: float = 0.1,
                 mode: str = 'exact',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads}).')
        if mode not in CAGM_MODES:
            raise ValueError(
                f'mode must be one of {CAGM_MODES}, not {mode!r}.')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.grid = tuple(grid)
        self.proj_len = proj_len
        self.attn_drop = attn_drop
        self.mode = mode
        # Eq. (7) and Eq. (11): W_Q, W_K, W_V, W_O (with biases).
        self.q_proj = nn.Linear(embed_dims, embed_dims)
        self.k_proj = nn.Linear(embed_dims, embed_dims)
        self.v_proj = nn.Linear(embed_dims, embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        # Eq. (8): E, F in R^{N x k}, shared by the heads.
        seq_len = self.grid[0] * self.grid[1]
        self.proj_e = nn.Parameter(torch.randn(seq_len, proj_len))
        self.proj_f = nn.Parameter(torch.randn(seq_len, proj_len))

    def _resample(self, proj: Tensor, grid: Tuple[int, int]) -> Tensor:
        """Resize an (N0, k) projection to the (h, w) token grid."""
        h0, w0 = self.grid
        maps = proj.t().reshape(1, self.proj_len, h0, w0)
        # Anti-aliasing only where the grid shrinks: it changes nothing when
        # enlarging, and plain bilinear resizing exports to ONNX.
        maps = F.interpolate(
            maps,
            size=grid,
            mode='bilinear',
            align_corners=False,
            antialias=grid[0] < h0 or grid[1] < w0)
        scale = (h0 * w0) / (grid[0] * grid[1])
        return maps.reshape(self.proj_len, -1).t() * scale

    def projections(self, grid: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """Return ``E`` and ``F`` for a token grid (h, w).

        Raises:
            ValueError: in ``'exact'`` mode, when ``grid`` is not the grid
                the module was built for.
        """
        grid = tuple(grid)
        if grid == self.grid:
            return self.proj_e, self.proj_f
        if self.mode == 'exact':
            raise ValueError(
                f"mode='exact': E and F were learned for a {self.grid[0]}x"
                f'{self.grid[1]} token grid, got {grid[0]}x{grid[1]}.')
        return (self._resample(self.proj_e, grid),
                self._resample(self.proj_f, grid))

    def forward(self, x: Tensor, grid: Tuple[int, int]) -> Tensor:
        """Attend over tokens ``x`` of shape (B, h*w, C) laid out row-major
        on the (h, w) ``grid``; return (B, h*w, C)."""
        batch, seq_len, channels = x.shape
        proj_e, proj_f = self.projections(grid)

        def heads(t: Tensor) -> Tensor:  # (B, N, C) -> (B, heads, N, d)
            return t.view(batch, seq_len, self.num_heads,
                          -1).transpose(1, 2)

        q = heads(self.q_proj(x))
        # Eq. (8): K_proj^T = K^T E, V_proj^T = V^T F along the sequence.
        k_proj_t = heads(self.k_proj(x)).transpose(-2, -1) @ proj_e
        v_proj = (heads(self.v_proj(x)).transpose(-2, -1) @ proj_f).transpose(
            -2, -1)
        # Eqs. (9)-(10): softmax(Q K_proj^T / sqrt(d)) V_proj, with dropout
        # on the attention weights. Plain products (no einsum or fused
        # attention) keep the module exportable to ONNX opset 11.
        attn = (q @ k_proj_t) * (channels // self.num_heads)**-0.5
        attn = F.dropout(
            attn.softmax(dim=-1), p=self.attn_drop, training=self.training)
        z = (attn @ v_proj).transpose(1, 2).reshape(batch, seq_len, channels)
        return self.out_proj(z)  # Eq. (11)


def _linformer_attention_macs(module: LinformerSelfAttention, inputs: Tuple,
                              output: Tensor) -> int:
    """MACs of the four products of :class:`LinformerSelfAttention`.

    ``E^T K``, ``F^T V``, ``Q K_proj^T`` and ``A V_proj`` each take
    ``B x N x k x C`` multiply-accumulates (summed over the heads); its
    linear layers are counted by their own rule. With them, Context-CrackNet
    counts 121.87 GMACs at 448x448, the paper's 243.78 GFLOPs (Table 7) at
    2 FLOPs per MAC.
    """
    batch, seq_len, channels = inputs[0].shape
    return 4 * batch * seq_len * module.proj_len * channels


# The attention products are tensor ops, not modules: give the module a rule
# so mmcrack.utils.complexity counts them.
MAC_RULES[LinformerSelfAttention] = _linformer_attention_macs


@MODELS.register_module()
class CAGM(BaseModule):
    """Context-Aware Global Module (CAGM), as a neck.

    This neck is the CAGM of `Context-CrackNet: A Context-Aware Framework
    for Precise Segmentation of Tiny Cracks in Pavement Images
    <https://arxiv.org/abs/2501.14413>`_ (Kyem et al., 2025).

    Sec. 3.2-3.3, Fig. 2, Eq. (3) and Algorithm 2: the encoder feature
    ``F3`` (``inputs[in_index]``, 1024 channels at 1/16 resolution) is
    flattened into ``N = H x W`` tokens (Eq. (6), row-major) and passed
    through a pre-norm Linformer block, as in the official code::

        X = X + Drop(Attn(LN(X)))        # LinformerSelfAttention
        X = X + Drop(FFN(LN(X)))         # C -> feedforward_channels -> C

    then reshaped back to ``B x C x H x W``. The other inputs are returned
    unchanged: the CAGM output replaces ``F3`` only as the skip of the first
    decoder stage (Algorithm 1; ``layer4`` of the encoder already consumed
    the original ``F3``).

    The official code (Blessing988/Context-CrackNet) learns ``E`` and ``F``
    for one input size, ``(img_size // 16)**2`` tokens (784 at 448x448).
    ``mode='exact'`` keeps that: any other feature grid raises an error that
    says what the module was built for. ``mode='resample'`` resizes ``E``
    and ``F`` over the 2-D grid to the actual grid (see
    :class:`LinformerSelfAttention`), so the model runs at any input size and
    with sliding-window inference; at the built size both modes compute the
    same function with the same weights, so checkpoints move between them.
    The exact mode, and the resample mode at grids no smaller than the built
    one, export to ONNX (opset 11 and later); shrinking uses anti-aliased
    resizing, which ONNX lacks.

    Dropout: ``dropout`` on the attention weights, on the attention output
    before its residual sum and on the FFN output. The official FFN drops its
    output twice (inside the FFN and again before the sum); two independent
    dropouts with keep probability ``1 - p`` are one dropout with keep
    probability ``(1 - p)**2``, which is what the FFN here applies.

    Args:
        in_channels (int): Channels of the transformed feature, the
            embedding size. Defaults to 1024 (ResNet50 ``layer3``).
        in_index (int): Which input feature to transform. Defaults to 3
            (``F3``; the backbone's outputs are ``F0``-``F4``).
        num_heads (int): Attention heads (head size ``in_channels //
            num_heads``). Defaults to 8.
        proj_len (int): Linformer's projected length ``k``. Defaults to 256.
        feedforward_channels (int): Hidden channels of the FFN. Defaults to
            2048.
        dropout (float): Dropout probability ``p`` (see above). Defaults to
            0.1.
        img_size (int | tuple[int, int]): Input image size (H, W) that ``E``
            and ``F`` are learned for. Defaults to 448 (the paper's size).
        feature_stride (int): Stride of the transformed feature w.r.t. the
            image: the token grid is ``img_size // feature_stride``.
            Defaults to 16.
        mode (str): 'exact' (refuse other sizes, the official behaviour) or
            'resample' (resolution independent). Defaults to 'exact'.
        norm_cfg (dict): Config of the two norm layers. Defaults to
            dict(type='LN').
        act_cfg (dict): Config of the FFN activation. Defaults to
            dict(type='ReLU').
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None (PyTorch's defaults; E, F from N(0, 1)).
    """

    def __init__(self,
                 in_channels: int = 1024,
                 in_index: int = 3,
                 num_heads: int = 8,
                 proj_len: int = 256,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 img_size: Union[int, Sequence[int]] = 448,
                 feature_stride: int = 16,
                 mode: str = 'exact',
                 norm_cfg: dict = dict(type='LN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_index = in_index
        self.img_size = tuple(to_2tuple(img_size))
        self.feature_stride = feature_stride
        self.grid = tuple(s // feature_stride for s in self.img_size)
        if min(self.grid) < 1:
            raise ValueError(
                f'img_size {self.img_size} is smaller than feature_stride '
                f'{feature_stride}.')
        self.mode = mode
        self.norm1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.attn = LinformerSelfAttention(
            in_channels,
            num_heads,
            grid=self.grid,
            proj_len=proj_len,
            attn_drop=dropout,
            mode=mode)
        self.drop = nn.Dropout(dropout)
        self.norm2 = build_norm_layer(norm_cfg, in_channels)[1]
        self.ffn = FFN(
            embed_dims=in_channels,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            act_cfg=act_cfg,
            ffn_drop=0.,
            dropout_layer=dict(
                type='Dropout', drop_prob=1 - (1 - dropout)**2),
            add_identity=True)

    def _check_grid(self, grid: Tuple[int, int]) -> None:
        """Refuse, in exact mode, a feature grid other than the built one."""
        if self.mode == 'exact' and grid != self.grid:
            h, w = self.img_size
            raise ValueError(
                f"CAGM (mode='exact') was built for {h}x{w} inputs: its "
                f'Linformer projections E and F are learned for the '
                f'{self.grid[0]}x{self.grid[1]} = '
                f'{self.grid[0] * self.grid[1]}-token grid of the '
                f'stride-{self.feature_stride} feature, but got a '
                f'{grid[0]}x{grid[1]} grid (an input of about '
                f'{grid[0] * self.feature_stride}x'
                f'{grid[1] * self.feature_stride}). Resize the inputs to '
                f'{h}x{w}, set img_size to the size you train and test at, or '
                f"set mode='resample' to resample E and F to any input size "
                f'(e.g. for sliding-window inference).')

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Return ``inputs`` with ``inputs[in_index]`` replaced by its
        contextualized feature ``F_CAGM`` (same shape)."""
        outs = list(inputs)
        x = outs[self.in_index]
        batch, channels, h, w = x.shape
        self._check_grid((h, w))
        # Eq. (6): (B, C, H, W) -> (B, N, C), n = i * W + j.
        tokens = x.flatten(2).transpose(1, 2)
        tokens = tokens + self.drop(self.attn(self.norm1(tokens), (h, w)))
        tokens = self.ffn(self.norm2(tokens), identity=tokens)
        outs[self.in_index] = tokens.transpose(1, 2).reshape(
            batch, channels, h, w)
        return tuple(outs)

    @property
    def seq_len(self) -> int:
        """Number of tokens ``N0`` that E and F are learned for."""
        return math.prod(self.grid)
