"""tools/benchmark.py smoke test: a tiny input, two runs, the report keys.

No timing is asserted: the numbers depend on the machine and its load."""
import argparse
import json

import pytest
from helpers import REPO_ROOT
import torch
from mmengine.config import Config

from mmcrack.utils.complexity import profile_call

CONFIG = ('configs/hrsegnet/'
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('benchmark.py')


def test_benchmark_report(tmp_path, cfd_dir, random_checkpoint, run_tool):
    checkpoint = random_checkpoint(REPO_ROOT / CONFIG)
    out_dir = tmp_path / 'bench'
    proc = run_tool('benchmark.py', CONFIG, '--shape', '64', '--warmup', '1',
                    '--runs', '2', '--backends', 'pytorch', 'onnxruntime',
                    '--compare', '--compare-models', 'BiSeNetV2',
                    '--train-iters', '1', '--train-warmup', '0',
                    '--train-batch', '2', '--train-data', cfd_dir,
                    '--out-dir', out_dir, '--checkpoint', checkpoint)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    report = json.loads((out_dir / 'benchmark.json').read_text())
    assert report['checkpoint'] == str(checkpoint)
    assert report['input_shape'] == [1, 3, 64, 64]
    assert set(report['gemm_macs_per_s']) == {'torch-cpu', 'onnxruntime-cpu'}
    rows = {(r['model'], r['backend']): r for r in report['results']}
    assert set(rows) == {(m, b)
                         for m in ('hrsegnet-b16', 'BiSeNetV2')
                         for b in ('pytorch', 'onnxruntime')}
    for row in rows.values():
        for key in ('params', 'macs', 'mean_ms', 'median_ms', 'p90_ms',
                    'images_per_s', 'macs_per_s'):
            assert row[key] > 0, (row, key)
    # HrSegNet-B16 for inference (no auxiliary heads): 0.605 M parameters.
    assert abs(rows['hrsegnet-b16', 'pytorch']['params'] - 605e3) < 5e3
    training = report['training']
    assert training['images_per_s'] > 0
    assert 0 <= training['data_wait_share'] <= 1
    table = (out_dir / 'benchmark.md').read_text()
    assert '| BiSeNetV2 | onnxruntime |' in table
    assert 'x hrsegnet-b16' in table


#: The docs' parameter counts (M, inference path, 2 classes) of the
#: comparison models of --compare.
COMPARE_PARAMS = {
    'BiSeNetV2': 3.341,
    'STDC1': 8.271,
    'DDRNet-23-slim': 5.695,  # 5.732 with DDRHead's training-only aux
    'PSPNet-R18': 12.639,
    'DeepLabV3+-R18': 12.318,
    'UNet': 28.987,
    'OCRNet-HRNetW18': 12.067,
}


def test_every_comparison_model_builds_and_runs(tool):
    """--compare builds each of mmseg's real-time models with 2 classes and
    no downloaded weights; their sizes are the docs'."""
    assert set(tool.COMPARE_MODELS) == set(COMPARE_PARAMS)
    x = torch.zeros(1, 3, 64, 64)
    for name, params in COMPARE_PARAMS.items():
        model = tool.Deployed(tool.build_model(tool.compare_config(name)))
        result = profile_call(model, x)
        assert round(result['params'] / 1e6, 3) == params, name
        with torch.no_grad():
            labels = model(x)
        assert labels.shape[-2:] == (64, 64), name


def test_training_measurement_on_an_image_level_set(tool, cfd_weak_128):
    """--train-data with WP-CrackNet: the image-level set keeps its list
    file (a pixel-labelled set's split rule would not apply)."""
    cfg = Config.fromfile(
        REPO_ROOT / 'configs' / 'wp_cracknet' /
        'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py')
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    args = argparse.Namespace(
        train_data=str(cfd_weak_128),
        train_batch=2,
        train_iters=1,
        train_warmup=0)
    result = tool.measure_training(cfg, args)
    assert result['iters'] == 1 and result['batch_size'] == 2
    assert result['images_per_s'] > 0


def test_a_model_that_cannot_run_fails_the_command(tool, tmp_path, capsys):
    """Context-CrackNet takes 448x448 only: at 64x64 its row holds the
    reason, and the command exits 1 after writing the report."""
    with pytest.raises(SystemExit) as exc:
        tool.main([
            str(REPO_ROOT / 'configs' / 'context_cracknet' /
                'context-cracknet_r50_1xb8-40k_cfd-448x448.py'), '--shape',
            '64',
            '--backends', 'pytorch', '--warmup', '0', '--runs', '1',
            '--out-dir',
            str(tmp_path)
        ])
    assert exc.value.code == 1
    assert 'ran on no backend' in capsys.readouterr().err
    report = json.loads((tmp_path / 'benchmark.json').read_text())
    row, = report['results']
    assert 'was built for 448x448 inputs' in row['error']


def test_pytorch_path_thresholds_one_channel_heads(tool):
    """As the exported graph: argmax of two classes, the sigmoid over the
    decode head's threshold for one channel (an argmax would be all 0)."""
    import torch
    from types import SimpleNamespace
    logits = torch.tensor([[[[-2.0, -0.5], [0.0, 3.0]]]])

    class Segmentor(torch.nn.Module):
        decode_head = SimpleNamespace(threshold=0.3)

        def encode_decode(self, x, metas):
            return self.out

    segmentor = Segmentor()
    segmentor.out = logits
    labels = tool.Deployed(segmentor)(torch.zeros(1, 3, 2, 2))
    assert labels.tolist() == [[[[0, 1], [1, 1]]]]  # sigmoid(-0.5) = 0.38
    segmentor.out = torch.cat([logits, -logits], dim=1)
    assert tool.Deployed(segmentor)(
        torch.zeros(1, 3, 2, 2)).tolist() == [[[[1, 1], [0, 0]]]]
