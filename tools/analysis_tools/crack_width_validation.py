"""Validate the crack width methods on generated cracks of known width.

Draws straight cracks (200 px long) of every width from 1 to 20 px at
angles 0-90 degrees in steps of 15, and half rings of radius 100 px, with
their centre line off the pixel grid; the true width of each is its pixel
count per unit of centre-line length (away from the ends). Every method of
``mmcrack.apis.crack_geometry.WIDTH_METHODS`` measures the mean width of the
longest branch; the tool prints each method's mean and largest absolute
error, overall and per shape.

Example:
    python tools/analysis_tools/crack_width_validation.py
"""
import argparse
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

from mmcrack.apis.crack_geometry import WIDTH_METHODS, crack_geometry

SIZE = 320
LENGTH = 200.0
RADIUS = 100.0


def generated_crack(width: float,
                    angle: Optional[float]) -> Tuple[np.ndarray, float]:
    """A crack mask and its true width: a straight crack at ``angle``
    degrees to the horizontal, or a half ring for ``angle=None``."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    centre = SIZE / 2 + 0.3  # the centre line off the pixel grid
    if angle is None:
        radius = np.hypot(xx - centre, yy - centre)
        mask = (np.abs(radius - RADIUS) <= width / 2) & (yy < centre)
        return mask.astype(np.uint8), mask.sum() / (np.pi * RADIUS)
    theta = np.radians(angle)
    dx, dy = np.cos(theta), -np.sin(theta)
    along = (xx - centre) * dx + (yy - centre) * dy
    across = -(xx - centre) * dy + (yy - centre) * dx
    mask = (np.abs(across) <= width / 2) & (np.abs(along) <= LENGTH / 2)
    inner = mask & (np.abs(along) <= LENGTH / 2 - 20)
    return mask.astype(np.uint8), inner.sum() / (LENGTH - 40)


def cases(widths: Sequence[float],
          angles: Sequence[float]) -> Iterator[Tuple[str, np.ndarray, float]]:
    for width in widths:
        for angle in list(angles) + [None]:
            shape = 'curved' if angle is None else f'{angle:g} deg'
            yield (shape, *generated_crack(width, angle))


def width_errors(widths: Sequence[float] = range(1, 21),
                 angles: Sequence[float] = range(0, 91, 15)
                 ) -> Dict[str, Dict[str, list]]:
    """Absolute error of each method's mean width, per shape."""
    errors = {method: {} for method in WIDTH_METHODS}
    for shape, mask, true in cases(widths, angles):
        for method in WIDTH_METHODS:
            branches = crack_geometry(mask, width_method=method).branches
            longest = max(branches, key=lambda b: b.length_px)
            errors[method].setdefault(shape, []).append(
                abs(longest.width_px['mean'] - true))
    return errors


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
