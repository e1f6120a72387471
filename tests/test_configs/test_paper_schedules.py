"""The paper-schedule configs say what their papers train: Context-CrackNet's
batch 32 for up to 1000 epochs with plateau halving and early stopping."""
from helpers import REPO_ROOT
from mmengine.registry import HOOKS

from mmcrack.utils.config_check import load_model_config


def test_context_cracknet_paper_schedule():
    cfg = load_model_config(
        str(REPO_ROOT / 'configs' / 'context_cracknet' /
            'context-cracknet_r50_1xb32-1000e_cfd-448x448.py'))
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    assert cfg.train_cfg == dict(
        type='EpochBasedTrainLoop', max_epochs=1000, val_interval=1)
    plateau, = cfg.param_scheduler
    assert (plateau.type, plateau.factor, plateau.patience,
            plateau.by_epoch) == ('ReduceOnPlateauLR', 0.5, 5, True)
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=1e-4, weight_decay=1e-5)
    stop, = cfg.custom_hooks
    hook = HOOKS.build(stop)
    assert (type(hook).__name__, hook.patience) == ('EarlyStoppingHook', 100)
    assert cfg.default_hooks.checkpoint.by_epoch
    # Everything else is the 40k config's, the paper's evaluation included.
    steps = [s.type for s in cfg.test_dataloader.dataset.pipeline]
    assert 'EvaluateAtInputSize' in steps
