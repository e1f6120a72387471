"""Crack width methods measured against generated cracks of known width.

:func:`width_errors` draws straight cracks (200 px long) of each width at
each angle, and half rings of radius 100 px, with their centre line off the
pixel grid; the true width of each is its pixel count per unit of
centre-line length (away from the ends). Every method of
:data:`~mmcrack.apis.crack_geometry.WIDTH_METHODS` measures the mean width
of the longest branch (``tools/analysis_tools/crack_width_validation.py``
prints the result; ``docs/inference.md`` has the numbers).
"""
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

from .crack_geometry import WIDTH_METHODS, crack_geometry

#: Side of the generated masks, length of a straight crack and radius of a
#: half ring, in pixels.
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
    """``(shape, mask, true width)`` of every width at every angle, and of
    a half ring (shape ``'curved'``) per width."""
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
