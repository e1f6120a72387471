import pytest
import torch

from mmcrack.models.wp_cracknet import UNetGenerator
from mmcrack.utils.complexity import count_params

#: pix2pix U-Net of WP-CrackNet's reconstructor on the 448-channel Z.
GENERATOR_448_PARAMS = 54857091

pytestmark = pytest.mark.usefixtures('one_thread')


def test_published_generator():
    with torch.device('meta'):
        gen = UNetGenerator(in_channels=448)
    assert count_params(gen) == GENERATOR_448_PARAMS
    downs = [d if not isinstance(d, torch.nn.Sequential) else d[0]
             for d in gen.downs]
    assert [d.conv.out_channels for d in downs] == [64, 128, 256] + [512] * 5
    assert [d.with_norm for d in downs] == [False] + [True] * 6 + [False]
    dropout = [isinstance(d, torch.nn.Sequential) for d in gen.downs]
    assert dropout == [False] * 3 + [True] * 5  # from down 4
    dropout = [isinstance(u, torch.nn.Sequential) for u in gen.ups]
    assert dropout == [True] * 4 + [False] * 3  # ups 1-4
    assert isinstance(gen.ups[-1].conv, torch.nn.ConvTranspose2d)


def test_reconstructs_an_image_of_the_input_size():
    torch.manual_seed(0)
    gen = UNetGenerator(
        in_channels=6, num_downs=4, base_channels=4, max_channels=16).eval()
    out = gen(torch.randn(2, 6, 32, 48))
    assert out.shape == (2, 3, 32, 48)
    with pytest.raises(ValueError, match='divisible by 16'):
        gen(torch.randn(1, 6, 24, 32))
