import pytest
import torch

from mmcrack.models.wp_cracknet import CAMHead
from mmcrack.utils.complexity import count_params

pytestmark = pytest.mark.usefixtures('one_thread')


def test_cam_and_image_logit():
    head = CAMHead(in_channels=16, channels=8, num_classes=2)
    assert head.fc8.bias is None and head.fc9.bias is None
    x = torch.randn(2, 16, 5, 7)
    cam, logits = head(x)
    assert cam.shape == (2, 2, 5, 7) and logits.shape == (2, 2)
    expected = head.fc9(torch.relu(head.fc8(x)))
    assert torch.allclose(cam, expected)
    assert torch.allclose(logits, cam.mean(dim=(2, 3)))
    # fc8 4096 -> 256 and fc9 256 -> 2 of the published head.
    assert count_params(CAMHead(4096)) == 4096 * 256 + 256 * 2
