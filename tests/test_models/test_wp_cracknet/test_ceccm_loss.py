import math

import pytest
import torch

from mmcrack.models.wp_cracknet import CECCMLoss, center_enhance

pytestmark = pytest.mark.usefixtures('one_thread')


def test_center_enhance_by_hand():
    cam = torch.zeros(1, 1, 5, 5)
    cam[0, 0, 2, 2] = 1  # one pixel: the centre of mass, G = 1 there
    assert torch.equal(center_enhance(cam), cam)
    cam = torch.zeros(1, 1, 5, 5)
    cam[0, 0, 0, 0] = cam[0, 0, 0, 4] = 1  # two pixels, centre (x=.5, y=0)
    out = center_enhance(cam, sigma=0.2)
    # Each pixel is 0.5 (normalised x) from the centre: exp(-.25 / .08).
    g = math.exp(-0.25 / (2 * 0.2**2))
    expected = torch.zeros(1, 1, 5, 5)
    expected[0, 0, 0, 0] = expected[0, 0, 0, 4] = g
    assert torch.allclose(out, expected)
    assert center_enhance(torch.zeros(1, 1, 3, 3)).abs().sum() == 0


def test_loss_eq_20_by_hand():
    loss = CECCMLoss(sigma=0.2, loss_weight=0.5)
    a = torch.zeros(1, 4, 4)
    a[0, 1, 1] = 1.
    b = torch.zeros(1, 4, 4)
    b[0, 2, 2] = 1.
    # Each map is one pixel, its own centre: |M_G - M^rec_G| = 2 pixels of 1
    # over 16 -> 1/8, times 0.5.
    assert torch.isclose(loss(a, b), torch.tensor(0.0625), atol=1e-6)
    assert loss(a, a) == 0
    # Min-max normalisation first: scaling a CAM changes nothing.
    assert torch.isclose(loss(3 * a, b), loss(a, b))


def test_cams_without_centre_are_left_out():
    loss = CECCMLoss(loss_weight=1.0)
    cam = torch.rand(2, 1, 6, 6, requires_grad=True)
    rec = torch.rand(2, 1, 6, 6)
    empty = torch.zeros(1, 1, 6, 6)
    both = loss(cam, rec)
    first = loss(cam[:1], rec[:1])
    # The second sample's reconstructor CAM is empty: only the first counts.
    assert torch.isclose(loss(cam, torch.cat([rec[:1], empty])), first)
    out = loss(cam[1:], empty)
    assert out == 0 and out.requires_grad
    both.backward()
    assert cam.grad.abs().sum() > 0
