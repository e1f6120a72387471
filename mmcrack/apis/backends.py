"""Inference backends: one photo in, a crack-probability map out.

Every backend is a :class:`CrackBackend`: it takes a BGR ``uint8`` image
(H x W x 3, as OpenCV reads it) and a ``test_cfg`` (``mode='whole'``, or
``mode='slide'`` with ``crop_size`` and ``stride``, as in mmseg) and returns
the crack probability (H x W ``float32`` in [0, 1]) at the image's size. The
config's test pipeline (without ``LoadAnnotations``) prepares the image for
every backend, so a ``Resize`` in it applies to all of them alike.

* :class:`PytorchBackend` runs the mmseg segmentor (:func:`init_model`,
  ``test_step``); sliding windows go through :func:`slide_inference` (mmseg's
  windows, scores accumulated in place) over its ``encode_decode`` when the
  segmentor uses mmseg's ``EncoderDecoder.slide_inference`` or has none,
  else through the segmentor's own.
* :class:`RunnerBackend` runs an exported model through a *runner*, the
  interface of ``mmcrack.deploy``'s runners (``build_runner``): a callable
  that takes the normalised ``float32`` batch ``N x 3 x h x w`` (the config's
  ``data_preprocessor`` applied: BGR to RGB, mean, std) and returns a numpy
  array, either the logits ``N x C x h' x w'`` (``C`` classes, or 1 for a
  sigmoid head; a smaller ``h' x w'`` is resized as mmseg's
  ``encode_decode`` does) or, for an export with ``with_argmax=True``, the
  ``int64`` label map ``N x 1 x h x w`` (the probability is then 0 or 1:
  export the logits for probability maps). Sliding windows
  (:func:`slide_inference`), stitching, resizing and softmax happen here. A
  runner whose ``input_shape`` (N, 3, H, W) has a fixed H and W (ints > 0;
  names or -1 mark dynamic axes) gets every window padded to that size
  (with 0 after normalisation, mmseg's ``pad_val``), and the inferencer
  slides with that crop size.

The backend is chosen in one place, :data:`BACKENDS` (name to factory
``(cfg, model_file, device) -> CrackBackend``): ``onnxruntime`` and
``tensorrt`` wrap the runners of :func:`mmcrack.deploy.build_runner` (an
``end2end.onnx`` or ``end2end.engine`` written by ``tools/deploy.py``) in a
:class:`RunnerBackend`.
"""
import copy
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from mmcrack.datasets import CrackDataset
from mmcrack.utils.constants import CRACK, LABEL_TRANSFORMS
from .model_loading import init_model


class BackendUnavailableError(RuntimeError):
    """An inference backend that is not installed or not implemented."""


def build_decode_head(cfg: Config) -> torch.nn.Module:
    """The config's decode head (the last of a cascade) as the model builds
    it, on the CPU: the ``out_channels``, ``threshold`` and
    ``align_corners`` it predicts with, class defaults included (mmseg's
    ``BaseDecodeHead`` threshold of 0.3, ``WPCrackNetHead``'s 0.5)."""
    head = cfg.model.decode_head
    head = head[-1] if isinstance(head, (list, tuple)) else head
    return MODELS.build(copy.deepcopy(head))


def check_device(device: str) -> str:
    """Return ``device`` if torch can use it, else raise a clear error.

    Args:
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
    """
    if device.startswith('cuda'):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f'--device {device} was requested but CUDA is not available '
                f'to torch {torch.__version__} (CUDA build: '
                f'{torch.version.cuda}). Use --device cpu, or install a CUDA '
                'build of torch on a machine with an NVIDIA GPU.')
        index = device.partition(':')[2]
        if index and int(index) >= torch.cuda.device_count():
            raise RuntimeError(
                f'--device {device}: only {torch.cuda.device_count()} CUDA '
                'device(s) are visible.')
    elif device != 'cpu':
        raise ValueError(f"Unknown device {device!r}: use 'cpu' or 'cuda'.")
    return device


def array_test_pipeline(cfg: Config) -> list:
    """The config's test pipeline, loading from an array, without the
    steps that read or reshape labels (:data:`LABEL_TRANSFORMS`)."""
    pipeline = cfg.get('test_pipeline', None)
    if pipeline is None:
        pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline = [
        copy.deepcopy(t) for t in pipeline
        if t['type'] not in LABEL_TRANSFORMS
    ]
    pipeline[0]['type'] = 'LoadImageFromNDArray'
    return pipeline


