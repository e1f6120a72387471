"""Compatibility fixes for the pinned OpenMMLab stack on torch >= 2.6.

mmengine 0.10.7, mmcv 2.1.0 and mmsegmentation 1.2.2 predate torch 2.6 and
numpy 2. Every fix that mmcrack needs lives in this module, so there is one
place to read, test and delete once upstream releases the fix. Each fix:

* names the upstream issue it works around,
* is applied once by :func:`apply_all` (called on ``import mmcrack``), and
* has a test in ``tests/test_utils/test_compat.py`` that fails without it.

Fixes:

``checkpoint_weights_only``
    torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine's
    local checkpoint loader calls ``torch.load`` without the argument, and every
    checkpoint the Runner saves holds objects that the weights-only unpickler
    refuses (``HistoryBuffer``, numpy scalars, ``ConfigDict`` in ``meta``), so
    ``--resume``, ``tools/test.py`` and ``mmseg.apis.init_model`` all fail
    (open-mmlab/mmengine#1655). We re-register the loader for local paths with
    ``weights_only=False``; as before torch 2.6, only load checkpoints you trust.

``cpu_distributed``
    mmengine's PyTorch launcher calls ``torch.cuda.set_device`` and the Runner
    passes ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``
    unconditionally, so ``tools/dist_train.sh`` cannot run on a CPU-only torch
    build (mmengine 0.10.7 ``mmengine/dist/utils.py:_init_dist_pytorch`` and
    ``Runner.wrap_model``; no upstream issue tracks it yet). Without CUDA we
    skip ``set_device``, use the ``gloo`` backend where ``nccl`` was asked for
    (``nccl`` needs CUDA) and build DDP with ``device_ids=None`` as PyTorch
    requires for CPU modules. The Runner reverts ``SyncBN`` to ``BN`` only in
    non-distributed runs and PyTorch's ``SyncBatchNorm`` refuses CPU modules,
    so a CPU module is reverted before DDP wraps it (DDP then broadcasts rank
    0's BN buffers every forward).

``onnx_export_torchscript``
    torch 2.9 made ``torch.onnx.export`` default to ``dynamo=True``, the
    ``torch.export``-based exporter (pytorch/pytorch#151693, merged in
    pytorch/pytorch#159646). mmdeploy 1.3.1 calls ``torch.onnx.export``
    without ``dynamo`` (``mmdeploy/apis/onnx/export.py``) and relies on the
    TorchScript exporter: its function rewriters and symbolic overrides only
    act while TorchScript traces, so under dynamo the export needs
    ``onnxscript``, drops the rewrites (``KeyError: -1`` in the function
    rewriter) and fails to convert to the requested opset (the dynamo
    exporter emits opset 18 and below that must down-convert). mmdeploy
    has no release that passes the argument (its TensorRT 10 / new-torch
    support is still open, open-mmlab/mmdeploy#2758). We wrap
    ``torch.onnx.export`` so that a call without ``dynamo`` passes
    ``dynamo=False``, as it behaved before torch 2.9; a call that asks for
    ``dynamo=True`` is left alone.
"""
import functools
import logging
import os.path as osp

import torch
from mmengine.logging import print_log

_APPLIED = set()


def _load_local_checkpoint(filename, map_location=None):
    """Load a local checkpoint with full unpickling (mmengine#1655)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def fix_checkpoint_weights_only():
    """Register a local-file checkpoint loader that sets ``weights_only=False``.

    Works around open-mmlab/mmengine#1655.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_local_checkpoint, force=True)


def fix_cpu_distributed():
    """Let mmengine's PyTorch launcher and DDP wrapper run without CUDA.

    Works around mmengine 0.10.7's CUDA-only ``_init_dist_pytorch``.
    """
    import mmengine.dist.utils as dist_utils
    from mmengine.model import revert_sync_batchnorm
    from mmengine.model.wrappers import MMDistributedDataParallel

    init_dist_pytorch = dist_utils._init_dist_pytorch

    def _init_dist_pytorch_cpu(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available():
            return init_dist_pytorch(backend, init_backend, **kwargs)
        if backend == 'nccl':
            print_log(
                'CUDA is not available: using the gloo backend instead of '
                'nccl for distributed training.',
                logger='current',
                level=logging.WARNING)
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu

    ddp_init = MMDistributedDataParallel.__init__

    def _ddp_init_cpu(self, module, detect_anomalous_params=False, **kwargs):
        if next(module.parameters()).device.type == 'cpu':
            kwargs['device_ids'] = None
            module = revert_sync_batchnorm(module)
        ddp_init(self, module, detect_anomalous_params, **kwargs)

    MMDistributedDataParallel.__init__ = _ddp_init_cpu


def fix_onnx_export_torchscript():
    """Make ``torch.onnx.export`` default to the TorchScript exporter again.

    Works around pytorch/pytorch#151693 (``dynamo=True`` by default since
    torch 2.9) for mmdeploy 1.3.1, whose rewriters need TorchScript.
    """
    import torch.onnx

    export = torch.onnx.export
    if getattr(export, '_mmcrack_torchscript_default', False):
        return

    @functools.wraps(export)
    def _export_torchscript_by_default(*args, **kwargs):
        kwargs.setdefault('dynamo', False)
        return export(*args, **kwargs)

    _export_torchscript_by_default._mmcrack_torchscript_default = True
    torch.onnx.export = _export_torchscript_by_default


FIXES = {
    'checkpoint_weights_only': fix_checkpoint_weights_only,
    'cpu_distributed': fix_cpu_distributed,
    'onnx_export_torchscript': fix_onnx_export_torchscript,
}


def apply_all():
    """Apply every fix in :data:`FIXES` once per process."""
    for name, fix in FIXES.items():
        if name not in _APPLIED:
            fix()
            _APPLIED.add(name)
