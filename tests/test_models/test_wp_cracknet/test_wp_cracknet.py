import copy
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmcrack.engine.hooks import (BalancedLearningHook,
                                  precision_recall_factor)
from mmcrack.models.wp_cracknet import WPCrackNet
from mmcrack.utils.complexity import count_params, profile_call


#: Inference path at any input size (parameters do not depend on it): two
#: ResNet38d encoders up to their first b5 block (2 x 38,980,928), PAAM
#: (28,672 directional + 2,099,200 fusion conv and BN + 132,160 SE) and the
#: detector convs (6,238,241). The paper's Table 5: 86.458 M at 256x256.
INFERENCE_PARAMS = 86460129
ENCODER_TO_B5_PARAMS = 38980928
DETECTOR_PARAMS = 8498273

#: A narrow WP-CrackNet for 64x64 crops: ResNet38d at 1/8 of the width, a
#: 6-level U-Net (64 = 2 ** 6).
TINY = dict(
    type='WPCrackNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        size=(64, 64)),
    backbone=dict(type='ResNet38d', channels=(8, 16, 32, 64, 128, 256, 512)),
    cam_head=dict(type='CAMHead', in_channels=512, channels=32),
    fusion=dict(
        type='ReconFeatureFusion',
        in_channels=(64, 128, 512),
        out_channels=(8, 16, 32)),
    generator=dict(
        type='UNetGenerator',
        in_channels=56,
        num_downs=6,
        base_channels=8,
        max_channels=64),
    decode_head=dict(
        type='WPCrackNetHead',
        in_channels=(128, 128),
        conv_channels=(64, 32, 16),
        deconv_channels=(8, 8),
        paam=dict(type='PAAM', se_ratio=4)))

OPTIM = dict(
    constructor='MultiOptimWrapperConstructor',
    classifier=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, weight_decay=5e-4)),
    reconstructor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, weight_decay=5e-4)),
    detector=dict(
        type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3)))

pytestmark = pytest.mark.usefixtures('one_thread')


def tiny_model(seed=0, loss_decode=None, test_cfg=None):
    cfg = copy.deepcopy(TINY)
    if loss_decode is not None:
        cfg['decode_head']['loss_decode'] = loss_decode
    if test_cfg is not None:
        cfg['test_cfg'] = test_cfg
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    # A positive crack column of fc9: the (ReLU) fc8 features give a
    # non-zero crack CAM from the first iteration, so the CRF has something
    # to refine and the detector step runs.
    with torch.no_grad():
        model.classifier['head'].fc9.weight[1].abs_()
    return model


def real_crops(data_dir, size=64):
    """Two crack and two crack-free crops of real photos, BGR uint8 CHW (as
    LoadImageFromFile and PackSegInputs give them), with image labels and
    the crops' pixel masks (N, H, W)."""
    stems = sorted(p.stem for p in (data_dir / 'masks').glob('*.png'))[:4]
    inputs, labels, masks = [], [], []
    for i, stem in enumerate(stems):
        img = cv2.imread(str(data_dir / 'images' / f'{stem}.jpg'))
        mask = cv2.imread(str(data_dir / 'masks' / f'{stem}.png'), 0)
        want_crack = i % 2 == 0
        h, w = mask.shape
        found = None
        for y in range(0, h - size + 1, 16):
            for x in range(0, w - size + 1, 16):
                n = int(mask[y:y + size, x:x + size].sum())
                if (n > 50) if want_crack else (n == 0):
                    found = (y, x)
                    break
            if found:
                break
        assert found is not None
        y, x = found
        inputs.append(
            torch.from_numpy(img[y:y + size, x:x + size].transpose(
                2, 0, 1).copy()))
        labels.append(int(want_crack))
        masks.append(torch.from_numpy(mask[y:y + size, x:x + size]).long())
    return inputs, labels, torch.stack(masks)