def crack_probability(scores: torch.Tensor, crack_index: int,
                      sigmoid: bool) -> np.ndarray:
    """Crack probability from ``C x H x W`` class scores.

    Args:
        scores (torch.Tensor): Logits (``C >= 2``: softmax over classes) or,
            for ``C = 1``, a logit (``sigmoid=True``) or a probability.
        crack_index (int): Channel of the crack class when ``C >= 2``.
        sigmoid (bool): Apply a sigmoid to one-channel scores.

    Returns:
        np.ndarray: H x W float32 in [0, 1].
    """
    if scores.shape[0] == 1:
        prob = scores[0].sigmoid() if sigmoid else scores[0]
    else:
        prob = scores.float().softmax(dim=0)[crack_index]
    return prob.float().cpu().numpy()


def slide_inference(run: Callable[[torch.Tensor], torch.Tensor],
                    inputs: torch.Tensor, crop_size: Sequence[int],
                    stride: Sequence[int]) -> torch.Tensor:
    """Sliding-window scores of ``inputs``, one crop at a time.

    The windows of mmseg's ``EncoderDecoder.slide_inference`` (same grid,
    same average over overlaps, so the same result), but every crop's
    scores are added in place into the image-sized sum. mmseg pads each
    crop's scores to the full image (``F.pad``) before adding them, work
    that grows with crops x image area (listed in
    :mod:`mmcrack.utils.compat`; the measurement is in
    ``docs/inference.md``). Memory: one crop's activations plus the
    ``N x C x H x W`` sum and the ``H x W`` count.

    Args:
        run (callable): Scores ``N x C x h x w`` of a crop ``N x 3 x h x w``
            at the crop's size.
        inputs (torch.Tensor): The normalised ``N x 3 x H x W`` batch.
        crop_size (Sequence[int]): Window (h, w).
        stride (Sequence[int]): Step (h, w), at most the window.

    Returns:
        torch.Tensor: ``N x C x H x W`` scores averaged over the windows.
    """
    h_crop, w_crop = crop_size
    h_stride, w_stride = stride
    batch_size, _, h_img, w_img = inputs.shape
    h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
    w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
    preds = None
    count = inputs.new_zeros((1, 1, h_img, w_img))
    for h_idx in range(h_grids):
        for w_idx in range(w_grids):
            y2 = min(h_idx * h_stride + h_crop, h_img)
            x2 = min(w_idx * w_stride + w_crop, w_img)
            y1, x1 = max(y2 - h_crop, 0), max(x2 - w_crop, 0)
            scores = run(inputs[:, :, y1:y2, x1:x2])
            if preds is None:
                preds = inputs.new_zeros(
                    (batch_size, scores.shape[1], h_img, w_img))
            preds[:, :, y1:y2, x1:x2] += scores
            count[:, :, y1:y2, x1:x2] += 1
    return preds.div_(count)


class CrackBackend:
    """Base of the inference backends (see the module docstring).

    Args:
        cfg (Config): The model config.

    Attributes:
        dataset_meta (dict): ``classes`` and ``palette``.
        fixed_input_size (tuple, optional): (h, w) every network input must
            have, or None.
        outputs_labels (bool): The model returned a label map (an export
            with ``with_argmax=True``), so the probabilities are 0 or 1.
        threshold (float, optional): The decision threshold stored with
            the model (published checkpoints), or None.
    """

    fixed_input_size: Optional[Tuple[int, int]] = None
    outputs_labels = False
    threshold: Optional[float] = None

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.pipeline = Compose(array_test_pipeline(cfg))
        self.dataset_meta = dict(CrackDataset.METAINFO)

    @property
    def crack_index(self) -> int:
        """Index of the crack class: ``'crack'`` in the classes, else
        :data:`~mmcrack.utils.constants.CRACK` of a two-class model."""
        classes = list(self.dataset_meta['classes'])
        if 'crack' in classes:
            return classes.index('crack')
        if len(classes) == 2:
            return CRACK
        raise ValueError(
            f'No class named "crack" among the model classes {classes}.')

    def preprocess(self, image: np.ndarray) -> dict:
        """Run the test pipeline: ``inputs`` (3 x h x w uint8 tensor) and
        ``data_samples`` (:class:`SegDataSample`)."""
        return self.pipeline(dict(img=image))

    def __call__(self, data: dict, test_cfg: dict) -> np.ndarray:
        """Crack probability (H x W float32) of a preprocessed image.

        Args:
            data (dict): The output of :meth:`preprocess`.
            test_cfg (dict): ``mode`` and, for ``'slide'``, ``crop_size``
                and ``stride`` (each (h, w)).
        """
        raise NotImplementedError


