"""End to end: tools/train.py, --resume, tools/test.py (also with --tta),
mmseg's own train.py and test.py (--out), tools/dist_train.sh and
tools/dist_test.sh, on real crack images from ../shared/data/cracksc; a CFD
config of each other model family (its own optimizers, scheduler and hooks)
through tools/train.py and tools/test.py on ../shared/data/cfd; and the clear
errors of --amp without a GPU and of --tta without a tta_pipeline."""
import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import cv2
import mmseg
import numpy as np
import pytest
import torch
from helpers import REPO_ROOT


DEMO_CONFIG = (REPO_ROOT / 'configs' / 'hrsegnet' /
               'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')
MMSEG_TOOLS = Path(mmseg.__file__).parent / '.mim' / 'tools'


def tiny_config(tmp_path, data_dir, max_iters):
    """A config that trains HrSegNet-B16 for a few iterations on real data."""
    path = tmp_path / 'tiny.py'
    path.write_text(f"""
_base_ = ['{DEMO_CONFIG}']
crop_size = (128, 128)
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data_dir}', ann_file='', split='train',
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations'),
                           dict(type='RandomCrop', crop_size=crop_size),
                           dict(type='PackSegInputs')]))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data_dir}', ann_file='', split='val',
                 indices=3))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=100,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, save_best=None))
""")
    return path


def run(args, **env):
    """Run a command from the repo root; fail with its output if it fails."""
    # tools/dist_train.sh runs `python`: make it this interpreter.
    path = os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ['PATH']])
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PATH=path, **env)
    proc = subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_train_resume_test(tmp_path, cracksc_dir, run_tool):
    config = tiny_config(tmp_path, cracksc_dir, max_iters=2)
    work_dir = tmp_path / 'work'
    run([sys.executable, 'tools/train.py', str(config), '--work-dir',
         str(work_dir)])
    assert (work_dir / 'iter_2.pth').is_file()

    # --resume where no run was: an error, not a silent fresh start.
    proc = run_tool('train.py', config, '--work-dir', tmp_path / 'typo',
                    '--resume')
    assert proc.returncode != 0
    assert '--resume: no checkpoint to resume in' in proc.stderr
    assert not (tmp_path / 'typo' / 'iter_2.pth').exists()

    # Resume as after an interruption: continue from iter 2 to iter 4.
    out = run([sys.executable, 'tools/train.py', str(config), '--work-dir',
               str(work_dir), '--resume', '--cfg-options',
               'train_cfg.max_iters=4'])
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [4/4]' in out
    assert 'Iter(train) [1/4]' not in out
    checkpoint = work_dir / 'iter_4.pth'
    assert checkpoint.is_file()

    out = run([sys.executable, 'tools/test.py', str(config),
               str(checkpoint), '--work-dir', str(tmp_path / 'test'),
               '--show-dir', str(tmp_path / 'overlays'), '--out',
               str(tmp_path / 'masks')])
    check_metrics(out)
    assert len(overlays(tmp_path / 'overlays')) == 3
    # --out: one 0/1 mask per test image, named after it.
    assert f'Predicted masks saved to {tmp_path / "masks"}' in out
    masks = sorted((tmp_path / 'masks').glob('*.png'))
    painted = sorted(p.name for p in overlays(tmp_path / 'overlays'))
    assert [f'test_{m.stem}.jpg_0.png' for m in masks] == painted
    for mask in masks:
        assert set(np.unique(cv2.imread(str(mask), 0))) <= {0, 1}

    # Flip test-time augmentation (the default runtime's tta_pipeline and
    # CrackTTAModel), painting every second image.
    out = run([sys.executable, 'tools/test.py', str(config),
               str(checkpoint), '--work-dir', str(tmp_path / 'test_tta'),
               '--tta', '--show-dir', str(tmp_path / 'overlays_tta'),
               '--show-interval', '2'])
    check_metrics(out)
    assert len(overlays(tmp_path / 'overlays_tta')) == 1

    # A threshold (given here; a published model's by default) labels the
    # crack pixels, and the metrics say which was used.
    out = run([sys.executable, 'tools/test.py', str(config),
               str(checkpoint), '--work-dir', str(tmp_path / 'test_thr'),
               '--threshold', '0.45'])
    check_metrics(out)
    metrics_file = Path(out.split('Metrics saved to ')[1].split()[0])
    assert json.loads(metrics_file.read_text())['threshold'] == 0.45

    # --out into a folder that holds files: refused, nothing mixed.
    proc = run_tool('test.py', config, checkpoint, '--work-dir',
                    tmp_path / 'test_again', '--out', tmp_path / 'masks')
    assert proc.returncode != 0 and 'is not empty' in proc.stderr

    # The checkpoint of another width: refused before any test runs.
    b32 = REPO_ROOT / 'configs/balanced/' \
        'hrsegnet-b32-balanced-dice_1xb8-3k_cfd-256x256.py'
    proc = run_tool('test.py', b32, checkpoint, '--work-dir',
                    tmp_path / 'test_b32')
    assert proc.returncode != 0
    assert f'Checkpoint {checkpoint} does not fit the model' in proc.stderr
    assert 'Iter(test)' not in proc.stdout + proc.stderr


