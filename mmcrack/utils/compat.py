"""Compatibility fixes for the pinned OpenMMLab stack on torch >= 2.6.

mmengine 0.10.7, mmcv 2.1.0 and mmsegmentation 1.2.2 predate torch 2.6 and
numpy 2, and carry bugs that their last releases did not fix. Every fix that
mmcrack needs lives in this module, so there is one
place to read, test and delete once upstream releases the fix. Each fix:

* names the upstream issue it works around,
* is applied once by :func:`apply_all` (called on ``import mmcrack``), and
* has a test in ``tests/test_utils/test_compat.py`` that fails without it.

The module imports nothing heavy at its top (torch and mmengine are imported
by the fixes that need them), so the start-up hook below can load it on its
own.

Fixes:

``mmcv_ops_standin``
    mmcv-lite 2.1.0 is OpenMMLab's release of mmcv without the compiled
    C++/CUDA ops (the extension ``mmcv._ext``), and mmsegmentation 1.2.2
    imports ``mmcv.ops`` at module level in four files that mmcrack's models
    never reach (``mmseg/utils/mask_classification.py:5``,
    ``mmseg/models/utils/point_sample.py:3``,
    ``mmseg/models/decode_heads/san_head.py:9``,
    ``mmseg/models/losses/focal_loss.py:6``), so ``import mmseg.models`` (and
    ``mmseg.apis``, ``mmseg.utils``, ``mmseg.datasets``) fails on
    ``import mmcv._ext`` and mmcv must otherwise be compiled (about 20 minutes
    on 2 cores). Every ``mmcv.ops`` module takes its functions from that
    extension with ``mmcv.utils.ext_loader.load_ext('_ext', names)``. Where no
    compiled extension is installed, a stand-in module takes its place: each
    of its functions raises, when called, an error naming the op and how to
    install mmcv with its ops. It is found by an import finder placed after
    every other, so a real ``mmcv._ext`` (the full mmcv) always wins and the
    stand-in does nothing there. ``tools/setup_env.sh`` installs the finder
    at interpreter start-up with a ``.pth`` file in the environment
    (:data:`STARTUP_HOOK_NAME`, written by :func:`write_startup_hook`), so
    it is active before anything imports mmseg (a user's ``import
    mmseg.apis`` before ``import mmcrack``, mmseg's own ``tools/train.py``
    with ``custom_imports``); ``import mmcrack`` installs it too. No upstream
    issue: mmsegmentation documents mmcv with ops as a requirement.

``checkpoint_weights_only``
    torch 2.6 made ``torch.load(weights_only=True)`` the default.
    mmengine's local checkpoint loader calls ``torch.load`` without the
    argument, and every checkpoint the Runner saves holds objects that the
    weights-only unpickler refuses (``HistoryBuffer``, numpy scalars,
    ``ConfigDict`` in ``meta``), so ``--resume``, ``tools/test.py`` and
    ``mmseg.apis.init_model`` all fail (open-mmlab/mmengine#1655). We
    re-register the loader for local paths with ``weights_only=False``; as
    before torch 2.6, only load checkpoints you trust.

``fetched_checkpoint_weights_only``
    mmengine's loader for ``http(s)://`` checkpoints (``load_from_http``, used
    by ``init_cfg=dict(type='Pretrained', checkpoint=URL)`` and ``load_from``)
    calls ``torch.hub.load_state_dict_from_url``, whose ``weights_only``
    defaults to False: a file fetched from an address is unpickled in full,
    so a tampered file could run code (no upstream issue found; mmengine
    0.10.7 ``mmengine/runner/checkpoint.py:load_from_http``). Fetched files
    hold plain state dicts, so we register a loader for those addresses that
    passes ``weights_only=True``; a file that needs more is refused with a
    message saying how to load it on purpose.

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

``process_group_shutdown``
    mmengine sets up the process group of a distributed run
    (``init_dist``) but never destroys it, and neither do mmseg's tools.
    torch asks programs to call ``destroy_process_group()`` before they
    exit: a gloo process group that is still alive when the interpreter
    shuts down can take the process down with it (pytorch/pytorch#179291:
    gloo's worker threads outlive the interpreter). We saw it in
    ``tools/dist_test.sh`` with two CPU processes: about one run in 20, rank
    0 aborted after writing its metrics ("terminate called without an
    active exception", SIGABRT), and the launcher reported the whole run as
    failed: one of gloo's worker threads, freeing the tensors of the last
    collective, waited for the GIL while the interpreter was finalizing.
    ``destroy_process_group`` alone does not stop those threads while the
    Runner's DDP model still holds the group. An ``atexit`` handler, while
    the interpreter is still whole, collects garbage (freeing a finished
    Runner's model) and destroys the default process group, which joins the
    threads; without a distributed run it does nothing.

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

``tensorrt_export_on_cpu``
    mmdeploy's ``build_task_processor`` refuses a TensorRT deployment config
    with ``device='cpu'`` (``ValueError: cpu is invalid for the backend
    tensorrt``, open-mmlab/mmdeploy#1634, #909, #2123), although
    ``torch2onnx`` always exports on the CPU and the TensorRT-specific
    rewriters need no GPU. So the ONNX graph for TensorRT could not be
    exported or checked on a machine without CUDA (CI, a laptop). We let
    that one combination through; a TensorRT engine is still built on a GPU
    only (``mmcrack.deploy.tensorrt``). mmdeploy is optional: the patch is
    applied when ``mmdeploy.apis.utils.utils`` is imported, so importing
    mmcrack does not import mmdeploy.

``onnx_padding_symbolic``
    torch moved the TorchScript exporter's symbolic functions to
    ``torch.onnx._internal.torchscript_exporter`` and left
    ``torch.onnx.symbolic_opset11`` as a shim with the public names only
    (pytorch/pytorch#161546 and its stack). mmdeploy 1.3.1's TensorRT
    rewriter of ``torch.onnx.symbolic_opset11._prepare_onnx_paddings``
    (pads computed from tensors, which TensorRT's parser rejects otherwise)
    then logs "Can not find ..., function rewrite will not be applied" and
    is lost. mmdeploy finds a function by its path and then replaces every
    reference to it, so exposing the private function on the shim again
    restores the rewrite.

``auxiliary_head_init``
    mmsegmentation 1.2.2's ``EncoderDecoder`` keeps a *list* of auxiliary
    heads in a plain ``torch.nn.ModuleList``. mmengine's
    ``BaseModule.init_weights`` only recurses into children that have an
    ``init_weights`` method, which ``nn.ModuleList`` lacks, so every head of
    such a list keeps PyTorch's default initialisation and its ``init_cfg``
    is silently ignored (the init log says "The value is the same before
    and after calling `init_weights`" for all their parameters). This hits
    every mmseg model with several auxiliary heads (BiSeNetV2, STDC,
    HrSegNet) and no upstream issue tracks it. For HrSegNet it decides
    whether the model learns at all: on CFD (3000-iteration budget, plain
    training loop, same weights elsewhere) crack IoU after 1000 iterations
    was 0.0 with the default-initialised auxiliary heads and 31.3 % with
    their Kaiming ``init_cfg`` applied. We store such lists in mmengine's
    ``ModuleList`` (an ``nn.ModuleList`` that is a ``BaseModule``), which
    initialises every head; parameter names and ``isinstance`` checks are
    unchanged.

Workarounds called where they are needed (not patches):

``rewrite_test_metrics_file``
    mmengine 0.10.7's ``LoggerHook.after_test_epoch`` dumps the test metrics
    to ``<log_dir>/<timestamp>.json`` from every process: under
    ``dist_test.sh`` two processes writing it at once can leave it torn (one
    process's text followed by the other's longer tail; seen in CI). No
    upstream issue found. ``tools/test.py`` calls
    :func:`rewrite_test_metrics_file` after the test: once every process is
    done, the first writes the file again.

``quiet_align_corners_warnings``
    mmseg 1.2.2's ``resize`` (``mmseg/models/utils/wrappers.py``) warns
    "When align_corners=True, the output would more aligned if ..." on every
    call whose sizes are not ``x+1``/``nx+1``, i.e. for every photo whose
    size is not a multiple of the network's stride: thousands of identical
    lines in a folder run. No upstream issue found. The photo-folder loop of
    :mod:`mmcrack.apis.folder_inference` runs inside
    :func:`quiet_align_corners_warnings`, which ignores that one message for
    the duration.

``slide_inference`` (:mod:`mmcrack.apis.backends`)
    mmseg 1.2.2's ``EncoderDecoder.slide_inference`` pads every window's
    scores to the whole image before adding them, work that grows with
    windows x image area, so large photos slide several times slower than
    they need to (no upstream issue found). mmcrack's inference slides over
    the same windows with the same average, adding each window in place
    (``docs/inference.md`` has the measurement).

``onnx_ir_version``
    ``onnx.helper.make_model`` stamps a model with the newest IR version
    that onnx knows, which the ONNX Runtime released beside it does not
    read yet (onnx 1.23 writes IR 14, ONNX Runtime 1.31 reads up to IR
    13: "Unsupported model IR version: 14, max supported IR version:
    13"); ONNX
    Runtime has no API to ask for the newest it reads
    (microsoft/onnxruntime#14932), and onnx's advice is to set the version
    explicitly (onnx/onnx discussion #5203). The graphs mmcrack builds
    itself (the benchmark's GEMM references) are made with
    :func:`make_onnx_model`, which writes the lowest IR version that
    carries the graph's opset (IR 8 for opset 17), as
    ``onnx.helper.make_model_gen_version`` does.
"""
import atexit
import contextlib
import functools
import gc
import importlib.abc
import importlib.util
import logging
import os.path as osp
import pickle
import site
import sys
import types
import warnings

