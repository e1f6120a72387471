"""load_model_config: the one way every tool loads a config; and the
--shape argument of the tools that take an input size."""
import argparse

import pytest
from helpers import REPO_ROOT
from mmengine.config import Config

from mmcrack.utils.cli_args import add_shape_arg
from mmcrack.utils.config_check import load_model_config

CONFIG = str(REPO_ROOT / 'configs' / 'hrsegnet' /
             'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


def test_overrides_copy_and_typos():
    cfg = load_model_config(CONFIG, {'model.decode_head.threshold': 0.4})
    assert cfg.model.decode_head.threshold == 0.4
    # A Config passed in is copied, not changed.
    again = load_model_config(cfg, {'model.decode_head.threshold': 0.6})
    assert (cfg.model.decode_head.threshold,
            again.model.decode_head.threshold) == (0.4, 0.6)
    assert isinstance(again, Config)
    # A misspelt top-level key (here through --cfg-options) is an error in
    # tools/infer.py, get_flops.py and benchmark.py as in train/test.
    with pytest.raises(KeyError, match="did you mean 'test_dataloader'"):
        load_model_config(CONFIG, {'test_dataloder.batch_size': 2})


def test_shape_arg():
    parser = argparse.ArgumentParser()
    add_shape_arg(parser, (400, 300))
    assert parser.parse_args([]).shape == (400, 300)
    assert parser.parse_args(['--shape', '256']).shape == (256, 256)
    assert parser.parse_args(['--shape', '256', '320']).shape == (256, 320)
    with pytest.raises(SystemExit):
        parser.parse_args(['--shape', '1', '2', '3'])