def check_metrics(out):
    """The metrics file that tools/test.py says it wrote holds every key.

    A model trained for a few iterations may predict no crack pixel (the
    flip-averaged probabilities of ``--tta`` all under 0.5, say): its
    precision is then undefined, nan, and its recall 0."""
    metrics_file = Path(out.split('Metrics saved to ')[1].split()[0])
    metrics = json.loads(metrics_file.read_text())
    for key in ('IoU', 'Precision', 'Recall', 'F1', 'mIoU', 'ODS', 'OIS'):
        if key == 'Precision' and math.isnan(metrics[key]):
            assert metrics['Recall'] == 0.0
        else:
            assert 0.0 <= metrics[key] <= 100.0, key


def overlays(show_dir):
    return list((show_dir / 'vis_data' / 'vis_image').glob('*.png'))


def test_mmseg_train_tool_with_custom_imports(tmp_path, cracksc_dir,
                                              run_tool):
    """An existing MMSeg project: mmseg's own tools/train.py and
    tools/test.py, mmseg's own default runtime, and only ``custom_imports``
    added for mmcrack."""
    mmseg_runtime = (MMSEG_TOOLS.parent / 'configs' / '_base_' /
                     'default_runtime.py')
    config = tmp_path / 'project.py'
    config.write_text(f"""
_base_ = ['{mmseg_runtime}', '{REPO_ROOT}/configs/_base_/models/hrsegnet.py']
custom_imports = dict(imports=['mmcrack'], allow_failed_imports=False)
crop_size = (128, 128)
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='CrackDataset', data_root='{cracksc_dir}',
                 data_prefix=dict(img_path='images', seg_map_path='masks'),
                 split='train',
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations'),
                           dict(type='RandomCrop', crop_size=crop_size),
                           dict(type='PackSegInputs')]))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CrackDataset', data_root='{cracksc_dir}',
                 data_prefix=dict(img_path='images', seg_map_path='masks'),
                 split='val', indices=2,
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations'),
                           dict(type='PackSegInputs')]))
test_evaluator = dict(type='CrackMetric')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=2,
                                     by_epoch=False),
                     logger=dict(type='LoggerHook', interval=1))
""")
    out = run([sys.executable, str(MMSEG_TOOLS / 'train.py'), str(config),
               '--work-dir', str(tmp_path / 'work')])
    assert 'Iter(train) [2/2]' in out
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()

    # mmseg's own tools/test.py: CrackMetric's metrics, and with --out one
    # 0/1 mask per test image.
    out = run([sys.executable, str(MMSEG_TOOLS / 'test.py'), str(config),
               str(tmp_path / 'work' / 'iter_2.pth'), '--work-dir',
               str(tmp_path / 'test'), '--out', str(tmp_path / 'masks')])
    assert 'IoU: ' in out and 'ODS: ' in out
    masks = sorted((tmp_path / 'masks').glob('*.png'))
    assert len(masks) == 2
    for mask in masks:
        assert set(np.unique(cv2.imread(str(mask), 0))) <= {0, 1}

    # mmseg's default runtime has a tta_model but no tta_pipeline.
    proc = run_tool('test.py', config, tmp_path / 'work' / 'iter_2.pth',
                    '--tta', timeout=300)
    assert proc.returncode != 0
    assert '--tta needs tta_pipeline in the config' in proc.stderr


