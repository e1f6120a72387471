"""Validate the crack width methods on generated cracks of known width.

Draws straight cracks (200 px long) of every width from 1 to 20 px at
angles 0-90 degrees in steps of 15, and half rings of radius 100 px, with
their centre line off the pixel grid; the true width of each is its pixel
count per unit of centre-line length (away from the ends). Every method of
``mmcrack.apis.crack_geometry.WIDTH_METHODS`` measures the mean width of the
longest branch; the tool prints each method's mean and largest absolute
error, overall and per shape.

The cracks and the errors are
``mmcrack.apis.crack_width_validation.width_errors``.

Example:
    python tools/analysis_tools/crack_width_validation.py
"""
import argparse
from typing import Optional, Sequence

import numpy as np

from mmcrack.apis.crack_width_validation import width_errors


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--max-width', type=int, default=20, help='widths 1..N px')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    errors = width_errors(range(1, args.max_width + 1))
    summary = {}
    for method, per_shape in errors.items():
        values = np.concatenate([v for v in per_shape.values()])
        summary[method] = dict(
            mae=float(values.mean()), max=float(values.max()))
        print(f'{method}: mean absolute error {values.mean():.3f} px, '
              f'largest {values.max():.3f} px over {values.size} cracks')
        for shape, shape_errors in per_shape.items():
            print(f'  {shape:>8}: {np.mean(shape_errors):.3f} px')
    return summary


if __name__ == '__main__':
    main()
