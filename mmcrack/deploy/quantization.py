"""Static INT8 quantization of an exported model with ONNX Runtime's tools.

:func:`quantize_onnx` turns the float ONNX model that ``tools/deploy.py``
exports into an INT8 one in ONNX Runtime's QDQ format (per-channel int8
weights, uint8 activations: the u8s8 kernels that AVX-512 VNNI runs),
calibrated on photos of the training set (:class:`ImageCalibrationReader`),
with ``onnxruntime.quantization.quantize_static`` after its
``quant_pre_process`` (shape inference and graph clean-up). The result runs
in ONNX Runtime like the float model (``tools/infer.py --backend
onnxruntime`` unchanged).

A deployment config asks for it with a ``quantization`` dict (see
``configs/deploy/segmentation_onnxruntime-int8_static-400x400.py``):
``calib_count`` (photos drawn from the calibration folder, evenly over its
sorted files), ``calib_method`` (``'minmax'``, ``'entropy'`` or
``'percentile'``), ``per_channel`` and ``op_types_to_exclude`` (operator
types left in float).
"""
import copy
import os
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from ..utils.constants import IMAGE_EXTENSIONS

#: ``calib_method`` names -> ONNX Runtime's ``CalibrationMethod`` names.
CALIBRATION_METHODS = dict(
    minmax='MinMax', entropy='Entropy', percentile='Percentile')


class CalibrationDataError(ValueError):
    """Calibration data that cannot calibrate a crack model."""