class PytorchBackend(CrackBackend):
    """The mmseg segmentor in PyTorch (:func:`~mmcrack.apis.init_model`).

    Args:
        cfg (Config): The model config.
        checkpoint (str): A ``.pth`` checkpoint of that model (every weight
            must fit, see :func:`~mmcrack.apis.load_model_checkpoint`); its
            ``meta.dataset_meta`` gives the classes and palette (without it,
            background and crack) and ``meta.threshold`` the threshold.
        device (str): ``'cpu'`` or ``'cuda[:N]'``. Defaults to 'cpu'.
        allow_partial (bool): Load a checkpoint that fits the model only in
            part. Defaults to False.
    """

    def __init__(self,
                 cfg: Config,
                 checkpoint: str,
                 device: str = 'cpu',
                 allow_partial: bool = False):
        super().__init__(cfg)
        self.model = init_model(cfg, checkpoint, check_device(device),
                                allow_partial=allow_partial)
        self.dataset_meta = dict(self.model.dataset_meta)
        self.threshold = self.model.threshold

    @torch.no_grad()
    def __call__(self, data: dict, test_cfg: dict) -> np.ndarray:
        model = self.model
        batch = dict(
            inputs=[data['inputs']], data_samples=[data['data_samples']])
        # Segmentors with mmseg's sliding window, or with none (WPCrackNet
        # infers on whole images), slide with the in-place one (the same
        # result as mmseg's, see slide_inference) over their encode_decode;
        # others keep theirs.
        own_slide = getattr(type(model), 'slide_inference',
                            EncoderDecoder.slide_inference)
        if (test_cfg['mode'] == 'slide'
                and own_slide is EncoderDecoder.slide_inference):
            batch = model.data_preprocessor(batch, False)
            metas = [dict(s.metainfo) for s in batch['data_samples']]

            def run(crop):
                metas[0]['img_shape'] = crop.shape[2:]  # as mmseg does
                return model.encode_decode(crop, metas)

            logits = slide_inference(run, batch['inputs'],
                                     test_cfg['crop_size'], test_cfg['stride'])
            sample = model.postprocess_result(logits, batch['data_samples'])[0]
        else:
            # The window of this call only: the model keeps its own test_cfg.
            own_test_cfg = model.test_cfg
            model.test_cfg = ConfigDict(copy.deepcopy(test_cfg))
            try:
                sample = model.test_step(batch)[0]
            finally:
                model.test_cfg = own_test_cfg
        # mmseg stores sigmoid probabilities for one-channel heads.
        return crack_probability(
            sample.seg_logits.data, self.crack_index, sigmoid=False)


