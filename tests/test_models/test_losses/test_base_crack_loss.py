import pytest
import torch

from mmcrack.models.losses import (BalancedCrossEntropyLoss, BaseCrackLoss,
                                   BCEDiceLoss, OhemCrossEntropyLoss,
                                   crack_logit)
from mmcrack.models.wp_cracknet import CECCMLoss


@pytest.mark.parametrize('loss_type', [
    BalancedCrossEntropyLoss, BCEDiceLoss, CECCMLoss, OhemCrossEntropyLoss
])
def test_every_loss_checks_its_name(loss_type):
    assert issubclass(loss_type, BaseCrackLoss)
    loss = loss_type(loss_name='loss_mine', loss_weight=0.3)
    assert loss.loss_name == 'loss_mine' and loss.loss_weight == 0.3
    # mmseg back-propagates only the items named loss_*.
    with pytest.raises(ValueError, match='must start with "loss_"'):
        loss_type(loss_name='mine')


def test_crack_logit():
    scores = torch.randn(2, 2, 3, 4)
    logit = crack_logit(scores, 'MyLoss')
    assert logit.shape == (2, 3, 4)
    # The sigmoid of the logit is the softmax's crack probability.
    torch.testing.assert_close(logit.sigmoid(), scores.softmax(dim=1)[:, 1])
    assert torch.equal(crack_logit(scores[:, :1], 'MyLoss'), scores[:, 0])
    for bad in (torch.zeros(2, 3, 3, 4), torch.zeros(2, 3, 4)):
        with pytest.raises(ValueError, match='MyLoss is a binary loss'):
            crack_logit(bad, 'MyLoss')