_APPLIED = set()


def rewrite_test_metrics_file(metrics: dict, path: str) -> None:
    """Write the test ``metrics`` to ``path`` from the first process only,
    after every process is done (see ``rewrite_test_metrics_file`` above);
    the other keys mmengine adds (``data_time``, ``time``) are dropped."""
    from mmengine.dist import barrier, is_main_process
    from mmengine.fileio import dump
    barrier()
    if is_main_process():
        dump(metrics, path)
    barrier()


@contextlib.contextmanager
def quiet_align_corners_warnings():
    """Ignore mmseg's ``resize`` warning about ``align_corners`` sizes
    while the block runs (see ``quiet_align_corners_warnings`` above)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'ignore', message='When align_corners=True', category=UserWarning)
        yield


def make_onnx_model(graph, opset: int = 17):
    """An ONNX model of ``graph`` (an ``onnx.GraphProto``) in the default
    domain's ``opset``, stamped with the lowest IR version that carries it,
    so that ONNX Runtime reads it (see ``onnx_ir_version`` above)."""
    from onnx import helper
    opset_imports = [helper.make_opsetid('', opset)]
    return helper.make_model(
        graph,
        opset_imports=opset_imports,
        ir_version=helper.find_min_ir_version_for(opset_imports))


#: Name of the start-up hook (a ``.pth`` file) in site-packages.
STARTUP_HOOK_NAME = 'mmcrack_mmcv_ops.pth'
#: How to get the compiled ops, named in the stand-in's errors.
FULL_MMCV_HINT = (
    'install mmcv with its compiled ops: `MMCRACK_MMCV=full bash '
    'tools/setup_env.sh` (a new environment), or `pip uninstall mmcv-lite` '
    'then `pip install --no-build-isolation mmcv==2.1.0`')


class MissingOpsModule(types.ModuleType):
    """Stand-in for ``mmcv._ext`` where mmcv has no compiled ops.

    Any attribute is a function that raises :class:`RuntimeError` naming the
    op, so ``mmcv.ops`` imports and only a model that runs an op fails.
    """

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)

        def missing_op(*args, **kwargs):
            raise RuntimeError(
                f'The mmcv op {name!r} is compiled code that this mmcv '
                '(mmcv-lite, without ops) does not have; mmcrack\'s models '
                f'need none, but this model does. To run it, '
                f'{FULL_MMCV_HINT}.')

        missing_op.__name__ = name
        return missing_op


class MissingOpsFinder:
    """Import finder that provides :class:`MissingOpsModule` as
    ``mmcv._ext`` when no other finder finds the real extension."""

    mmcrack_mmcv_ops_standin = True

    def find_spec(self, fullname, path, target=None):
        if fullname != 'mmcv._ext':
            return None
        import importlib.util
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return MissingOpsModule(spec.name)

    def exec_module(self, module):
        pass


def install_mmcv_ops_standin():
    """Append :class:`MissingOpsFinder` to ``sys.meta_path`` (once)."""
    if not any(
            getattr(f, 'mmcrack_mmcv_ops_standin', False)
            for f in sys.meta_path):
        sys.meta_path.append(MissingOpsFinder())


#: The start-up hook: find mmcrack without importing it, load this file on
#: its own and install the finder (one line, as ``.pth`` files need).
STARTUP_HOOK_LINE = (
    "import importlib.util as u, os.path as p; s = u.find_spec('mmcrack'); "
    "c = s and u.spec_from_file_location('mmcrack_mmcv_ops_standin', "
    "p.join(s.submodule_search_locations[0], 'utils', 'compat.py')); "
    'm = c and u.module_from_spec(c); c and c.loader.exec_module(m); '
    'm and m.install_mmcv_ops_standin()\n')


def write_startup_hook(site_packages=None) -> str:
    """Write :data:`STARTUP_HOOK_NAME` into ``site_packages`` (default:
    this environment's) and return its path."""
    folder = site_packages or site.getsitepackages()[0]
    path = osp.join(folder, STARTUP_HOOK_NAME)
    with open(path, 'w') as f:
        f.write(STARTUP_HOOK_LINE)
    return path


def _load_local_checkpoint(filename, map_location=None):
    """Load a local checkpoint with full unpickling (mmengine#1655)."""
    import torch
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def fix_checkpoint_weights_only():
    """Register a local-file checkpoint loader with ``weights_only=False``.

    Works around open-mmlab/mmengine#1655.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_local_checkpoint, force=True)


def _load_fetched_checkpoint(filename, map_location=None, model_dir=None):
    """Fetch a checkpoint by address and load its weights only."""
    import torch
    from mmengine.dist import get_dist_info

    def fetch():
        try:
            return torch.hub.load_state_dict_from_url(
                filename,
                model_dir=model_dir,
                map_location=map_location,
                weights_only=True)
        except pickle.UnpicklingError as err:
            raise pickle.UnpicklingError(
                f'{filename} holds more than tensors and plain containers, '
                'and mmcrack loads fetched checkpoints with '
                'weights_only=True. If you trust its source, download it and '
                f'give the local file instead. ({err})') from err

    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = fetch()
    if world_size > 1:  # the others read the copy rank 0 fetched
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = fetch()
    return checkpoint


def fix_fetched_checkpoint_weights_only():
    """Load ``http(s)://`` checkpoints with ``weights_only=True``."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'),
        loader=_load_fetched_checkpoint,
        force=True)


