import math
import multiprocessing
from types import SimpleNamespace

import numpy as np
import pytest
import torch.nn as nn
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from mmcrack.datasets.transforms import CrackAwareCrop
from mmcrack.engine.hooks import balanced_learning_hook as hook_module
from mmcrack.engine.hooks import (BalancedLearningHook,
                                  precision_recall_factor)
from mmcrack.models.losses import BalancedCrossEntropyLoss

BALANCED_CONFIGS = REPO_ROOT / 'configs' / 'balanced'

pytestmark = pytest.mark.usefixtures('one_thread')


class Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.loss = BalancedCrossEntropyLoss(pos_weight=2.0)


def runner_with(counts, pos_prob=0.5):
    model = Model()
    model.loss.tp.fill_(counts[0])
    model.loss.fp.fill_(counts[1])
    model.loss.fn.fill_(counts[2])
    crop = CrackAwareCrop(8, pos_prob=pos_prob)
    dataset = SimpleNamespace(pipeline=SimpleNamespace(transforms=[crop]))
    runner = SimpleNamespace(
        model=model,
        iter=9,
        train_dataloader=SimpleNamespace(dataset=dataset),
        message_hub=MessageHub.get_instance('balanced_learning_test'))
    return runner, model.loss, crop


def test_factor():
    assert precision_recall_factor(8, 2, 8) == pytest.approx(
        (0.8, 0.5, 0.3 / 1.3))
    assert precision_recall_factor(0, 0, 5) == (1.0, 0.0, 1.0)
    assert precision_recall_factor(0, 5, 5) == (0.0, 0.0, 0.0)
    assert precision_recall_factor(0, 5, 0) == (None, None, None)


def test_precision_above_recall_raises_weight_and_crack_crops():
    # P = 0.9, R = 0.3: the model misses cracks.
    runner, loss, crop = runner_with((90, 10, 210))
    hook = BalancedLearningHook(interval=10, weight_step=0.2, prob_step=0.1)
    hook.before_train(runner)
    hook.after_train_iter(runner, 9)
    prf = (0.9 - 0.3) / 1.2
    assert float(loss.pos_weight) == pytest.approx(2.0 * math.exp(0.2 * prf))
    assert crop.pos_prob == pytest.approx(0.5 + 0.1 * prf)
    assert loss.counts() == (0, 0, 0)
    scalars = runner.message_hub.log_scalars
    assert scalars['train/bl_prf'].current() == pytest.approx(prf)
    assert scalars['train/bl_pos_weight'].current() == float(loss.pos_weight)


def test_recall_above_precision_lowers_them():
    # P = 0.2, R = 0.8: the model over-predicts cracks.
    runner, loss, crop = runner_with((80, 320, 20))
    hook = BalancedLearningHook(interval=10, weight_step=0.2, prob_step=0.1)
    hook.before_train(runner)
    hook.after_train_iter(runner, 9)
    prf = (0.2 - 0.8) / 1.0
    assert float(loss.pos_weight) == pytest.approx(2.0 * math.exp(0.2 * prf))
    assert float(loss.pos_weight) < 2.0 and crop.pos_prob < 0.5
    assert crop.pos_prob == pytest.approx(0.5 + 0.1 * prf)


def test_only_every_interval_and_within_bounds():
    runner, loss, crop = runner_with((0, 0, 100), pos_prob=0.99)
    hook = BalancedLearningHook(
        interval=4, weight_step=10., max_weight=5., prob_step=1.)
    hook.before_train(runner)
    hook.after_train_iter(runner, 9)  # iteration 10: not a multiple of 4
    assert float(loss.pos_weight) == 2.0 and loss.counts() == (0, 0, 100)
    runner.iter = 11
    hook.after_train_iter(runner, 11)
    assert float(loss.pos_weight) == 5.0 and crop.pos_prob == 1.0
    # No crack pixel in the interval: nothing to learn, nothing changes.
    runner.iter = 15
    hook.after_train_iter(runner, 15)
    assert float(loss.pos_weight) == 5.0
    with pytest.raises(ValueError, match='BalancedCrossEntropyLoss'):
        hook.before_train(SimpleNamespace(model=nn.Linear(1, 1)))


def test_without_or_with_several_sampling_knobs(monkeypatch):
    runner, loss, crop = runner_with((90, 10, 210))
    # Without a CrackAwareCrop only the loss weight moves, and the log says
    # so once.
    messages = []
    monkeypatch.setattr(hook_module, 'print_log',
                        lambda msg, logger: messages.append(msg))
    runner.train_dataloader.dataset.pipeline.transforms = []
    runner.message_hub = MessageHub.get_instance('balanced_learning_none')
    hook = BalancedLearningHook(interval=10)
    hook.before_train(runner)
    assert len(messages) == 1 and 'only the loss weight' in messages[0]
    hook.after_train_iter(runner, 9)
    assert float(loss.pos_weight) > 2.0
    assert not [k for k in runner.message_hub.log_scalars if 'pos_prob' in k]
    # Two knobs: both move, each logged under its own name.
    other = CrackAwareCrop(8, pos_prob=0.2)
    runner.train_dataloader.dataset.pipeline.transforms = [crop, other]
    runner.message_hub = MessageHub.get_instance('balanced_learning_two')
    loss.tp.fill_(90)
    loss.fn.fill_(210)
    hook.before_train(runner)
    hook.after_train_iter(runner, 9)
    scalars = runner.message_hub.log_scalars
    assert scalars['train/bl_pos_prob'].current() == crop.pos_prob > 0.5
    assert scalars['train/bl_pos_prob_1'].current() == other.pos_prob > 0.2


