import pytest
from mmengine.config import Config

from mmcrack.utils.config_check import check_config_keys


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
