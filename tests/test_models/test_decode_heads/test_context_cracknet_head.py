import numpy as np
import pytest
import torch
import torch.nn as nn
from helpers import REPO_ROOT, assert_gradients_reach_every_parameter
from mmengine import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from mmseg.structures import SegDataSample

from mmcrack.models.decode_heads import ContextCrackNetHead
from mmcrack.models.decode_heads.context_cracknet_head import RFEM
from mmcrack.utils.complexity import count_macs, count_params
from mmcrack.utils.config_check import check_config_keys
from mmcrack.utils.pretrained import drop_pretrained

CONFIG_DIR = REPO_ROOT / 'configs' / 'context_cracknet'
CONFIG = CONFIG_DIR / 'context-cracknet_r50_1xb8-40k_crackseg9k-448x448.py'
#: Table 7: 82.05 M parameters: ResNet50 without fc, the CAGM and the
#: decoder (as the official Context_CrackNet counts them).
PARAMS = 82050597
PARAMS_BY_PART = dict(backbone=23508032, neck=8801280, decode_head=49741285)
#: MACs at 1x3x448x448 by mmcrack.utils.complexity; at 2 FLOPs per MAC that
#: is 243.75 GFLOPs, Table 7 reports 243.78.
MACS_448 = 121873088512

pytestmark = pytest.mark.usefixtures('one_thread')


