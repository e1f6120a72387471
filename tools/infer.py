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
config with its checkpoint. The loop is
``mmcrack.apis.folder_inference.infer_inputs``; this script parses the
arguments and prints the summary.

Examples:
    python tools/infer.py --list-models
    python tools/infer.py MODEL_NAME survey_photos/ --mm-per-pixel 0.5
    python tools/infer.py \\
        configs/hrsegnet/hrsegnet-b16_1xb8-20k_cracksc-256x256.py \\
        work_dirs/hrsegnet/iter_20000.pth survey_photos/ \\
        --out work_dirs/infer/survey --mm-per-pixel 0.5
"""
import argparse
import sys
from typing import Optional, Sequence

import torch

import mmcrack  # noqa: F401
from mmcrack.apis import BACKENDS, CrackInferencer
from mmcrack.apis.crack_geometry import LTPP_BOUNDS, WIDTH_METHODS
from mmcrack.apis.folder_inference import (InferenceOutputs, InferenceRun,
                                           check_outputs, infer_inputs)
from mmcrack.apis.inference import DEFAULT_SLIDE_FACTOR
from mmcrack.apis.model_index import format_model_table
from mmcrack.apis.quantification import DEFAULT_MIN_AREA
from mmcrack.utils.cli_args import (add_cfg_options_arg, add_model_args,
                                    parse_model_args)


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


def summary(run: InferenceRun, inferencer: CrackInferencer,
            outputs: InferenceOutputs) -> str:
    """What was written where, how the images ran, and what was skipped."""
    layout, modes = run.layout, run.modes
    per_image = run.seconds / run.predicted if run.predicted else 0.0
    lines = [
        f'Wrote {run.predicted} prediction(s) in {run.seconds:.1f} s '
        f'({per_image:.2f} s each) to {run.out_dir}:',
        '  masks/     crack masks, PNG, 0 = background, 1 = crack',
        '  probs/     crack probability, PNG, round(p * 255)' +
        (', and .npy float32' if outputs.save_prob_npy else ''),
    ]
    if inferencer.backend.outputs_labels:
        lines.append(
            '             (0 or 1 only: the model outputs labels, exported '
            'with codebase_config.with_argmax=True; for probabilities, '
            'export its logits with tools/deploy.py ... '
            '--deploy-cfg-options codebase_config.with_argmax=False)')
    lines.append(f'  overlays/  photos with crack pixels painted '
                 f'({outputs.overlay_format})')
    if outputs.report:
        lines.append('  report.html  the survey report (report/: severity '
                     'overlays)')
    if outputs.survey:
        lines.append('  cracks/    GeoJSON: crack branches and networks')
        lines.append(f'  {layout.SURVEY_CSV}, {layout.SURVEY_JSON}: length '
                     'and area by type and severity, per photo and total' +
                     ('' if outputs.mm_per_pixel else
                      ' (pixels, no severity: no --mm-per-pixel)'))
    if outputs.measure:
        lines.append(f'  {layout.CSV}, {layout.JSON}: {len(run.records)} '
                     'row(s)')
    slide = (f' (crop {inferencer.crop_size[0]}x{inferencer.crop_size[1]}, '
             f'stride {inferencer.stride[0]}x{inferencer.stride[1]})')
    lines.append(f'Inference: {modes["whole"]} whole-image, '
                 f'{modes["slide"]} sliding-window' +
                 (slide if modes['slide'] else '') +
                 (f'; {modes["kept"]} kept from the interrupted run'
                  if modes['kept'] else ''))
    lines.append(f'Threshold: {inferencer.threshold:g} '
                 f'({inferencer.threshold_source})')
    if run.skipped:
        lines.append(f'Skipped {len(run.skipped)} input(s):')
        lines += [
            f'  {s["source"]}' +
            (f' frame {s["frame"]}' if s['frame'] is not None else '') +
            f': {s["reason"]}' for s in run.skipped
        ]
    else:
        lines.append('Skipped: none')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.list_models:
        print(format_model_table())
        return {}
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    outputs = InferenceOutputs(
        overlay_format=args.overlay_format,
        opacity=args.opacity,
        save_prob_npy=args.save_prob_npy,
        measure=args.measure,
        survey=args.survey,
        report=args.report,
        mm_per_pixel=args.mm_per_pixel,
        min_area=args.min_area,
        width_method=args.width_method,
        severity_bounds=tuple(args.severity_bounds),
        video_stride=args.video_stride)
    # Inputs and existing outputs are checked before the model loads.
    check_outputs(args.input, args.out, outputs, args.overwrite, args.resume)
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
    print(f'Model {args.model} on {device}')
    run = infer_inputs(
        inferencer,
        args.input,
        args.out,
        outputs,
        overwrite=args.overwrite,
        resume=args.resume,
        run_info=dict(model=args.model, input=args.input))
    print(summary(run, inferencer, outputs))
    sys.stdout.flush()
    return dict(
        out_dir=run.out_dir,
        written=len(run.records),
        skipped=run.skipped,
        modes=dict(run.modes),
        seconds=run.seconds,
        records=run.records)


if __name__ == '__main__':
    main()
