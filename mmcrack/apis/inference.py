"""Crack inference on photos of any size, and the files it reads and writes.

:class:`CrackInferencer` loads a model once (any backend of
:mod:`mmcrack.apis.backends`) and turns a BGR photo into a crack probability
map and a binary mask. It picks whole-image or sliding-window inference per
image (:meth:`CrackInferencer.test_cfg_for`), so a 4000 x 3000 survey photo
runs one crop at a time with bounded memory while small images run whole.

:func:`collect_inputs`, :func:`read_frames` and :class:`OutputLayout` are the
file side of ``tools/infer.py``: which images and videos an input path holds,
their frames, and where each prediction is written.
"""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import (Dict, Iterator, List, NamedTuple, Optional, Sequence,
                    Tuple, Union)

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..utils.constants import IMAGE_EXTENSIONS
from ..utils.config_check import load_model_config
from .backends import build_backend, build_decode_head
from .model_index import resolve_model

#: File extensions read as videos (case-insensitive); images: those of
#: mmcrack.utils.constants.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.m4v', '.mpg', '.mpeg',
                    '.wmv')
#: Slide when a side of the network input exceeds this many crop sizes.
DEFAULT_SLIDE_FACTOR = 2.0


class UnreadableInputError(IOError):
    """An input file that OpenCV cannot read as an image or a video."""


class CrackPrediction(NamedTuple):
    """The prediction for one image.

    Attributes:
        prob (np.ndarray): H x W float32 crack probability in [0, 1].
        mask (np.ndarray): H x W uint8, 1 where ``prob > threshold``.
        mode (str): ``'whole'`` or ``'slide'``.
    """
    prob: np.ndarray
    mask: np.ndarray
    mode: str


