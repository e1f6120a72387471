import pytest
import torch
import torch.nn as nn

from mmcrack.models.utils import frozen


def test_gradients_pass_through_but_do_not_accumulate():
    first, second = nn.Linear(2, 2), nn.Linear(2, 1)
    first.bias.requires_grad_(False)
    with frozen(second):
        assert not any(p.requires_grad for p in second.parameters())
        second(first(torch.ones(1, 2))).sum().backward()
    assert first.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in second.parameters())
    # Each flag is restored, a False one included.
    assert all(p.requires_grad for p in second.parameters())
    assert first.weight.requires_grad and not first.bias.requires_grad


def test_flags_are_restored_after_an_error():
    module = nn.Linear(2, 2)
    with pytest.raises(RuntimeError), frozen(module):
        raise RuntimeError
    assert all(p.requires_grad for p in module.parameters())