def test_inference_path_has_the_papers_parameter_count():
    cfg = Config.fromfile(REPO_ROOT / 'configs/_base_/models/wp_cracknet.py')
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
        used = set()
        handles = [
            m.register_forward_hook(lambda m, i, o: used.add(m))
            for m in model.modules()
        ]
        out = model(torch.empty(1, 3, 256, 256), mode='tensor')
        profile = profile_call(model, torch.empty(1, 3, 256, 256),
                               mode='tensor')
    for handle in handles:
        handle.remove()
    assert out.shape == (1, 1, 256, 256)
    params = {p for m in used for p in m.parameters(recurse=False)}
    assert sum(p.numel() for p in params) == INFERENCE_PARAMS
    # What tools/analysis_tools/get_flops.py prints as the inference count.
    assert profile['params'] == INFERENCE_PARAMS
    # Only the encoders up to b5 (not b5_1 on), PAAM and the detector ran.
    assert count_params(model.detector) == DETECTOR_PARAMS
    backbone = model.classifier['backbone']
    to_b5 = count_params(backbone) - sum(
        count_params(getattr(backbone, name))
        for name in ('b5_1', 'b5_2', 'b6', 'b7', 'bn7'))
    assert to_b5 == ENCODER_TO_B5_PARAMS
    assert 2 * to_b5 + DETECTOR_PARAMS == INFERENCE_PARAMS
    assert not any(
        m in used for m in model.reconstructor['generator'].modules())
    assert model.reconstructor['backbone'].b5_1 not in used


def test_one_iteration_updates_each_sub_module_in_its_own_step(cracksc_dir):
    model = tiny_model()
    # An untrained 8x8 CAM is too faint for the official CRF at 64x64 (it
    # returns empty labels, and the detector step is skipped); the CRF is
    # tested in tests/test_utils/test_crf.py, so threshold the CAM here.
    model.pseudo_labels = lambda inputs, cam: (cam[:, 0] > 0.5).long()
    optim_wrapper = build_optim_wrapper(model, OPTIM)
    assert isinstance(optim_wrapper, OptimWrapperDict)
    names = {n: p for n, p in model.named_parameters()}
    snapshots = [{n: p.detach().clone() for n, p in names.items()}]
    order = []
    for key, wrapper in optim_wrapper.items():

        def update_params(loss, _orig=wrapper.update_params, _key=key):
            _orig(loss)
            order.append(_key)
            snapshots.append(
                {n: p.detach().clone()
                 for n, p in names.items()})

        wrapper.update_params = update_params

    # Which encoder makes CAMs in which mode: the frozen one in eval mode,
    # the classifier for the pseudo labels (the third call) in train mode
    # (dropout on), as the official code.
    cams = model._cams
    modes = []

    def recording_cams(encoder, *args):
        modes.append((encoder is model.classifier, encoder.training))
        return cams(encoder, *args)

    model._cams = recording_cams
    inputs, labels, _ = real_crops(cracksc_dir)
    samples = [SegDataSample(metainfo=dict(img_label=lb)) for lb in labels]
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples), optim_wrapper)

    assert modes[0] == (True, False) and modes[-1] == (True, True)
    assert order == ['reconstructor', 'classifier', 'detector']
    assert log_vars['det_num_pseudo'] > 0
    for key in ('loss_rec', 'loss_rec_crack', 'loss_rec_road',
                'loss_rec_full', 'loss_cls', 'loss_cls_crack',
                'loss_cls_road', 'loss_cec', 'loss_det'):
        assert torch.isfinite(log_vars[key]), key
    assert log_vars['loss_cls_crack'] < 0 and log_vars['loss_cls_road'] < 0
    for step, key in enumerate(order):
        changed = {
            n
            for n in names
            if not torch.equal(snapshots[step][n], snapshots[step + 1][n])
        }
        # Every trainable parameter of the stepped sub-module, nothing else
        # (the encoders' BatchNorms are frozen).
        expected = {
            n
            for n, p in names.items()
            if n.startswith(key + '.') and p.requires_grad
        }
        assert changed == expected, key
        assert not any('bn_branch' in n or 'bn7' in n for n in changed)
    assert all(p.grad is None or not p.grad.any()
               for n, p in names.items() if n.startswith('reconstructor'))
    assert model.training and not model.classifier['backbone'].bn7.training


