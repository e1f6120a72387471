"""INT8 quantization: a briefly trained HrSegNet-B16 keeps its labels on
real photos through tools/deploy.py and tools/infer.py, and calibration
data of the wrong kind is refused."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS

from mmcrack.deploy.quantization import (CalibrationDataError,
                                         calibration_images)

CONFIG = ('configs/balanced/'
          'hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py')

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory):
    """HrSegNet-B16 after 40 SGD steps on 128x128 CFD crops, crack pixels
    weighted 20x (as balanced learning would move the weight): no longer
    random, and it marks crack, so its labels have structure to keep."""
    from mmcrack.datasets import CrackDataset
    cfg = Config.fromfile(REPO_ROOT / CONFIG)
    cfg.model.decode_head.loss_decode[0].pos_weight = 20.0
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    model.train()
    dataset = CrackDataset(
        data_root=str(REPO_ROOT / '..' / 'shared' / 'data' / 'cfd'),
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        split='train',
        check_files=False,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='CrackAwareCrop', crop_size=128, pos_prob=0.8),
            dict(type='PackSegInputs')
        ])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.02,
                                         momentum=0.9))
    rng = np.random.default_rng(0)
    for _ in range(40):
        batch = pseudo_collate(
            [dataset[int(i)] for i in rng.choice(len(dataset), 4)])
        model.train_step(batch, optim)
    path = tmp_path_factory.mktemp('trained') / 'b16.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_int8_export_keeps_the_labels(tmp_path, cfd_dir, run_tool,
                                      trained_checkpoint):
    photos = sorted((cfd_dir / 'images').glob('*.jpg'))
    calib = tmp_path / 'calib'
    calib.mkdir()
    for i, photo in enumerate(photos):
        if i % 5 != 4:  # the training split
            (calib / photo.name).symlink_to(photo)
    val = tmp_path / 'val'
    val.mkdir()
    for photo in photos[4::5][:6]:
        (val / photo.name).symlink_to(photo)
    proc = run_tool('deploy.py',
                    'configs/deploy/segmentation_onnxruntime-int8_dynamic.py',
                    CONFIG, trained_checkpoint, photos[0], '--work-dir',
                    tmp_path / 'int8', '--calib-data', calib, '--calib-count',
                    '16')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert 'Quantized to INT8 (minmax, 16 photos' in proc.stdout + proc.stderr
    int8, fp32 = (tmp_path / 'int8' / 'end2end.onnx',
                  tmp_path / 'int8' / 'end2end-fp32.onnx')
    assert int8.stat().st_size < 0.5 * fp32.stat().st_size
    masks = {}
    for name, model in (('int8', int8), ('fp32', fp32)):
        proc = run_tool('infer.py', CONFIG, model, val, '--backend',
                        'onnxruntime', '--out', tmp_path / name,
                        '--no-measure')
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        masks[name] = np.stack([
            cv2.imread(str(tmp_path / name / 'masks' / f'{p.stem}.png'), 0)
            for p in sorted(val.iterdir())
        ])
    assert 0.001 < masks['fp32'].mean() < 0.5  # a model that finds cracks
    assert (masks['int8'] == masks['fp32']).mean() >= 0.99


def test_calibration_data_of_the_wrong_kind(tmp_path, cfd_dir):
    with pytest.raises(CalibrationDataError, match='does not exist'):
        calibration_images(str(tmp_path / 'absent'), 8)
    (tmp_path / 'empty').mkdir()
    with pytest.raises(CalibrationDataError, match='holds no images'):
        calibration_images(str(tmp_path / 'empty'), 8)
    with pytest.raises(CalibrationDataError, match='looks like a crack mask'):
        calibration_images(str(cfd_dir / 'masks'), 8)
    picked = calibration_images(str(cfd_dir / 'images'), 5)
    assert len(picked) == 5 and picked[0].endswith('001.jpg')


def test_deploy_refuses_int8_without_calibration_data(tmp_path, cfd_dir,
                                                      run_tool):
    photo = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    deploy_cfg = ('configs/deploy/'
                  'segmentation_onnxruntime-int8_static-400x400.py')
    proc = run_tool('deploy.py', deploy_cfg, CONFIG, 'none', photo,
                    '--work-dir', tmp_path)
    assert proc.returncode != 0 and '--calib-data DIR' in proc.stderr
    proc = run_tool('deploy.py', deploy_cfg, CONFIG, 'none', photo,
                    '--work-dir', tmp_path, '--calib-data',
                    cfd_dir / 'masks')
    assert proc.returncode != 0 and 'looks like a crack mask' in proc.stderr
    assert not list(tmp_path.iterdir())


def metrics_of(proc):
    import json
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    return json.loads(Path(out.split('Metrics saved to ')[1].split()[0])
                      .read_text())


def test_exported_model_evaluates_like_pytorch(tmp_path, cfd_dir, run_tool,
                                               trained_checkpoint):
    """tools/test.py --backend onnxruntime runs the test set through the
    exported model and scores it as tools/test.py scores the checkpoint."""
    photo = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    proc = run_tool('deploy.py',
                    'configs/deploy/segmentation_onnxruntime_dynamic.py',
                    CONFIG, trained_checkpoint, photo, '--work-dir',
                    tmp_path / 'fp32', '--deploy-cfg-options',
                    'codebase_config.with_argmax=False')
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    options = ['--cfg-options', f'test_dataloader.dataset.data_root={cfd_dir}']
    pytorch = metrics_of(
        run_tool('test.py', CONFIG, trained_checkpoint, '--work-dir',
                 tmp_path / 'pt', '--threshold', '0.5', *options))
    onnx = metrics_of(
        run_tool('test.py', CONFIG, tmp_path / 'fp32' / 'end2end.onnx',
                 '--backend', 'onnxruntime', '--work-dir', tmp_path / 'ort',
                 '--threshold', '0.5', *options))
    assert pytorch['IoU'] > 1  # a model that finds cracks
    for key in ('IoU', 'Precision', 'Recall', 'ODS', 'OIS'):
        assert onnx[key] == pytest.approx(pytorch[key], abs=0.05), key
    assert onnx['threshold'] == 0.5


def test_every_family_quantizes(exported, tmp_path, cfd_dir):
    """Each family's static logits export quantizes to INT8 (QDQ) and runs
    in ONNX Runtime with outputs that follow the fp32 model's; none ships
    weights, so their INT8 accuracy is not measured."""
    import onnx

    from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner
    from mmcrack.deploy.quantization import quantize_onnx
    calib = tmp_path / 'calib'
    calib.mkdir()
    for path in sorted((cfd_dir / 'images').glob('*.jpg'))[:2]:
        (calib / path.name).symlink_to(path)
    float_file = str(exported.onnx['logits'])
    int8_file = str(tmp_path / 'int8.onnx')
    quantize_onnx(float_file, int8_file, exported.cfg, str(calib),
                  calib_count=2)
    ops = {node.op_type for node in onnx.load(int8_file).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    inputs = exported.inputs[:1].numpy()
    fp32 = OnnxRuntimeRunner(float_file)(inputs).ravel()
    int8 = OnnxRuntimeRunner(int8_file)(inputs).ravel()
    assert int8.shape == fp32.shape
    # Random weights (BN statistics of real photos) quantize less kindly
    # than trained ones: the logits' correlation was 0.74 for WP-CrackNet
    # and above 0.9 for the other families.
    assert np.corrcoef(fp32, int8)[0, 1] > 0.7, exported.family
