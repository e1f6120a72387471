"""What several test modules share, imported by name (``from helpers
import REPO_ROOT``): pytest puts ``tests/`` on ``sys.path`` when it loads
``tests/conftest.py``. A module of its own, with a unique name: ``from
conftest import`` picks whichever conftest pytest loaded last."""
from pathlib import Path

import torch.nn as nn
import torch.nn.functional as F

#: The root of the repository (configs/, tools/, ...).
REPO_ROOT = Path(__file__).resolve().parents[1]


def assert_gradients_reach_every_parameter(module: nn.Module) -> None:
    """After a backward pass, every parameter of ``module`` has a non-zero
    gradient; the first that does not is named in the failure."""
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def official_fuse_order(block: nn.Module, x):
    """An ``HrSegBlock``'s output computed in the official code's order of
    Eq. (4), ``h_k = hconv_k(h_{k-1}) + conv1x1(up(s_k))`` with
    ``s_k = sconv_k(s_{k-1})`` (the block projects before up-sampling)."""
    high, semantic = x, x
    for high_conv, semantic_conv, fuse_conv in zip(
            block.high_convs, block.semantic_convs, block.fuse_convs):
        high = high_conv(high)
        semantic = semantic_conv(semantic)
        high = high + fuse_conv(
            F.interpolate(
                semantic,
                size=x.shape[2:],
                mode='bilinear',
                align_corners=True))
    return high