@pytest.mark.slow
def test_short_training_lowers_each_steps_loss(cfd_dir):
    """12 iterations of the docs' CPU-sized config on one batch of real
    128x128 CFD crops: the classifier's and the reconstructor's image-label
    BCE, the full reconstruction and the detector's loss all fall. The
    detector learns the crops' masks as pseudo labels, so that its target
    stays fixed (the CRF is tested in tests/test_utils/test_crf.py)."""
    cfg = Config.fromfile(
        REPO_ROOT / 'configs/wp_cracknet/'
        'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    inputs, labels, masks = real_crops(cfd_dir, size=128)
    model.pseudo_labels = lambda images, cam: masks[[0, 2]]
    samples = [SegDataSample(metainfo=dict(img_label=lb)) for lb in labels]
    logs = [
        model.train_step(
            dict(inputs=inputs, data_samples=samples), optim_wrapper)
        for _ in range(12)
    ]
    assert all(log['det_num_pseudo'] == 2 for log in logs)
    curves = {
        key: np.array([float(log[key]) for log in logs])
        for key in ('loss_cls_bce', 'loss_rec_bce', 'loss_rec_full',
                    'loss_det')
    }
    history = {key: np.round(curve, 4) for key, curve in curves.items()}
    for key, ratio in (('loss_cls_bce', 0.1), ('loss_rec_bce', 0.1),
                       ('loss_rec_full', 0.8)):
        assert curves[key][-1] < ratio * curves[key][0], history
    assert np.all(np.diff(curves['loss_det']) < 0), history


def test_predict_returns_probabilities_and_labels():
    model = tiny_model().eval()
    inputs = [torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)] * 2
    samples = [
        SegDataSample(metainfo=dict(ori_shape=(64, 96), img_shape=(64, 96)))
        for _ in range(2)
    ]
    results = model.test_step(dict(inputs=inputs, data_samples=samples))
    assert len(results) == 2
    prob = results[0].seg_logits.data
    pred = results[0].pred_sem_seg.data
    assert prob.shape == pred.shape == (1, 64, 96)
    assert 0 <= prob.min() and prob.max() <= 1
    assert torch.equal(pred, (prob > 0.5).to(pred))
    with pytest.raises(NotImplementedError, match='train_step'):
        model(torch.zeros(1, 3, 64, 64), samples[:1], mode='loss')


def test_mmseg_inference_apis_and_pretrained(tmp_path):
    """mmseg's init_model (which passes pretrained=None, as to its own
    segmentors) and inference_model run WP-CrackNet; ``pretrained``
    initialises both encoders from a checkpoint."""
    from mmseg.apis import inference_model, init_model
    cfg = Config(
        dict(
            model=TINY,
            test_pipeline=[
                dict(type='LoadImageFromNDArray'),
                dict(type='PackSegInputs')
            ]))
    model = init_model(cfg, None, device='cpu')
    image = np.random.default_rng(0).integers(0, 256, (48, 80, 3), np.uint8)
    result = inference_model(model, image)
    assert result.pred_sem_seg.data.shape == (1, 48, 80)

    encoder = MODELS.build(TINY['backbone'])
    checkpoint = tmp_path / 'resnet38d.pth'
    torch.save(dict(state_dict=encoder.state_dict()), checkpoint)
    torch.manual_seed(1)
    model = MODELS.build(dict(TINY, pretrained=str(checkpoint)))
    model.init_weights()
    for part in ('classifier', 'reconstructor'):
        loaded = getattr(model, part)['backbone'].state_dict()
        for name, value in encoder.state_dict().items():
            assert torch.equal(loaded[name], value), (part, name)


