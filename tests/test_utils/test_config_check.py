import pytest
from helpers import REPO_ROOT
from mmengine.config import Config

from mmcrack.utils.config_check import (ConfigError, check_config,
                                        check_config_keys)


@pytest.mark.parametrize('typo,meant',
                         [('train_dataloder', 'train_dataloader'),
                          ('param_schedular', 'param_scheduler'),
                          ('optim_wraper', 'optim_wrapper')])
def test_misspelt_runner_key_is_reported(typo, meant):
    with pytest.raises(KeyError, match=f"'{typo}'.*did you mean '{meant}'"):
        check_config_keys(Config({typo: dict()}))


def test_real_and_conventional_keys_pass():
    check_config_keys(
        Config(
            dict(
                train_dataloader=dict(),
                test_pipeline=[],
                crop_size=(8, 8),
                my_own_variable=1)))


REPO_CONFIG = (REPO_ROOT / 'configs' / 'balanced' /
               'hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py')


def repo_config(**options):
    cfg = Config.fromfile(REPO_CONFIG)
    cfg.merge_from_dict(options)
    return cfg


def test_repo_config_passes():
    check_config(repo_config())


@pytest.mark.parametrize('options,match', [
    ({'model.test_cfg.mod': 'slide'},
     r"model.test_cfg.mod is not read .*did you mean 'mode'"),
    ({'model.test_cfg.mode': 'sliding'}, "must be 'whole' or 'slide'"),
    ({'model.test_cfg.mode': 'slide'}, 'needs crop_size and stride'),
    ({'model.train_cfg.sampler': dict(type='OHEMPixelSampler')},
     'model.train_cfg.sampler is not read'),
    ({'default_hooks.checkpoint.intervall': 100},
     r"default_hooks.checkpoint.intervall: CheckpointHook takes no argument "
     r"'intervall' \(did you mean 'interval'\?\).*first save"),
    ({'default_hooks.logger.intervall': 10}, "did you mean 'interval'"),
    ({'custom_hooks': [dict(type='BalancedLearningHook', weight_stepp=1)]},
     r"custom_hooks\[0\].weight_stepp.*did you mean 'weight_step'"),
    ({'model.decode_head.num_classes': 3},
     r"decode_head.num_classes is 3 but the dataset has 2 classes "
     r"\('background', 'crack'\)"),
    ({'model.auxiliary_head': [dict(type='HrSegNetAuxHead', num_classes=1)]},
     r'model.auxiliary_head\[0\].num_classes is 1.*out_channels=1'),
])
def test_late_or_silent_mistakes_are_caught(options, match):
    with pytest.raises(ConfigError, match=match):
        check_config(repo_config(**options))


def test_hook_arguments_that_are_taken_pass():
    # CheckpointHook forwards other arguments to Runner.save_checkpoint;
    # EMAHook passes any to its averaged model.
    check_config(
        repo_config(**{
            'default_hooks.checkpoint.save_optimizer': False,
            'custom_hooks': [dict(type='EMAHook', momentum=0.001)]
        }))


@pytest.mark.parametrize('key,replacement', [
    ('runner', 'IterBasedTrainLoop'),
    ('evaluation', 'val_evaluator'),
    ('checkpoint_config', 'CheckpointHook'),
    ('lr_config', 'param_scheduler'),
    ('data', 'train_dataloader'),
])
def test_mmseg_0x_keys_name_their_replacement(key, replacement):
    with pytest.raises(ConfigError, match=f'{key} -> .*{replacement}'):
        check_config(Config({key: dict()}))
    # optimizer is 1.x's conventional variable beside optim_wrapper ...
    check_config(Config(dict(optimizer=dict(), optim_wrapper=dict())))
    # ... and a 0.x key on its own.
    with pytest.raises(ConfigError, match='optimizer -> optim_wrapper'):
        check_config(Config(dict(optimizer=dict(type='SGD'))))


def test_train_tool_stops_before_training(run_tool, tmp_path):
    proc = run_tool('train.py', REPO_CONFIG, '--work-dir', tmp_path,
                    '--cfg-options', 'default_hooks.checkpoint.intervall=1')
    assert proc.returncode != 0
    assert "takes no argument 'intervall'" in proc.stderr
    assert not list(tmp_path.glob('*/*.log'))
