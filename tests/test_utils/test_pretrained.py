"""The paper configs' pretrained weights: where they come from, loading
them by address and from a file, and the message when they cannot be had."""
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config

from mmcrack.models.backbones import ResNetWithStem
from mmcrack.utils.pretrained import (RESNET38D_IMAGENET, TORCHVISION_RESNET,
                                      PretrainedWeightsError,
                                      check_pretrained, drop_pretrained,
                                      pretrained_sources)

CONFIGS = REPO_ROOT / 'configs'


@pytest.mark.parametrize('config,key,checkpoint', [
    ('context_cracknet/context-cracknet_r50_1xb8-40k_cfd-448x448.py',
     'model.backbone.init_cfg.checkpoint', TORCHVISION_RESNET['resnet50']),
    ('crackseg/crackseg_r50-d16_1xb8-20k_cfd-256x256.py',
     'model.backbone.init_cfg.checkpoint', TORCHVISION_RESNET['resnet50']),
    ('crackseg/crackseg_r101-d16_1xb8-20k_crackseg9k-256x256.py',
     'model.backbone.init_cfg.checkpoint', TORCHVISION_RESNET['resnet101']),
    ('wp_cracknet/wp-cracknet_r38d_1xb4-46k_cfd-weak-256x256.py',
     'model.pretrained', RESNET38D_IMAGENET),
    ('wp_cracknet/wp-cracknet_r38d_1xb4-15k_cracksc-weak-256x256.py',
     'model.pretrained', RESNET38D_IMAGENET),
])
def test_paper_configs_start_from_imagenet(config, key, checkpoint):
    cfg = Config.fromfile(CONFIGS / config)
    assert list(pretrained_sources(cfg.model)) == [(key, checkpoint)]
    drop_pretrained(cfg.model)
    assert list(pretrained_sources(cfg.model)) == []


def test_scratch_configs_say_so():
    for config in CONFIGS.glob('*/*scratch*.py'):
        cfg = Config.fromfile(config)
        assert list(pretrained_sources(cfg.model)) == [], config


def torchvision_layout(depth=18):
    """A torchvision ResNet state dict: ResNetWithStem's names, plus the
    ImageNet classifier fc."""
    torch.manual_seed(1)
    state = {
        k: torch.randn_like(v.float()) if v.is_floating_point() else v
        for k, v in ResNetWithStem(depth=depth).state_dict().items()
    }
    state['fc.weight'] = torch.zeros(1000, 512)
    state['fc.bias'] = torch.zeros(1000)
    return state


def assert_loaded(backbone, state):
    loaded = backbone.state_dict()
    assert set(loaded) == set(state) - {'fc.weight', 'fc.bias'}  # all used
    for key, value in loaded.items():
        assert torch.equal(value.float(), state[key].float()), key


def test_loaded_by_address(served):
    root, address = served
    state = torchvision_layout()
    torch.save(state, root / 'resnet18-test.pth')
    init_cfg = dict(type='Pretrained',
                    checkpoint=f'{address}/resnet18-test.pth')
    assert check_pretrained(dict(backbone=dict(init_cfg=init_cfg)))
    backbone = ResNetWithStem(depth=18, init_cfg=init_cfg)
    backbone.init_weights()
    assert_loaded(backbone, state)


def test_loaded_from_a_file(tmp_path):
    state = torchvision_layout()
    torch.save(state, tmp_path / 'resnet18.pth')
    # The dilated layout of CrackSeg's encoder takes the same weights.
    backbone = ResNetWithStem(
        depth=18,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint=str(tmp_path / 'resnet18.pth')))
    backbone.init_weights()
    assert_loaded(backbone, state)


def test_message_when_the_weights_cannot_be_had(tmp_path):
    unreachable = 'http://127.0.0.1:9/resnet50-0676ba61.pth'
    model = dict(backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=unreachable)))
    with pytest.raises(PretrainedWeightsError) as err:
        check_pretrained(model)
    message = str(err.value)
    assert f'fetched from {unreachable}, which cannot be reached' in message
    assert 'Download resnet50-0676ba61.pth elsewhere' in message
    assert '--cfg-options model.backbone.init_cfg.checkpoint=PATH' in message
    assert '--cfg-options model.backbone.init_cfg=None' in message
    with pytest.raises(PretrainedWeightsError) as err:
        check_pretrained(
            dict(pretrained=str(tmp_path / 'resnet38d_imagenet.pth')))
    message = str(err.value)
    assert 'resnet38d_mxnet2mmcrack.py' in message
    assert '--cfg-options model.pretrained=None' in message
