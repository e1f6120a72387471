import math
from types import SimpleNamespace

import pytest
import torch
from mmseg.models.losses import CrossEntropyLoss
from mmseg.registry import MODELS
from mmseg.structures.sampler import OHEMPixelSampler

from mmcrack.models.losses import OhemCrossEntropyLoss

EPS = OhemCrossEntropyLoss.EPS


def logits_for(true_probs, labels):
    """Two-class logits (N, 2, H, W) whose softmax gives each pixel's true
    class (labels, 255 = ignored, taken as class 0) the probability given."""
    p = torch.tensor(true_probs, dtype=torch.float64)
    labels = torch.tensor(labels)
    d = torch.log(p / (1 - p))  # logit(true) - logit(other)
    crack = torch.where(labels == 1, d, -d)
    return torch.stack([torch.zeros_like(crack), crack], dim=1), labels


def ce(p):
    return -math.log(p)


def test_registered_with_defaults():
    loss = MODELS.build(dict(type='OhemCrossEntropyLoss'))
    assert isinstance(loss, OhemCrossEntropyLoss)
    assert (loss.thresh, loss.min_kept, loss.ignore_index) == (0.7, 10000,
                                                               255)
    assert loss.loss_name == 'loss_ohem'
    with pytest.raises(ValueError, match='loss_'):
        OhemCrossEntropyLoss(loss_name='ohem')


def test_hand_computed_threshold():
    # One image of 1x5: true-class probs 0.9, 0.6, 0.2, 0.95 and one
    # ignored pixel. 4 valid > min_kept=1, and the smallest prob (0.2) is
    # below 0.7, so the threshold stays 0.7: pixels 0.6 and 0.2 are kept.
    logits, labels = logits_for([[[0.9, 0.6, 0.2, 0.95, 0.5]]],
                                [[[0, 1, 1, 0, 255]]])
    loss = OhemCrossEntropyLoss(min_kept=1, loss_weight=2.0)
    kept = loss.kept_mask(logits, labels, 255)
    assert kept.tolist() == [[[False, True, True, False, False]]]
    expected = 2.0 * (ce(0.6) + ce(0.2)) / (2 + EPS * 5)
    assert loss(logits, labels).item() == pytest.approx(expected, rel=1e-6)


def test_hand_computed_raised_threshold():
    # Only 0.3 is below 0.7, fewer than min_kept, so the threshold rises to
    # the min_kept-th smallest prob; as PaddleSeg, pixels strictly below it
    # are kept, so that pixel itself is not.
    logits, labels = logits_for([[[0.9, 0.8, 0.75, 0.3]]], [[[1, 0, 1, 0]]])
    loss = OhemCrossEntropyLoss(min_kept=2)
    assert loss.kept_mask(logits, labels, 255).tolist() == [[[False, False,
                                                              False, True]]]
    assert loss(logits, labels).item() == pytest.approx(
        ce(0.3) / (1 + EPS * 4), rel=1e-6)
    loss = OhemCrossEntropyLoss(min_kept=3)  # threshold 0.8
    assert loss(logits, labels).item() == pytest.approx(
        (ce(0.75) + ce(0.3)) / (2 + EPS * 4), rel=1e-6)


def test_min_kept_counts_the_whole_batch():
    # Image 0 is easy (0.95), image 1 hard (0.1, 0.2). With min_kept=3 over
    # the batch the threshold rises to the 3rd smallest prob, 0.95, which
    # keeps only the hard pixels; ignored pixels never count.
    logits, labels = logits_for([[[0.95, 0.95, 0.5]], [[0.1, 0.2, 0.95]]],
                                [[[0, 1, 255]], [[1, 0, 0]]])
    loss = OhemCrossEntropyLoss(min_kept=3)
    assert loss.kept_mask(logits, labels, 255).tolist() == [
        [[False, False, False]], [[True, True, False]]]
    assert loss(logits, labels).item() == pytest.approx(
        (ce(0.1) + ce(0.2)) / (2 + EPS * 6), rel=1e-6)


def test_no_mining_when_few_valid_pixels():
    # 3 valid pixels <= min_kept: every valid pixel counts, easy or not.
    logits, labels = logits_for([[[0.9, 0.6, 0.2, 0.5]]], [[[0, 1, 1, 255]]])
    loss = OhemCrossEntropyLoss(min_kept=3)
    assert loss(logits, labels).item() == pytest.approx(
        (ce(0.9) + ce(0.6) + ce(0.2)) / (3 + EPS * 4), rel=1e-6)
    # ignore_index from the caller (the decode head) wins.
    logits, labels = logits_for([[[0.9, 0.6, 0.2, 0.5]]], [[[0, 1, 1, 0]]])
    assert loss(logits, labels, ignore_index=0).item() == pytest.approx(
        (ce(0.6) + ce(0.2)) / (2 + EPS * 4), rel=1e-6)
    # No valid pixel at all: zero, not NaN.
    assert loss(logits, torch.full_like(labels, 255)).item() == 0


def test_gradient_only_through_kept_pixels():
    logits, labels = logits_for([[[0.9, 0.6, 0.2, 0.95]]], [[[0, 1, 1, 0]]])
    logits = logits.float().requires_grad_()
    OhemCrossEntropyLoss(min_kept=1)(logits, labels).backward()
    grad = logits.grad.abs().sum(dim=1)[0, 0]
    assert (grad[[1, 2]] > 0).all() and (grad[[0, 3]] == 0).all()


def test_differs_from_mmseg_ohem_sampler():
    # mmseg: OHEMPixelSampler keeps min_kept pixels *per image* (and the
    # min_kept-th itself) and CrossEntropyLoss averages over all pixels.
    logits, labels = logits_for([[[0.95, 0.9, 0.8, 0.3]], [[0.99, 0.98, 0.6,
                                                           0.5]]],
                                [[[0, 1, 0, 1]], [[1, 0, 1, 0]]])
    logits = logits.float()
    ours = OhemCrossEntropyLoss(min_kept=2)(logits, labels)
    # Ours: 3 pixels below 0.7 >= min_kept over the batch: mean over them.
    assert ours.item() == pytest.approx(
        (ce(0.3) + ce(0.6) + ce(0.5)) / (3 + EPS * 8), rel=1e-5)

    sampler = OHEMPixelSampler(
        context=SimpleNamespace(ignore_index=255), thresh=0.7, min_kept=2)
    weight = sampler.sample(logits, labels.unsqueeze(1))
    # 2 per image = 4 over the batch: the threshold rises to the 5th
    # smallest prob (0.9), keeping 0.3, 0.5, 0.6 and 0.8.
    assert weight.tolist() == [[[0, 0, 1, 1]], [[0, 0, 1, 1]]]
    mmseg = CrossEntropyLoss()(logits, labels, weight=weight,
                               ignore_index=255)
    assert mmseg.item() == pytest.approx(
        (ce(0.3) + ce(0.6) + ce(0.5) + ce(0.8)) / 8, rel=1e-5)
    assert abs(ours.item() - mmseg.item()) > 0.1


def test_rejects_pixel_sampler_weights():
    logits, labels = logits_for([[[0.9, 0.6]]], [[[0, 1]]])
    with pytest.raises(ValueError, match='sampler'):
        OhemCrossEntropyLoss()(logits, labels, weight=torch.ones(1, 1, 2))
