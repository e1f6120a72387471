"""tools/deploy.py end to end: mmdeploy's torch2onnx in a spawned process
(which must import mmcrack by itself), the ONNX Runtime model it writes,
tools/infer.py on that model for every model family, and the TensorRT path
on a machine without TensorRT."""

import cv2
import numpy as np
import pytest
import torch
from helpers import REPO_ROOT

from mmcrack.deploy.trt_support import default_matrix_path

CONFIG = ('configs/hrsegnet/'
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


def test_deploy_onnxruntime(tmp_path, cfd_dir, run_tool):
    image = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    work_dir = tmp_path / 'ort'
    deploy_cfg = 'configs/deploy/segmentation_onnxruntime_static-400x400.py'
    proc = run_tool('deploy.py', deploy_cfg, CONFIG, 'none', image,
                    '--work-dir', work_dir, '--dump-info')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # torch2onnx ran in a subprocess of mmdeploy's.
    assert 'torch2onnx in subprocess' in out
    assert 'Optimized the graph: ' in out
    assert 'conv_transpose_to_depth_to_space x1' in out
    onnx_file = work_dir / 'end2end.onnx'
    for name in ('end2end.onnx', 'deploy.json', 'pipeline.json',
                 'detail.json'):
        assert f'{work_dir / name} (' in proc.stdout
    assert (f"build_runner('onnxruntime', '{onnx_file}')" in proc.stdout)

    from mmcrack.deploy import build_runner
    runner = build_runner('onnxruntime', str(onnx_file))
    assert runner.input_shape == [1, 3, 400, 400]
    assert runner.outputs_labels  # an argmax export, known before any call
    labels = runner(torch.randn(1, 3, 400, 400))
    assert labels.shape == (1, 1, 400, 400) and labels.dtype == np.int64
    assert set(np.unique(labels)) <= {0, 1}

    # The docs' next step: tools/infer.py on the exported model. The
    # 480x320 photo does not fit the static 400x400 input: it slides.
    infer = run_tool('infer.py', CONFIG, onnx_file, image, '--backend',
                     'onnxruntime', '--out', tmp_path / 'infer')
    assert infer.returncode == 0, (infer.stdout + infer.stderr)[-3000:]
    assert 'sliding-window (crop 400x400' in infer.stdout
    # An argmax export gives labels; the summary says how to get
    # probabilities.
    assert 'the model outputs labels' in infer.stdout
    mask = cv2.imread(str(tmp_path / 'infer' / 'masks' / f'{image.stem}.png'),
                      cv2.IMREAD_UNCHANGED)
    assert mask.shape == (320, 480) and set(np.unique(mask)) <= {0, 1}


def test_failed_deploy_keeps_the_previous_export(tmp_path, cfd_dir, run_tool,
                                               random_checkpoint):
    """Inputs are checked before any output is touched, and an export goes
    to a staging folder that replaces nothing unless it succeeds."""
    image = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    work_dir = tmp_path / 'ort'
    work_dir.mkdir()
    previous = work_dir / 'end2end.onnx'
    previous.write_bytes(b'the previous export')
    deploy_cfg = 'configs/deploy/segmentation_onnxruntime_static-400x400.py'
    proc = run_tool('deploy.py', deploy_cfg, CONFIG, 'none',
                    tmp_path / 'typo.jpg', '--work-dir', work_dir)
    assert proc.returncode != 0
    assert 'Sample image' in proc.stderr and 'typo.jpg' in proc.stderr
    b32 = 'configs/balanced/hrsegnet-b32-balanced-dice_1xb8-3k_cfd-256x256.py'
    proc = run_tool('deploy.py', deploy_cfg, b32,
                    random_checkpoint(REPO_ROOT / CONFIG), image,
                    '--work-dir', work_dir)
    assert proc.returncode != 0 and 'does not fit the model' in proc.stderr
    assert previous.read_bytes() == b'the previous export'
    assert sorted(p.name for p in work_dir.iterdir()) == ['end2end.onnx']


#: The docs' deployment commands for the other families: deployment
#: config, model config, the config tools/infer.py runs the exported model
#: with, and the photo size (h, w) it runs on (a CFD photo, resized).
FAMILY_DEPLOYS = {
    # CAGM's Linformer projections take 448x448 only; the large-photo config
    # slides the 448x448 model over a photo at its own resolution.
    'context_cracknet':
    ('segmentation_onnxruntime_static-448x448.py',
     'context_cracknet/context-cracknet_r50_1xb8-40k_cfd-448x448.py',
     'context_cracknet/context-cracknet_r50_slide-448x448_large-photos.py',
     (480, 640)),
    # The static model's one window is PyTorch's whole image.
    'crackseg': ('segmentation_onnxruntime_static-400x400.py',
                 'crackseg/crackseg_r50-d16_1xb8-20k_cfd-256x256.py', None,
                 (400, 400)),
    # WP-CrackNet is not an EncoderDecoder (mmcrack/deploy/rewriters.py);
    # both backends slide its 128x128 crop over the photo.
    'wp_cracknet': ('segmentation_onnxruntime_dynamic.py',
                    'wp_cracknet/wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-'
                    'weak-128x128.py', None, (320, 480)),
}


@pytest.mark.parametrize('family', sorted(FAMILY_DEPLOYS))
def test_deploy_and_infer_other_families(family, tmp_path, cfd_dir,
                                         random_checkpoint, run_tool):
    """Every family goes through tools/deploy.py with a checkpoint, exported
    as logits, and tools/infer.py gives the same crack probabilities from
    the ONNX model as from the checkpoint."""
    deploy_cfg, model_cfg, infer_cfg, size = FAMILY_DEPLOYS[family]
    model_cfg = f'configs/{model_cfg}'
    infer_cfg = f'configs/{infer_cfg}' if infer_cfg else model_cfg
    checkpoint = random_checkpoint(REPO_ROOT / model_cfg)
    image = tmp_path / 'road.png'
    photo = cv2.imread(str(sorted((cfd_dir / 'images').glob('*.jpg'))[0]))
    cv2.imwrite(str(image), cv2.resize(photo, size[::-1]))

    work_dir = tmp_path / 'ort'
    proc = run_tool('deploy.py', f'configs/deploy/{deploy_cfg}', model_cfg,
                    checkpoint, image, '--work-dir', work_dir,
                    '--deploy-cfg-options',
                    'codebase_config.with_argmax=False')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    onnx_file = work_dir / 'end2end.onnx'
    assert f'{onnx_file} (' in proc.stdout

    probs = {}
    for backend, model_file in (('pytorch', checkpoint),
                                ('onnxruntime', onnx_file)):
        out = tmp_path / backend
        infer = run_tool('infer.py', infer_cfg, model_file, image,
                         '--backend', backend, '--out', out,
                         '--save-prob-npy', '--no-measure')
        assert infer.returncode == 0, (infer.stdout + infer.stderr)[-3000:]
        probs[backend] = np.load(out / 'probs' / 'road.npy')
        assert probs[backend].shape == size
        assert 'the model outputs labels' not in infer.stdout
    if family == 'context_cracknet':
        assert 'sliding-window (crop 448x448, stride 298x298)' in infer.stdout
    # Random weights keep the probabilities near 0.5 (WP-CrackNet's within
    # 1e-4): the ONNX model must reproduce their variation to 1 % of its
    # range (one run: 1.6e-4, 3.3e-6 and 1.1e-3 of it for Context-CrackNet,
    # CrackSeg and WP-CrackNet).
    spread = np.ptp(probs['pytorch'])
    assert spread > 1e-5
    assert np.abs(probs['onnxruntime'] -
                  probs['pytorch']).max() <= 0.01 * spread


def test_deploy_tensorrt_without_tensorrt(tmp_path, cfd_dir, run_tool):
    try:
        import tensorrt  # noqa: F401
        pytest.skip('TensorRT is installed')
    except ImportError:
        pass
    image = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    work_dir = tmp_path / 'trt'
    proc = run_tool('deploy.py',
                    'configs/deploy/segmentation_tensorrt_static-256x256.py',
                    CONFIG, 'none', image, '--work-dir', work_dir,
                    '--no-optimize')
    out = proc.stdout + proc.stderr
    # The ONNX graph for TensorRT is exported on the CPU; the engine cannot
    # be built, and the error says why and how to get TensorRT.
    assert proc.returncode == 1, out[-3000:]
    assert (work_dir / 'end2end.onnx').is_file()
    assert not (work_dir / 'end2end.engine').exists()
    assert 'pip install tensorrt' in out
    # --no-optimize keeps mmdeploy's graph, whose run-time shape arithmetic
    # the TensorRT check reports (the optimized graph has none left:
    # tests/test_deploy/test_trt_support.py); without the operator matrix
    # the check says it was skipped.
    assert 'Optimized the graph' not in out
    if default_matrix_path() is not None:
        assert ('TensorRT 10 support: Shape node' in out
                and 'a static graph should have no Shape nodes left' in out)
    else:
        assert 'TensorRT 10 operator check skipped' in out


def test_published_threshold_goes_into_the_export(tmp_path, cfd_dir,
                                                  run_tool,
                                                  random_checkpoint):
    """A label-map export applies the checkpoint's threshold in the graph;
    a logits export records it, and tools/infer.py uses it."""
    from mmcrack.apis import CrackInferencer
    from mmcrack.apis.model_loading import publish_checkpoint
    photo = cv2.resize(
        cv2.imread(str(sorted((cfd_dir / 'images').glob('*.jpg'))[0])),
        (400, 400))
    image = tmp_path / 'photo.png'
    cv2.imwrite(str(image), photo)
    src = str(random_checkpoint(REPO_ROOT / CONFIG))
    prob = CrackInferencer(CONFIG, src, mode='whole')(photo).prob
    threshold = float(np.median(prob))  # half the pixels are crack
    published = tmp_path / 'published.pth'
    publish_checkpoint(src, str(published), CONFIG, threshold)

    deploy_cfg = 'configs/deploy/segmentation_onnxruntime_static-400x400.py'
    proc = run_tool('deploy.py', deploy_cfg, CONFIG, published, image,
                    '--work-dir', tmp_path / 'labels')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert f'threshold {threshold:g} applied in the label map' in proc.stdout
    labels = CrackInferencer(CONFIG, str(tmp_path / 'labels' / 'end2end.onnx'),
                             backend='onnxruntime')(photo).mask
    clear = np.abs(prob - threshold) > 1e-4  # away from float rounding
    assert clear.mean() > 0.9
    assert np.array_equal(labels[clear], (prob > threshold)[clear])
    assert 0.3 < labels.mean() < 0.7

    proc = run_tool('deploy.py', deploy_cfg, CONFIG, published, image,
                    '--work-dir', tmp_path / 'logits', '--deploy-cfg-options',
                    'codebase_config.with_argmax=False')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert 'recorded for tools/infer.py' in proc.stdout
    infer = run_tool('infer.py', CONFIG, tmp_path / 'logits' / 'end2end.onnx',
                     image, '--backend', 'onnxruntime', '--out',
                     tmp_path / 'infer')
    assert infer.returncode == 0, (infer.stdout + infer.stderr)[-3000:]
    assert f'Threshold: {threshold:g} (published)' in infer.stdout
