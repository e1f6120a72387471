"""Freeze modules' parameters for one step of a multi-step training."""
import contextlib
from typing import Iterator

import torch.nn as nn


@contextlib.contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Turn off ``requires_grad`` of the modules' parameters, restoring each
    flag afterwards. Gradients still flow *through* the modules to their
    inputs, but none accumulates in their parameters.

    Args:
        *modules (nn.Module): The modules to freeze.
    """
    params = [p for m in modules for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
