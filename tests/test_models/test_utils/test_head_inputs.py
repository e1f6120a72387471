"""multiple_select_kwargs: the multi-level heads refuse another input_transform
with a message instead of a keyword clash."""
import pytest
from mmseg.registry import MODELS

from mmcrack.models.utils import multiple_select_kwargs

HEADS = [
    dict(
        type='CrackSegHead',
        in_channels=[64, 256],
        in_index=[0, 1],
        channels=32,
        high_channels=256,
        low_channels=64,
        num_classes=2),
    dict(
        type='ContextCrackNetHead',
        in_channels=[16, 32],
        in_index=[0, 1],
        channels=16,
        num_classes=2,
        out_channels=1,
        threshold=0.5),
    dict(type='WPCrackNetHead', in_channels=(32, 32)),
]


def test_default_and_refusal():
    assert multiple_select_kwargs('Head', {}) == dict(
        input_transform='multiple_select')
    with pytest.raises(ValueError, match="Head uses each input level"):
        multiple_select_kwargs('Head', dict(input_transform=None))


@pytest.mark.parametrize('head', HEADS, ids=lambda h: h['type'])
def test_heads(head):
    assert MODELS.build(head).input_transform == 'multiple_select'
    with pytest.raises(ValueError, match=f"{head['type']} uses each input "
                       "level on its own.*not 'resize_concat'"):
        MODELS.build(dict(head, input_transform='resize_concat'))
