import pytest
import torch.nn as nn
from mmengine.optim import OptimWrapperDict, build_optim_wrapper

import mmcrack.engine  # noqa: F401

pytestmark = pytest.mark.usefixtures('one_thread')


class TwoParts(nn.Module):

    def __init__(self):
        super().__init__()
        self.generator = nn.Conv2d(2, 2, 1)
        self.critic = nn.Linear(2, 1)


def test_one_wrapper_per_sub_module():
    model = TwoParts()
    wrappers = build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=0.1),
                paramwise_cfg=dict(bias_lr_mult=2.)),
            critic=dict(
                type='OptimWrapper', optimizer=dict(type='Adam', lr=0.01))))
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'generator', 'critic'}
    gen = wrappers['generator'].optimizer
    assert {id(p) for g in gen.param_groups for p in g['params']} == {
        id(p) for p in model.generator.parameters()
    }
    assert sorted(g['lr'] for g in gen.param_groups) == [0.1, 0.2]
    assert type(wrappers['critic'].optimizer).__name__ == 'Adam'


def test_unknown_sub_module():
    with pytest.raises(ValueError, match="no sub-module"):
        build_optim_wrapper(
            TwoParts(),
            dict(
                constructor='MultiOptimWrapperConstructor',
                detector=dict(
                    type='OptimWrapper', optimizer=dict(type='SGD',
                                                        lr=0.1))))
