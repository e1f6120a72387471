"""CrackInferencer: mode choice, backends, and the input/output files."""

import cv2
import numpy as np
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmcrack.apis import (BACKENDS, BackendUnavailableError, CrackInferencer,
                          OutputLayout, RunnerBackend, UnreadableInputError,
                          build_backend, collect_inputs, count_frames,
                          read_frames, read_image)
from mmcrack.apis.backends import build_decode_head, check_device

# mmseg's resize warns about align_corners on every odd feature size.
pytestmark = [
    pytest.mark.usefixtures('one_thread'),
    pytest.mark.filterwarnings('ignore:When align_corners=True')
]

DEMO_CONFIG = str(REPO_ROOT / 'configs' / 'hrsegnet' /
                  'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')


@pytest.fixture(scope='module')
def checkpoint(random_checkpoint):
    """A randomly initialised HrSegNet-B16 checkpoint with crack classes."""
    return str(random_checkpoint(DEMO_CONFIG))


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    return CrackInferencer(DEMO_CONFIG, checkpoint, device='cpu')


def photo(h, w, seed=0):
    """A grey 'pavement' with a dark crack line, BGR uint8."""
    rng = np.random.default_rng(seed)
    image = rng.integers(90, 160, (h, w, 3), dtype=np.uint8)
    cv2.line(image, (0, h // 3), (w - 1, 2 * h // 3), (30, 30, 30), 3)
    return image


def test_crop_stride_threshold_from_config(inferencer):
    assert inferencer.crop_size == (256, 256)  # data_preprocessor.size
    assert inferencer.stride == (170, 170)  # 2/3 of the crop
    assert inferencer.threshold == 0.5
    assert inferencer.crack_index == 1
    assert inferencer.dataset_meta['classes'] == ('background', 'crack')


def test_mode_follows_image_size(inferencer):
    # 2 x 256 = 512: larger sides slide.
    assert inferencer.test_cfg_for((480, 320))['mode'] == 'whole'
    assert inferencer.test_cfg_for((512, 512))['mode'] == 'whole'
    assert inferencer.test_cfg_for((400, 513)) == dict(
        mode='slide', crop_size=(256, 256), stride=(170, 170))
    assert inferencer.test_cfg_for((3000, 4000))['mode'] == 'slide'


def test_forced_and_configured_modes(checkpoint):
    slide = CrackInferencer(
        DEMO_CONFIG, checkpoint, mode='slide', crop_size=64, stride=(32, 48))
    assert slide.test_cfg_for((100, 100)) == dict(
        mode='slide', crop_size=(64, 64), stride=(32, 48))
    whole = CrackInferencer(DEMO_CONFIG, checkpoint, mode='whole')
    assert whole.test_cfg_for((4000, 3000)) == dict(mode='whole')
    slide_cfg = {
        'model.test_cfg':
        dict(mode='slide', crop_size=(96, 96), stride=(64, 64))
    }
    configured = CrackInferencer(
        DEMO_CONFIG, checkpoint, cfg_options=slide_cfg)
    assert configured.test_cfg_for((100, 100)) == dict(
        mode='slide', crop_size=(96, 96), stride=(64, 64))
    # Another crop size does not take the config's stride for its own.
    other_crop = CrackInferencer(
        DEMO_CONFIG, checkpoint, crop_size=(120, 150), cfg_options=slide_cfg)
    assert other_crop.stride == (80, 100)
    with pytest.raises(ValueError, match='larger than the crop'):
        CrackInferencer(DEMO_CONFIG, checkpoint, crop_size=64, stride=65)
    with pytest.raises(ValueError, match=r'one size or \(H, W\)'):
        CrackInferencer(DEMO_CONFIG, checkpoint, crop_size=(64, 64, 3))
    # A two-class checkpoint in a one-channel head: loaded in part, on
    # purpose (without allow_partial it is refused).
    one_channel = CrackInferencer(
        DEMO_CONFIG,
        checkpoint,
        mode='whole',
        cfg_options={
            'model.decode_head.out_channels': 1,
            'model.decode_head.threshold': 0.4
        },
        allow_partial=True)
    assert one_channel.threshold == 0.4


def test_head_settings_include_class_defaults():
    """Without the keys in the config, the inferencer's threshold and the
    runners' resize corners are the built head's, not guesses."""
    init_default_scope('mmseg')
    wp_cfg = Config.fromfile(
        str(REPO_ROOT / 'configs' / 'wp_cracknet' /
            'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py'))
    del wp_cfg.model.decode_head['threshold']
    assert build_decode_head(wp_cfg).threshold == 0.5  # WPCrackNetHead's
    hrsegnet_cfg = Config.fromfile(DEMO_CONFIG)
    del hrsegnet_cfg.model.decode_head['align_corners']
    runner = RunnerBackend(hrsegnet_cfg, lambda inputs: inputs[:, :2])
    assert runner.align_corners is True  # HrSegNetHead's
    with pytest.raises(ValueError, match="'auto', 'slide' or 'whole'"):
        CrackInferencer(DEMO_CONFIG, checkpoint, mode='tiles')


def test_prediction_shapes_and_values(inferencer):
    image = photo(90, 130)
    pred = inferencer(image)
    assert pred.mode == 'whole'
    assert pred.prob.shape == pred.mask.shape == (90, 130)
    assert pred.prob.dtype == np.float32
    assert 0 <= pred.prob.min() and pred.prob.max() <= 1
    assert set(np.unique(pred.mask)) <= {0, 1}
    np.testing.assert_array_equal(pred.mask, pred.prob > 0.5)


def test_flip_tta_matches_test_tool_tta(checkpoint, cfd_dir):
    """``tta=True`` (tools/infer.py --tta) gives the merged probability of
    tools/test.py --tta: the default runtime's tta_pipeline and
    CrackTTAModel, on a real CFD photo."""
    tta = CrackInferencer(DEMO_CONFIG, checkpoint, tta=True)
    path = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    pred = tta(read_image(str(path)))
    plain = CrackInferencer(DEMO_CONFIG, checkpoint)(read_image(str(path)))
    assert pred.mode == 'whole' and pred.prob.dtype == np.float32
    assert np.abs(pred.prob - plain.prob).max() > 1e-3  # views differ

    cfg = Config.fromfile(DEMO_CONFIG)
    tta_model = MODELS.build(
        dict(cfg.tta_model, module=tta.backend.model))
    data = Compose(cfg.tta_pipeline)(
        dict(
            img_path=str(path),
            seg_map_path=str(cfd_dir / 'masks' / f'{path.stem}.png'),
            reduce_zero_label=False,
            seg_fields=[]))
    with torch.no_grad():
        [merged] = tta_model.test_step(pseudo_collate([data]))
    expected = merged.seg_logits.data.softmax(dim=0)[1].numpy()
    np.testing.assert_allclose(pred.prob, expected, atol=1e-5)
    clear = np.abs(expected - 0.5) > 1e-4  # no tie within rounding
    np.testing.assert_array_equal(
        pred.mask[clear], merged.pred_sem_seg.data[0].numpy()[clear])


def test_slide_matches_mmseg(inferencer):
    """The in-place sliding window gives mmseg's slide_inference result."""
    backend, model = inferencer.backend, inferencer.backend.model
    image = photo(150, 200)
    test_cfg = dict(mode='slide', crop_size=(64, 96), stride=(48, 64))
    ours = backend(backend.preprocess(image), test_cfg)
    data = backend.preprocess(image)
    model.test_cfg = ConfigDict(test_cfg)
    sample = model.test_step(
        dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
    expected = sample[0].seg_logits.data.softmax(dim=0)[1].detach().numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_runner_backend_matches_pytorch(inferencer):
    """A runner wrapping the same network gives mmseg's probabilities, in
    whole and sliding-window mode (the contract of the deploy runners)."""
    model = inferencer.backend.model

    def runner(inputs):
        assert inputs.dtype == np.float32 and inputs.shape[:2] == (1, 3)
        with torch.no_grad():
            return model(torch.from_numpy(inputs), mode='tensor').numpy()

    runner_backend = RunnerBackend(model.cfg, runner)
    image = photo(150, 200)
    data = inferencer.backend.preprocess(image)
    for test_cfg in (dict(mode='whole'),
                     dict(mode='slide', crop_size=(64, 96), stride=(48, 64))):
        expected = inferencer.backend(data, test_cfg)
        got = runner_backend(runner_backend.preprocess(image), test_cfg)
        assert got.shape == (150, 200)
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_runner_with_fixed_input_size(inferencer, checkpoint, monkeypatch):
    """A runner plugged into BACKENDS the way the deploy runners are, with
    a fixed input size (a static TensorRT engine)."""
    model = inferencer.backend.model
    seen = set()

    class FixedRunner:
        input_shape = (1, 3, 64, 64)  # as mmcrack.deploy runners report it

        def __call__(self, inputs):
            seen.add(inputs.shape)
            with torch.no_grad():
                return model(torch.from_numpy(inputs), mode='tensor').numpy()

    monkeypatch.setitem(
        BACKENDS, 'fixed',
        lambda cfg, path, device, allow_partial: RunnerBackend(
            cfg, FixedRunner()))
    fixed = CrackInferencer(
        DEMO_CONFIG, 'engine.plan', backend='fixed', stride=48)
    assert fixed.crop_size == (64, 64)
    # Every window is padded to the engine's 64 x 64, even the whole of
    # an image smaller than that.
    pred = fixed(photo(40, 50))
    assert pred.mode == 'slide' and pred.prob.shape == (40, 50)
    assert seen == {(1, 3, 64, 64)}
    # Full windows need no padding: same as mmseg's sliding window.
    image = photo(64, 112)
    expected = inferencer.backend(
        inferencer.backend.preprocess(image),
        dict(mode='slide', crop_size=(64, 64), stride=(48, 48)))
    np.testing.assert_allclose(fixed(image).prob, expected, atol=1e-5)
    with pytest.raises(ValueError, match='takes 64x64 inputs only'):
        CrackInferencer(
            DEMO_CONFIG, 'engine.plan', backend='fixed', crop_size=128)


def test_runner_with_label_output(inferencer):
    """An export with ``with_argmax=True`` returns int64 labels: the mask is
    the model's, the probability 0 or 1."""
    model = inferencer.backend.model

    def runner(inputs):
        with torch.no_grad():
            logits = model(torch.from_numpy(inputs), mode='tensor')
        logits = torch.nn.functional.interpolate(
            logits, inputs.shape[2:], mode='bilinear', align_corners=True)
        return logits.argmax(1, keepdim=True).numpy()

    runner.input_shape = ['batch', 3, 'height', 'width']  # dynamic axes
    runner.outputs_labels = True  # as mmcrack.deploy's runners report it
    backend = RunnerBackend(model.cfg, runner)
    assert backend.fixed_input_size is None
    # Known before the first call, not a side effect of one.
    assert backend.outputs_labels
    image = photo(96, 128)
    data = backend.preprocess(image)
    prob = backend(data, dict(mode='whole'))
    assert set(np.unique(prob)) <= {0.0, 1.0}
    expected = inferencer.backend(data, dict(mode='whole')) > 0.5
    np.testing.assert_array_equal(prob > 0.5, expected)
    runner.outputs_labels = False
    with pytest.raises(TypeError, match='says outputs_labels=False'):
        RunnerBackend(model.cfg, runner)(data, dict(mode='whole'))


def test_pytorch_backend_keeps_the_models_test_cfg(inferencer):
    model = inferencer.backend.model
    own = model.test_cfg
    data = inferencer.backend.preprocess(photo(96, 128))
    inferencer.backend(
        data, dict(mode='slide', crop_size=(64, 64), stride=(48, 48)))
    inferencer.backend(data, dict(mode='whole'))
    assert model.test_cfg is own


def test_onnxruntime_backend_matches_pytorch(inferencer, checkpoint,
                                            tmp_path):
    """An ONNX export of the checkpoint, run by the onnxruntime backend,
    gives the PyTorch backend's crack probability, windows included."""
    pytest.importorskip('onnxruntime')
    from mmcrack.deploy.convert import export_onnx
    cfg = inferencer.backend.model.cfg
    image = photo(96, 128)
    deploy_cfg = Config.fromfile(
        str(REPO_ROOT / 'configs' / 'deploy' /
            'segmentation_onnxruntime_dynamic.py'))
    deploy_cfg.codebase_config.with_argmax = False  # logits: probabilities
    onnx_file = export_onnx(deploy_cfg, cfg, image, str(tmp_path / 'ort'),
                            checkpoint)
    backend = build_backend('onnxruntime', cfg, onnx_file)
    assert isinstance(backend, RunnerBackend)
    data = backend.preprocess(image)
    for test_cfg in (dict(mode='whole'),
                     dict(mode='slide', crop_size=(64, 64), stride=(48, 48))):
        np.testing.assert_allclose(
            backend(data, test_cfg),
            inferencer.backend(data, test_cfg),
            atol=1e-4)


def test_unknown_or_unusable_backends_are_clear_errors():
    cfg = Config.fromfile(DEMO_CONFIG)
    with pytest.raises(ValueError, match='Unknown backend'):
        build_backend('openvino', cfg, 'x')
    with pytest.raises(BackendUnavailableError, match='--device cuda'):
        build_backend('tensorrt', cfg, 'end2end.engine', 'cpu')


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is available')
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        check_device('cuda')
    with pytest.raises(ValueError, match='Unknown device'):
        check_device('gpu')


def test_collect_inputs(tmp_path):
    (tmp_path / 'b' / 'deep').mkdir(parents=True)
    (tmp_path / '.hidden').mkdir()
    for rel in ('z.JPG', 'a.png', 'b/deep/c.tif', 'b/clip.mp4', 'notes.txt',
                '.d.jpg', '.hidden/e.jpg'):
        (tmp_path / rel).write_bytes(b'x')
    items = collect_inputs(str(tmp_path))
    assert [i.rel for i in items
            ] == ['a.png', 'z.JPG', 'b/clip.mp4', 'b/deep/c.tif']
    assert [i.is_video for i in items] == [False, False, True, False]
    single = collect_inputs(str(tmp_path / 'b' / 'deep' / 'c.tif'))
    assert [(i.rel, i.is_video) for i in single] == [('c.tif', False)]
    with pytest.raises(FileNotFoundError, match='does not exist'):
        collect_inputs(str(tmp_path / 'missing'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='No images or videos'):
        collect_inputs(str(tmp_path / 'empty'))


def test_read_image_and_frames(tmp_path):
    (tmp_path / 'bad.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(UnreadableInputError, match='cannot decode'):
        read_image(str(tmp_path / 'bad.jpg'))
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*'MJPG'), 5, (48, 32))
    for i in range(5):
        writer.write(np.full((32, 48, 3), 40 * i, np.uint8))
    writer.release()
    frames = list(read_frames(str(video), stride=2))
    assert [i for i, _ in frames] == [0, 2, 4]
    assert frames[1][1].shape == (32, 48, 3)
    assert abs(int(frames[1][1].mean()) - 80) <= 3
    assert count_frames(str(video), stride=2) == 3
    with pytest.raises(UnreadableInputError, match='cannot open the video'):
        list(read_frames(str(tmp_path / 'bad.jpg.mp4')))


def test_output_layout(tmp_path):
    items = collect_inputs(
        str(_touch(tmp_path / 'in', 'a.jpg', 'd/b.png', 'clip.mp4')))
    layout = OutputLayout(str(tmp_path / 'out'), '.png', save_npy=True)
    image, video = items[0], items[1]
    assert layout.name(image) == 'a'
    assert layout.name(video, 7) == 'clip/frame_000007'
    paths = layout.paths('d/b')
    assert paths['mask'] == str(tmp_path / 'out' / 'masks' / 'd' / 'b.png')
    assert paths['prob'] == str(tmp_path / 'out' / 'probs' / 'd' / 'b.png')
    assert paths['npy'] == str(tmp_path / 'out' / 'probs' / 'd' / 'b.npy')
    assert paths['overlay'] == str(tmp_path / 'out' / 'overlays' / 'd' /
                                   'b.png')
    assert layout.existing(items) == []
    frame = tmp_path / 'out' / 'masks' / 'clip' / 'frame_000000.png'
    frame.parent.mkdir(parents=True)
    frame.write_bytes(b'')
    (tmp_path / 'out' / 'measurements.csv').write_text('')
    assert layout.existing(items) == sorted(
        [str(frame), str(tmp_path / 'out' / 'measurements.csv')])
    clash = collect_inputs(str(_touch(tmp_path / 'clash', 'x.jpg', 'x.png')))
    with pytest.raises(ValueError, match='would both be written as x'):
        layout.check_names(clash)


def _touch(root, *names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b'x')
    return root


@pytest.mark.slow
def test_context_cracknet_slides_over_large_photos(random_checkpoint):
    """The large-photo config keeps the photo's resolution and slides
    448x448 windows; on one full window it gives what the paper's config
    (resize to 448, CAGM mode='exact') gives, from the same checkpoint."""
    config_dir = REPO_ROOT / 'configs' / 'context_cracknet'
    paper_config = str(config_dir /
                       'context-cracknet_r50_1xb8-40k_cfd-448x448.py')
    large_config = str(config_dir /
                       'context-cracknet_r50_slide-448x448_large-photos.py')
    checkpoint = random_checkpoint(paper_config)

    large = CrackInferencer(large_config, str(checkpoint))
    assert large.test_cfg_for((3000, 4000)) == dict(
        mode='slide', crop_size=(448, 448), stride=(298, 298))
    pred = large(photo(448, 600))
    assert pred.mode == 'slide' and pred.prob.shape == (448, 600)

    paper = CrackInferencer(paper_config, str(checkpoint))
    window = photo(448, 448, seed=1)
    np.testing.assert_allclose(
        large(window).prob, paper(window).prob, atol=1e-5)


@pytest.mark.slow
def test_wp_cracknet_slides_over_its_encode_decode(random_checkpoint):
    """WPCrackNet infers on whole images only; the PyTorch backend slides
    mmseg's windows over its encode_decode, so large photos need no
    --whole: one window over the photo gives the whole-image result."""
    config = str(REPO_ROOT / 'configs' / 'wp_cracknet' /
                 'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py')
    checkpoint = random_checkpoint(config)

    image = photo(160, 300)
    auto = CrackInferencer(config, str(checkpoint))
    # 300 > 2 x 128, the config's crop: the photo slides.
    assert auto.test_cfg_for(image.shape[:2])['mode'] == 'slide'
    pred = auto(image)
    assert pred.mode == 'slide' and pred.prob.shape == (160, 300)
    whole = CrackInferencer(config, str(checkpoint), mode='whole')(image)
    one_window = CrackInferencer(
        config, str(checkpoint), mode='slide', crop_size=(160, 300))(image)
    np.testing.assert_allclose(one_window.prob, whole.prob, atol=1e-6)
    assert np.abs(pred.prob - whole.prob).max() > 1e-4


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    'hrsegnet/hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py',
    'context_cracknet/context-cracknet_r50_1xb8-40k_cfd-448x448.py',
    'crackseg/crackseg_r50-d16_1xb8-20k_cfd-256x256.py',
    'wp_cracknet/wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py'
])
def test_mmseg_inferencer_runs_every_family(config, random_checkpoint,
                                            cfd_dir, tmp_path):
    """An existing MMSeg project's own inference API, MMSegInferencer,
    takes every family's config and checkpoint."""
    from mmseg.apis import MMSegInferencer
    config = REPO_ROOT / 'configs' / config
    inferencer = MMSegInferencer(
        model=str(config),
        weights=str(random_checkpoint(config)),
        device='cpu')
    image = cv2.imread(str(sorted((cfd_dir / 'images').glob('*.jpg'))[0]))
    result = inferencer(
        image, return_datasamples=True, out_dir=str(tmp_path))
    mask = result.pred_sem_seg.data
    assert mask.shape == (1, 320, 480)
    assert set(mask.unique().tolist()) <= {0, 1}
    assert len(list((tmp_path / 'vis').glob('*_vis.jpg'))) == 1