def train_and_test_family_config(tmp_path, config, cfd_dir, train_data=None,
                                 extra=''):
    """Two iterations of a model family's CFD config with its own
    optimizers, scheduler and hooks (training on ``train_data``, the
    dataset's overrides; default: CFD's train split), one validation on two
    CFD val images, then tools/test.py on the checkpoint; returns the
    checkpoint and the logged scalars."""
    if train_data is None:
        train_data = f"data_root='{cfd_dir}', ann_file='', split='train'"
    tiny = tmp_path / 'tiny.py'
    tiny.write_text(f"""
_base_ = ['{REPO_ROOT / config}']
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict({train_data}))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{cfd_dir}', ann_file='', split='val', indices=2))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
{extra}
""")
    work_dir = tmp_path / 'work'
    out = run([sys.executable, 'tools/train.py', str(tiny), '--work-dir',
               str(work_dir)])
    assert 'Iter(train) [2/2]' in out
    assert 'Iter(val) [2/2]' in out
    out = run([sys.executable, 'tools/test.py', str(tiny),
               str(work_dir / 'iter_2.pth'), '--work-dir',
               str(tmp_path / 'test')])
    check_metrics(out)
    checkpoint = torch.load(
        work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)
    scalars_file = next(work_dir.glob('*/vis_data/scalars.json'))
    lines = scalars_file.read_text().splitlines()
    return checkpoint, [json.loads(line) for line in lines]


#: Trains the paper configs from scratch on purpose (no ImageNet weights
#: can be fetched here), as their offline message says.
FROM_SCRATCH = 'model = dict(backbone=dict(init_cfg=None))'


@pytest.mark.slow
def test_crackseg_config_trains_with_adam(tmp_path, cfd_dir):
    checkpoint, _ = train_and_test_family_config(
        tmp_path, 'configs/crackseg/crackseg_r50-d16_1xb8-20k_cfd-256x256.py',
        cfd_dir, extra=FROM_SCRATCH)
    state = next(iter(checkpoint['optimizer']['state'].values()))
    assert {'exp_avg', 'exp_avg_sq'} <= set(state)  # Adam's moments


@pytest.mark.slow
def test_context_cracknet_plateau_scheduler_reads_the_val_ods(
        tmp_path, cfd_dir):
    checkpoint, scalars = train_and_test_family_config(
        tmp_path, 'configs/context_cracknet/'
        'context-cracknet_r50_1xb8-40k_cfd-448x448.py', cfd_dir,
        extra=FROM_SCRATCH)
    # The validation's ODS reached ReduceOnPlateauLR (saved with the
    # checkpoint at the end of training, after the validation).
    val_ods = next(row['ODS'] for row in scalars if 'ODS' in row)
    plateau, = checkpoint['param_schedulers']
    assert plateau['monitor'] == 'ODS'
    assert plateau['best'] == pytest.approx(val_ods)
    assert plateau['num_bad_epochs'] == 0


def test_wp_cracknet_trains_from_image_labels(tmp_path, cfd_dir,
                                              cfd_weak_128):
    """The docs' image-level set and CPU-sized config: one optimizer per
    sub-module, and balanced learning (here at every iteration)."""
    checkpoint, scalars = train_and_test_family_config(
        tmp_path, 'configs/wp_cracknet/'
        'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py',
        cfd_dir,
        train_data=f"data_root='{cfd_weak_128}'",
        extra="custom_hooks = [dict(type='BalancedLearningHook', "
        'interval=1)]')
    assert set(checkpoint['optimizer']) == {
        'classifier', 'reconstructor', 'detector'
    }
    train_rows = [row for row in scalars if 'iter' in row]
    assert len(train_rows) == 2
    for row in train_rows:
        assert {'classifier.lr', 'reconstructor.lr', 'detector.lr',
                'loss_rec', 'loss_cls', 'bl_pos_weight'} <= set(row)
        # The detector's AdamW keeps its rate, as in the official code.
        assert row['detector.lr'] == pytest.approx(1e-3)
    # The classifier and the reconstructor decay with poly.
    assert train_rows[-1]['classifier.lr'] < 1e-3
    assert train_rows[-1]['reconstructor.lr'] < 1e-3
    # The docs' curves of a WP-CrackNet run (loss_det is logged only in
    # iterations that kept a pseudo label).
    out = run([
        sys.executable, 'tools/analysis_tools/plot_curves.py',
        str(tmp_path / 'work'), '--keys', 'loss_rec', 'loss_cls', 'loss_det',
        'IoU', '--out',
        str(tmp_path / 'curves.png')
    ])
    assert 'Plotted loss_rec, loss_cls, ' in out
    assert (tmp_path / 'curves.png').is_file()