def test_crack_aware_crop():
    np.random.seed(0)
    mask = np.zeros((40, 60), np.uint8)
    mask[30, 50] = 1
    results = dict(
        img=np.zeros((40, 60, 3), np.uint8),
        gt_seg_map=mask,
        seg_fields=['gt_seg_map'])
    crop = CrackAwareCrop((16, 16), pos_prob=1.0)
    for _ in range(5):
        out = crop(dict(results))
        assert out['img'].shape == (16, 16, 3)
        assert out['gt_seg_map'].sum() == 1
    crop.pos_prob = 0.0
    hits = sum(crop(dict(results))['gt_seg_map'].sum() for _ in range(50))
    assert hits < 25
    with pytest.raises(ValueError, match='pos_prob'):
        crop.pos_prob = 1.5


def _read_later(crop, ready, queue):
    ready.wait(10)
    queue.put(crop.pos_prob)


def test_crack_aware_crop_probability_reaches_forked_workers():
    ctx = multiprocessing.get_context('fork')
    crop = CrackAwareCrop(8, pos_prob=0.1)
    ready, queue = ctx.Event(), ctx.Queue()
    worker = ctx.Process(target=_read_later, args=(crop, ready, queue))
    worker.start()
    crop.pos_prob = 0.7  # set in the main process after the fork
    ready.set()
    assert queue.get(timeout=10) == pytest.approx(0.7)
    worker.join(10)



@pytest.mark.parametrize('config,extra_losses', [
    ('hrsegnet-b16-balanced_1xb8-3k_cfd-256x256.py', ()),
    ('hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py',
     ('decode.loss_dice', )),
    ('hrsegnet-b16-balanced-dice-aug_1xb8-3k_cfd-256x256.py',
     ('decode.loss_dice', )),
])
def test_balanced_config_trains_and_adapts(tmp_path, cfd_dir, config,
                                           extra_losses, monkeypatch):
    factors = []  # the hook's PRFs: one per loss, then the pooled one
    original = hook_module.precision_recall_factor

    def recorded_factor(tp, fp, fn):
        result = original(tp, fp, fn)
        factors.append(result[2])
        return result

    monkeypatch.setattr(hook_module, 'precision_recall_factor',
                        recorded_factor)
    cfg = Config.fromfile(BALANCED_CONFIGS / config)
    cfg.work_dir = str(tmp_path)
    cfg.model.data_preprocessor.size = (64, 64)
    cfg.model.backbone.norm_cfg = cfg.model.decode_head.norm_cfg = dict(
        type='BN')
    for head in cfg.model.auxiliary_head:
        head.norm_cfg = dict(type='BN')
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        data_root=str(cfd_dir), indices=4, check_files=False)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'CrackAwareCrop':
            step.crop_size = (64, 64)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4,
                         val_interval=100)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.pop('visualization')
    # One update, at the last iteration: the sign check below compares
    # the weight with that update's PRF.
    cfg.custom_hooks[0].interval = 4
    cfg.randomness = dict(seed=0)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = BalancedLearningHook.balanced_losses(runner.model)
    assert len(losses) == 3  # decode head and two auxiliary heads
    scalars = runner.message_hub.log_scalars
    for key in ('train/bl_prf', 'train/bl_pos_weight', 'train/bl_pos_prob',
                'train/decode.loss_balanced_ce') + tuple(
                    f'train/{name}' for name in extra_losses):
        assert key in scalars, key
    # An untrained model: the weights and the crop rate moved with PRF.
    prf = scalars['train/bl_prf'].current()
    weight = float(losses[0].pos_weight)
    assert (weight - 1.0) * prf > 0
    crop, = (step
             for step in runner.train_dataloader.dataset.pipeline.transforms
             if isinstance(step, CrackAwareCrop))
    # The crop rate follows the PRF of all three losses' counts together.
    assert (crop.pos_prob - 0.5) * factors[-1] > 0


def test_resume_restores_the_crop_rate():
    runner, loss, crop = runner_with((90, 10, 210))
    hook = BalancedLearningHook(interval=10, prob_step=0.1)
    hook.before_train(runner)
    hook.after_train_iter(runner, 9)
    moved = crop.pos_prob
    assert moved > 0.5
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    # A resumed run builds its pipeline from the config again; the runner
    # loads the checkpoint before the hooks' before_train.
    resumed_runner, _, resumed_crop = runner_with((0, 0, 0))
    assert resumed_crop.pos_prob == 0.5
    resumed = BalancedLearningHook(interval=10, prob_step=0.1)
    resumed.after_load_checkpoint(resumed_runner, checkpoint)
    resumed.before_train(resumed_runner)
    assert resumed_crop.pos_prob == moved
    # A pipeline with another number of crack-aware crops cannot take it.
    resumed_runner.train_dataloader.dataset.pipeline.transforms = []
    with pytest.raises(ValueError, match='the config the run was started'):
        resumed.before_train(resumed_runner)
