"""The real-time models the HrSegNet paper compares with (Sec. 4.4), built
from mmseg's own configs for two classes (background and crack)."""
import copy
import os.path as osp
from typing import Any

from mmengine.config import Config

from mmcrack.datasets import CrackDataset
from mmcrack.utils.pretrained import drop_pretrained

#: mmseg's shipped configs.
MMSEG_CONFIGS = osp.join(
    osp.dirname(__import__('mmseg').__file__), '.mim', 'configs')
#: Model name -> its config under :data:`MMSEG_CONFIGS`.
COMPARE_MODELS = {
    'BiSeNetV2': 'bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py',
    'STDC1': 'stdc/stdc1_4xb12-80k_cityscapes-512x1024.py',
    'DDRNet-23-slim': ('ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_'
                       'cityscapes-1024x1024.py'),
    'PSPNet-R18': 'pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'DeepLabV3+-R18': ('deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_'
                       'cityscapes-512x1024.py'),
    'UNet': 'unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py',
    'OCRNet-HRNetW18': 'ocrnet/ocrnet_hr18_4xb2-40k_cityscapes-512x1024.py',
}


def _set_num_classes(cfg: Any, num_classes: int) -> None:
    if isinstance(cfg, dict):
        if 'num_classes' in cfg:
            cfg['num_classes'] = num_classes
        for value in cfg.values():
            _set_num_classes(value, num_classes)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _set_num_classes(value, num_classes)


def compare_config(name: str) -> Config:
    """mmseg's config of the comparison model ``name`` (a key of
    :data:`COMPARE_MODELS`) for crack segmentation: two classes on every
    head and in the datasets' metainfo, no pretrained weights (nothing is
    downloaded), whole-image inference. Its pipelines are mmseg's."""
    cfg = Config.fromfile(osp.join(MMSEG_CONFIGS, COMPARE_MODELS[name]))
    model = copy.deepcopy(cfg.model.to_dict())
    drop_pretrained(model)
    _set_num_classes(model, len(CrackDataset.METAINFO['classes']))
    model['test_cfg'] = dict(mode='whole')
    cfg.model = model
    cfg.load_from = None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is not None:
            cfg[loader].dataset.metainfo = copy.deepcopy(
                CrackDataset.METAINFO)
    return cfg