def load_config(path=CONFIG, **neck):
    """A Context-CrackNet config with plain BN and the given CAGM args,
    from scratch (no ImageNet weights fetched)."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(path)
    drop_pretrained(cfg.model)
    cfg.model.backbone.norm_cfg = dict(type='BN')
    cfg.model.decode_head.norm_cfg = dict(type='BN')
    cfg.model.neck.update(neck)
    return cfg


def build_segmentor(device='cpu', **neck):
    with torch.device(device):
        return MODELS.build(load_config(**neck).model)


def data_samples(labels):
    samples = []
    for label in labels:
        shape = tuple(label.shape)
        sample = SegDataSample(
            metainfo=dict(img_shape=shape, ori_shape=shape, pad_shape=shape))
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return samples


def test_rfem_as_equations_12_to_17():
    torch.manual_seed(0)
    rfem = RFEM(8, 6, 4, 10).eval()
    x, g = torch.randn(2, 8, 5, 7), torch.randn(2, 6, 5, 7)
    with torch.no_grad():
        gate = rfem.gate_conv.bn(rfem.gate_conv.conv(g))
        skip = rfem.skip_conv.bn(rfem.skip_conv.conv(x))
        psi = torch.sigmoid(rfem.psi.conv(torch.relu(gate + skip)))
        assert torch.allclose(rfem.attention(x, g), psi)
        assert torch.allclose(
            rfem(x, g), rfem.convs(torch.cat([x * psi, g], dim=1)))
    assert psi.shape == (2, 1, 5, 7)
    # Official: 1x1 convs with bias (before BN), bias-free 3x3 convs.
    assert rfem.gate_conv.conv.bias is not None
    assert rfem.skip_conv.conv.bias is not None
    assert rfem.psi.conv.bias is not None and rfem.psi.norm_name is None
    convs = [m.conv for m in rfem.convs.convs]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.bias)
            for c in convs] == [(14, 10, (3, 3), None),
                                (10, 10, (3, 3), None)]


def test_decoder_stages_as_the_official_model():
    head = build_segmentor('meta').decode_head
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride)
            for m in head.up_convs] == [(2048, 1024, (2, 2), (2, 2)),
                                        (1024, 512, (2, 2), (2, 2)),
                                        (512, 256, (2, 2), (2, 2)),
                                        (256, 64, (2, 2), (2, 2))]
    assert all(isinstance(m, nn.ConvTranspose2d) for m in head.up_convs)
    assert [(r.gate_conv.conv.out_channels, r.convs.convs[0].conv.in_channels,
             r.convs.convs[1].conv.out_channels)
            for r in head.rfems] == [(512, 2048, 1024), (256, 1024, 512),
                                     (128, 512, 256), (32, 128, 64)]
    assert head.conv_seg.in_channels == 64 and head.conv_seg.out_channels == 1
    assert head.dropout is None and head.align_corners is False


def small_head(**kwargs):
    cfg = dict(
        in_channels=[4, 8, 8, 16, 16],
        in_index=[0, 1, 2, 3, 4],
        channels=4,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        loss_decode=dict(type='BCEDiceLoss'))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return ContextCrackNetHead(**cfg)


@pytest.mark.parametrize('size', [(64, 96), (50, 70)])
def test_small_head_outputs_at_half_resolution(size):
    """Sizes not divisible by 32 resize the up-sampled feature."""
    sizes = [size]
    for _ in range(5):
        sizes.append(tuple((s + 1) // 2 for s in sizes[-1]))
    feats = [
        torch.randn(2, c, *s)
        for c, s in zip([4, 8, 8, 16, 16], sizes[1:])
    ]
    head = small_head().eval()
    with torch.no_grad():
        assert head(feats).shape == (2, 1, *sizes[1])


def test_acc_seg_thresholds_the_sigmoid():
    head = small_head(threshold=0.7)
    logits = torch.tensor([[[[1., 0.], [-1., 3.]]]])  # p = .73 .5 .27 .95
    label = torch.tensor([[1, 1], [0, 255]])
    losses = head.loss_by_feat(logits, data_samples([label]))
    # Predictions 1, 0, 0 (the 4th pixel is ignored): 2 of 3 right.
    assert losses['acc_seg'].item() == pytest.approx(200 / 3)
    assert set(losses) == {'loss_bce_dice', 'acc_seg'}


def test_invalid_channels():
    with pytest.raises(ValueError, match='in_channels\\[0\\]'):
        small_head(channels=8)


def test_parameter_count_is_the_papers():
    model = build_segmentor('meta')
    assert count_params(model) == PARAMS
    assert f'{PARAMS / 1e6:.2f}' == '82.05'
    for part, params in PARAMS_BY_PART.items():
        assert count_params(getattr(model, part)) == params


def test_macs_at_448_are_the_papers():
    """Shapes only matter for MACs: count on the meta device."""
    model = build_segmentor('meta').eval()
    macs = count_macs(model, torch.zeros(1, 3, 448, 448, device='meta'),
                      mode='tensor')
    assert macs == MACS_448
    assert 2 * macs / 1e9 == pytest.approx(243.78, rel=2e-4)


def test_output_shapes_and_the_exact_mode_size_check():
    metas = [dict(img_shape=(448, 448), pad_shape=(448, 448))]
    exact = build_segmentor('meta').eval()
    x = torch.zeros(1, 3, 448, 448, device='meta')
    assert exact(x, mode='tensor').shape == (1, 1, 224, 224)
    assert exact.encode_decode(x, metas).shape == (1, 1, 448, 448)
    other = torch.zeros(1, 3, 256, 320, device='meta')
    with pytest.raises(ValueError, match='built for 448x448 inputs.*16x20'):
        exact(other, mode='tensor')
    resample = build_segmentor('meta', mode='resample').eval()
    metas = [dict(img_shape=(256, 320), pad_shape=(256, 320))]
    assert resample(other, mode='tensor').shape == (1, 1, 128, 160)
    assert resample.encode_decode(other, metas).shape == (1, 1, 256, 320)


def test_predict_thresholds_sigmoid_at_the_original_size():
    torch.manual_seed(0)
    model = build_segmentor(mode='resample').eval()
    inputs = torch.randn(2, 3, 96, 128)
    with torch.no_grad():
        results = model.predict(
            inputs, data_samples(torch.zeros(2, 96, 128, dtype=torch.long)))
    for result in results:
        probs = result.seg_logits.data
        assert probs.shape == (1, 96, 128)
        assert ((probs >= 0) & (probs <= 1)).all()
        assert torch.equal(result.pred_sem_seg.data, (probs > 0.5).float())


def test_gradients_reach_every_parameter():
    """The full model in exact mode, built for 64x64 inputs (4x4 tokens)."""
    torch.manual_seed(0)
    model = build_segmentor(img_size=64).train()
    labels = (torch.rand(2, 64, 64) > 0.9).long()
    losses = model.loss(torch.randn(2, 3, 64, 64), data_samples(labels))
    losses['decode.loss_bce_dice'].backward()
    assert_gradients_reach_every_parameter(model)


def test_short_training_lowers_the_loss(cracksc_crops, train_steps):
    """15 AdamW steps on real 96x96 CrackSC crops, in resolution-
    independent mode; lr 1e-3 (10x the paper's) to see the trend soon."""
    torch.manual_seed(0)
    np.random.seed(0)
    dataset = cracksc_crops((96, 96), cat_max_ratio=0.99)
    cfg = load_config(mode='resample')
    cfg.model.data_preprocessor.size = (96, 96)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim = OptimWrapper(
        torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-5))
    logs = train_steps(model, optim, dataset, batch_size=2)
    for log in logs:
        assert set(log) == {'loss', 'decode.loss_bce_dice', 'decode.acc_seg'}
    losses = [log['loss'].item() for log in logs]
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert last < 0.95 * first, str(np.round(losses, 3))