def test_image_labels_and_denormalised_images():
    model = tiny_model()
    mask = torch.zeros(1, 8, 8, dtype=torch.long)
    with_crack = mask.clone()
    with_crack[0, 3, 3] = 1
    samples = [
        SegDataSample(metainfo=dict(img_label=1)),
        SegDataSample(gt_sem_seg=PixelData(data=with_crack)),
        SegDataSample(gt_sem_seg=PixelData(data=mask)),
    ]
    assert WPCrackNet.image_labels(samples).tolist() == [1, 1, 0]
    with pytest.raises(ValueError, match='img_label'):
        WPCrackNet.image_labels([SegDataSample()])
    # The CRF image: the preprocessor's normalisation undone exactly, uint8.
    image = torch.randint(0, 256, (1, 3, 16, 16), dtype=torch.uint8)
    data = model.data_preprocessor(
        dict(inputs=[image[0]], data_samples=[SegDataSample()]))
    restored = model.images_uint8(data['inputs'])
    assert restored.dtype == np.uint8 and restored.shape == (1, 16, 16, 3)
    # bgr_to_rgb: channel order reversed.
    assert np.array_equal(restored[0],
                          image[0].flip(0).permute(1, 2, 0).numpy())


@pytest.mark.slow
def test_exports_to_onnx(tmp_path):
    ort = pytest.importorskip('onnxruntime')
    model = tiny_model().eval()
    x = torch.randn(1, 3, 64, 64)
    path = str(tmp_path / 'wp_cracknet.onnx')
    with torch.no_grad():
        expected = model(x, mode='tensor').numpy()
        torch.onnx.export(
            model, (x, None, 'tensor'),
            path,
            input_names=['input'],
            output_names=['output'],
            opset_version=11,
            dynamo=False)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    (actual, ) = session.run(None, {'input': x.numpy()})
    assert actual.shape == (1, 1, 64, 64)
    np.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-4)


def test_empty_pseudo_labels_are_left_out(cracksc_dir):
    model = tiny_model()
    inputs, labels, _ = real_crops(cracksc_dir)  # crack images: 0 and 2

    def first_crack_image_empty(images, cam):
        pseudo = (cam[:, 0] > 0.5).long()
        pseudo[0] = 0
        return pseudo

    model.pseudo_labels = first_crack_image_empty
    samples = [SegDataSample(metainfo=dict(img_label=lb)) for lb in labels]
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples),
        build_optim_wrapper(model, OPTIM))
    assert log_vars['det_num_pseudo'] == 1 and 'loss_det' in log_vars

    # No pseudo label left: no detector step at all.
    model.pseudo_labels = lambda images, cam: torch.zeros_like(
        cam[:, 0], dtype=torch.long)
    before = copy.deepcopy(model.detector.state_dict())
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples),
        build_optim_wrapper(model, OPTIM))
    assert log_vars['det_num_pseudo'] == 0 and 'loss_det' not in log_vars
    after = model.detector.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_too_large_pseudo_labels_can_be_left_out(cracksc_dir):
    model = tiny_model()
    model.train_cfg = dict(max_pseudo_fraction=0.5)
    inputs, labels, _ = real_crops(cracksc_dir)  # crack images: 0 and 2

    def second_crack_image_full(images, cam):
        pseudo = torch.zeros_like(cam[:, 0], dtype=torch.long)
        pseudo[0, :8] = 1  # 1/8 of the image
        pseudo[1] = 1
        return pseudo

    model.pseudo_labels = second_crack_image_full
    samples = [SegDataSample(metainfo=dict(img_label=lb)) for lb in labels]
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples),
        build_optim_wrapper(model, OPTIM))
    assert log_vars['det_num_pseudo'] == 1


