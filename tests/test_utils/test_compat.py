"""Each compatibility fix works; each test fails if its fix is removed."""
import os
import pickle
import subprocess
import sys

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


def test_fetched_checkpoint_weights_only(served, runner_style_checkpoint):
    root, address = served
    torch.save(dict(state_dict=dict(weight=torch.ones(3))),
               root / 'plain.pth')
    loaded = _load_checkpoint(f'{address}/plain.pth', 'cpu')
    assert torch.equal(loaded['state_dict']['weight'], torch.ones(3))
    # A fetched file that needs more than weights is not unpickled.
    (root / 'runner.pth').write_bytes(runner_style_checkpoint.read_bytes())
    with pytest.raises(pickle.UnpicklingError,
                       match='weights_only=True.*local file'):
        _load_checkpoint(f'{address}/runner.pth', 'cpu')


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
    model = out = None
    try:
        assert torch_dist.get_backend() == 'gloo'
        # The Runner always passes device_ids=[LOCAL_RANK].
        module = torch.nn.Sequential(
            torch.nn.Linear(2, 3), torch.nn.SyncBatchNorm(3))
        model = MMDistributedDataParallel(module=module, device_ids=[0])
        assert model.device_ids is None
        assert isinstance(model.module[1],
                          torch.nn.modules.batchnorm._BatchNorm)
        assert not isinstance(model.module[1], torch.nn.SyncBatchNorm)
        out = model(torch.ones(4, 2))
        out.sum().backward()
        assert model.module[0].weight.grad is not None
    finally:
        # Free DDP's reducer while the default group still holds the gloo
        # process group: a reducer that drops the last reference destroys
        # the group without releasing the GIL, and the group's worker
        # thread, freeing its last work item, waits for the GIL: a hang in
        # about one run of 40 (pytorch/pytorch#56297).
        del model, out
        torch_dist.destroy_process_group()


@pytest.mark.slow
def test_process_group_shutdown(tmp_path):
    """At exit the group is destroyed and gloo's threads are joined, even
    while a DDP model in a reference cycle (as a finished Runner's) still
    holds the group."""
    # A handler registered before mmcrack's runs after it (atexit is last
    # in, first out) and sees what is left, giving a thread that is still
    # exiting up to 2 s to leave /proc (CI once saw one more thread).
    script = f"""
import atexit
import os
import time

import torch
import torch.distributed as dist


def threads():
    return len(os.listdir('/proc/self/task'))


def at_exit():
    for _ in range(100):
        if threads() <= before:
            break
        time.sleep(0.02)
    print('at exit:', dist.is_initialized(), threads())


atexit.register(at_exit)
import mmcrack  # noqa: F401
torch.set_num_threads(1)
before = threads()
print('before:', before)
dist.init_process_group(
    'gloo', init_method='file://{tmp_path / 'store'}', rank=0, world_size=1)
runner = type('Runner', (), {{}})()
runner.itself = runner
runner.model = torch.nn.parallel.DistributedDataParallel(
    torch.nn.Linear(2, 1))
runner.model(torch.ones(1, 2)).sum().backward()
del runner
print('running:', dist.is_initialized(), threads())
"""
    proc = subprocess.run([sys.executable, '-c', script],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(': ') for line in proc.stdout.splitlines())
    before = int(lines['before'])
    running, threads = lines['running'].split()
    assert running == 'True' and int(threads) > before  # gloo's threads
    assert lines['at exit'] == f'False {before}'


def test_onnx_export_torchscript(tmp_path):
    # torch >= 2.9 would take the dynamo exporter here (pytorch#151693):
    # it needs onnxscript, emits opset 18 and bypasses mmdeploy's rewriters.
    import onnx
    path = tmp_path / 'conv.onnx'
    torch.onnx.export(
        torch.nn.Conv2d(3, 4, 3), (torch.zeros(1, 3, 8, 8), ),
        str(path),
        opset_version=11)
    model = onnx.load(str(path))
    assert [op.version for op in model.opset_import if not op.domain] == [11]
    assert [node.op_type for node in model.graph.node] == ['Conv']
    # No external-data file, as the dynamo exporter writes.
    assert sorted(p.name for p in tmp_path.iterdir()) == ['conv.onnx']


