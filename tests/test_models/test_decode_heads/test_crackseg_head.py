import numpy as np
import pytest
import torch
from helpers import REPO_ROOT, assert_gradients_reach_every_parameter
from mmengine import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from mmseg.structures import SegDataSample

from mmcrack.models.decode_heads import CrackSegHead
from mmcrack.utils.complexity import count_macs, count_params
from mmcrack.utils.config_check import check_config_keys
from mmcrack.utils.pretrained import drop_pretrained

CONFIG_DIR = REPO_ROOT / 'configs' / 'crackseg'
CONFIGS = {
    depth: CONFIG_DIR / f'crackseg_r{depth}-d16_1xb8-20k_crackseg9k-256x256.py'
    for depth in (50, 101)
}
#: Parameters (backbone, multiscale dilated convolution module, head) and
#: MACs at 1x3x256x256 (mmcrack.utils.complexity) of CrackSeg-R50/-R101.
PARAMS = {50: 56758850, 101: 75750978}
PARAMS_BY_PART = {
    50: dict(backbone=23508032, neck=29494784, decode_head=3756034),
    101: dict(backbone=42500160, neck=29494784, decode_head=3756034)
}
MACS_256 = {50: 30612652032, 101: 35488006144}

pytestmark = pytest.mark.usefixtures('one_thread')


def load_config(depth=50):
    """A CrackSeg config with plain BN, from scratch (no ImageNet
    weights fetched)."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIGS[depth])
    drop_pretrained(cfg.model)
    for part in ('backbone', 'neck', 'decode_head'):
        cfg.model[part].norm_cfg = dict(type='BN')
    return cfg


def build_segmentor(depth=50, device='cpu'):
    with torch.device(device):
        return MODELS.build(load_config(depth).model)


def data_samples(labels):
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return samples


def test_upsampling_module_as_table_1():
    head = build_segmentor(device='meta').decode_head

    def spec(conv_module):
        conv = conv_module.conv
        return conv.in_channels, conv.out_channels, conv.kernel_size

    assert spec(head.high_conv) == (256, 512, (1, 1))
    assert [spec(m) for m in head.low_convs] == [(64, 256, (1, 1)),
                                                 (256, 256, (1, 1))]
    assert [spec(m) for m in head.convs.convs] == [(1024, 256, (3, 3)),
                                                   (256, 256, (3, 3)),
                                                   (256, 256, (3, 3))]
    assert (head.conv_seg.in_channels, head.conv_seg.out_channels) == (256,
                                                                       2)
    assert head.in_index == [0, 1, 5] and head.dropout is None


def test_small_head_equals_the_written_out_module():
    torch.manual_seed(0)
    head = CrackSegHead(
        in_channels=[4, 8, 6],
        in_index=[0, 1, 2],
        channels=8,
        high_channels=10,
        low_channels=5,
        num_classes=2,
        out_channels=2,
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True)).eval()
    feats = [
        torch.randn(2, 4, 16, 20),
        torch.randn(2, 8, 16, 20),
        torch.randn(2, 6, 4, 5)
    ]
    with torch.no_grad():
        high = torch.nn.functional.interpolate(
            head.high_conv(feats[2]), size=(16, 20), mode='bilinear')
        fused = torch.cat([
            head.low_convs[0](feats[0]), head.low_convs[1](feats[1]), high
        ], dim=1)
        expected = head.conv_seg(head.convs(fused))
        assert torch.allclose(head(feats), expected, atol=1e-6)
    assert expected.shape == (2, 2, 16, 20)
    assert len(head.convs.convs) == 3


@pytest.mark.parametrize('depth', [50, 101])
def test_parameters_and_macs(depth):
    model = build_segmentor(depth, device='meta').eval()
    assert count_params(model) == PARAMS[depth]
    for part, params in PARAMS_BY_PART[depth].items():
        assert count_params(getattr(model, part)) == params
    macs = count_macs(model, torch.zeros(1, 3, 256, 256, device='meta'),
                      mode='tensor')
    assert macs == MACS_256[depth]


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('size', [(256, 256), (200, 328)])
def test_output_shapes(depth, size):
    model = build_segmentor(depth, device='meta').eval()
    x = torch.zeros(1, 3, *size, device='meta')
    quarter = tuple((s + 3) // 4 for s in size)
    assert model(x, mode='tensor').shape == (1, 2, *quarter)
    metas = [dict(img_shape=size, pad_shape=size)]
    assert model.encode_decode(x, metas).shape == (1, 2, *size)


def test_real_forward_at_200x328():
    torch.manual_seed(0)
    model = build_segmentor().eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 200, 328), mode='tensor')
    assert logits.shape == (1, 2, 50, 82) and torch.isfinite(logits).all()


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = build_segmentor().train()
    labels = (torch.rand(2, 64, 64) > 0.9).long()
    losses = model.loss(torch.randn(2, 3, 64, 64), data_samples(labels))
    losses['decode.loss_ce'].backward()
    assert_gradients_reach_every_parameter(model)


def test_short_training_lowers_the_loss(cracksc_crops, train_steps):
    """15 Adam steps of CrackSeg-R50 on real 96x96 CrackSC crops; lr 1e-3
    (10x the paper's) to see the trend soon."""
    torch.manual_seed(0)
    np.random.seed(0)
    dataset = cracksc_crops((96, 96), cat_max_ratio=0.99)
    cfg = load_config()
    cfg.model.data_preprocessor.size = (96, 96)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim = OptimWrapper(
        torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-4))
    logs = train_steps(model, optim, dataset, batch_size=2)
    for log in logs:
        assert set(log) == {'loss', 'decode.loss_ce', 'decode.acc_seg'}
    losses = [log['loss'].item() for log in logs]
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert last < 0.6 * first, str(np.round(losses, 3))


def test_train_pipeline_on_real_data(cracksc_dir):
    """256x256 crops of the enlarged, flipped, colour-jittered images."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG_DIR /
                          'crackseg_r50-d16_1xb8-20k_cracksc-256x256.py')
    np.random.seed(0)
    dataset = DATASETS.build(
        dict(
            cfg.train_dataloader.dataset,
            data_root=str(cracksc_dir),
            ann_file='',
            split='train',
            check_files=False,
            indices=4))
    for item in dataset:
        assert item['inputs'].shape == (3, 256, 256)
        label = item['data_samples'].gt_sem_seg.data
        assert label.shape == (1, 256, 256)
        assert set(label.unique().tolist()) <= {0, 1}


@pytest.mark.parametrize(
    'path', sorted(CONFIG_DIR.glob('*.py')), ids=lambda p: p.name)
def test_configs_build(path):
    init_default_scope('mmseg')
    cfg = Config.fromfile(path)
    check_config_keys(cfg)
    depth = 101 if '_r101-' in path.name else 50
    assert path.name.startswith(f'crackseg_r{depth}-d16_')
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert count_params(model) == PARAMS[depth]
    assert model.backbone.depth == depth
    assert '-256x256' in path.name
    assert cfg.model.data_preprocessor.size == (256, 256)
    pipeline = cfg.train_dataloader.dataset.pipeline
    for transform in pipeline + cfg.test_dataloader.dataset.pipeline:
        TRANSFORMS.build(transform)
    crops = [t.crop_size for t in pipeline if t.type == 'RandomCrop']
    assert crops == [(256, 256)]
    assert cfg.optim_wrapper.optimizer == dict(
        type='Adam', lr=1e-4, weight_decay=5e-4)
    assert cfg.val_evaluator.type == 'CrackMetric'
