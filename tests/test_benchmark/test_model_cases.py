"""mmcrack.benchmark.model_cases: one model, ready to time on each
backend, running what the exported graph computes."""
from pathlib import Path

import numpy as np
import pytest
import torch

from mmcrack.apis import init_model
from mmcrack.benchmark import model_cases, sample_image
from mmcrack.utils.complexity import profile_call
from mmcrack.utils.config_check import load_model_config

CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / 'hrsegnet' /
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')
SHAPE = (64, 64)


@pytest.mark.parametrize('bias, crack', [(10.0, 1), (-10.0, 0)])
def test_pytorch_rows_threshold_one_channel_heads(tmp_path, bias, crack):
    """A one-channel head (Context-CrackNet, WP-CrackNet) is labelled by
    its sigmoid against the head's threshold, as the exported graph does;
    the PyTorch rows once took an argmax over the one channel (all 0)."""
    cfg = load_model_config(
        str(CONFIG), {'model.decode_head.out_channels': 1})
    model = init_model(cfg)
    with torch.no_grad():
        model.decode_head.conv_seg.weight.zero_()
        model.decode_head.conv_seg.bias.fill_(bias)
    checkpoint = tmp_path / 'one-channel.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    case, = model_cases('one-channel', cfg, str(checkpoint), ['pytorch'],
                        SHAPE, str(tmp_path), sample_image(SHAPE))
    labels = case.fn()
    assert labels.shape == (1, 1, *SHAPE) and labels.dtype == torch.int64
    assert (labels == crack).all()


def test_cases_of_a_config(tmp_path):
    """Parameters of the inference path (no auxiliary heads), MACs of one
    image, a batch per run; no GPU, no CUDA rows."""
    cfg = load_model_config(str(CONFIG))
    cases = model_cases(
        'b16',
        cfg,
        None, ['pytorch', 'cuda'],
        SHAPE,
        str(tmp_path),
        sample_image(SHAPE),
        batch=2)
    by_backend = {case.backend: case for case in cases}
    assert set(by_backend) == {'pytorch', 'cuda'}
    pytorch = by_backend['pytorch']
    assert pytorch.base['model'] == 'b16'
    assert pytorch.base['params'] == 605106  # tests/test_tools/test_get_flops
    # The resize and the label map add no MACs to mmseg's 'tensor' mode.
    assert pytorch.base['macs'] == profile_call(
        init_model(cfg), torch.zeros(1, 3, *SHAPE), mode='tensor')['macs']
    assert pytorch.fn().shape == (2, 1, *SHAPE)
    if not torch.cuda.is_available():
        assert by_backend['cuda'].error == 'torch sees no CUDA GPU'


def test_sample_image(tmp_path):
    noise = sample_image((20, 30))
    assert noise.shape == (20, 30, 3) and noise.dtype == np.uint8
    import mmcv
    photo = np.full((40, 60, 3), 7, np.uint8)
    mmcv.imwrite(photo, str(tmp_path / 'a.png'))
    assert (sample_image((20, 30), str(tmp_path)) == 7).all()
    assert (sample_image((20, 30), str(tmp_path / 'absent')) == noise).all()
