import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from helpers import REPO_ROOT, official_fuse_order
from mmengine import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from mmcrack.models.backbones import HrSegNet
from mmcrack.models.backbones.hrsegnet import HrSegBlock

CONFIGS = {
    16: 'hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py',
    32: 'hrsegnet-b32_1xb32-100k_crackseg9k-400x400.py',
    48: 'hrsegnet-b48_1xb32-100k_crackseg9k-400x400.py',
    64: 'hrsegnet-b64_1xb16-100k_crackseg9k-400x400.py',
}
# Parameters of the official models (HrSegNet4CrackSegmentation), counted
# with and without the two auxiliary heads: 0.6099 / 0.6051 M etc.
PARAMS = {
    16: (609942, 605106),
    32: (2432550, 2413666),
    48: (5467830, 5425682),
    64: (9715782, 9641154),
}


def build_segmentor(base_channels, crop_size=(400, 400)):
    """The EncoderDecoder of the published config, with plain BN."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(REPO_ROOT / 'configs' / 'hrsegnet' /
                          CONFIGS[base_channels])
    cfg.model.data_preprocessor.size = crop_size
    cfg.model.backbone.norm_cfg = dict(type='BN')
    for head in [cfg.model.decode_head, *cfg.model.auxiliary_head]:
        head.norm_cfg = dict(type='BN')
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('size', [(400, 400), (256, 320), (250, 330)])
def test_outputs_at_quarter_resolution(size):
    model = HrSegNet(base_channels=16).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *size))
    quarter = tuple(math.ceil(s / 4) for s in size)
    assert len(outs) == 3
    assert all(out.shape == (1, 16, *quarter) for out in outs)
    model = HrSegNet(base_channels=16, out_indices=(2, )).eval()
    with torch.no_grad():
        assert len(model(torch.randn(1, 3, *size))) == 1


def test_semantic_path_resolution_and_channels():
    """Table 1: block i guides with base * 2**i channels at 1/2**(i+2)."""
    model = HrSegNet(base_channels=16).eval()
    shapes = {}
    for i, block in enumerate(model.blocks, 1):
        for k, layer in enumerate(block.semantic_convs):
            layer.register_forward_hook(
                lambda m, x, y, key=(i, k): shapes.__setitem__(key, y.shape))
    with torch.no_grad():
        model(torch.randn(1, 3, 400, 400))
    for (i, _), shape in shapes.items():
        side = math.ceil(100 / 2**i)  # 50, 25, 13
        assert shape == (1, 16 * 2**i, side, side)
    assert len(shapes) == 9
    # Blocks 2 and 3 start with Paddle's exclusive average pooling.
    pools = [m for m in model.modules() if isinstance(m, nn.AvgPool2d)]
    assert len(pools) == 2
    assert all(not p.count_include_pad and p.stride == 2 for p in pools)
    assert all(not isinstance(block.semantic_convs[0][0], nn.AvgPool2d)
               for block in model.blocks[:1])


def test_block_fuses_as_eq4():
    """h_k = conv1x1(up(s_k)) + hconv_k(h_{k-1}); s_k = sconv_k(s_{k-1}),
    in the official code's order (the block projects before up-sampling,
    which gives the same output)."""
    torch.manual_seed(0)
    block = HrSegBlock(8, stage_index=2).eval()
    x = torch.randn(1, 8, 24, 20)
    with torch.no_grad():
        assert torch.allclose(
            block(x), official_fuse_order(block, x), atol=1e-6)
    assert all(
        conv.kernel_size == (1, 1) and conv.bias is not None
        for conv in block.fuse_convs)


def test_invalid_arguments():
    with pytest.raises(ValueError, match='even'):
        HrSegNet(base_channels=15)
    with pytest.raises(ValueError, match='out_indices'):
        HrSegNet(out_indices=(3, ))
    with pytest.raises(ValueError, match='stage_index'):
        HrSegBlock(16, stage_index=4)


def test_init_is_fan_in_kaiming_normal():
    """Sec. 4.2 / official code: Kaiming-normal with fan-in, zero bias."""
    torch.manual_seed(0)
    model = HrSegNet(base_channels=64, norm_cfg=dict(type='BN'))
    model.init_weights()
    stem = model.stem[0].conv  # 3 -> 32, fan-in 27, fan-out 288
    assert stem.weight.std().item() == pytest.approx(
        math.sqrt(2 / 27), rel=0.1)
    fuse = model.blocks[2].fuse_convs[0]  # 512 -> 64, fan-in 512
    assert fuse.weight.std().item() == pytest.approx(
        math.sqrt(2 / 512), rel=0.1)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            assert (m.bias == 0).all()
        if isinstance(m, nn.BatchNorm2d):
            assert (m.weight == 1).all() and (m.bias == 0).all()


@pytest.mark.parametrize('base_channels', [16, 32, 48, 64])
def test_parameter_counts(base_channels):
    model = build_segmentor(base_channels)
    with_aux, without_aux = PARAMS[base_channels]
    assert sum(p.numel() for p in model.parameters()) == with_aux
    model.auxiliary_head = None
    assert sum(p.numel() for p in model.parameters()) == without_aux
    # As published, in millions to 4 decimals.
    table = {16: (0.6099, 0.6051), 32: (2.4325, 2.4137),
             48: (5.4678, 5.4257), 64: (9.7158, None)}[base_channels]
    assert float(f'{with_aux / 1e6:.4f}') == table[0]
    if table[1] is not None:
        assert float(f'{without_aux / 1e6:.4f}') == table[1]


def test_short_training_lowers_the_loss(cracksc_crops, train_steps):
    """15 SGD steps of HrSegNet-B16 (batch 4) on real 128x128 CrackSC crops:
    the training loss falls, and so does the cross-entropy of the main head
    on a fixed batch."""
    torch.manual_seed(0)
    np.random.seed(0)
    init_default_scope('mmseg')
    dataset = cracksc_crops((128, 128))
    model = build_segmentor(16, crop_size=(128, 128))
    model.init_weights()
    model.train()
    optim = OptimWrapper(
        torch.optim.SGD(
            model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4))
    fixed = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in (0, 4, 8, 12)]), True)
    labels = torch.stack(
        [s.gt_sem_seg.data[0] for s in fixed['data_samples']]).long()

    @torch.no_grad()
    def fixed_batch_ce():
        logits = model.encode_decode(
            fixed['inputs'], [s.metainfo for s in fixed['data_samples']])
        return nn.functional.cross_entropy(
            logits, labels, ignore_index=255).item()

    ce_before = fixed_batch_ce()
    logs = train_steps(model, optim, dataset, batch_size=4)
    for log in logs:
        assert set(log) >= {
            'decode.loss_ohem', 'aux_0.loss_ohem', 'aux_1.loss_ohem'
        }
    losses = [log['loss'].item() for log in logs]
    ce_after = fixed_batch_ce()
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    # OHEM keeps the hardest pixels, so its value falls slowly and varies
    # with the crops; the plain cross-entropy shows the progress.
    assert last < first, str(np.round(losses, 3))
    assert ce_after < 0.7 * ce_before, (ce_before, ce_after)


def test_main_head_logits_upsample_with_align_corners():
    """Sec. 3.3 step 2: bilinear, align_corners=True, to the input size."""
    model = build_segmentor(16).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        half = model._forward(x)
        full = model.encode_decode(
            x, [dict(img_shape=(64, 96), pad_shape=(64, 96))])
    assert half.shape == (1, 2, 32, 48)
    expected = resize(half, (64, 96), mode='bilinear', align_corners=True)
    assert torch.allclose(full, expected)
