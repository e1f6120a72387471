"""Run a :class:`~mmcrack.apis.CrackInferencer` over photos, folders and
videos and write what a crack survey needs: the loop of ``tools/infer.py``.

:func:`infer_inputs` writes, under ``out_dir``, for every image or video
frame (names mirror the input's folder structure, see
:class:`~mmcrack.apis.OutputLayout`): the mask, the probability and an
overlay; with ``measure``, ``measurements.csv``/``.json``
(:mod:`mmcrack.apis.quantification`); with ``survey``, one GeoJSON per photo
and ``survey.csv``/``.json`` (:mod:`mmcrack.apis.crack_geometry`,
:mod:`mmcrack.apis.survey`); with ``report``, ``report.html``.

Nothing is lost to an interruption: each finished image is appended to a
journal, so ``resume=True`` keeps the finished images of an interrupted
run and predicts the rest; the tables are written under temporary names and
moved into place at the end. Existing outputs are never replaced unless
``overwrite=True``. Unreadable files, and images that run out of memory, are
skipped and listed, not fatal.

Why not mmengine's ``BaseInferencer`` (as ``MMSegInferencer`` is built):
it runs one PyTorch model built from a config on batches its pipeline
collates, while this loop runs any backend of
:data:`~mmcrack.apis.BACKENDS` (ONNX Runtime and TensorRT models are not
``nn.Module``s), one photo at a time with a per-photo whole/sliding-window
choice, and streams video frames. ``MMSegInferencer`` runs mmcrack's
PyTorch models unchanged (tested on the shipped model).
"""
import json
import os
import os.path as osp
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

import mmcv
import numpy as np
import torch
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample

from ..utils.compat import quiet_align_corners_warnings
from .crack_geometry import (LTPP_BOUNDS, WIDTH_METHODS, crack_geometry,
                             geometry_to_geojson, read_georeference)
from .inference import (CrackInferencer, InputFile, OutputLayout,
                        UnreadableInputError, collect_inputs, count_frames,
                        read_frames, read_image, video_fps)
from .quantification import DEFAULT_MIN_AREA, measure_cracks, save_measurements
from .survey import save_survey, survey_row


@dataclass
class InferenceOutputs:
    """What :func:`infer_inputs` writes besides masks and probabilities.

    Attributes:
        overlay_format (str): ``'jpg'`` or ``'png'``.
        opacity (float): Opacity of the crack colour in overlays.
        save_prob_npy (bool): Also write the float32 probability (.npy).
        measure (bool): Write ``measurements.csv`` and ``.json``.
        survey (bool): Write per-crack GeoJSON and ``survey.csv``/``.json``.
        report (bool): Write ``report.html`` (needs ``survey``).
        mm_per_pixel (float, optional): Ground sampling distance; lengths,
            widths and areas in mm, and severities.
        min_area (int): Components and holes smaller than this many pixels
            are removed / filled before measuring.
        width_method (str): A name of
            :data:`~mmcrack.apis.crack_geometry.WIDTH_METHODS`.
        severity_bounds (tuple[float, float]): Mean-width bounds (mm) of
            low / moderate / high severity.
        video_stride (int): Take every n-th video frame.
    """
    overlay_format: str = 'jpg'
    opacity: float = 0.6
    save_prob_npy: bool = False
    measure: bool = True
    survey: bool = False
    report: bool = False
    mm_per_pixel: Optional[float] = None
    min_area: int = DEFAULT_MIN_AREA
    width_method: str = WIDTH_METHODS[0]
    severity_bounds: Tuple[float, float] = LTPP_BOUNDS
    video_stride: int = 1

    def __post_init__(self):
        if self.report and not self.survey:
            raise ValueError('report=True needs survey=True (the report '
                             'shows the survey).')
        if self.video_stride < 1:
            raise ValueError('video_stride must be >= 1.')
        if self.mm_per_pixel is not None and self.mm_per_pixel <= 0:
            raise ValueError('mm_per_pixel must be > 0.')


@dataclass
class InferenceRun:
    """The outcome of :func:`infer_inputs`.

    Attributes:
        out_dir (str): Absolute output folder.
        layout (OutputLayout): Where each output went.
        records (list[dict]): One per image or frame: ``source``, ``frame``,
            ``time_s``, ``mode`` and the measurements / survey row.
        skipped (list[dict]): ``source``, ``frame`` and ``reason`` of each
            input that gave no prediction.
        modes (dict): Images run ``'whole'``, by ``'slide'``, or ``'kept'``
            from an interrupted run.
        seconds (float): Wall time of the loop.
    """
    out_dir: str
    layout: OutputLayout
    records: List[dict] = field(default_factory=list)
    skipped: List[dict] = field(default_factory=list)
    modes: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def predicted(self) -> int:
        """Images and frames predicted by this run."""
        return len(self.records) - self.modes['kept']


