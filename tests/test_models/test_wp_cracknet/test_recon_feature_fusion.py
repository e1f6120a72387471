import pytest
import torch

from mmcrack.models.wp_cracknet import ReconFeatureFusion
from mmcrack.utils.complexity import count_params

pytestmark = pytest.mark.usefixtures('one_thread')


def test_projects_and_concatenates():
    fusion = ReconFeatureFusion(in_channels=(4, 8), out_channels=(2, 3))
    a, b = torch.randn(1, 4, 5, 5), torch.randn(1, 8, 5, 5)
    z = fusion([a, b])
    assert z.shape == (1, 5, 5, 5) and fusion.out_channels == 5
    assert torch.allclose(z[:, :2], fusion.projs[0](a))
    assert torch.allclose(z[:, 2:], fusion.projs[1](b))
    # The published Z: 512 -> 64, 1024 -> 128, 4096 -> 256, no biases.
    assert count_params(ReconFeatureFusion()) == (512 * 64 + 1024 * 128 +
                                                  4096 * 256)
    with pytest.raises(ValueError, match='same length'):
        ReconFeatureFusion((4, 8), (2, ))
