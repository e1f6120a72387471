"""What several test modules share, imported by name (``from helpers
import REPO_ROOT``): pytest puts ``tests/`` on ``sys.path`` when it loads
``tests/conftest.py``. A module of its own, with a unique name: ``from
conftest import`` picks whichever conftest pytest loaded last."""
from pathlib import Path

import torch.nn as nn

#: The root of the repository (configs/, tools/, ...).
REPO_ROOT = Path(__file__).resolve().parents[1]


def assert_gradients_reach_every_parameter(module: nn.Module) -> None:
    """After a backward pass, every parameter of ``module`` has a non-zero
    gradient; the first that does not is named in the failure."""
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
