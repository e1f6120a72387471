import torch

from mmcrack.models.utils import max_norm


def test_each_map_spans_zero_to_one():
    cam = torch.tensor([[[[-1.0, 0.0], [2.0, 4.0]]],
                        [[[1.0, 1.0], [3.0, 5.0]]]])
    out = max_norm(cam, eps=0)
    # ReLU first: the negative value counts as 0.
    torch.testing.assert_close(out[0, 0], torch.tensor([[0, 0], [0.5, 1]]))
    torch.testing.assert_close(out[1, 0],
                               torch.tensor([[0, 0], [0.5, 1.0]]))


def test_a_flat_map_becomes_zero():
    assert max_norm(torch.full((1, 2, 3, 3), 7.0)).abs().max() == 0
