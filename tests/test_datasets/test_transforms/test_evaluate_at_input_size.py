"""EvaluateAtInputSize: Context-CrackNet's evaluation at 448x448 (image and
mask resized) as the paper configs' test pipeline, full resolution as the
option, and inference/export leave it out."""
import numpy as np
import pytest
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.dataset import Compose

from mmcrack.apis.backends import array_test_pipeline
from mmcrack.apis.evaluation import evaluate_inferencer
from mmcrack.datasets.transforms import EvaluateAtInputSize

CONFIG = str(REPO_ROOT / 'configs' / 'context_cracknet' /
             'context-cracknet_r50_1xb8-40k_cfd-448x448.py')


def test_resizes_the_mask_and_sets_the_original_shape():
    seg = np.zeros((300, 500), np.uint8)
    seg[100:103, :] = 1
    results = EvaluateAtInputSize()(
        dict(img_shape=(448, 448), ori_shape=(300, 500), gt_seg_map=seg))
    assert results['ori_shape'] == (448, 448)
    assert results['gt_seg_map'].shape == (448, 448)
    assert set(np.unique(results['gt_seg_map'])) == {0, 1}  # nearest
    off = EvaluateAtInputSize(enabled=False)(
        dict(img_shape=(448, 448), ori_shape=(300, 500), gt_seg_map=seg))
    assert off['ori_shape'] == (300, 500) and off['gt_seg_map'] is seg
    # Inference (no mask): predictions stay at the photo's size.
    photo = EvaluateAtInputSize()(dict(img_shape=(448, 448),
                                       ori_shape=(300, 500)))
    assert photo['ori_shape'] == (300, 500)


def test_paper_config_scores_at_448_and_full_resolution_on_request(cfd_dir):
    cfg = Config.fromfile(CONFIG)
    steps = [s['type'] for s in cfg.test_dataloader.dataset.pipeline]
    index = steps.index('EvaluateAtInputSize')
    assert steps.index('LoadAnnotations') < index
    image = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    mask = cfd_dir / 'masks' / f'{image.stem}.png'
    data = dict(img_path=str(image), seg_map_path=str(mask),
                reduce_zero_label=False, seg_fields=[])
    paper = Compose(cfg.test_dataloader.dataset.pipeline)(dict(data))
    assert paper['data_samples'].gt_sem_seg.data.shape[-2:] == (448, 448)
    assert paper['data_samples'].ori_shape == (448, 448)
    cfg.merge_from_dict({
        f'test_dataloader.dataset.pipeline.{index}.enabled': False})
    full = Compose(cfg.test_dataloader.dataset.pipeline)(dict(data))
    assert full['data_samples'].gt_sem_seg.data.shape[-2:] == (320, 480)
    assert full['data_samples'].ori_shape == (320, 480)


def test_inference_and_exported_evaluation_leave_it_out():
    cfg = Config.fromfile(CONFIG)
    steps = [s['type'] for s in array_test_pipeline(cfg)]
    assert 'EvaluateAtInputSize' not in steps
    assert 'LoadAnnotations' not in steps

    class Inferencer:
        threshold = 0.5

    with pytest.raises(ValueError, match=r'pipeline\.3\.enabled=False'):
        evaluate_inferencer(Inferencer(), cfg)