def _frames(item: InputFile, video_stride: int) -> Iterator[tuple]:
    """``(frame index, time in s, BGR image)`` of an input file (None and
    None for a photo; a time of None where the video gives no rate)."""
    if item.is_video:
        fps = video_fps(item.path)
        for index, image in read_frames(item.path, video_stride):
            yield index, (index / fps if fps else None), image
    else:
        yield None, None, read_image(item.path)


def _save_prediction(paths: dict, image: np.ndarray, pred, visualizer,
                     crack_index: int, name: str) -> None:
    """Write the mask, probability and overlay of one image."""
    mmcv.imwrite(pred.mask, paths['mask'])
    prob8 = np.rint(np.clip(pred.prob, 0, 1) * 255).astype(np.uint8)
    mmcv.imwrite(prob8, paths['prob'])
    if 'npy' in paths:
        np.save(paths['npy'], pred.prob)
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=(pred.mask * crack_index)[None])
    visualizer.add_datasample(
        name,
        image[..., ::-1],
        sample,
        draw_gt=False,
        out_file=paths['overlay'])


def _save_geometry(mask: np.ndarray, image: np.ndarray, item: InputFile,
                   frame: Optional[int], time_s: Optional[float],
                   paths: dict, outputs: InferenceOutputs,
                   out_dir: str) -> dict:
    """Write the crack geometry of one image as GeoJSON (and, with
    ``report``, its severity overlay); return its ``survey`` row, its
    branches' mean widths (``survey_widths``, mm with a scale) and the
    overlay (``report_overlay``, relative to ``out_dir``)."""
    from .survey_report import draw_severity_overlay
    geometry = crack_geometry(mask, outputs.min_area, outputs.mm_per_pixel,
                              outputs.width_method, outputs.severity_bounds)
    transform, crs = ((None, None) if item.is_video else
                      read_georeference(item.path))
    collection = geometry_to_geojson(geometry, transform, crs)
    collection['properties'] = dict(
        source=item.rel,
        frame=frame,
        mm_per_pixel=outputs.mm_per_pixel,
        severity_bounds_mm=list(outputs.severity_bounds),
        severity=('assigned' if outputs.mm_per_pixel else
                  'not assigned: no --mm-per-pixel'))
    os.makedirs(osp.dirname(paths['geojson']), exist_ok=True)
    with open(paths['geojson'], 'w') as f:
        json.dump(collection, f)
    scale = outputs.mm_per_pixel or 1.0
    result = dict(
        survey=survey_row(geometry, mask.shape, item.rel, frame, time_s),
        survey_widths=[
            b.width_px['mean'] * scale for b in geometry.branches
            if np.isfinite(b.width_px['mean'])
        ],
        report_overlay=None)
    if outputs.report:
        mmcv.imwrite(draw_severity_overlay(image, geometry), paths['report'])
        result['report_overlay'] = osp.relpath(paths['report'], out_dir)
    return result


def _write_tables(run: InferenceRun, inferencer: CrackInferencer,
                  outputs: InferenceOutputs, run_info: dict) -> None:
    """Measurements, survey and report of the finished loop."""
    from .survey_report import write_report
    layout, records = run.layout, run.records
    if outputs.measure:
        # Written under temporary names and moved into place together.
        final = layout.measurement_paths()
        staged = [f'{path}.part' for path in final]
        save_measurements(
            records,
            *staged,
            mm_per_pixel=outputs.mm_per_pixel,
            min_area=outputs.min_area,
            threshold=inferencer.threshold,
            skipped=run.skipped)
        for part, path in zip(staged, final):
            os.replace(part, path)
    if outputs.survey:
        settings = dict(
            mm_per_pixel=outputs.mm_per_pixel,
            severity_bounds_mm=list(outputs.severity_bounds),
            width_method=outputs.width_method)
        totals = save_survey([r['survey'] for r in records],
                             *layout.survey_paths(), **settings)
        if outputs.report:
            write_report(
                layout.report_path, [r['survey'] for r in records], totals,
                [r['report_overlay'] for r in records],
                [w for r in records for w in r['survey_widths']],
                dict(
                    **run_info,
                    photos=len(records),
                    skipped=len(run.skipped),
                    threshold=inferencer.threshold,
                    **settings))


def check_outputs(input_path: str,
                  out_dir: str,
                  outputs: Optional[InferenceOutputs] = None,
                  overwrite: bool = False,
                  resume: bool = False) -> Tuple[List[InputFile],
                                                  OutputLayout]:
    """The inputs and the output layout of a run, checked before any
    model is loaded or anything is written (see :func:`infer_inputs` for
    the arguments and the errors)."""
    outputs = outputs or InferenceOutputs()
    items = collect_inputs(input_path)
    layout = OutputLayout(out_dir, '.' + outputs.overlay_format,
                          outputs.save_prob_npy, outputs.measure,
                          outputs.survey)
    layout.check_names(items)
    existing = layout.existing(items)
    if existing and not (overwrite or resume):
        raise FileExistsError(
            f'{len(existing)} output file(s) already exist, e.g. '
            f'{existing[0]}. Pass --resume to go on with an interrupted run, '
            '--overwrite to replace them, or choose another --out.')
    return items, layout


