"""Find and measure cracks in photos, folders of photos and videos.

Runs a trained crack model on INPUT (an image, a folder searched
recursively, or a video) and writes, under --out, for every image or video
frame (names mirror INPUT's folder structure; frame i of clip.mp4 is
clip/frame_<i:06d>):

    masks/<name>.png         crack mask: one channel, 0 background, 1 crack
    probs/<name>.png         crack probability: 8 bits, round(p * 255)
    probs/<name>.npy         float32 probability (with --save-prob-npy)
    overlays/<name>.jpg      the photo with crack pixels painted
    measurements.csv         one row per image: crack count, length, width,
    measurements.json        area, type (mmcrack.apis.quantification); the
                             JSON adds totals and the skipped inputs
    cracks/<name>.geojson    with --survey: each crack branch and network
                             (mmcrack.apis.crack_geometry), and
    survey.csv, survey.json  length by type and severity, network area,
                             density (mmcrack.apis.survey)

Large photos run with sliding-window inference, one crop at a time, so memory
stays bounded: by default whenever a side is more than --slide-factor times
the model's crop size (--slide / --whole force a mode). Unreadable files are
reported and skipped; the summary lists them. Existing outputs are never
overwritten without --overwrite.

The model is a name of the model index (--list-models prints them) or a
config with its checkpoint.

Examples:
    python tools/infer.py --list-models
    python tools/infer.py MODEL_NAME survey_photos/ --mm-per-pixel 0.5
    python tools/infer.py \\
        configs/hrsegnet/hrsegnet-b16_1xb8-20k_cracksc-256x256.py \\
        work_dirs/hrsegnet/iter_20000.pth survey_photos/ \\
        --out work_dirs/infer/survey --mm-per-pixel 0.5
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
import warnings
from collections import Counter
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample

import mmcrack  # noqa: F401
from mmcrack.apis import (BACKENDS, CrackInferencer, OutputLayout,
                          UnreadableInputError, collect_inputs, count_frames,
                          measure_cracks, read_frames, read_image,
                          save_measurements)
from mmcrack.apis.crack_geometry import (LTPP_BOUNDS, WIDTH_METHODS,
                                         crack_geometry, geometry_to_geojson,
                                         read_georeference)
from mmcrack.apis.inference import DEFAULT_SLIDE_FACTOR, video_fps
from mmcrack.apis.quantification import DEFAULT_MIN_AREA
from mmcrack.apis.survey import save_survey, survey_row
from mmcrack.apis.model_index import format_model_table
from mmcrack.utils.tool_utils import (add_cfg_options_arg, add_model_args,
                                      parse_model_args)
from mmcrack.visualization import CrackLocalVisualizer
from mmcrack.visualization.survey_report import (draw_severity_overlay,
                                                 write_report)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(parser, 'input',
                   'an image, a folder (searched recursively for images and '
                   'videos) or a video file')
    parser.add_argument(
        '--out',
        default='work_dirs/infer',
        help='output folder (default: work_dirs/infer)')
    parser.add_argument(
        '--backend',
        choices=sorted(BACKENDS),
        default='pytorch',
        help='inference backend (default: pytorch); tensorrt needs '
        '--device cuda and TensorRT 10')
    parser.add_argument(
        '--device',
        help="'cpu' or 'cuda[:N]' (default: cuda if available, else cpu)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        '--slide',
        action='store_true',
        help='always use sliding-window inference')
    mode.add_argument(
        '--whole',
        action='store_true',
        help='always run the whole image at once (memory grows with the '
        'image: for small images)')
    parser.add_argument(
        '--slide-factor',
        type=float,
        default=DEFAULT_SLIDE_FACTOR,
        help='without --slide/--whole, slide when a side of the image is '
        'more than this many crop sizes (default: %(default)s); configs '
        "with model.test_cfg.mode='slide' always slide")
    parser.add_argument(
        '--crop-size',
        type=int,
        nargs='+',
        metavar='SIZE',
        help="sliding-window crop H W, or one number (default: the config's "
        'test_cfg.crop_size, else its training crop size). Fully '
        'convolutional models such as HrSegNet run larger crops faster '
        '(fewer windows, less overlap) in a little more memory')
    parser.add_argument(
        '--stride',
        type=int,
        nargs='+',
        metavar='SIZE',
        help='sliding-window stride H W, or one number, at most the crop '
        "size (default: the config's test_cfg.stride with its crop size, "
        'else 2/3 of the crop size)')
    parser.add_argument(
        '--threshold',
        type=float,
        help='a pixel is crack when its probability is above this '
        '(default: the threshold published with the model; else 0.5, which '
        "equals the argmax of two-class models, or the decode head's "
        'threshold for one-channel heads)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='flip test-time augmentation: average the probability of the '
        'image and of its left-right and upside-down mirrors (three times '
        'the time)')
    parser.add_argument(
        '--video-stride',
        type=int,
        default=1,
        metavar='N',
        help='take every N-th frame of videos (default: 1, every frame)')
    parser.add_argument(
        '--save-prob-npy',
        action='store_true',
        help='also save the float32 probability as probs/<name>.npy')
    parser.add_argument(
        '--overlay-format',
        choices=['jpg', 'png'],
        default='jpg',
        help='file format of the overlays (default: jpg)')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.6,
        help='opacity of the crack colour in overlays (default: 0.6)')
    parser.add_argument(
        '--measure',
        action=argparse.BooleanOptionalAction,
        default=True,
        help='write measurements.csv and measurements.json (default: on)')
    parser.add_argument(
        '--mm-per-pixel',
        type=float,
        help='ground sampling distance; adds lengths and widths in mm and '
        'areas in mm^2 to the measurements')
    parser.add_argument(
        '--survey',
        action='store_true',
        help='per-crack geometry: cracks/<name>.geojson per photo (one '
        'LineString per crack branch and one Polygon per crack network, with '
        'length, direction, width and, with --mm-per-pixel, severity; in map '
        'coordinates when the photo is georeferenced: a GeoTIFF, or a world '
        'file such as .jgw beside it, read with rasterio), and survey.csv / '
        'survey.json for the run (length by direction and severity, network '
        'area by severity, crack density; per photo and in total)')
    parser.add_argument(
        '--report',
        action='store_true',
        help='with --survey: also write report.html, one self-contained '
        'page with the run summary, the survey table, per-photo thumbnails '
        'linked to severity overlays (report/<name>.jpg), a width histogram '
        'and a length-by-severity chart')
    parser.add_argument(
        '--width-method',
        choices=WIDTH_METHODS,
        default=WIDTH_METHODS[0],
        help='branch widths of --survey: measured across the crack '
        '(orthogonal, default) or from the distance transform')
    parser.add_argument(
        '--severity-bounds',
        type=float,
        nargs=2,
        default=list(LTPP_BOUNDS),
        metavar=('LOW_MM', 'HIGH_MM'),
        help='with --survey and --mm-per-pixel: a branch is low severity '
        'up to LOW_MM mean width, moderate up to HIGH_MM, high above '
        '(default: the LTPP bounds %(default)s)')
    parser.add_argument(
        '--min-area',
        type=int,
        default=DEFAULT_MIN_AREA,
        help='crack components and holes smaller than this many pixels are '
        'removed / filled before measuring (the masks are written as '
        'predicted; default: %(default)s)')
    done = parser.add_mutually_exclusive_group()
    done.add_argument(
        '--overwrite',
        action='store_true',
        help='replace existing output files (default: refuse to start)')
    done.add_argument(
        '--resume',
        action='store_true',
        help='go on with an interrupted run in the same --out: images and '
        'frames it finished are kept, the rest are predicted')
    add_cfg_options_arg(parser)
    args = parser.parse_args(argv)
    if args.list_models:
        return args
    parse_model_args(parser, args, 'input')
    for name in ('crop_size', 'stride'):
        value = getattr(args, name)
        if value is not None and (len(value) not in (1, 2) or min(value) < 1):
            parser.error(f'--{name.replace("_", "-")} takes one or two '
                         'positive numbers (H W)')
    if args.video_stride < 1:
        parser.error('--video-stride must be >= 1')
    if args.mm_per_pixel is not None and args.mm_per_pixel <= 0:
        parser.error('--mm-per-pixel must be > 0')
    if args.report and not args.survey:
        parser.error('--report needs --survey (it reports the survey)')
    return args


def save_prediction(paths: dict, image: np.ndarray, pred, visualizer,
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


def save_geojson(mask: np.ndarray, image: np.ndarray, item,
                 frame: Optional[int], time_s: Optional[float], paths: dict,
                 args: argparse.Namespace) -> dict:
    """Write the crack geometry of one image as GeoJSON (and, with
    --report, its severity overlay); return its ``survey`` row, its
    branches' mean widths (``survey_widths``, mm with a scale) and the
    overlay (``report_overlay``, relative to --out)."""
    geometry = crack_geometry(mask, args.min_area, args.mm_per_pixel,
                              args.width_method, args.severity_bounds)
    transform, crs = ((None, None) if item.is_video else
                      read_georeference(item.path))
    collection = geometry_to_geojson(geometry, transform, crs)
    collection['properties'] = dict(
        source=item.rel,
        frame=frame,
        mm_per_pixel=args.mm_per_pixel,
        severity_bounds_mm=list(args.severity_bounds),
        severity=('assigned' if args.mm_per_pixel else
                  'not assigned: no --mm-per-pixel'))
    os.makedirs(osp.dirname(paths['geojson']), exist_ok=True)
    with open(paths['geojson'], 'w') as f:
        json.dump(collection, f)
    scale = args.mm_per_pixel or 1.0
    result = dict(
        survey=survey_row(geometry, mask.shape, item.rel, frame, time_s),
        survey_widths=[
            b.width_px['mean'] * scale for b in geometry.branches
            if np.isfinite(b.width_px['mean'])
        ],
        report_overlay=None)
    if args.report:
        mmcv.imwrite(draw_severity_overlay(image, geometry), paths['report'])
        result['report_overlay'] = osp.relpath(paths['report'], args.out)
    return result


def frames_of(item, video_stride: int):
    """``(frame index, time in s, BGR image)`` of an input file (None and
    None for a photo; a time of None where the video gives no rate)."""
    if item.is_video:
        fps = video_fps(item.path)
        for index, image in read_frames(item.path, video_stride):
            yield index, (index / fps if fps else None), image
    else:
        yield None, None, read_image(item.path)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.list_models:
        print(format_model_table())
        return {}
    # mmseg's resize warns on every odd feature size under align_corners.
    warnings.filterwarnings(
        'ignore', message='When align_corners=True', category=UserWarning)

    items = collect_inputs(args.input)
    layout = OutputLayout(args.out, '.' + args.overlay_format,
                          args.save_prob_npy, args.measure, args.survey)
    layout.check_names(items)
    existing = layout.existing(items)
    if existing and not (args.overwrite or args.resume):
        raise FileExistsError(
            f'{len(existing)} output file(s) already exist, e.g. '
            f'{existing[0]}. Pass --resume to go on with an interrupted run, '
            '--overwrite to replace them, or choose another --out.')
    done = layout.completed() if args.resume else {}

    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    inferencer = CrackInferencer(
        args.model,
        args.checkpoint,
        backend=args.backend,
        device=device,
        mode='slide' if args.slide else 'whole' if args.whole else 'auto',
        crop_size=args.crop_size,
        stride=args.stride,
        slide_factor=args.slide_factor,
        threshold=args.threshold,
        tta=args.tta,
        cfg_options=args.cfg_options,
        allow_partial=args.allow_partial)
    visualizer = CrackLocalVisualizer(
        name=f'mmcrack_infer_{time.time_ns()}', alpha=args.opacity)
    visualizer.dataset_meta = inferencer.dataset_meta

    # An unreadable video still counts one step (its skip).
    total = sum(
        max(count_frames(i.path, args.video_stride), 1) if i.is_video else 1
        for i in items)
    print(f'Running on {len(items)} input(s) from {args.input} '
          f'({total} image(s) and video frame(s)) on {device}')
    if done:
        print(f'Resuming: {len(done)} image(s) and frame(s) of the earlier '
              'run are kept')
    progress = ProgressBar(total)
    records, skipped, modes = [], [], Counter()
    os.makedirs(args.out, exist_ok=True)
    journal = open(layout.journal_path, 'a' if args.resume else 'w')
    start = time.time()
    for item in items:
        written = 0
        try:
            for frame, time_s, image in frames_of(item, args.video_stride):
                name = layout.name(item, frame)
                if (item.rel, frame) in done:
                    records.append(done[item.rel, frame])
                    modes['kept'] += 1
                    written += 1
                    progress.update()
                    continue
                try:
                    pred = inferencer(image)
                except (MemoryError, torch.cuda.OutOfMemoryError) as err:
                    skipped.append(
                        dict(
                            source=item.rel,
                            frame=frame,
                            reason=f'out of memory ({type(err).__name__}); '
                            'try --slide or a smaller --crop-size'))
                    progress.update()
                    continue
                save_prediction(
                    layout.paths(name), image, pred, visualizer,
                    inferencer.crack_index, name)
                modes[pred.mode] += 1
                record = dict(
                    source=item.rel, frame=frame, time_s=time_s,
                    mode=pred.mode)
                if args.measure:
                    record.update(
                        measure_cracks(pred.mask, args.min_area,
                                       args.mm_per_pixel))
                if args.survey:
                    record.update(
                        save_geojson(pred.mask, image, item, frame, time_s,
                                     layout.paths(name), args))
                records.append(record)
                journal.write(json.dumps(record) + '\n')
                journal.flush()
                written += 1
                progress.update()
        except UnreadableInputError as err:
            skipped.append(dict(source=item.rel, frame=None, reason=str(err)))
            progress.update()
            continue
        if item.is_video and written == 0:
            skipped.append(
                dict(
                    source=item.rel,
                    frame=None,
                    reason='no frame could be read'))
    journal.close()
    seconds = time.time() - start
    print()

    if args.measure:
        # Written under temporary names and moved into place together.
        final = layout.measurement_paths()
        staged = [f'{path}.part' for path in final]
        save_measurements(
            records,
            *staged,
            mm_per_pixel=args.mm_per_pixel,
            min_area=args.min_area,
            threshold=inferencer.threshold,
            skipped=skipped)
        for part, path in zip(staged, final):
            os.replace(part, path)
    if args.survey:
        settings = dict(
            mm_per_pixel=args.mm_per_pixel,
            severity_bounds_mm=list(args.severity_bounds),
            width_method=args.width_method)
        totals = save_survey([r['survey'] for r in records],
                             *layout.survey_paths(), **settings)
    if args.report:
        write_report(
            layout.report_path, [r['survey'] for r in records],
            totals, [r['report_overlay'] for r in records],
            [w for r in records for w in r['survey_widths']],
            dict(model=args.model, input=args.input, photos=len(records),
                 skipped=len(skipped), threshold=inferencer.threshold,
                 **settings))
    os.remove(layout.journal_path)

    out_dir = osp.abspath(args.out)
    predicted = len(records) - modes['kept']
    per_image = seconds / predicted if predicted else 0.0
    lines = [
        f'Wrote {predicted} prediction(s) in {seconds:.1f} s '
        f'({per_image:.2f} s each) to {out_dir}:',
        '  masks/     crack masks, PNG, 0 = background, 1 = crack',
        '  probs/     crack probability, PNG, round(p * 255)' +
        (', and .npy float32' if args.save_prob_npy else ''),
    ]
    if inferencer.backend.outputs_labels:
        lines.append(
            '             (0 or 1 only: the model outputs labels, exported '
            'with codebase_config.with_argmax=True; for probabilities, '
            'export its logits with tools/deploy.py ... '
            '--deploy-cfg-options codebase_config.with_argmax=False)')
    lines += [
        f'  overlays/  photos with crack pixels painted '
        f'({args.overlay_format})',
    ]
    if args.report:
        lines.append('  report.html  the survey report (report/: severity '
                     'overlays)')
    if args.survey:
        lines.append('  cracks/    GeoJSON: crack branches and networks')
        lines.append(f'  {layout.SURVEY_CSV}, {layout.SURVEY_JSON}: length '
                     'and area by type and severity, per photo and total' +
                     ('' if args.mm_per_pixel else
                      ' (pixels, no severity: no --mm-per-pixel)'))
    if args.measure:
        lines.append(f'  {layout.CSV}, {layout.JSON}: {len(records)} row(s)')
    slide = (f' (crop {inferencer.crop_size[0]}x{inferencer.crop_size[1]}, '
             f'stride {inferencer.stride[0]}x{inferencer.stride[1]})')
    lines.append(f'Inference: {modes["whole"]} whole-image, '
                 f'{modes["slide"]} sliding-window' +
                 (slide if modes['slide'] else '') +
                 (f'; {modes["kept"]} kept from the interrupted run'
                  if modes['kept'] else ''))
    lines.append(f'Threshold: {inferencer.threshold:g} '
                 f'({inferencer.threshold_source})')
    if skipped:
        lines.append(f'Skipped {len(skipped)} input(s):')
        lines += [
            f'  {s["source"]}' +
            (f' frame {s["frame"]}' if s['frame'] is not None else '') +
            f': {s["reason"]}' for s in skipped
        ]
    else:
        lines.append('Skipped: none')
    print('\n'.join(lines))
    sys.stdout.flush()
    return dict(
        out_dir=out_dir,
        written=len(records),
        skipped=skipped,
        modes=dict(modes),
        seconds=seconds,
        records=records)


if __name__ == '__main__':
    main()