def calibration_images(folder: str, count: int) -> List[str]:
    """``count`` photos of ``folder`` (searched recursively), spread evenly
    over its sorted files.

    Raises:
        CalibrationDataError: the folder is missing or holds no images, or
            its images are crack masks (one channel, two or three values)
            rather than photos.
    """
    if not osp.isdir(folder):
        raise CalibrationDataError(
            f'Calibration folder {folder} does not exist: give a folder of '
            'training photos (e.g. the images/ folder of a converted set).')
    files = sorted(
        osp.join(root, name) for root, _, names in os.walk(folder)
        for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise CalibrationDataError(
            f'Calibration folder {folder} holds no images (endings '
            f'{", ".join(IMAGE_EXTENSIONS)}): give a folder of training '
            'photos.')
    if count < 1:
        raise CalibrationDataError(f'calib_count must be >= 1, not {count}.')
    picks = np.linspace(0, len(files) - 1, min(count, len(files)))
    chosen = [files[i] for i in sorted(set(np.round(picks).astype(int)))]
    for path in chosen[:3]:
        image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if image is None:
            raise CalibrationDataError(
                f'Cannot read calibration image {path}.')
        if image.ndim == 2 and len(np.unique(image)) <= 3:
            raise CalibrationDataError(
                f'{path} looks like a crack mask (one channel, values '
                f'{np.unique(image).tolist()}), not a photo: calibrate on the '
                'photos (images/), not on the masks.')
    return chosen


def _resize_to(cfg, input_size: Sequence[int]):
    """A copy of ``cfg`` whose test pipelines resize to ``input_size``
    (h, w), as the export resized them (mmdeploy sets the ``Resize`` of a
    static export to its input shape)."""
    cfg = copy.deepcopy(cfg)
    pipelines = [cfg.get('test_pipeline') or []]
    if cfg.get('test_dataloader'):
        pipelines.append(cfg.test_dataloader.dataset.get('pipeline') or [])
    for pipeline in pipelines:
        for step in pipeline:
            if step['type'] == 'Resize':
                step.update(scale=tuple(input_size[::-1]), keep_ratio=False)
    return cfg


class ImageCalibrationReader:
    """ONNX Runtime calibration data: photos prepared as the model's input.

    Each photo goes through the model config's test pipeline and data
    preprocessor, as :class:`~mmcrack.apis.backends.RunnerBackend` prepares
    inputs, resized to ``input_size`` (h, w) for a static model (the
    pipeline's own ``Resize`` too, as the export sets it); for a
    dynamic one every photo is cropped about its centre to the smallest
    height and width among them (the histogram calibrators, entropy and
    percentile, need one shape), which keeps the photos' scale.

    Args:
        files (Sequence[str]): The photos.
        cfg (Config): The model config.
        input_name (str): The model's input name.
        input_size (tuple, optional): (h, w) of a static model's input.
    """

    def __init__(self,
                 files: Sequence[str],
                 cfg,
                 input_name: str,
                 input_size: Optional[Sequence[int]] = None):
        from mmengine.registry import init_default_scope

        from mmcrack.apis.backends import RunnerBackend
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        if input_size is not None:
            cfg = _resize_to(cfg, input_size)
        self.backend = RunnerBackend(cfg, lambda inputs: inputs)
        self.files = list(files)
        self.input_name = input_name
        self.input_size = input_size
        self.crop_size = None
        if input_size is None:
            shapes = []
            for path in self.files:
                image = cv2.imread(path, cv2.IMREAD_COLOR)
                if image is None:
                    raise CalibrationDataError(
                        f'Cannot read calibration image {path}.')
                shapes.append(image.shape[:2])
            self.crop_size = tuple(np.min(shapes, axis=0))
        self._next = iter(self.files)

    def get_next(self) -> Optional[Dict[str, np.ndarray]]:
        path = next(self._next, None)
        if path is None:
            return None
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise CalibrationDataError(
                f'Cannot read calibration image {path}.')
        if self.input_size is not None:
            image = cv2.resize(image, tuple(self.input_size[::-1]))
        else:
            (h, w), (ch, cw) = image.shape[:2], self.crop_size
            top, left = (h - ch) // 2, (w - cw) // 2
            image = image[top:top + ch, left:left + cw]
        data = self.backend.preprocess(image)
        batch = self.backend.data_preprocessor(
            dict(inputs=[data['inputs']]), False)['inputs']
        return {self.input_name: batch.numpy().astype(np.float32)}

    def rewind(self) -> None:
        self._next = iter(self.files)


def quantize_onnx(onnx_file: str,
                  out_file: str,
                  cfg,
                  calib_dir: str,
                  calib_count: int = 64,
                  calib_method: str = 'minmax',
                  per_channel: bool = True,
                  op_types_to_exclude: Sequence[str] = ()) -> dict:
    """Write the static INT8 (QDQ) version of ``onnx_file`` to ``out_file``.

    Args:
        onnx_file (str): The float model (``tools/deploy.py``'s export).
        out_file (str): Where the INT8 model goes (may be ``onnx_file``).
        cfg (Config): The model config (test pipeline, normalisation).
        calib_dir (str): Folder of training photos.
        calib_count (int): Photos to calibrate on. Defaults to 64.
        calib_method (str): 'minmax', 'entropy' or 'percentile'.
        per_channel (bool): Per-channel weight scales. Defaults to True.
        op_types_to_exclude (Sequence[str]): Operator types left in float.

    Returns:
        dict: ``calib_files`` (the photos used) and the settings.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if calib_method not in CALIBRATION_METHODS:
        raise ValueError(
            f'calib_method must be one of {sorted(CALIBRATION_METHODS)}, '
            f'not {calib_method!r}.')
    files = calibration_images(calib_dir, calib_count)
    session = ort.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    model_input = session.get_inputs()[0]
    shape = model_input.shape
    static = all(isinstance(d, int) and d > 0 for d in shape[2:])
    reader = ImageCalibrationReader(files, cfg, model_input.name,
                                    tuple(shape[2:]) if static else None)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(onnx_file, prepared)
        ops = [
            op for op in _op_types(prepared) if op not in op_types_to_exclude
        ]
        quantize_static(
            prepared,
            out_file,
            reader,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=ops,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=getattr(CalibrationMethod,
                                     CALIBRATION_METHODS[calib_method]))
    return dict(
        calib_files=files,
        calib_method=calib_method,
        per_channel=per_channel,
        op_types_to_exclude=list(op_types_to_exclude))


def _op_types(onnx_file: str) -> List[str]:
    import onnx
    return sorted({node.op_type for node in onnx.load(onnx_file).graph.node})