@pytest.mark.slow
def test_test_tool_needs_no_training_data(tmp_path, cfd_dir,
                                          random_checkpoint):
    """tools/test.py --show-dir with WP-CrackNet's config before its
    image-level training set exists: testing reads the test set only."""
    config = ('configs/wp_cracknet/'
              'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py')
    test_set = 'test_dataloader.dataset.'
    out = run([
        sys.executable, 'tools/test.py', config,
        str(random_checkpoint(REPO_ROOT / config)), '--work-dir',
        str(tmp_path / 'test'), '--show-dir',
        str(tmp_path / 'overlays'), '--cfg-options',
        f'{test_set}data_root={cfd_dir}', f'{test_set}ann_file=',
        f'{test_set}split=val', f'{test_set}indices=2',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'train_dataloader.dataset.data_root={tmp_path / "not_made"}'
    ])
    check_metrics(out)
    assert len(overlays(tmp_path / 'overlays')) == 2


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_dist_train_and_test_two_processes(tmp_path, cracksc_dir):
    config = tiny_config(tmp_path, cracksc_dir, max_iters=2)
    work_dir = tmp_path / 'work'
    out = run(['bash', 'tools/dist_train.sh', str(config), '2',
               '--work-dir', str(work_dir)],
              PORT=str(free_port()), OMP_NUM_THREADS='1')
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    assert 'Iter(train) [2/2]' in out
    assert (work_dir / 'iter_2.pth').is_file()

    out = run(['bash', 'tools/dist_test.sh', str(config),
               str(work_dir / 'iter_2.pth'), '2', '--work-dir',
               str(tmp_path / 'test')],
              PORT=str(free_port()), OMP_NUM_THREADS='1')
    assert 'Distributed training: True' in out
    check_metrics(out)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='--amp runs in CUDA where CUDA is')
def test_amp_on_the_cpu_trains_in_bf16(tmp_path, cracksc_dir, run_tool):
    from mmcrack.engine.optimizers import cpu_supports_bf16
    config = tiny_config(tmp_path, cracksc_dir, max_iters=2)
    proc = run_tool('train.py', config, '--amp', '--work-dir',
                    tmp_path / 'work', timeout=600)
    if cpu_supports_bf16():
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        assert 'bfloat16 autocast (CPUBF16OptimWrapper)' in (proc.stdout +
                                                             proc.stderr)
        assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    else:
        assert proc.returncode != 0
        assert 'no native bfloat16 support' in proc.stderr


def test_cpu_bf16_wrapper_runs_the_forward_in_bf16(monkeypatch):
    from mmcrack.engine.optimizers import cpu_bf16_optim_wrapper as module
    layer = torch.nn.Linear(4, 2)
    optim = torch.optim.SGD(layer.parameters(), lr=0.1)
    monkeypatch.setattr(module, 'cpu_supports_bf16', lambda: True)
    wrapper = module.CPUBF16OptimWrapper(optimizer=optim)
    with wrapper.optim_context(layer):
        out = layer(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().sum())
    assert layer.weight.dtype == torch.float32
    monkeypatch.setattr(module, 'cpu_supports_bf16', lambda: False)
    with pytest.raises(RuntimeError, match='train without --amp'):
        module.CPUBF16OptimWrapper(optimizer=optim)


def test_paper_config_offline_stops_before_training(tmp_path, run_tool):
    """The ImageNet weights cannot be fetched: a message, not a crash in
    the middle of building the runner."""
    unreachable = 'http://127.0.0.1:9/resnet50-0676ba61.pth'
    proc = run_tool(
        'train.py', 'configs/context_cracknet/'
        'context-cracknet_r50_1xb8-40k_cfd-448x448.py', '--work-dir',
        tmp_path, '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={unreachable}')
    assert proc.returncode != 0
    assert f'fetched from {unreachable}' in proc.stderr
    assert 'model.backbone.init_cfg.checkpoint=PATH' in proc.stderr
    assert 'model.backbone.init_cfg=None' in proc.stderr
    assert not list(tmp_path.rglob('*.log'))
