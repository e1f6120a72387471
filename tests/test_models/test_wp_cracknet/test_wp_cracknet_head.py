import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmcrack.models.wp_cracknet import WPCrackNetHead
from mmcrack.utils.complexity import count_params

#: PAAM (2,261,056) and the convs / transposed convs of the detector.
DETECTOR_PARAMS = 8498273

pytestmark = pytest.mark.usefixtures('one_thread')


def small_head(**kwargs):
    torch.manual_seed(0)
    return WPCrackNetHead(
        in_channels=(8, 8),
        conv_channels=(8, 8, 8),
        deconv_channels=(4, 4),
        paam=dict(type='PAAM', se_ratio=2),
        **kwargs)


def test_logits_at_eight_times_the_feature_size():
    head = small_head().eval()
    out = head([torch.randn(2, 8, 5, 6), torch.randn(2, 8, 5, 6)])
    assert out.shape == (2, 1, 40, 48)
    assert head.out_channels == 1 and head.threshold == 0.5
    assert isinstance(head.conv_seg, torch.nn.ConvTranspose2d)
    assert out.min() < 0 or out.max() > 1  # logits, not probabilities


def test_loss_is_one_bce_with_logits():
    head = small_head(
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, class_weight=[5.0]))
    feats = [torch.randn(2, 8, 4, 4), torch.randn(2, 8, 4, 4)]
    labels = (torch.rand(2, 32, 32) > 0.9).long()
    samples = [SegDataSample(gt_sem_seg=PixelData(data=lb[None]))
               for lb in labels]
    losses = head.loss(feats, samples, {})
    logits = head(feats)[:, 0]
    # Fixed: the official code applies a sigmoid and then BCEWithLogits.
    expected = F.binary_cross_entropy_with_logits(
        logits, labels.float(), pos_weight=torch.tensor([5.0]))
    assert torch.allclose(losses['loss_ce'], expected, atol=1e-6)


def test_published_detector():
    with torch.device('meta'):
        head = WPCrackNetHead()
    assert head.paam.in_channels == 2048
    assert count_params(head) == DETECTOR_PARAMS