def test_onnx_export_keeps_an_explicit_dynamo(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.onnx.export, '__wrapped__',
                        lambda *args, **kwargs: calls.append(kwargs))
    torch.onnx.export(None, (), 'a.onnx')
    torch.onnx.export(None, (), 'b.onnx', dynamo=True)
    assert calls == [{'dynamo': False}, {'dynamo': True}]


def test_tensorrt_export_on_cpu():
    # mmdeploy#1634: "cpu is invalid for the backend tensorrt".
    from mmdeploy.apis.utils.utils import check_backend_device
    from mmengine import Config
    check_backend_device(
        Config(dict(backend_config=dict(type='tensorrt'))), 'cpu')
    # Other device checks are unchanged.
    with pytest.raises(ValueError, match='invalid for the backend openvino'):
        check_backend_device(
            Config(dict(backend_config=dict(type='openvino'))), 'cuda')


def test_onnx_padding_symbolic():
    # pytorch#161546 hid the function mmdeploy's TensorRT pad rewriter
    # replaces; within an export context for TensorRT it is rewritten.
    import mmdeploy.pytorch.functions  # noqa: F401  (registers rewriters)
    import torch.onnx._internal.torchscript_exporter.symbolic_opset11 as ops
    from mmdeploy.core import RewriterContext
    from mmengine import Config
    cfg = Config(dict(backend_config=dict(type='tensorrt')))
    with RewriterContext(cfg, backend='tensorrt', opset=17):
        inside = ops._prepare_onnx_paddings.__name__
    assert inside == '_prepare_onnx_paddings__tensorrt'
    assert ops._prepare_onnx_paddings.__name__ == '_prepare_onnx_paddings'


def _relu_graph():
    from onnx import TensorProto, helper
    return helper.make_graph(
        [helper.make_node('Relu', ['x'], ['y'])], 'relu',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2])])


def test_upstream_make_model_still_writes_an_ir_version_too_new():
    # The reason for make_onnx_model (onnxruntime#14932): drop it once
    # ONNX Runtime reads what onnx.helper.make_model writes by default.
    import onnxruntime as ort
    from onnx import helper
    model = helper.make_model(
        _relu_graph(), opset_imports=[helper.make_opsetid('', 17)])
    with pytest.raises(Exception, match='Unsupported model IR version'):
        ort.InferenceSession(
            model.SerializeToString(), providers=['CPUExecutionProvider'])


def test_onnx_ir_version():
    import onnxruntime as ort
    model = compat.make_onnx_model(_relu_graph(), opset=17)
    assert model.ir_version == 8  # onnx 1.12's, the first with opset 17
    assert [(op.domain, op.version) for op in model.opset_import] == [('',
                                                                       17)]
    session = ort.InferenceSession(
        model.SerializeToString(), providers=['CPUExecutionProvider'])
    y, = session.run(None, {'x': np.array([-1.0, 2.0], np.float32)})
    assert y.tolist() == [0.0, 2.0]


def test_auxiliary_head_init():
    # A list of auxiliary heads gets its init_cfg applied (mmseg 1.2.2 left
    # them at PyTorch's defaults): a constant init is visible exactly.
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    norm_cfg = dict(type='BN')
    head = dict(
        type='FCNHead',
        in_channels=8,
        channels=4,
        num_convs=1,
        concat_input=False,
        num_classes=2,
        norm_cfg=norm_cfg,
        init_cfg=dict(type='Constant', val=0.5, bias=0.25, layer='Conv2d'))
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            backbone=dict(
                type='MobileNetV2', widen_factor=0.25, out_indices=(1, 2)),
            decode_head=dict(head, in_index=1),
            auxiliary_head=[dict(head, in_index=0),
                            dict(head, in_index=1)]))
    model.init_weights()
    for aux_head in model.auxiliary_head:
        for name, param in aux_head.named_parameters():
            if 'conv' in name and 'bn' not in name:
                expected = 0.5 if name.endswith('weight') else 0.25
                assert torch.all(param == expected), name
    assert isinstance(model.auxiliary_head, torch.nn.ModuleList)
    assert 'auxiliary_head.1.conv_seg.weight' in model.state_dict()


