"""Each compatibility fix works; each test fails if its fix is removed."""
import os
import pickle

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmcrack.utils import compat


@pytest.fixture
def runner_style_checkpoint(tmp_path):
    """A checkpoint holding what mmengine's Runner puts in ``meta``."""
    path = tmp_path / 'iter_1.pth'
    torch.save(
        dict(
            meta=dict(
                iter=1,
                seed=np.int64(0),
                message_hub=dict(log_scalars=dict(loss=HistoryBuffer()))),
            state_dict=dict(weight=torch.ones(2))), path)
    return path


def test_fixes_are_applied_on_import():
    assert set(compat.FIXES) == compat._APPLIED


def test_upstream_torch_load_still_refuses_runner_checkpoints(
        runner_style_checkpoint):
    # The reason for fix_checkpoint_weights_only (mmengine#1655): drop the
    # fix once this no longer raises.
    with pytest.raises(pickle.UnpicklingError):
        torch.load(runner_style_checkpoint)


def test_checkpoint_weights_only(runner_style_checkpoint):
    checkpoint = _load_checkpoint(str(runner_style_checkpoint), 'cpu')
    assert checkpoint['meta']['iter'] == 1
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(2))


def test_checkpoint_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        _load_checkpoint(str(tmp_path / 'missing.pth'), 'cpu')


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='tests the CPU-only code path')
def test_cpu_distributed(monkeypatch):
    from mmengine.dist import init_dist
    from mmengine.model.wrappers import MMDistributedDataParallel

    monkeypatch.setitem(os.environ, 'RANK', '0')
    monkeypatch.setitem(os.environ, 'LOCAL_RANK', '0')
    monkeypatch.setitem(os.environ, 'WORLD_SIZE', '1')
    monkeypatch.setitem(os.environ, 'MASTER_ADDR', '127.0.0.1')
    monkeypatch.setitem(os.environ, 'MASTER_PORT', '29517')
    # nccl, as mmseg's default runtime asks for, falls back to gloo.
    init_dist('pytorch', backend='nccl')
    try:
        assert torch_dist.get_backend() == 'gloo'
        # The Runner always passes device_ids=[LOCAL_RANK].
        module = torch.nn.Sequential(
            torch.nn.Linear(2, 3), torch.nn.SyncBatchNorm(3))
        model = MMDistributedDataParallel(module=module, device_ids=[0])
        assert model.device_ids is None
        assert isinstance(model.module[1], torch.nn.modules.batchnorm._BatchNorm)
        assert not isinstance(model.module[1], torch.nn.SyncBatchNorm)
        out = model(torch.ones(4, 2))
        out.sum().backward()
        assert model.module[0].weight.grad is not None
    finally:
        torch_dist.destroy_process_group()
