"""mmcrack.benchmark.comparison_models: mmseg's real-time models for two
classes."""
import numpy as np
import pytest

from mmcrack.benchmark import COMPARE_MODELS, compare_config, model_cases
from mmcrack.utils.config_check import check_config

#: The docs' parameter counts (M, inference path, 2 classes).
COMPARE_PARAMS = {
    'BiSeNetV2': 3.341,
    'STDC1': 8.271,
    'DDRNet-23-slim': 5.695,  # 5.732 with DDRHead's training-only aux
    'PSPNet-R18': 12.639,
    'DeepLabV3+-R18': 12.318,
    'UNet': 28.987,
    'OCRNet-HRNetW18': 12.067,
}


@pytest.mark.slow
def test_every_comparison_model_builds_and_runs(tmp_path):
    """Each of mmseg's real-time models builds with 2 classes and no
    downloaded weights, as the benchmark runs it; their sizes are the
    docs'. OCRNet is a cascade of heads."""
    assert set(COMPARE_MODELS) == set(COMPARE_PARAMS)
    image = np.zeros((64, 64, 3), np.uint8)
    for name, params in COMPARE_PARAMS.items():
        cfg = compare_config(name)
        check_config(cfg)  # two classes on the heads and in the data
        assert cfg.model.test_cfg == dict(mode='whole')
        case, = model_cases(name, cfg, None, ['pytorch'], (64, 64),
                            str(tmp_path), image)
        assert round(case.base['params'] / 1e6, 3) == params, name
        labels = case.fn()
        assert labels.shape == (1, 1, 64, 64), name