def test_balanced_learning_steers_the_detector(cracksc_dir):
    """BalancedCrossEntropyLoss as the detector's loss counts crack TP / FP
    / FN against the pseudo labels in the detector step, and
    BalancedLearningHook moves its weight with the measured PRF."""
    model = tiny_model(
        loss_decode=dict(type='BalancedCrossEntropyLoss', pos_weight=15.0))
    model.pseudo_labels = lambda inputs, cam: (cam[:, 0] > 0.5).long()
    inputs, labels, _ = real_crops(cracksc_dir)
    samples = [SegDataSample(metainfo=dict(img_label=lb)) for lb in labels]
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples),
        build_optim_wrapper(model, OPTIM))
    assert 'det_loss_balanced_ce' in log_vars
    (loss, ) = BalancedLearningHook.balanced_losses(model)
    assert loss is model.detector.loss_decode
    tp, fp, fn = loss.counts()
    assert tp + fn > 0  # the kept pseudo labels' crack pixels
    factor = precision_recall_factor(tp, fp, fn)[2]
    assert factor != 0
    runner = SimpleNamespace(
        model=model,
        iter=0,
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace()),
        message_hub=MessageHub.get_instance('wp_balanced_learning_test'))
    hook = BalancedLearningHook(interval=1)
    hook.before_train(runner)
    hook.after_train_iter(runner, 0)
    assert (float(loss.pos_weight) - 15.0) * factor > 0
    assert loss.counts() == (0.0, 0.0, 0.0)


@pytest.mark.parametrize('options, match', [
    (dict(loss_weights=dict(cls_crak=1.0)), "loss_weights \\['cls_crak'\\]"),
    (dict(train_cfg=dict(max_pseudo_fractoin=0.2)), 'train_cfg keys'),
    (dict(train_cfg=dict(remnant=dict(ramp=10))), 'train_cfg.remnant keys'),
])
def test_misspelt_options_are_errors(options, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(TINY, **options))


def test_grid_protocol_drops_the_patches_the_classifier_calls_crack_free():
    """Sec. 4.2's CFD protocol (test_cfg.mode='grid'): 3x3 patches, each
    resized to the training patch size and classified; crack-free patches
    are background, the others the detector's output on the patch."""
    model = tiny_model(test_cfg=dict(mode='grid', patch_size=(64, 64)))
    model.eval()
    inputs = torch.randn(1, 3, 96, 144)
    head = model.classifier['head']
    calls = []

    def classify(feat, _head=head.forward):
        cam, logits = _head(feat)
        # Crack in the first and last patch of the grid only.
        crack = len(calls) in (0, 8)
        calls.append(feat.shape)
        logits = torch.tensor([[0.0, 1.0] if crack else [1.0, 0.0]])
        return cam, logits

    head.forward = classify
    with torch.no_grad():
        logits = model.grid_encode_decode(inputs)
        first = model.encode_decode(
            torch.nn.functional.interpolate(
                inputs[:, :, :32, :48], size=(64, 64), mode='bilinear'))
    assert len(calls) == 9 and logits.shape == (1, 1, 96, 144)
    expected = torch.nn.functional.interpolate(
        first, size=(32, 48), mode='bilinear')
    # The detector's logits at the patch input size, then resized to the
    # patch (encode_decode's own resize to 64x64 is the identity there).
    assert torch.allclose(logits[..., :32, :48], expected, atol=1e-4)
    assert (logits[..., 32:64, :] == -1e4).all()
    assert (logits[..., 64:, 96:] != -1e4).all()
    samples = [SegDataSample(metainfo=dict(img_shape=(96, 144),
                                           ori_shape=(96, 144)))]
    calls.clear()
    with torch.no_grad():
        pred = model.predict(inputs, samples)[0].pred_sem_seg.data
    assert pred.shape == (1, 96, 144) and not pred[:, 32:64].any()
    with pytest.raises(ValueError, match="'whole' or 'grid'"):
        tiny_model(test_cfg=dict(mode='slide'))
    with pytest.raises(ValueError, match='pach_size'):
        tiny_model(test_cfg=dict(mode='grid', pach_size=(64, 64)))
