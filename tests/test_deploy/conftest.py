"""Every model family, exported once per test session with mmdeploy.

:data:`FAMILIES` maps a model family to the config its deployment tests
use, one line each. A family whose config does not exist yet is skipped
with the reason; a directory entry takes its first config (sorted).
"""
import copy
from pathlib import Path
from typing import Dict, NamedTuple

import mmcv
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

from mmcrack.utils.pretrained import drop_pretrained

#: family -> ``config`` (a file, or a directory whose first config is
#: used), and optionally ``size`` (H, W) the CFD photos are resized to
#: (default: as they are, 320 x 480), ``cfg_options`` and ``dynamic``
#: (False: the model takes one input size only, no dynamic-shape test).
FAMILIES = {
    'hrsegnet':
    dict(config='configs/hrsegnet/'
         'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py'),
    # CAGM (mode='exact') learns its projections for one input size.
    'context_cracknet':
    dict(
        config='configs/context_cracknet/'
        'context-cracknet_r50_1xb8-40k_cfd-448x448.py',
        size=(224, 224),
        cfg_options={'model.neck.img_size': 224},
        dynamic=False),
    'crackseg':
    dict(
        config='configs/crackseg/crackseg_r50-d16_1xb8-20k_cfd-256x256.py',
        size=(256, 384)),
    # The inference path only (both encoders to b5, PAAM, detector).
    'wp_cracknet':
    dict(
        config='configs/wp_cracknet/'
        'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py',
        size=(128, 192)),
}
#: CFD images (480 x 320): the first four set the BN statistics, the next
#: two are compared.
STATS_IMAGES, TEST_IMAGES = range(0, 4), range(4, 6)
DEPLOY = REPO_ROOT / 'configs' / 'deploy'


def family_config(family: str) -> Path:
    """The config of ``family``; skips the test if it does not exist yet."""
    path = REPO_ROOT / FAMILIES[family]['config']
    if path.is_dir():
        configs = sorted(path.glob('*.py'))
        if not configs:
            pytest.skip(f'{path} has no config yet')
        return configs[0]
    if not path.exists():
        pytest.skip(f'{family}: {path.parent.relative_to(REPO_ROOT)}/ does '
                    'not exist yet (the family has not landed)')
    return path


class Exported(NamedTuple):
    """A family's model with real BN statistics, and its exports."""
    family: str
    config: Path
    cfg: Config  # the config with the family's cfg_options
    model: torch.nn.Module
    inputs: torch.Tensor  # N x 3 x H x W, normalized, the test images
    #: 'logits': static, ONNX Runtime config, with_argmax=False;
    #: 'labels': static, TensorRT config (its rewriters; exported on the
    #: CPU), with_argmax=True; 'dynamic': ONNX Runtime, dynamic shapes.
    onnx: Dict[str, Path]


def read_images(indices, size=None) -> list:
    """CFD photos (BGR), resized to ``size`` (H, W) if given."""
    root = REPO_ROOT / '..' / 'shared' / 'data' / 'cfd' / 'images'
    if not root.is_dir():
        pytest.skip(f'real crack data {root} is not available')
    files = sorted(root.glob('*.jpg'))
    images = [mmcv.imread(str(files[i])) for i in indices]
    if size is not None:
        images = [mmcv.imresize(img, size[::-1]) for img in images]
    return images


def build_nontrivial_model(cfg: Config, size=None) -> torch.nn.Module:
    """Random weights (the config's init) and BN statistics of real
    images, so that every layer's output depends on its input."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model_cfg = copy.deepcopy(cfg.model)
    drop_pretrained(model_cfg)  # random, not ImageNet, weights
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    model.init_weights()
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.momentum = None  # cumulative average of the batches
    model.train()
    with torch.no_grad():
        for i in (0, 2):
            batch = normalize(model,
                              read_images(STATS_IMAGES[i:i + 2], size))
            model(batch, mode='tensor')
    return model.eval()


def normalize(model, images) -> torch.Tensor:
    """BGR uint8 images -> the model's normalized N x 3 x H x W input."""
    inputs = [
        torch.from_numpy(img.transpose(2, 0, 1).copy()) for img in images
    ]
    return model.data_preprocessor(dict(inputs=inputs), False)['inputs']


@pytest.fixture(scope='session', params=sorted(FAMILIES))
def exported(request, tmp_path_factory) -> Exported:
    """Export ``family`` with mmdeploy as tools/deploy.py does."""
    from mmcrack.deploy.convert import export_onnx
    family = request.param
    spec = FAMILIES[family]
    config = family_config(family)
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(spec.get('cfg_options', {}))
    model = build_nontrivial_model(cfg, spec.get('size'))
    work_dir = tmp_path_factory.mktemp(family)
    checkpoint = work_dir / 'model.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    images = read_images(TEST_IMAGES, spec.get('size'))
    height, width = images[0].shape[:2]
    logits_cfg = Config.fromfile(
        str(DEPLOY / 'segmentation_onnxruntime_static-400x400.py'))
    logits_cfg.onnx_config.input_shape = [width, height]
    logits_cfg.codebase_config.with_argmax = False
    labels_cfg = Config.fromfile(
        str(DEPLOY / 'segmentation_tensorrt_static-256x256.py'))
    labels_cfg.onnx_config.input_shape = [width, height]
    exports = [('logits', logits_cfg), ('labels', labels_cfg)]
    if spec.get('dynamic', True):
        exports.append(
            ('dynamic', str(DEPLOY / 'segmentation_onnxruntime_dynamic.py')))
    onnx = {}
    for name, deploy_cfg in exports:
        onnx[name] = Path(
            export_onnx(deploy_cfg, cfg, images[0], str(work_dir / name),
                        str(checkpoint)))
    return Exported(family, config, cfg, model, normalize(model, images),
                    onnx)
