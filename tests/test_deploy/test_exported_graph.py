"""mmcrack.deploy.exported_graph: what the exported graph computes."""
import pytest
import torch
import torch.nn as nn
from helpers import REPO_ROOT

from mmcrack.apis import init_model
from mmcrack.deploy.exported_graph import (ExportedGraph, decode_threshold,
                                           exported_outputs)

CONFIG = (REPO_ROOT / 'configs' / 'hrsegnet' /
          'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')
LOGITS = torch.tensor([[[[-2.0, -0.5], [0.0, 3.0]]]])


class Head(nn.Module):

    def __init__(self, threshold: float = 0.3):
        super().__init__()
        self.threshold = threshold


class Segmentor(nn.Module):
    """Returns ``out`` from ``encode_decode`` and keeps the metas."""

    def __init__(self, out: torch.Tensor, decode_head: nn.Module = None):
        super().__init__()
        self.out = out
        self.decode_head = decode_head or Head()
        self.metas = None

    def encode_decode(self, inputs, batch_img_metas):
        self.metas = batch_img_metas
        return self.out


def test_one_channel_head_thresholds_the_sigmoid():
    """An argmax over one channel would be all 0 (the benchmark's PyTorch
    rows once computed that)."""
    labels = ExportedGraph(Segmentor(LOGITS))(torch.zeros(1, 3, 2, 2))
    assert labels.dtype == torch.int64
    assert labels.tolist() == [[[[0, 1], [1, 1]]]]  # sigmoid(-0.5) = 0.38


def test_two_classes_take_the_argmax():
    labels = ExportedGraph(Segmentor(torch.cat([LOGITS, -LOGITS], dim=1)))(
        torch.zeros(1, 3, 2, 2))
    assert labels.tolist() == [[[[1, 1], [0, 0]]]]


def test_a_cascade_uses_the_last_heads_threshold():
    """mmseg's CascadeEncoderDecoder (OCRNet) keeps its heads in a
    ModuleList, which has no threshold of its own."""
    heads = nn.ModuleList([Head(0.9), Head(0.1)])
    assert decode_threshold(Segmentor(LOGITS, heads)) == 0.1
    labels = ExportedGraph(Segmentor(LOGITS, heads))(torch.zeros(1, 3, 2, 2))
    assert labels.tolist() == [[[[1, 1], [1, 1]]]]  # sigmoid(-2) = 0.12


def test_logits_and_the_size_they_are_resized_to():
    segmentor = Segmentor(LOGITS.repeat(2, 1, 1, 1))
    logits = exported_outputs(segmentor, torch.zeros(2, 3, 2, 2), False)
    assert torch.equal(logits, segmentor.out)
    assert [meta['img_shape'] for meta in segmentor.metas] == [(2, 2)] * 2
    exported_outputs(segmentor, torch.zeros(2, 3, 2, 2), False, [4, 6])
    assert segmentor.metas == [dict(img_shape=[4, 6])] * 2


@pytest.mark.parametrize('out_channels', [2, 1])
def test_labels_are_mmsegs_prediction(out_channels):
    """On a real segmentor the graph's label map is mmseg's own prediction
    (``predict``: argmax, or the head's threshold for one channel)."""
    torch.manual_seed(0)
    model = init_model(
        str(CONFIG),
        cfg_options={'model.decode_head.out_channels': out_channels})
    inputs = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        # Random weights label every pixel alike: move the decision to the
        # median pixel, so both classes occur.
        logits = ExportedGraph(model, with_argmax=False)(inputs)
        threshold = model.decode_head.threshold
        score = logits[:, -1] - (logits[:, 0] if out_channels == 2 else
                                 torch.logit(torch.tensor(threshold)))
        model.decode_head.conv_seg.bias[-1] -= score.median()
        labels = ExportedGraph(model)(inputs)
        samples = model.predict(inputs)
    assert labels.shape == (2, 1, 64, 96)
    expected = torch.stack([s.pred_sem_seg.data for s in samples])
    assert torch.equal(labels, expected.to(labels))
    assert 0 < labels.float().mean() < 1  # both classes occur