def test_pipelines_on_real_data(cracksc_dir):
    """The paper's augmentation keeps 448x448 images with 0/1 masks; the
    test pipeline resizes the image and, as the paper scores at the input
    size (Sec. 4.1, EvaluateAtInputSize), its mask."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG_DIR /
                          'context-cracknet_r50_1xb8-40k_cracksc-448x448.py')
    np.random.seed(0)
    for loader, split in ((cfg.train_dataloader, 'train'),
                          (cfg.val_dataloader, 'val')):
        dataset = DATASETS.build(
            dict(
                loader.dataset,
                data_root=str(cracksc_dir),
                ann_file='',
                split=split,
                check_files=False,
                indices=4))
        for item in dataset:
            img = item['inputs']
            label = item['data_samples'].gt_sem_seg.data
            assert img.shape == (3, 448, 448) and img.dtype == torch.uint8
            if split == 'train':
                assert label.shape == (1, 448, 448)
                assert set(label.unique().tolist()) <= {0, 1}
            else:
                assert label.shape == (1, 448, 448)
                assert item['data_samples'].ori_shape == (448, 448)


@pytest.mark.parametrize(
    'path', sorted(CONFIG_DIR.glob('*.py')), ids=lambda p: p.name)
def test_configs_build(path):
    init_default_scope('mmseg')
    cfg = Config.fromfile(path)
    check_config_keys(cfg)
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert count_params(model) == PARAMS
    assert '-448x448' in path.name
    assert cfg.model.data_preprocessor.size == (448, 448)
    # The paper's configs resize every image to 448x448; the large-photo
    # config slides 448x448 windows over the test images instead.
    large_photos = 'large-photos' in path.name
    assert model.neck.img_size == (448, 448)
    assert model.neck.mode == ('resample' if large_photos else 'exact')
    assert model.decode_head.threshold == 0.5
    for pipeline, resized in ((cfg.train_dataloader.dataset.pipeline, True),
                              (cfg.test_dataloader.dataset.pipeline,
                               not large_photos)):
        transforms = [TRANSFORMS.build(t) for t in pipeline]
        resize = [t for t in pipeline if t.type == 'Resize']
        assert [(t.scale, t.keep_ratio)
                for t in resize] == [((448, 448), False)] * resized
        assert type(transforms[-1]).__name__ == 'PackSegInputs'
    if large_photos:
        assert model.test_cfg == dict(
            mode='slide', crop_size=(448, 448), stride=(298, 298))
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=1e-4, weight_decay=1e-5)
    assert cfg.param_scheduler[0].type == 'ReduceOnPlateauLR'
    assert cfg.param_scheduler[0].monitor == 'ODS'
    assert cfg.val_evaluator.type == 'CrackMetric'
