"""mmcrack.benchmark.inference_speed: several models and the GEMM
references, timed together."""
from pathlib import Path

from mmcrack.benchmark import BenchmarkModel, measure_inference
from mmcrack.benchmark.gemm_reference import GEMM_SIZES
from mmcrack.utils.config_check import load_model_config

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def test_models_and_gemm_are_timed_together(monkeypatch):
    """A model that cannot run at the size gets one row with the reason;
    the others are timed with the GEMM reference."""
    monkeypatch.setitem(GEMM_SIZES, 'torch-cpu', 64)
    models = [
        BenchmarkModel(
            'b16',
            load_model_config(
                str(CONFIGS / 'hrsegnet' /
                    'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py'))),
        BenchmarkModel(
            'context-cracknet',
            load_model_config(
                str(CONFIGS / 'context_cracknet' /
                    'context-cracknet_r50_1xb8-40k_cfd-448x448.py'))),
    ]
    timings = measure_inference(models, ['pytorch'], (64, 64), warmup=0,
                                runs=2)
    b16, context = timings['results']
    assert b16['model'] == 'b16' and b16['backend'] == 'pytorch'
    assert b16['runs'] == 2 and b16['images_per_s'] > 0
    assert context['backend'] == '-'
    assert 'was built for 448x448 inputs' in context['error']
    gemm, = timings['gemm']
    assert gemm['backend'] == 'torch-cpu' and gemm['model'] == 'GEMM 64^3'
    assert gemm['runs'] == 2
