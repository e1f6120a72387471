"""Generate the synthetic pavement-crack set: mmcrack's offline default data.

Procedural asphalt/concrete images with branching, jagged cracks of 1-5 px
(sometimes alligator networks), stains, lane paint, tyre marks and shadows
as distractors; see mmcrack/datasets/synthetic_cracks.py for how an image is
made. Every image holds 1-5 % crack pixels (--crack-fraction), and the same
--seed gives byte-identical files.

Output (the mmcrack layout, ready for configs/_base_/datasets/
crack_synthetic.py):

    OUT/images/<stem>.jpg   RGB image, JPEG quality 95
    OUT/masks/<stem>.png    single channel: 0 background, 1 crack
    OUT/splits/train.txt    train_00000 ... (one stem per line)
    OUT/splits/val.txt      val_00000 ...
    OUT/SOURCE.txt          arguments and crack-pixel statistics

Example:
    python tools/misc/generate_synthetic_cracks.py data/crack_synthetic
"""
import argparse
import os.path as osp
import time
from typing import Optional, Sequence

import mmengine

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion import check_output_dir
from mmcrack.datasets.synthetic_cracks import generate_synthetic_cracks


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'out',
        metavar='OUT_DIR',
        help='output folder; images/, masks/, splits/ and SOURCE.txt are '
        'written into it (it must be empty or absent unless --overwrite)')
    parser.add_argument(
        '--num-train',
        type=int,
        default=200,
        metavar='N',
        help='number of training images, train_00000... (default: 200)')
    parser.add_argument(
        '--num-val',
        type=int,
        default=40,
        metavar='N',
        help='number of validation images, val_00000... (default: 40)')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(256, 256),
        metavar=('W', 'H'),
        help='image width and height in pixels, at least 64 each '
        '(default: 256 256)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        metavar='S',
        help='random seed; the same seed and arguments give byte-identical '
        'files, and image i of a split does not depend on how many images '
        'are made (default: 0)')
    parser.add_argument(
        '--crack-fraction',
        type=float,
        nargs=2,
        default=(0.01, 0.05),
        metavar=('LOW', 'HIGH'),
        help='allowed fraction of crack pixels per image, enforced for every '
        'image (default: 0.01 0.05, i.e. 1-5 %%)')
    parser.add_argument(
        '--jpeg-quality',
        type=int,
        default=95,
        metavar='Q',
        help='JPEG quality of the images, 0-100 (default: 95)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into a non-empty OUT_DIR, replacing its images/, masks/ '
        'and splits/ folders (other files are left alone)')
    args = parser.parse_args(argv)
    if args.num_train < 0 or args.num_val < 0:
        parser.error('--num-train and --num-val must be >= 0')
    if args.seed < 0:
        parser.error('--seed must be >= 0')
    if min(args.size) < 64:
        parser.error(f'--size must be at least 64 64, not {args.size}')
    if not 0 < args.crack_fraction[0] < args.crack_fraction[1] < 0.5:
        parser.error('--crack-fraction needs 0 < LOW < HIGH < 0.5')
    if not 0 <= args.jpeg_quality <= 100:
        parser.error('--jpeg-quality must be in 0-100')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        check_output_dir(args.out, args.overwrite)
    except CrackDataError as err:
        raise SystemExit(f'error: {err}') from err
    total = args.num_train + args.num_val
    bar = mmengine.ProgressBar(total) if total else None
    start = time.time()
    summary = generate_synthetic_cracks(
        args.out,
        num_train=args.num_train,
        num_val=args.num_val,
        size=tuple(args.size),
        seed=args.seed,
        crack_fraction=tuple(args.crack_fraction),
        jpeg_quality=args.jpeg_quality,
        overwrite=args.overwrite,
        progress=bar.update if bar else None)
    elapsed = time.time() - start
    print()
    w, h = args.size
    print(f'Wrote {summary.num_images} synthetic crack images of {w}x{h} '
          f'(WxH) to {osp.abspath(args.out)} in {elapsed:.1f} s:')
    print(f'  train: {len(summary.stems["train"])} '
          f'(splits/train.txt), val: {len(summary.stems["val"])} '
          '(splits/val.txt); images/*.jpg, masks/*.png (0 background, '
          '1 crack), SOURCE.txt')
    if summary.num_images:
        low, high = summary.fraction_range()
        mean = sum(summary.crack_fractions.values()) / summary.num_images
        print(f'  crack pixels per image: {low:.2%} to {high:.2%} '
              f'(mean {mean:.2%}); seed {args.seed}')


if __name__ == '__main__':
    main()
