import pytest
import torch
import torch.nn.functional as F

from mmcrack.models.losses import BalancedCrossEntropyLoss

pytestmark = pytest.mark.usefixtures('one_thread')


def batch(channels):
    torch.manual_seed(0)
    logits = torch.randn(2, channels, 6, 6)
    label = (torch.rand(2, 6, 6) > 0.7).long()
    label[0, 0, :3] = 255
    return logits, label


def test_one_channel_is_bce_with_pos_weight():
    logits, label = batch(1)
    loss = BalancedCrossEntropyLoss(pos_weight=3.0)
    valid = label != 255
    expected = F.binary_cross_entropy_with_logits(
        logits[:, 0][valid], label[valid].float(),
        pos_weight=torch.tensor(3.0))
    assert torch.isclose(loss(logits, label), expected)


def test_two_channels_weight_the_crack_class():
    logits, label = batch(2)
    loss = BalancedCrossEntropyLoss(pos_weight=4.0, loss_weight=2.0)
    valid = label != 255
    ce = F.cross_entropy(
        logits, label.clamp(max=1), reduction='none')[valid]
    weights = torch.where(label[valid] == 1, 4.0, 1.0)
    # Averaged over the valid pixels, not over the weights.
    expected = 2.0 * (ce * weights).sum() / valid.sum()
    assert torch.isclose(loss(logits, label), expected)
    loss.pos_weight.fill_(1.0)
    assert torch.isclose(
        loss(logits, label),
        2.0 * F.cross_entropy(logits, label, ignore_index=255))


def test_counts_crack_tp_fp_fn_in_training_only():
    loss = BalancedCrossEntropyLoss()
    logits = torch.tensor([[[[5., -5., 5., -5., 5.]]]])  # crack probability
    label = torch.tensor([[[1, 1, 0, 0, 255]]])
    loss.eval()
    loss(logits, label)
    assert loss.counts() == (0, 0, 0)
    loss.train()
    loss(logits, label)
    loss(logits, label)
    assert loss.counts() == (2, 2, 2)  # ignored pixel left out
    loss.reset_counts()
    assert loss.counts() == (0, 0, 0)
    assert 'pos_weight' in loss.state_dict() and 'tp' not in loss.state_dict()
    with pytest.raises(ValueError, match='binary'):
        loss(torch.zeros(1, 3, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long))