def fix_cpu_distributed():
    """Let mmengine's PyTorch launcher and DDP wrapper run without CUDA.

    Works around mmengine 0.10.7's CUDA-only ``_init_dist_pytorch``.
    """
    import mmengine.dist.utils as dist_utils
    import torch
    from mmengine.logging import print_log
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


def _destroy_process_group():
    """Destroy the default process group of a distributed run, if any.

    A finished Runner sits in reference cycles, so its DDP model, which
    holds the group, lives until the interpreter's last garbage collection.
    Collecting first frees the model while the group is still registered;
    ``destroy_process_group`` then drops the last reference, which joins
    gloo's threads (with the GIL released).
    """
    import torch
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        gc.collect()
        torch.distributed.destroy_process_group()


def fix_process_group_shutdown():
    """Destroy the process group at exit, before the interpreter goes.

    Works around pytorch/pytorch#179291 (mmengine never calls
    ``destroy_process_group``).
    """
    atexit.register(_destroy_process_group)


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
        return _export_torchscript_by_default.__wrapped__(*args, **kwargs)

    _export_torchscript_by_default._mmcrack_torchscript_default = True
    torch.onnx.export = _export_torchscript_by_default


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Run ``patch(module)`` right after ``name`` is first imported."""

    def __init__(self, name, patch):
        self.name, self.patch = name, patch

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module, patch = spec.loader.exec_module, self.patch

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


def _patch_when_imported(name, patch):
    """Apply ``patch`` to module ``name`` now or when it is imported."""
    if name in sys.modules:
        patch(sys.modules[name])
    else:
        sys.meta_path.insert(0, _PatchOnImport(name, patch))


def _allow_tensorrt_export_on_cpu(utils_module):
    check = utils_module.check_backend_device
    if getattr(check, '_mmcrack_cpu_export', False):
        return

    @functools.wraps(check)
    def check_backend_device(deploy_cfg, device):
        from mmdeploy.utils import get_backend
        if (str(device).startswith('cpu')
                and get_backend(deploy_cfg).value == 'tensorrt'):
            return
        check(deploy_cfg, device)

    check_backend_device._mmcrack_cpu_export = True
    utils_module.check_backend_device = check_backend_device


def fix_tensorrt_export_on_cpu():
    """Let mmdeploy export a TensorRT-targeted ONNX graph on the CPU.

    Works around open-mmlab/mmdeploy#1634 (``cpu is invalid for the
    backend tensorrt``); applied when mmdeploy is imported.
    """
    _patch_when_imported('mmdeploy.apis.utils.utils',
                         _allow_tensorrt_export_on_cpu)


def fix_onnx_padding_symbolic():
    """Expose ``_prepare_onnx_paddings`` on ``torch.onnx.symbolic_opset11``.

    Works around pytorch/pytorch#161546 for mmdeploy 1.3.1's TensorRT pad
    rewriter.
    """
    import torch.onnx.symbolic_opset11 as shim
    if hasattr(shim, '_prepare_onnx_paddings'):
        return
    from torch.onnx._internal.torchscript_exporter import symbolic_opset11
    shim._prepare_onnx_paddings = symbolic_opset11._prepare_onnx_paddings


def fix_auxiliary_head_init():
    """Initialise every auxiliary head of an mmseg ``EncoderDecoder``.

    Works around mmsegmentation 1.2.2 leaving a list of auxiliary heads in
    an ``nn.ModuleList`` that ``init_weights`` never reaches.
    """
    import torch
    from mmengine.model import ModuleList
    from mmseg.models.segmentors import EncoderDecoder

    init_auxiliary_head = EncoderDecoder._init_auxiliary_head
    if getattr(init_auxiliary_head, '_mmcrack_initialised', False):
        return

    @functools.wraps(init_auxiliary_head)
    def _init_auxiliary_head(self, auxiliary_head):
        init_auxiliary_head(self, auxiliary_head)
        if type(getattr(self, 'auxiliary_head', None)) is torch.nn.ModuleList:
            self.auxiliary_head = ModuleList(self.auxiliary_head)

    _init_auxiliary_head._mmcrack_initialised = True
    EncoderDecoder._init_auxiliary_head = _init_auxiliary_head


FIXES = {
    'mmcv_ops_standin': install_mmcv_ops_standin,
    'checkpoint_weights_only': fix_checkpoint_weights_only,
    'fetched_checkpoint_weights_only': fix_fetched_checkpoint_weights_only,
    'cpu_distributed': fix_cpu_distributed,
    'process_group_shutdown': fix_process_group_shutdown,
    'onnx_export_torchscript': fix_onnx_export_torchscript,
    'tensorrt_export_on_cpu': fix_tensorrt_export_on_cpu,
    'onnx_padding_symbolic': fix_onnx_padding_symbolic,
    'auxiliary_head_init': fix_auxiliary_head_init,
}


def apply_all():
    """Apply every fix in :data:`FIXES` once per process."""
    for name, fix in FIXES.items():
        if name not in _APPLIED:
            fix()
            _APPLIED.add(name)