def _mmcv_kind() -> str:
    """'full' (mmcv with compiled ops) or 'lite' (mmcv-lite)."""
    from importlib.metadata import PackageNotFoundError, distribution
    try:
        distribution('mmcv')
        return 'full'
    except PackageNotFoundError:
        return 'lite'


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_mmcv_ops_standin_module():
    module = compat.MissingOpsModule('mmcv._ext')
    with pytest.raises(RuntimeError,
                       match="'roi_align_forward'.*MMCRACK_MMCV=full"):
        module.roi_align_forward(torch.zeros(1))
    assert not hasattr(module, '__file__')


@pytest.mark.slow
def test_mmseg_imports_before_mmcrack():
    """As a user's script or mmseg's tools/train.py would: mmseg first."""
    proc = _python('import mmseg.apis, mmseg.models, mmcrack, mmcv._ext as e;'
                   'print(type(e).__name__)')
    assert proc.returncode == 0, proc.stderr[-2000:]
    # The stand-in only where mmcv has no compiled ops.
    expected = 'MissingOpsModule' if _mmcv_kind() == 'lite' else 'module'
    assert proc.stdout.split()[-1] == expected


@pytest.mark.slow
@pytest.mark.skipif(_mmcv_kind() == 'full', reason='mmcv-lite only')
def test_mmseg_fails_without_the_standin():
    # The reason for mmcv_ops_standin: mmseg 1.2.2 imports mmcv.ops.
    proc = _python(
        'import sys; sys.meta_path[:] = [f for f in sys.meta_path if not '
        "getattr(f, 'mmcrack_mmcv_ops_standin', False)]; import mmseg.models")
    assert proc.returncode != 0 and "No module named 'mmcv._ext'" in (
        proc.stderr)


@pytest.mark.skipif(_mmcv_kind() == 'full', reason='mmcv-lite only')
def test_model_that_needs_an_op_says_so():
    from mmseg.models.decode_heads import PSAHead
    head = PSAHead(
        in_channels=8, channels=4, num_classes=2, mask_size=(8, 8))
    with pytest.raises(RuntimeError, match="mmcv op 'psamask_forward'"):
        head([torch.zeros(1, 8, 8, 8)])


def test_startup_hook_installs_the_finder(tmp_path):
    path = compat.write_startup_hook(str(tmp_path))
    assert path == str(tmp_path / compat.STARTUP_HOOK_NAME)
    proc = _python(
        'import sys, site; sys.meta_path[:] = [f for f in sys.meta_path if '
        "not getattr(f, 'mmcrack_mmcv_ops_standin', False)]; "
        'n = len(sys.meta_path); '
        f'site.addsitedir({str(tmp_path)!r}); '
        'print([type(f).__name__ for f in sys.meta_path[n:]])')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'MissingOpsFinder' in proc.stdout


def test_test_metrics_file_is_written_again_whole(tmp_path):
    """Under dist_test.sh every process dumps the metrics file (mmengine's
    LoggerHook); a file torn by two writing at once is written again."""
    import json
    path = tmp_path / 'metrics.json'
    path.write_text('{"IoU": 3.98, "time": 0.07}}')
    compat.rewrite_test_metrics_file(
        {'IoU': 3.98, 'ODS': np.float64(10.13)}, str(path))
    assert json.loads(path.read_text()) == {'IoU': 3.98, 'ODS': 10.13}


def test_align_corners_warnings_are_quiet_inside_the_block_only():
    import warnings

    from mmseg.models.utils import resize
    x = torch.zeros(1, 1, 3, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        with compat.quiet_align_corners_warnings():
            resize(x, size=(24, 32), mode='bilinear', align_corners=True)
        assert not caught
        resize(x, size=(24, 32), mode='bilinear', align_corners=True)
    assert any('align_corners=True' in str(w.message) for w in caught)
