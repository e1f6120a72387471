import math

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from mmcrack.models.losses import BCEDiceLoss


def test_hand_computed_case():
    """p = sigmoid(0, ln 3, -ln 3, 7) = (1/2, 3/4, 1/4, .), y = (1, 1, 0,
    ignore): BCE = (ln 2 + 2 ln(4/3)) / 3; Dice over the batch = 1 - (2 *
    5/4 + s) / (3/2 + 2 + s)."""
    logits = torch.tensor([0., math.log(3), -math.log(3), 7.]).view(1, 1, 2, 2)
    label = torch.tensor([1, 1, 0, 255]).view(1, 2, 2)
    bce = (math.log(2) + 2 * math.log(4 / 3)) / 3
    dice = 1 - (2.5 + 1e-5) / (3.5 + 1e-5)
    loss = BCEDiceLoss()(logits, label)
    assert loss.item() == pytest.approx(0.5 * bce + 0.5 * dice, rel=1e-6)
    weighted = BCEDiceLoss(bce_weight=1., dice_weight=0., loss_weight=2.)
    assert weighted(logits, label).item() == pytest.approx(2 * bce, rel=1e-6)


def test_dice_runs_over_the_whole_batch():
    torch.manual_seed(0)
    logits = torch.randn(3, 1, 8, 8)
    label = (torch.rand(3, 8, 8) > 0.8).long()
    loss = BCEDiceLoss(bce_weight=0., dice_weight=1., smooth=1.)
    p, y = logits.sigmoid().flatten(), label.float().flatten()
    expected = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
    assert torch.allclose(loss(logits, label), expected)


def test_matches_the_official_loss_without_ignored_pixels():
    """0.5 BCEWithLogitsLoss + 0.5 BinaryDiceLoss(smooth=1e-5)."""
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 16, 16)
    label = (torch.rand(2, 16, 16) > 0.9).long()
    p, y = logits.sigmoid().flatten(), label.float().flatten()
    dice = 1 - (2 * (p * y).sum() + 1e-5) / (p.sum() + y.sum() + 1e-5)
    expected = 0.5 * F.binary_cross_entropy_with_logits(
        logits[:, 0], label.float()) + 0.5 * dice
    assert torch.allclose(BCEDiceLoss()(logits, label), expected)


def test_two_channels_are_softmax_crack_probability():
    torch.manual_seed(0)
    crack = torch.randn(2, 1, 6, 6)
    background = torch.randn(2, 1, 6, 6)
    label = torch.randint(0, 2, (2, 6, 6))
    label[0, 0] = 255
    loss = BCEDiceLoss()
    two = loss(torch.cat([background, background + crack], dim=1), label)
    assert torch.allclose(two, loss(crack, label))
    # Its BCE term is the two-class cross-entropy.
    bce_only = BCEDiceLoss(bce_weight=1., dice_weight=0.)
    logits = torch.cat([background, crack], dim=1)
    assert torch.allclose(
        bce_only(logits, label),
        F.cross_entropy(logits, label, ignore_index=255))


def test_ignored_pixels_do_not_count():
    torch.manual_seed(0)
    logits = torch.randn(1, 1, 4, 4, requires_grad=True)
    label = torch.randint(0, 2, (1, 4, 4))
    label[0, :2] = 255
    loss = BCEDiceLoss()
    value = loss(logits, label)
    value.backward()
    assert (logits.grad[0, 0, :2] == 0).all()
    assert torch.allclose(value, loss(logits[..., 2:, :], label[:, 2:]))
    # The caller's ignore_index wins over the default.
    label[0, :2] = 7
    assert torch.allclose(value, loss(logits, label, ignore_index=7))
    # No valid pixel: zero, and still differentiable.
    empty = loss(logits, torch.full_like(label, 255))
    assert empty.item() == 0 and empty.requires_grad


def test_errors_and_registry():
    loss = MODELS.build(dict(type='BCEDiceLoss', loss_weight=0.5))
    assert isinstance(loss, BCEDiceLoss) and loss.loss_name == 'loss_bce_dice'
    with pytest.raises(ValueError, match='binary'):
        loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match='label shape'):
        loss(torch.zeros(1, 1, 4, 4), torch.zeros(1, 2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match='sampler'):
        loss(
            torch.zeros(1, 1, 4, 4),
            torch.zeros(1, 4, 4, dtype=torch.long),
            weight=torch.ones(1, 4, 4))
    with pytest.raises(ValueError, match='loss_'):
        BCEDiceLoss(loss_name='bce_dice')
