"""The parts of an export: the model config and checkpoint prepared for
mmdeploy, the label map the graph computes, and the decision threshold in
the graph or its metadata.

:func:`~mmcrack.deploy.convert.deploy_model` puts them together.
"""
import copy
from typing import Optional, Sequence

import numpy as np
from mmengine.config import Config

from ..utils.constants import LABEL_TRANSFORMS
from .onnxruntime import THRESHOLD_IN_GRAPH_KEY, THRESHOLD_KEY



def labels_from_logits(seg_logits, threshold: float):
    """The label map an export with ``with_argmax=True`` outputs.

    ``N x 1 x H x W`` int64: the argmax over the classes of ``N x C x H x W``
    logits, or ``sigmoid(logit) > threshold`` (the decode head's threshold)
    for a one-channel head; part of what the exported graph computes
    (:mod:`mmcrack.deploy.exported_graph`).
    """
    import torch
    if seg_logits.shape[1] == 1:
        return (seg_logits.sigmoid() > threshold).to(torch.int64)
    return seg_logits.argmax(dim=1, keepdim=True)


def static_input_shape(deploy_cfg: Config) -> Optional[Sequence[int]]:
    """``onnx_config.input_shape`` as ``[width, height]`` (mmdeploy's
    order), or None for a dynamic-shape config."""
    if deploy_cfg.get('onnx_config', {}).get('dynamic_axes'):
        return None
    return deploy_cfg.get('onnx_config', {}).get('input_shape', None)


def prepare_model_config(model_cfg: Config,
                         input_shape: Optional[Sequence[int]]) -> Config:
    """Make the model config's ``test_pipeline`` produce the export input.

    mmdeploy resizes the sample image to a static ``input_shape`` only by
    rewriting a ``Resize`` step of ``test_pipeline``; crack configs infer on
    whole images and have none, so the graph would get the sample image's
    size instead. We add ``Resize(scale=input_shape, keep_ratio=False)``
    after the loader (mmdeploy then sets its scale) and drop label loaders.

    Args:
        model_cfg (Config): The model config; not modified.
        input_shape (Sequence[int], optional): ``[width, height]`` of a
            static export, None for a dynamic one.

    Returns:
        Config: The config to export with.
    """
    cfg = copy.deepcopy(model_cfg)
    if 'test_pipeline' not in cfg:
        cfg.test_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='PackSegInputs')
        ]
    pipeline = [
        step for step in cfg.test_pipeline
        if step['type'] not in LABEL_TRANSFORMS
    ]
    if input_shape is not None and not any(step['type'] == 'Resize'
                                           for step in pipeline):
        pipeline.insert(
            1,
            dict(type='Resize', scale=tuple(input_shape), keep_ratio=False))
    cfg.test_pipeline = pipeline
    return cfg


def threshold_checkpoint(checkpoint: str, threshold: float,
                         out_file: str) -> str:
    """Write a copy of ``checkpoint`` whose label map applies ``threshold``.

    A two-class head's argmax labels a pixel crack when its crack logit
    exceeds the background logit, i.e. at probability 0.5. Lowering the
    crack logit by ``log(t / (1 - t))`` (in the bias of the classifier
    ``decode_head.conv_seg``, the head's last layer, followed only by
    bilinear up-sampling, which carries a constant through) makes the
    argmax label crack exactly where the probability exceeds ``t``, so an
    export with ``with_argmax=True`` applies the published threshold.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: the model has no two-class ``decode_head.conv_seg``.
    """
    import torch

    from mmcrack.apis.model_loading import read_checkpoint
    state = read_checkpoint(checkpoint)
    weights = state.get('state_dict', state)
    bias = weights.get('decode_head.conv_seg.bias')
    if bias is None or bias.shape != (2, ):
        raise ValueError(
            f'{checkpoint} has no two-class decode_head.conv_seg.bias, so a '
            f'threshold of {threshold} cannot be put into an argmax export: '
            'export the logits (codebase_config.with_argmax=False) instead.')
    bias = bias.clone()
    bias[1] -= float(np.log(threshold / (1 - threshold)))
    weights['decode_head.conv_seg.bias'] = bias
    torch.save(state, out_file)
    return out_file


def set_threshold_metadata(onnx_file: str, threshold: float,
                           in_graph: bool) -> None:
    """Record the model's decision threshold in the ONNX file's metadata
    (read back by :class:`~mmcrack.deploy.onnxruntime.OnnxRuntimeRunner`)."""
    import onnx
    model = onnx.load(onnx_file)
    props = {p.key: p for p in model.metadata_props}
    for key, value in ((THRESHOLD_KEY, repr(float(threshold))),
                       (THRESHOLD_IN_GRAPH_KEY, str(bool(in_graph)))):
        prop = props.get(key) or model.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.save(model, onnx_file)
