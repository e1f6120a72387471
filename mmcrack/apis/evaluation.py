"""Evaluate any inference backend on a config's test set with CrackMetric.

``tools/test.py`` evaluates a PyTorch checkpoint in MMEngine's Runner; an
exported model (ONNX Runtime, TensorRT) has no Runner model, so
:func:`evaluate_inferencer` runs a :class:`~mmcrack.apis.CrackInferencer`
over the test set of the config instead, photo by photo, and feeds
:class:`~mmcrack.evaluation.metrics.CrackMetric` (the config's
``test_evaluator``) the crack probability and the mask at the inferencer's
threshold, so the numbers compare with ``tools/test.py``'s.
"""
import copy
from typing import Dict, Optional

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.utils import ProgressBar
from mmseg.registry import DATASETS, METRICS
from PIL import Image

from .inference import CrackInferencer


def evaluate_inferencer(inferencer: CrackInferencer,
                        cfg: Config,
                        progress: bool = True,
                        limit: Optional[int] = None) -> Dict[str, float]:
    """CrackMetric over ``cfg``'s test set, predicted by ``inferencer``.

    Args:
        inferencer (CrackInferencer): Any backend.
        cfg (Config): The model config: ``test_dataloader.dataset`` (its
            pipeline is not used: the inferencer prepares each photo) and
            ``test_evaluator`` (a CrackMetric).
        progress (bool): Show a progress bar. Defaults to True.
        limit (int, optional): Evaluate the first ``limit`` images only.

    Returns:
        dict: The metric's keys, and ``threshold``.
    """
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    evaluator_cfg = copy.deepcopy(cfg.test_evaluator)
    if isinstance(evaluator_cfg, list) or evaluator_cfg.get(
            'type') != 'CrackMetric':
        raise ValueError('Evaluating an exported model needs '
                         "test_evaluator=dict(type='CrackMetric').")
    at_input_size = [
        step for step in dataset_cfg.get('pipeline', [])
        if step['type'] == 'EvaluateAtInputSize' and step.get('enabled', True)
    ]
    if at_input_size:
        raise ValueError(
            "The config's test pipeline scores at the network's input size "
            '(EvaluateAtInputSize), which an exported model, predicting at '
            'the photo\'s size, cannot reproduce: evaluate it at full '
            'resolution with --cfg-options test_dataloader.dataset.pipeline.'
            f'{dataset_cfg.pipeline.index(at_input_size[0])}.enabled=False.')
    dataset = DATASETS.build(dataset_cfg)
    evaluator_cfg.update(threshold=inferencer.threshold, output_dir=None)
    metric = METRICS.build(evaluator_cfg)
    metric.dataset_meta = dict(inferencer.dataset_meta)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    bar = ProgressBar(count) if progress else None
    for index in range(count):
        info = dataset.get_data_info(index)
        image = mmcv.imread(info['img_path'])
        with Image.open(info['seg_map_path']) as mask_file:
            gt = np.asarray(mask_file).astype(np.int64)
        prediction = inferencer(image)
        prob = torch.from_numpy(prediction.prob.astype(np.float32))[None]
        metric.process({}, [
            dict(
                img_path=info['img_path'],
                gt_sem_seg=dict(data=torch.from_numpy(gt)[None]),
                pred_sem_seg=dict(
                    data=torch.from_numpy(prediction.mask.astype(
                        np.int64))[None]),
                seg_logits=dict(data=prob))
        ])
        if bar is not None:
            bar.update()
    return metric.compute_metrics(metric.results)