def _pair(value: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``(H, W)`` from one number or an ``(H, W)`` pair."""
    if isinstance(value, int):
        return value, value
    value = tuple(int(v) for v in value)
    if len(value) not in (1, 2):
        raise ValueError(f'Expected one size or (H, W), not {value}.')
    return value * 2 if len(value) == 1 else value


class CrackInferencer:
    """Crack probability and mask for photos of any size.

    Mode per image (``mode='auto'``): sliding windows when the config's
    ``model.test_cfg.mode`` is ``'slide'``, or when a side of the network
    input (the image after the test pipeline) is more than ``slide_factor``
    times the crop size; whole-image inference otherwise. Sliding windows
    (:func:`~mmcrack.apis.backends.slide_inference`) run one crop at a
    time and keep only the image-sized score and count maps, so memory
    grows with the image area, not with the network's activations on the
    whole image.

    Crop size: ``crop_size``, else the config's ``model.test_cfg.crop_size``
    (with its ``stride``), ``model.data_preprocessor.size`` or top-level
    ``crop_size`` (the training crop), in that order; a backend with a fixed
    input size uses that size and always slides. Stride: ``stride``, else
    2/3 of the crop (rounded down, as mmseg's 512/341 configs). The crop
    size sets the speed: fully convolutional models (HrSegNet) run larger
    crops (``crop_size=1024``) faster than their training crop (fewer
    windows, less overlap), in a little more memory.

    Threshold: a pixel is crack when its probability is above ``threshold``;
    by default the threshold published with the model (the checkpoint's
    ``meta.threshold``, else the ``Threshold`` of its index entry), else 0.5
    (equal to mmseg's argmax for two-class models) or the decode head's
    ``threshold`` for one-channel (sigmoid) heads. :attr:`threshold_source`
    says which.

    Flip test-time augmentation (``tta=True``): the probability is the mean
    of the image's, its left-right mirror's and its upside-down mirror's
    (each mirrored back), the views of ``tools/test.py --tta``; on any
    backend, at three times the cost.

    Args:
        model (str | Config): A model name of the index
            (:mod:`mmcrack.apis.model_index`), or a model config.
        checkpoint (str, optional): Model file for the backend; needed with
            a config, and replaces a name's published weights.
        backend (str): A name of :data:`mmcrack.apis.backends.BACKENDS`.
            Defaults to 'pytorch'.
        device (str): 'cpu' or 'cuda[:N]'. Defaults to 'cpu'.
        mode (str): 'auto', 'slide' or 'whole'. Defaults to 'auto'.
        crop_size (int | tuple, optional): Sliding-window crop (h, w).
        stride (int | tuple, optional): Sliding-window stride (h, w).
        slide_factor (float): See above. Defaults to 2.0.
        threshold (float, optional): Crack probability threshold.
        tta (bool): Average over the flipped views. Defaults to False.
        cfg_options (dict, optional): Overrides merged into the config.
        allow_partial (bool): Load a PyTorch checkpoint that fits the model
            only in part. Defaults to False.
    """

    def __init__(self,
                 model: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 backend: str = 'pytorch',
                 device: str = 'cpu',
                 mode: str = 'auto',
                 crop_size: Optional[Union[int, Sequence[int]]] = None,
                 stride: Optional[Union[int, Sequence[int]]] = None,
                 slide_factor: float = DEFAULT_SLIDE_FACTOR,
                 threshold: Optional[float] = None,
                 tta: bool = False,
                 cfg_options: Optional[dict] = None,
                 allow_partial: bool = False):
        resolved = resolve_model(model, checkpoint)
        if resolved.checkpoint is None:
            raise ValueError(
                f'{resolved.config_name} is a config: give the checkpoint '
                '(or exported model) to run with it, or a model name.')
        cfg = load_model_config(resolved.config, cfg_options)
        if mode not in ('auto', 'slide', 'whole'):
            raise ValueError(f"mode must be 'auto', 'slide' or 'whole', not "
                             f'{mode!r}.')
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        self.config_slides = (cfg.model.get('test_cfg')
                              or {}).get('mode', 'whole') == 'slide'
        self.backend = build_backend(backend, cfg, resolved.checkpoint,
                                     device, allow_partial)
        self.mode = mode
        self.slide_factor = slide_factor
        self.crop_size, self.stride = self._window(cfg, crop_size, stride)
        published = self.backend.threshold
        if published is None and resolved.entry is not None:
            published = resolved.entry.metadata.get('Threshold')
        if threshold is not None:
            self.threshold_source = 'given'
        elif published is not None:
            threshold, self.threshold_source = published, 'published'
        else:
            head = build_decode_head(cfg)
            threshold = head.threshold if head.out_channels == 1 else 0.5
            self.threshold_source = 'default'
        self.threshold = float(threshold)
        self.tta = tta

    def _window(self, cfg: Config, crop_size, stride) -> Tuple[tuple, tuple]:
        """Sliding-window crop size and stride (see the class docstring)."""
        test_cfg = cfg.model.get('test_cfg') or {}
        fixed = self.backend.fixed_input_size
        if fixed is not None:
            if crop_size is not None and _pair(crop_size) != fixed:
                raise ValueError(
                    f'The backend takes {fixed[0]}x{fixed[1]} inputs only; '
                    f'--crop-size {crop_size} cannot be used with it.')
            crop_size = fixed
        if crop_size is None and test_cfg.get('crop_size') is not None:
            crop_size = test_cfg.crop_size
            stride = stride or test_cfg.get('stride')
        for candidate in (crop_size, cfg.model.get('data_preprocessor',
                                                   {}).get('size'),
                          cfg.get('crop_size')):
            if candidate is not None:
                crop_size = _pair(candidate)
                break
        else:
            raise ValueError(
                'Cannot tell the crop size for sliding-window inference from '
                'the config (no model.test_cfg.crop_size, '
                'data_preprocessor.size or crop_size); pass --crop-size H W.')
        stride = _pair(stride) if stride is not None else tuple(
            max(1, c * 2 // 3) for c in crop_size)
        if any(s > c for s, c in zip(stride, crop_size)):
            raise ValueError(
                f'The stride {stride} is larger than the crop {crop_size}: '
                'pixels between windows would get no prediction.')
        return crop_size, stride

    @property
    def dataset_meta(self) -> dict:
        """``classes`` and ``palette`` of the model."""
        return self.backend.dataset_meta

    @property
    def crack_index(self) -> int:
        """Index of the crack class."""
        return self.backend.crack_index

    def test_cfg_for(self, shape: Sequence[int]) -> dict:
        """mmseg ``test_cfg`` for a network input of ``shape`` (h, w)."""
        slide = dict(
            mode='slide', crop_size=self.crop_size, stride=self.stride)
        if self.mode == 'slide' or self.backend.fixed_input_size:
            return slide
        if self.mode == 'whole':
            return dict(mode='whole')
        h, w = shape[-2:]
        ratio = max(h / self.crop_size[0], w / self.crop_size[1])
        if self.config_slides or ratio > self.slide_factor:
            return slide
        return dict(mode='whole')

    def __call__(self, image: np.ndarray) -> CrackPrediction:
        """Predict the cracks of a BGR ``uint8`` image (H x W x 3)."""
        prob, mode = self.probability(image)
        if self.tta:
            views = [prob]
            for axis in (1, 0):  # left-right, upside down
                mirrored, _ = self.probability(
                    np.ascontiguousarray(np.flip(image, axis)))
                views.append(np.flip(mirrored, axis))
            prob = np.mean(views, axis=0, dtype=np.float32)
        mask = (prob > self.threshold).astype(np.uint8)
        return CrackPrediction(prob, mask, mode)

    def probability(self, image: np.ndarray) -> Tuple[np.ndarray, str]:
        """Crack probability of one view and the mode that computed it."""
        data = self.backend.preprocess(image)
        test_cfg = self.test_cfg_for(data['inputs'].shape)
        return self.backend(data, test_cfg), test_cfg['mode']


@dataclass
class InputFile:
    """An image or video to run on.

    Attributes:
        path (str): Where it is.
        rel (str): Its path relative to the input folder (its name for a
            single file), with '/' separators: output names mirror it.
        is_video (bool): Read frame by frame with OpenCV.
    """
    path: str
    rel: str
    is_video: bool


def _is_video(path: str) -> bool:
    return osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS


def collect_inputs(input_path: str) -> List[InputFile]:
    """The images and videos of an input path.

    A file is taken as it is (a video if its extension is a video one).
    A folder is searched recursively, in sorted order, for files with an
    extension of :data:`IMAGE_EXTENSIONS` or :data:`VIDEO_EXTENSIONS`;
    hidden files and folders are left out.

    Raises:
        FileNotFoundError: if the path does not exist or holds no input.
    """
    if osp.isfile(input_path):
        return [
            InputFile(input_path, osp.basename(input_path),
                      _is_video(input_path))
        ]
    if not osp.isdir(input_path):
        raise FileNotFoundError(f'Input {input_path} does not exist.')
    found = []
    extensions = IMAGE_EXTENSIONS + VIDEO_EXTENSIONS
    for root, dirs, files in os.walk(input_path):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in sorted(files):
            if name.startswith('.') or not name.lower().endswith(extensions):
                continue
            path = osp.join(root, name)
            rel = osp.relpath(path, input_path).replace(os.sep, '/')
            found.append(InputFile(path, rel, _is_video(name)))
    if not found:
        raise FileNotFoundError(
            f'No images or videos under {input_path} (extensions: '
            f'{", ".join(extensions)}).')
    return found


def read_image(path: str) -> np.ndarray:
    """Read a photo as BGR uint8 (EXIF orientation applied).

    Raises:
        UnreadableInputError: if OpenCV cannot decode the file.
    """
    # np.fromfile + imdecode also reads non-ASCII paths.
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise UnreadableInputError(f'cannot open the file ({err})') from err
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise UnreadableInputError(
            'cannot decode the image (not an image, or corrupt)')
    return image


def count_frames(path: str, stride: int = 1) -> int:
    """Frames :func:`read_frames` will yield (from the container's frame
    count, which some codecs only estimate); 0 if the file cannot be
    opened."""
    capture = cv2.VideoCapture(path)
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) \
        if capture.isOpened() else 0
    capture.release()
    return math.ceil(max(total, 0) / stride)


def video_fps(path: str) -> Optional[float]:
    """Frames per second of a video, or None where it does not say."""
    capture = cv2.VideoCapture(path)
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0
    finally:
        capture.release()
    return float(fps) if fps and fps > 0 else None


def read_frames(path: str,
                stride: int = 1) -> Iterator[Tuple[int, np.ndarray]]:
    """Yield ``(index, BGR frame)`` for every ``stride``-th frame of a video.

    Frames in between are skipped without decoding (``grab``).

    Raises:
        UnreadableInputError: if OpenCV cannot open the video.
    """
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise UnreadableInputError(
            'cannot open the video (unknown format, or corrupt)')
    try:
        index = 0
        while True:
            if index % stride:
                if not capture.grab():
                    break
            else:
                ok, frame = capture.read()
                if not ok:
                    break
                yield index, frame
            index += 1
    finally:
        capture.release()


class OutputLayout:
    """Where ``tools/infer.py`` writes the predictions of one run::

        out_dir/masks/<name>.png      crack mask, one channel, 0/1
        out_dir/probs/<name>.png      crack probability, round(p * 255)
        out_dir/probs/<name>.npy      float32 probability (save_npy)
        out_dir/cracks/<name>.geojson crack geometry (geojson)
        out_dir/report/<name>.jpg     severity overlay (geojson, --report)
        out_dir/survey.csv, out_dir/survey.json   survey figures (geojson)
        out_dir/overlays/<name>.<ext> the photo with crack pixels painted
        out_dir/measurements.csv, out_dir/measurements.json
        out_dir/measurements.partial.jsonl   while the run is going

    ``<name>`` is the input's relative path without its extension; frame
    ``i`` of a video ``<name>.mp4`` is ``<name>/frame_<i:06d>``.

    The journal ``measurements.partial.jsonl`` gets one JSON line per image
    or frame once all its files are written (its record: ``source``,
    ``frame`` and the measurements), so an interrupted run can go on where
    it stopped (:meth:`completed`); the measurement files are written at
    the end, under temporary names moved into place, and the journal is
    then removed.

    Args:
        out_dir (str): The output folder.
        overlay_ext (str): '.jpg' or '.png'. Defaults to '.jpg'.
        save_npy (bool): Also write ``.npy`` probabilities.
        measure (bool): Write the measurement files.
        geojson (bool): Write each image's crack geometry.
    """

    CSV = 'measurements.csv'
    JSON = 'measurements.json'
    SURVEY_CSV = 'survey.csv'
    SURVEY_JSON = 'survey.json'
    JOURNAL = 'measurements.partial.jsonl'

    def __init__(self,
                 out_dir: str,
                 overlay_ext: str = '.jpg',
                 save_npy: bool = False,
                 measure: bool = True,
                 geojson: bool = False):
        self.out_dir = out_dir
        self.overlay_ext = overlay_ext
        self.save_npy = save_npy
        self.measure = measure
        self.geojson = geojson

    @staticmethod
    def name(item: InputFile, frame: Optional[int] = None) -> str:
        """Output name (no extension) of an image or of a video frame."""
        stem = osp.splitext(item.rel)[0]
        return stem if frame is None else f'{stem}/frame_{frame:06d}'

    def paths(self, name: str) -> dict:
        """``mask``, ``prob``, ``overlay`` (and ``npy``) paths of a name."""
        paths = dict(
            mask=osp.join(self.out_dir, 'masks', name + '.png'),
            prob=osp.join(self.out_dir, 'probs', name + '.png'),
            overlay=osp.join(self.out_dir, 'overlays',
                             name + self.overlay_ext))
        if self.save_npy:
            paths['npy'] = osp.join(self.out_dir, 'probs', name + '.npy')
        if self.geojson:
            paths['geojson'] = osp.join(self.out_dir, 'cracks',
                                        name + '.geojson')
            paths['report'] = osp.join(self.out_dir, 'report', name + '.jpg')
        return paths

    def survey_paths(self) -> List[str]:
        return [osp.join(self.out_dir, f)
                for f in (self.SURVEY_CSV, self.SURVEY_JSON)
                ] if self.geojson else []

    @property
    def report_path(self) -> str:
        return osp.join(self.out_dir, 'report.html')

    def measurement_paths(self) -> List[str]:
        return [osp.join(self.out_dir, f)
                for f in (self.CSV, self.JSON)] if self.measure else []

    @property
    def journal_path(self) -> str:
        return osp.join(self.out_dir, self.JOURNAL)

    @staticmethod
    def key(record: dict) -> Tuple[str, Optional[int]]:
        """``(source, frame)``: what a record is the result of."""
        return record['source'], record.get('frame')

    def completed(self) -> Dict[Tuple[str, Optional[int]], dict]:
        """Records of the images and frames an earlier run finished: the
        journal's lines (a line cut short by the interruption is left out),
        else the ``images`` of a finished run's ``measurements.json``."""
        records = []
        if osp.isfile(self.journal_path):
            with open(self.journal_path) as f:
                for line in f:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        break
        elif osp.isfile(osp.join(self.out_dir, self.JSON)):
            with open(osp.join(self.out_dir, self.JSON)) as f:
                records = json.load(f).get('images', [])
        return {self.key(r): r for r in records}

    def check_names(self, items: Sequence[InputFile]) -> None:
        """Raise if two inputs would write the same files (``a.jpg`` and
        ``a.png`` in one folder)."""
        seen = {}
        for item in items:
            name = self.name(item)
            if name in seen:
                raise ValueError(
                    f'{seen[name]} and {item.rel} would both be written as '
                    f'{name}.*: rename or move one of them.')
            seen[name] = item.rel

    def existing(self, items: Sequence[InputFile]) -> List[str]:
        """Output files of ``items`` that already exist (for a video: the
        files in its frame folders)."""
        found = [
            p for p in self.measurement_paths() + self.survey_paths() +
            [self.journal_path, self.report_path] if osp.exists(p)
        ]
        for item in items:
            name = self.name(item)
            if item.is_video:
                for kind in ('masks', 'probs', 'overlays', 'cracks',
                             'report'):
                    folder = osp.join(self.out_dir, kind, name)
                    if osp.isdir(folder):
                        found += [
                            osp.join(folder, f) for f in os.listdir(folder)
                        ]
            else:
                found += [
                    p for p in self.paths(name).values() if osp.exists(p)
                ]
        return sorted(set(found))