def infer_inputs(inferencer: CrackInferencer,
                 input_path: str,
                 out_dir: str,
                 outputs: Optional[InferenceOutputs] = None,
                 overwrite: bool = False,
                 resume: bool = False,
                 show_progress: bool = True,
                 run_info: Optional[dict] = None) -> InferenceRun:
    """Predict, save and measure every image and video frame of an input.

    Args:
        inferencer (CrackInferencer): The model, on any backend.
        input_path (str): An image, a folder (searched recursively for
            images and videos) or a video.
        out_dir (str): Output folder (see the module docstring).
        outputs (InferenceOutputs, optional): What to write besides masks,
            probabilities and overlays. Defaults to ``InferenceOutputs()``.
        overwrite (bool): Replace existing outputs. Defaults to False.
        resume (bool): Keep the images an interrupted run in ``out_dir``
            finished and predict the rest. Defaults to False.
        show_progress (bool): Print the input count and a progress bar.
            Defaults to True.
        run_info (dict, optional): Shown in the report's run summary, e.g.
            ``dict(model=..., input=...)``.

    Returns:
        InferenceRun: Records, skipped inputs and timing.

    Raises:
        FileNotFoundError: ``input_path`` holds no image or video.
        FileExistsError: outputs exist and neither ``overwrite`` nor
            ``resume`` is set; nothing was written.
        ValueError: two inputs would write the same outputs.
    """
    from mmcrack.visualization import CrackLocalVisualizer
    outputs = outputs or InferenceOutputs()
    items, layout = check_outputs(input_path, out_dir, outputs, overwrite,
                                  resume)
    done = layout.completed() if resume else {}
    visualizer = CrackLocalVisualizer(
        name=f'mmcrack_infer_{time.time_ns()}', alpha=outputs.opacity)
    visualizer.dataset_meta = inferencer.dataset_meta

    # An unreadable video still counts one step (its skip).
    total = sum(
        max(count_frames(i.path, outputs.video_stride), 1) if i.is_video else 1
        for i in items)
    if show_progress:
        print(f'Running on {len(items)} input(s) from {input_path} '
              f'({total} image(s) and video frame(s))')
        if done:
            print(f'Resuming: {len(done)} image(s) and frame(s) of the '
                  'earlier run are kept')
    progress = ProgressBar(total) if show_progress else None
    run = InferenceRun(osp.abspath(out_dir), layout)
    os.makedirs(out_dir, exist_ok=True)
    start = time.time()
    with open(layout.journal_path, 'a' if resume else 'w') as journal, \
            quiet_align_corners_warnings():
        for item in items:
            _infer_item(item, inferencer, outputs, layout, done, run,
                        visualizer, journal, progress)
    run.seconds = time.time() - start
    if show_progress:
        print()
    _write_tables(run, inferencer, outputs,
                  run_info or dict(input=input_path))
    os.remove(layout.journal_path)
    return run


def _infer_item(item: InputFile, inferencer: CrackInferencer,
                outputs: InferenceOutputs, layout: OutputLayout, done: dict,
                run: InferenceRun, visualizer, journal,
                progress: Optional[ProgressBar]) -> None:
    """Predict, save and journal every image or frame of one input file."""
    step = progress.update if progress is not None else (lambda: None)
    written = 0
    try:
        for frame, time_s, image in _frames(item, outputs.video_stride):
            name = layout.name(item, frame)
            if (item.rel, frame) in done:
                run.records.append(done[item.rel, frame])
                run.modes['kept'] += 1
                written += 1
                step()
                continue
            try:
                pred = inferencer(image)
            except (MemoryError, torch.cuda.OutOfMemoryError) as err:
                run.skipped.append(
                    dict(
                        source=item.rel,
                        frame=frame,
                        reason=f'out of memory ({type(err).__name__}); '
                        'try --slide or a smaller --crop-size'))
                step()
                continue
            paths = layout.paths(name)
            _save_prediction(paths, image, pred, visualizer,
                             inferencer.crack_index, name)
            run.modes[pred.mode] += 1
            record = dict(
                source=item.rel, frame=frame, time_s=time_s, mode=pred.mode)
            if outputs.measure:
                record.update(
                    measure_cracks(pred.mask, outputs.min_area,
                                   outputs.mm_per_pixel))
            if outputs.survey:
                record.update(
                    _save_geometry(pred.mask, image, item, frame, time_s,
                                   paths, outputs, layout.out_dir))
            run.records.append(record)
            journal.write(json.dumps(record) + '\n')
            journal.flush()
            written += 1
            step()
    except UnreadableInputError as err:
        run.skipped.append(dict(source=item.rel, frame=None, reason=str(err)))
        step()
        return
    if item.is_video and written == 0:
        run.skipped.append(
            dict(source=item.rel, frame=None, reason='no frame could be read'))
