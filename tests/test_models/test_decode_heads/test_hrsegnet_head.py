import pytest
import torch
import torch.nn as nn
from helpers import REPO_ROOT, assert_gradients_reach_every_parameter
from mmengine import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmcrack.models.decode_heads import HrSegNetAuxHead, HrSegNetHead
from mmcrack.models.losses import OhemCrossEntropyLoss

MODEL_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'models' / 'hrsegnet.py'


def head_kwargs(**kwargs):
    return dict(
        in_channels=16,
        channels=16,
        num_classes=2,
        norm_cfg=dict(type='BN'),
        loss_decode=dict(type='OhemCrossEntropyLoss'),
        **kwargs)


def build_segmentor():
    """HrSegNet-B16 as configs/_base_/models/hrsegnet.py, with plain BN."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(MODEL_CONFIG).model
    cfg.backbone.norm_cfg = dict(type='BN')
    for head in [cfg.decode_head, *cfg.auxiliary_head]:
        head.norm_cfg = dict(type='BN')
    return MODELS.build(cfg)


def data_samples(n, size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        label = (torch.rand(1, *size, generator=gen) > 0.9).long()
        label[:, :4] = 255  # some ignored pixels
        sample = SegDataSample(
            metainfo=dict(img_shape=size, pad_shape=size, ori_shape=size))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return samples


def test_main_head_is_two_step():
    """Fig. 4(b): BN, ReLU, 3x3 stride-2 transposed Conv-BN-ReLU, 1x1."""
    head = HrSegNetHead(**head_kwargs(in_index=2))
    assert isinstance(head.norm, nn.BatchNorm2d)
    assert isinstance(head.activate, nn.ReLU)
    deconv = head.conv.conv
    assert isinstance(deconv, nn.ConvTranspose2d)
    assert (deconv.kernel_size, deconv.stride, deconv.padding,
            deconv.output_padding) == ((3, 3), (2, 2), (1, 1), (1, 1))
    assert deconv.bias is not None and head.conv.with_norm
    assert head.conv_seg.kernel_size == (1, 1)
    assert head.dropout is None and head.align_corners
    feats = [torch.randn(2, 16, 25, 30) * (i + 1) for i in range(3)]
    assert head(feats).shape == (2, 2, 50, 60)
    # The final conv is BaseDecodeHead's conv_seg: cls_seg works.
    x = torch.randn(2, 16, 50, 60)
    assert torch.equal(head.cls_seg(x), head.conv_seg(x))


def test_aux_head_is_single_step():
    """Fig. 4(a): BN, ReLU, 3x3 Conv-BN-ReLU, 1x1, at the input size."""
    head = HrSegNetAuxHead(**head_kwargs(in_index=0))
    conv = head.conv.conv
    assert type(conv) is nn.Conv2d
    assert (conv.kernel_size, conv.stride, conv.padding) == ((3, 3), (1, 1),
                                                            (1, 1))
    feats = [torch.randn(2, 16, 25, 30), torch.zeros(2, 16, 25, 30)]
    assert head(feats).shape == (2, 2, 25, 30)
    head.eval()
    with torch.no_grad():  # in_index=0 picks the first feature
        assert not torch.equal(head(feats), head(feats[::-1]))


def test_segmentor_config():
    model = build_segmentor()
    assert model.decode_head.in_index == 2
    assert [h.in_index for h in model.auxiliary_head] == [0, 1]
    weights = [h.loss_decode.loss_weight for h in model.auxiliary_head]
    assert model.decode_head.loss_decode.loss_weight == 1.0
    assert weights == [0.5, 0.5]  # Eq. (2), alpha = 0.5
    assert all(
        isinstance(h.loss_decode, OhemCrossEntropyLoss)
        for h in [model.decode_head, *model.auxiliary_head])


@pytest.mark.parametrize('size', [(400, 400), (256, 320)])
def test_predict_shapes_and_no_aux_heads(size):
    model = build_segmentor().eval()
    aux_calls = []
    for head in model.auxiliary_head:
        head.register_forward_hook(lambda *args: aux_calls.append(1))
    inputs = torch.randn(1, 3, *size)
    with torch.no_grad():
        logits = model._forward(inputs)
        results = model.predict(inputs, data_samples(1, size))
    assert logits.shape == (1, 2, size[0] // 2, size[1] // 2)
    assert results[0].seg_logits.data.shape == (2, *size)
    assert results[0].pred_sem_seg.data.shape == (1, *size)
    assert set(results[0].pred_sem_seg.data.unique().tolist()) <= {0, 1}
    assert aux_calls == []


def test_losses_only_in_training_with_weights():
    torch.manual_seed(0)
    model = build_segmentor().train()
    inputs = torch.randn(2, 3, 64, 96)
    samples = data_samples(2, (64, 96))
    losses = model.loss(inputs, samples)
    assert {k for k in losses if k.startswith('loss') or '.loss' in k} == {
        'decode.loss_ohem', 'aux_0.loss_ohem', 'aux_1.loss_ohem'
    }
    # aux_0 = 0.5 * OHEM(logits of HrSeg block 1 up-sampled to the input).
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        aux = resize(
            model.auxiliary_head[0](feats), (64, 96),
            mode='bilinear',
            align_corners=True)
        labels = torch.stack([s.gt_sem_seg.data[0] for s in samples])
        expected = 0.5 * OhemCrossEntropyLoss()(aux, labels)
    assert losses['aux_0.loss_ohem'].item() == pytest.approx(
        expected.item(), rel=1e-5)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = build_segmentor()
    model.init_weights()
    inputs = torch.randn(2, 3, 64, 96)
    samples = data_samples(2, (64, 96))

    def backward(train_bn):
        model.zero_grad()
        model.train()
        if not train_bn:
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        losses = model.loss(inputs, samples)
        sum(v for k, v in losses.items() if 'loss' in k).backward()

    # A conv bias right before a training-mode BN has an exactly-zero
    # gradient (the batch mean removes it); the official convs have one.
    biased_before_bn = {
        f'{name}.conv.bias'
        for name, m in model.named_modules()
        if getattr(m, 'with_norm', False) and m.conv.bias is not None
    }
    # stem 2, blocks 6 + 6 + 7, heads 3
    assert len(biased_before_bn) == 24
    backward(train_bn=True)
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        if name in biased_before_bn:
            assert param.grad.abs().max() < 1e-4, name
        else:
            assert param.grad.abs().sum() > 0, name
    # With BN statistics frozen, every parameter, those biases included,
    # gets a non-zero gradient.
    backward(train_bn=False)
    assert_gradients_reach_every_parameter(model)


def test_transposed_conv_keeps_the_official_initialization():
    """The official code draws Kaiming for Conv2D layers only: the head's
    transposed conv keeps PaddlePaddle's default, Xavier uniform with zero
    bias (bound sqrt(6 / (fan_in + fan_out))), not the Kaiming normal that
    ConvModule would draw after init_cfg."""
    torch.manual_seed(0)
    head = HrSegNetHead(**{**head_kwargs(), 'in_channels': 64,
                           'channels': 64})
    head.init_weights()
    deconv = head.conv.conv
    assert isinstance(deconv, nn.ConvTranspose2d)
    bound = (6 / (64 * 9 + 64 * 9))**0.5
    weight = deconv.weight.detach()
    assert weight.abs().max() <= bound
    # Uniform on [-b, b]: std b / sqrt(3); Kaiming's would be sqrt(2 / 576).
    assert weight.std().item() == pytest.approx(bound / 3**0.5, rel=0.05)
    assert torch.all(deconv.bias == 0)
    # The 3x3 conv of the auxiliary head and the classifier stay Kaiming.
    aux = HrSegNetAuxHead(**{**head_kwargs(), 'in_channels': 64,
                             'channels': 64})
    aux.init_weights()
    assert aux.conv.conv.weight.std().item() == pytest.approx(
        (2 / 576)**0.5, rel=0.05)
