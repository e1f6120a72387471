"""Publish a trained checkpoint: weights only, with the threshold and meta.

Writes DST with the model weights of SRC (no optimizer or scheduler state)
and a ``meta`` holding the classes and palette, the config's text, the
decision threshold chosen on validation data (``tools/test.py`` prints it as
``ODS_thr``), the training iteration, the training command and data, the
licence and the commit (``mmcrack.apis.publish_checkpoint``). The weights
are checked to fit the config's model first; DST is written under a
temporary name and moved into place. List the file in the family's
``metafile.yaml`` so that its name resolves (``tools/infer.py NAME ...``).

Example:
    python tools/misc/publish_model.py \\
        work_dirs/general/best_IoU_subset_mean_iter_20000.pth \\
        mmcrack/weights/hrsegnet-b16-general_cfd-cracksc.pth \\
        --config configs/hrsegnet/\\
hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py \\
        --threshold 0.5 --training-data "CFD + CrackSC train splits" \\
        --training-command "python tools/train.py CONFIG"
"""
import argparse
import os.path as osp
import subprocess
from typing import Optional, Sequence

import mmcrack  # noqa: F401
from mmcrack.apis.model_loading import publish_checkpoint


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='checkpoint written by tools/train.py')
    parser.add_argument('dst', help='published file to write (.pth)')
    parser.add_argument(
        '--config', required=True, help='the config SRC was trained with')
    parser.add_argument(
        '--threshold',
        type=float,
        required=True,
        help='decision threshold chosen on validation data, e.g. the '
        'ODS_thr that tools/test.py prints')
    parser.add_argument(
        '--training-data', required=True, help='what the model saw')
    parser.add_argument(
        '--training-command', required=True, help='how it was trained')
    parser.add_argument(
        '--license',
        default='Apache-2.0',
        help='licence of the weights (a model trained on CFD is for '
        'non-commercial research only; default: %(default)s)')
    return parser.parse_args(argv)


def current_commit() -> str:
    """The repository's commit, or 'unknown' outside a checkout."""
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'],
                              cwd=osp.dirname(osp.abspath(__file__)),
                              capture_output=True,
                              text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    meta = publish_checkpoint(
        args.src,
        args.dst,
        args.config,
        args.threshold,
        training_data=args.training_data,
        training_command=args.training_command,
        license=args.license,
        commit=current_commit())
    size = osp.getsize(args.dst) / 2**20
    print(f'Published {args.src} (iteration {meta["iter"]}) as {args.dst} '
          f'({size:.2f} MiB, threshold {meta["threshold"]:g}).')


if __name__ == '__main__':
    main()