class RunnerBackend(CrackBackend):
    """An exported model behind a runner (see the module docstring).

    Args:
        cfg (Config): The model config (test pipeline, data preprocessor,
            ``align_corners`` of the decode head).
        runner (callable): ``runner(inputs) -> outputs`` on numpy arrays:
            ``N x 3 x h x w`` float32 in, ``N x C x h' x w'`` logits or an
            ``N x 1 x h x w`` integer label map out. May have
            ``input_shape`` (N, 3, H, W; a fixed H x W when both are ints
            > 0) and ``dataset_meta`` (``classes``, ``palette``).
    """

    def __init__(self, cfg: Config, runner: Callable[[np.ndarray],
                                                     np.ndarray]):
        super().__init__(cfg)
        self.runner = runner
        self.data_preprocessor = MODELS.build(
            copy.deepcopy(cfg.model.data_preprocessor)).eval()
        self.align_corners = build_decode_head(cfg).align_corners
        shape = getattr(runner, 'input_shape', None)
        fixed = shape is not None and len(shape) == 4 and all(
            isinstance(d, (int, np.integer)) and d > 0 for d in shape[2:])
        self.fixed_input_size = (int(shape[2]),
                                 int(shape[3])) if fixed else None
        if getattr(runner, 'dataset_meta', None):
            self.dataset_meta = dict(runner.dataset_meta)
        self.threshold = getattr(runner, 'threshold', None)
        self.outputs_labels = bool(getattr(runner, 'outputs_labels', False))

    def _run(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores at the size of ``inputs`` (1 x 3 x h x w); an argmax
        export's labels become 0/1 crack scores (``outputs_labels``)."""
        h, w = inputs.shape[-2:]
        if self.fixed_input_size is not None:
            fh, fw = self.fixed_input_size
            if h > fh or w > fw:
                raise ValueError(
                    f'A {h}x{w} window does not fit the runner\'s fixed '
                    f'input size {fh}x{fw}; slide with crop_size <= it.')
            inputs = F.pad(inputs, (0, fw - w, 0, fh - h), value=0)
        out = np.asarray(self.runner(inputs.numpy()))
        if np.issubdtype(out.dtype, np.integer) != self.outputs_labels:
            raise TypeError(
                f'The runner returned {out.dtype} but says outputs_labels='
                f'{self.outputs_labels}: a runner of a label-map export sets '
                'outputs_labels=True.')
        if self.outputs_labels:
            out = out == self.crack_index
        scores = torch.from_numpy(out.astype(np.float32, copy=False))
        if self.fixed_input_size is not None:
            sh, sw = scores.shape[-2:]
            scale_h, scale_w = sh / inputs.shape[-2], sw / inputs.shape[-1]
            scores = scores[
                ..., :int(round(h * scale_h)), :int(round(w * scale_w))]
        return resize(
            scores,
            size=(h, w),
            mode='bilinear',
            align_corners=self.align_corners)

    @torch.no_grad()
    def __call__(self, data: dict, test_cfg: dict) -> np.ndarray:
        batch = self.data_preprocessor(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]),
            False)
        inputs, meta = batch['inputs'], batch['data_samples'][0].metainfo
        if test_cfg['mode'] == 'slide':
            scores = slide_inference(self._run, inputs, test_cfg['crop_size'],
                                     test_cfg['stride'])
        else:
            scores = self._run(inputs)
        # As mmseg's postprocess_result: drop padding, undo the resize.
        left, right, top, bottom = meta.get('padding_size', [0] * 4)
        h, w = scores.shape[-2:]
        scores = scores[..., top:h - bottom, left:w - right]
        scores = resize(
            scores,
            size=meta['ori_shape'],
            mode='bilinear',
            align_corners=self.align_corners)[0]
        # Labels of an argmax export are already the crack "probability".
        return crack_probability(
            scores, self.crack_index, sigmoid=not self.outputs_labels)


def _runner_backend(name: str) -> Callable[..., CrackBackend]:
    """A factory of the :class:`RunnerBackend` of deploy backend ``name``.

    The runner's package (onnxruntime, TensorRT) is imported when the
    backend is built; a missing package or GPU raises
    :class:`BackendUnavailableError` with the runner's install hint.
    """

    def factory(cfg, model_file, device, allow_partial=False):
        from mmcrack.deploy import build_runner
        if model_file.lower().endswith(('.pth', '.pt')):
            raise ValueError(
                f'{model_file} is a PyTorch checkpoint; --backend {name} '
                'runs the end2end.onnx or end2end.engine that '
                'tools/deploy.py writes from it: export it first, or run it '
                'with --backend pytorch.')
        if name == 'tensorrt' and not device.startswith('cuda'):
            raise BackendUnavailableError(
                'The tensorrt backend runs on an NVIDIA GPU: use '
                '--device cuda (or --backend onnxruntime on a CPU).')
        try:
            runner = build_runner(name, model_file, check_device(device))
        except ImportError as err:
            raise BackendUnavailableError(str(err)) from err
        return RunnerBackend(cfg, runner)

    return factory


#: Backend name -> factory ``(cfg, model_file, device, allow_partial)
#: -> CrackBackend``.
BACKENDS: Dict[str, Callable[..., CrackBackend]] = dict(
    pytorch=PytorchBackend,
    onnxruntime=_runner_backend('onnxruntime'),
    tensorrt=_runner_backend('tensorrt'))


def build_backend(name: str,
                  cfg: Config,
                  checkpoint: str,
                  device: str = 'cpu',
                  allow_partial: bool = False) -> CrackBackend:
    """Build the backend ``name`` of :data:`BACKENDS`.

    Args:
        name (str): ``'pytorch'``, ``'onnxruntime'`` or ``'tensorrt'``.
        cfg (Config): The model config.
        checkpoint (str): The model file of that backend (``.pth``,
            ``.onnx``, engine).
        device (str): ``'cpu'`` or ``'cuda[:N]'``. Defaults to 'cpu'.
        allow_partial (bool): PyTorch only: load a checkpoint that fits
            the model only in part. Defaults to False.
    """
    if name not in BACKENDS:
        raise ValueError(
            f'Unknown backend {name!r}; choose from {sorted(BACKENDS)}.')
    return BACKENDS[name](cfg, checkpoint, device, allow_partial)
