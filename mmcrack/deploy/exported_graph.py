"""What an exported segmentor computes, as one PyTorch definition.

mmcrack's rewriter of mmdeploy's ``BaseSegmentor.forward``
(:mod:`mmcrack.deploy.rewriters`) traces :func:`exported_outputs` into the
ONNX graph; the benchmark's PyTorch and CUDA rows
(:mod:`mmcrack.benchmark`) and the deployment tests run the same function
eagerly, so what they time or compare with is what the graph computes.

For a normalised ``N x 3 x H x W`` batch the graph computes

1. the logits at the input size: the segmentor's ``encode_decode`` with
   every image's ``img_shape`` set to ``(H, W)``, the size mmseg's decode
   heads resize their output to (for WP-CrackNet the inference path: both
   encoders to ``b5``, PAAM and the detector), ``N x C x H x W``;
2. with ``with_argmax=True``, the label map of those logits
   (:func:`~mmcrack.deploy.export.labels_from_logits`): the argmax over the
   classes, or ``sigmoid(logit) > threshold`` for a one-channel head, with
   the threshold of the (last) decode head, ``N x 1 x H x W`` int64.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn

from .export import labels_from_logits


def decode_threshold(segmentor: nn.Module) -> float:
    """The threshold a one-channel head's sigmoid is compared with: that of
    the segmentor's decode head, or of the last head of a cascade (mmseg's
    ``CascadeEncoderDecoder`` keeps its heads in a ``ModuleList``)."""
    head = segmentor.decode_head
    if isinstance(head, nn.ModuleList):
        head = head[-1]
    return head.threshold


def input_metas(inputs: torch.Tensor,
                img_shape: Optional[Sequence[int]] = None) -> List[dict]:
    """One meta dict per image of ``inputs``, with the ``img_shape`` the
    logits are resized to (default: the input's ``H x W``)."""
    if img_shape is None:
        img_shape = inputs.shape[2:]
    return [dict(img_shape=img_shape) for _ in range(inputs.shape[0])]


def exported_outputs(segmentor: nn.Module,
                     inputs: torch.Tensor,
                     with_argmax: bool = True,
                     img_shape: Optional[Sequence[int]] = None
                     ) -> torch.Tensor:
    """The output of the exported graph of ``segmentor`` for ``inputs``.

    Args:
        segmentor (nn.Module): An mmseg segmentor (``EncoderDecoder``,
            ``CascadeEncoderDecoder``, ``WPCrackNet``), in eval mode.
        inputs (torch.Tensor): The normalised ``N x 3 x H x W`` batch.
        with_argmax (bool): Return the label map (the deployment config's
            ``codebase_config.with_argmax``). Defaults to True.
        img_shape (Sequence[int], optional): The size the logits are
            resized to: a static export's ints, or a dynamic export's
            traced ``inputs.shape[2:]`` (the default).

    Returns:
        torch.Tensor: ``N x 1 x H x W`` int64 labels, or ``N x C x H x W``
        logits with ``with_argmax=False`` (see the module docstring).
    """
    logits = segmentor.encode_decode(inputs, input_metas(inputs, img_shape))
    if not with_argmax:
        return logits
    return labels_from_logits(logits, decode_threshold(segmentor))


class ExportedGraph(nn.Module):
    """A segmentor wrapped to compute what its export computes
    (:func:`exported_outputs`): ``ExportedGraph(model)(inputs)``.

    Args:
        segmentor (nn.Module): The segmentor.
        with_argmax (bool): Output the label map rather than the logits.
            Defaults to True.
    """

    def __init__(self, segmentor: nn.Module, with_argmax: bool = True):
        super().__init__()
        self.segmentor = segmentor
        self.with_argmax = with_argmax

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return exported_outputs(self.segmentor, inputs, self.with_argmax)
