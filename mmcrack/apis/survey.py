"""Survey figures of a run: crack length and area by type and severity.

:func:`survey_row` turns the crack geometry of one photo
(:func:`~mmcrack.apis.crack_geometry.crack_geometry`) into the figures of a
distress survey (AASHTO R 85 reports extent and severity per section):

* ``length_<direction>_<severity>``: total length of the branches of
  non-network cracks, by direction (``transverse``, ``longitudinal``,
  ``oblique``) and severity (``low``, ``moderate``, ``high``), in metres
  with a scale; without one, in pixels under ``length_<direction>_px``
  (no severity);
* ``network_area_<severity>``: total area of the network cracks, in square
  metres (``network_area_px`` without a scale);
* ``surveyed_area_m2`` (the photo's footprint) and ``density_m_per_m2``
  (crack length, networks' branches included, per square metre surveyed).

:func:`save_survey` writes one row per photo or video frame and the totals
(sums of the rows; the density of the totals is total length over total
area) to CSV and JSON, under temporary names moved into place.
"""
import csv
import json
import os
from typing import Dict, List, Optional, Sequence

from .crack_geometry import SEVERITIES, CrackGeometry
from .quantification import DIRECTIONS

#: Columns that describe a row rather than add up.
ROW_KEYS = ('source', 'frame', 'time_s')


def survey_columns(scaled: bool) -> List[str]:
    """The figure columns of :func:`survey_row`, with or without a scale."""
    if scaled:
        return ([f'length_{d}_{s}_m' for d in DIRECTIONS for s in SEVERITIES] +
                [f'network_area_{s}_m2' for s in SEVERITIES] +
                ['length_m', 'surveyed_area_m2', 'density_m_per_m2'])
    return ([f'length_{d}_px' for d in DIRECTIONS] +
            ['network_area_px', 'length_px', 'surveyed_area_px'])


def survey_row(geometry: CrackGeometry, shape: Sequence[int], source: str,
               frame: Optional[int] = None,
               time_s: Optional[float] = None) -> Dict[str, object]:
    """The survey figures of one photo (see the module docstring).

    Args:
        geometry (CrackGeometry): Its crack geometry; its ``mm_per_pixel``
            decides metres or pixels.
        shape (Sequence[int]): The photo's (height, width).
        source (str): The photo (or video) it comes from.
        frame (int, optional): The video frame index.
        time_s (float, optional): The video frame's time.
    """
    scale = geometry.mm_per_pixel
    row = dict(source=source, frame=frame, time_s=time_s)
    row.update({column: 0.0 for column in survey_columns(bool(scale))})
    height, width = shape[:2]
    total = 0.0
    for branch in geometry.branches:
        total += branch.length_px
        if branch.crack in geometry.network_cracks:
            continue
        if scale:
            key = f'length_{branch.direction}_{branch.severity}_m'
            row[key] += branch.length_px * scale / 1000
        else:
            row[f'length_{branch.direction}_px'] += branch.length_px
    for network in geometry.networks:
        if scale:
            row[f'network_area_{network["severity"]}_m2'] += (
                network['area_px'] * (scale / 1000)**2)
        else:
            row['network_area_px'] += network['area_px']
    if scale:
        row['length_m'] = total * scale / 1000
        row['surveyed_area_m2'] = height * width * (scale / 1000)**2
        row['density_m_per_m2'] = row['length_m'] / row['surveyed_area_m2']
    else:
        row['length_px'] = total
        row['surveyed_area_px'] = float(height * width)
    return row


def survey_totals(rows: Sequence[dict]) -> Dict[str, float]:
    """Sums of the rows' figures; the density is total length over total
    surveyed area."""
    if not rows:
        return {}
    columns = [k for k in rows[0] if k not in ROW_KEYS]
    totals = {k: float(sum(row[k] for row in rows)) for k in columns}
    if 'density_m_per_m2' in totals:
        area = totals['surveyed_area_m2']
        totals['density_m_per_m2'] = (
            totals['length_m'] / area if area else 0.0)
    return totals


def save_survey(rows: Sequence[dict], csv_path: str, json_path: str,
                **extra) -> Dict[str, float]:
    """Write the rows and their totals to CSV (a last ``TOTAL`` row) and
    JSON (``rows``, ``totals`` and the ``extra`` keys), each under a
    temporary name moved into place. Returns the totals."""
    totals = survey_totals(rows)
    columns = list(ROW_KEYS) + [k for k in (rows[0] if rows else {})
                                if k not in ROW_KEYS]
    with open(csv_path + '.part', 'w', newline='') as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({
                k: round(v, 6) if isinstance(v, float) else v
                for k, v in row.items()
            })
        if rows:
            writer.writerow(dict(source='TOTAL', **{
                k: round(v, 6)
                for k, v in totals.items()
            }))
    with open(json_path + '.part', 'w') as f:
        json.dump(dict(extra, rows=list(rows), totals=totals), f, indent=2)
    os.replace(csv_path + '.part', csv_path)
    os.replace(json_path + '.part', json_path)
    return totals
