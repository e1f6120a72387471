import pytest
import torch
from mmseg.models.backbones import ResNet

from mmcrack.models.backbones import ResNetWithStem

#: torchvision's resnet50 has 25,557,032 parameters, 2,049,000 of them in fc.
TORCHVISION_RESNET50_WITHOUT_FC = 23508032

pytestmark = pytest.mark.usefixtures('one_thread')


def test_context_cracknet_outputs():
    """F0 before the max pool at 1/2, F1-F4 at 1/4-1/32 (Algorithm 1)."""
    model = ResNetWithStem(depth=50).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs] == [(64, 32, 48),
                                                  (256, 16, 24),
                                                  (512, 8, 12),
                                                  (1024, 4, 6),
                                                  (2048, 2, 3)]


def test_crackseg_outputs_pooled_stem_output_stride_16():
    """Conv1 + pool1 at 1/4; Block3 and Block4 both at 1/16 (Sec. 2.1)."""
    model = ResNetWithStem(
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=True,
        pool_stem=True).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [(64, 16, 16),
                                                  (256, 16, 16),
                                                  (512, 8, 8),
                                                  (1024, 4, 4),
                                                  (2048, 4, 4)]
    # contract_dilation: the first block of layer4 is not dilated.
    assert model.layer4[0].conv2.dilation == (1, 1)
    assert all(model.layer4[i].conv2.dilation == (2, 2) for i in (1, 2))


def test_same_features_as_mmseg_resnet():
    torch.manual_seed(0)
    model = ResNetWithStem(depth=18).eval()
    reference = ResNet(depth=18, out_indices=(0, 1, 2, 3))
    reference.load_state_dict(model.state_dict())
    reference.eval()  # mmseg's ResNet.train returns None
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        outs = model(x)
        expected = reference(x)
        stem = model.relu(model.norm1(model.conv1(x)))
    assert torch.equal(outs[0], stem)
    assert all(torch.equal(a, b) for a, b in zip(outs[1:], expected))
    pooled = ResNetWithStem(depth=18, pool_stem=True).eval()
    pooled.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(pooled(x)[0], model.maxpool(stem))


def test_out_indices_and_deep_stem():
    model = ResNetWithStem(depth=18, out_indices=(0, 2)).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [(64, 32, 32), (128, 8, 8)]
    model = ResNetWithStem(depth=18, deep_stem=True, stem_channels=32).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64))[0].shape == (1, 32, 32, 32)
    with pytest.raises(ValueError, match='out_indices'):
        ResNetWithStem(depth=18, out_indices=(5, ))
    with pytest.raises(ValueError, match='out_indices'):
        ResNetWithStem(depth=18, num_stages=3, out_indices=(4, ))


def test_torchvision_layout():
    """torchvision://resnet50 weights load by name, fc aside."""
    with torch.device('meta'):
        model = ResNetWithStem(depth=50)
    state = model.state_dict()
    assert sum(p.numel() for p in model.parameters()) == (
        TORCHVISION_RESNET50_WITHOUT_FC)
    for key, shape in [('conv1.weight', (64, 3, 7, 7)),
                       ('bn1.running_mean', (64, )),
                       ('layer1.0.downsample.0.weight', (256, 64, 1, 1)),
                       ('layer2.0.conv2.weight', (128, 128, 3, 3)),
                       ('layer4.2.conv3.weight', (2048, 512, 1, 1)),
                       ('layer4.2.bn3.bias', (2048, ))]:
        assert tuple(state[key].shape) == shape
    # torchvision puts the stride on the 3x3 conv ('pytorch' style).
    assert model.layer2[0].conv2.stride == (2, 2)
    assert model.layer2[0].conv1.stride == (1, 1)


def test_loads_a_torchvision_checkpoint(tmp_path):
    """A torchvision state dict (with its fc) loads through init_cfg."""
    torch.manual_seed(0)
    source = ResNetWithStem(depth=18)
    state = dict(source.state_dict())
    state['fc.weight'] = torch.zeros(1000, 512)
    state['fc.bias'] = torch.zeros(1000)
    path = tmp_path / 'resnet18.pth'
    torch.save(state, path)
    model = ResNetWithStem(
        depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    loaded = model.state_dict()
    assert all(
        torch.equal(loaded[k], v) for k, v in source.state_dict().items())
