"""A survey report people read: ``report.html`` of an inference run.

:func:`draw_severity_overlay` paints a photo's crack branches by severity
(and network outlines) for the report; :func:`write_report` writes one
self-contained HTML page (charts and thumbnails embedded as PNG/JPEG data)
with the run summary, the survey table (one row per photo and the totals),
per-photo thumbnails linked to the full-size severity overlays, a histogram
of branch widths and a chart of crack length by direction and severity
(matplotlib).
"""
import base64
import html
import io
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .crack_geometry import SEVERITIES, CrackGeometry
from .quantification import DIRECTIONS

#: BGR colours of the overlay: severities, no severity (no scale), networks.
SEVERITY_COLOURS = dict(
    low=(0, 215, 255), moderate=(0, 128, 255), high=(0, 0, 230))
UNRATED_COLOUR = (255, 200, 0)
NETWORK_COLOUR = (200, 0, 200)
#: Width (px) of the longer side of a thumbnail.
THUMBNAIL_SIZE = 320


def draw_severity_overlay(image: np.ndarray,
                          geometry: CrackGeometry) -> np.ndarray:
    """``image`` (BGR) with each branch drawn in its severity's colour
    (:data:`SEVERITY_COLOURS`; :data:`UNRATED_COLOUR` without a scale) and
    each network's outline in :data:`NETWORK_COLOUR`."""
    canvas = (image * 0.6).astype(np.uint8)
    thickness = max(1, round(max(image.shape[:2]) / 400))
    for network in geometry.networks:
        outline = np.round(network['outline'] - 0.5).astype(np.int32)
        cv2.polylines(canvas, [outline], True, NETWORK_COLOUR, thickness)
    for branch in geometry.branches:
        colour = SEVERITY_COLOURS.get(branch.severity, UNRATED_COLOUR)
        points = np.round(branch.points - 0.5).astype(np.int32)
        cv2.polylines(canvas, [points], False, colour, thickness + 1)
    return canvas


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=100, bbox_inches='tight')
    return base64.b64encode(buffer.getvalue()).decode()


def _charts(widths: Sequence[float], totals: Dict[str, float],
            unit: str) -> List[str]:
    """The width histogram and the length-by-severity chart, as PNG data."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    charts = []
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.hist(widths if len(widths) else [0], bins=30, color='#e6550d')
    axis.set_xlabel(f'mean branch width ({unit})')
    axis.set_ylabel('branches')
    axis.set_title('Crack width')
    charts.append(_png(figure))
    plt.close(figure)
    figure, axis = plt.subplots(figsize=(5, 3))
    if 'length_m' in totals:
        bottom = np.zeros(len(DIRECTIONS))
        for severity in SEVERITIES:
            values = np.array([
                totals.get(f'length_{d}_{severity}_m', 0.0)
                for d in DIRECTIONS
            ])
            colour = np.array(SEVERITY_COLOURS[severity][::-1]) / 255
            axis.bar(DIRECTIONS, values, bottom=bottom, label=severity,
                     color=colour)
            bottom += values
        axis.set_ylabel('length (m)')
        axis.legend()
        axis.set_title('Crack length by direction and severity')
    else:
        axis.bar(DIRECTIONS,
                 [totals.get(f'length_{d}_px', 0.0) for d in DIRECTIONS],
                 color='#3182bd')
        axis.set_ylabel('length (px)')
        axis.set_title('Crack length by direction (no scale: no severity)')
    charts.append(_png(figure))
    plt.close(figure)
    return charts


def _compact(row: Dict[str, float]) -> Dict[str, float]:
    """The report's columns of a survey row or of the totals: length in
    all, by severity and by direction, network area, density (the full
    breakdown is in survey.csv)."""
    if 'length_m' in row:
        out = {'length (m)': row['length_m']}
        for severity in SEVERITIES:
            out[f'{severity} (m)'] = sum(
                row[f'length_{d}_{severity}_m'] for d in DIRECTIONS)
        for direction in DIRECTIONS:
            out[f'{direction} (m)'] = sum(
                row[f'length_{direction}_{s}_m'] for s in SEVERITIES)
        out['network area (m²)'] = sum(
            row[f'network_area_{s}_m2'] for s in SEVERITIES)
        out['density (m/m²)'] = row['density_m_per_m2']
        return out
    out = {'length (px)': row['length_px']}
    out.update({
        f'{d} (px)': row[f'length_{d}_px']
        for d in DIRECTIONS
    })
    out['network area (px)'] = row['network_area_px']
    return out


def _cell(value) -> str:
    if value is None:
        return ''
    if isinstance(value, float):
        return f'{value:.3f}'
    return html.escape(str(value))


def write_report(path: str,
                 rows: Sequence[dict],
                 totals: Dict[str, float],
                 overlays: Sequence[Optional[str]],
                 widths: Sequence[float],
                 summary: Dict[str, object]) -> str:
    """Write the report page ``path`` (written under a temporary name and
    moved into place).

    Args:
        path (str): ``report.html``.
        rows (Sequence[dict]): The survey rows (:func:`survey_row`), one per
            photo or frame.
        totals (dict): Their totals (:func:`survey_totals`).
        overlays (Sequence[str | None]): Per row, the full-size severity
            overlay (relative to the report's folder), or None.
        widths (Sequence[float]): Every branch's mean width (mm with a
            scale, else px).
        summary (dict): Run facts shown at the top (model, input, scale,
            severity bounds, counts).

    Returns:
        str: ``path``.
    """
    folder = osp.dirname(osp.abspath(path))
    unit = 'mm' if 'length_m' in totals else 'px'
    columns = list(_compact(totals)) if rows else []
    charts = _charts(widths, totals, unit)
    lines = [
        '<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
        '<title>Crack survey</title>', '<style>',
        'body{font-family:sans-serif;margin:24px}'
        'table{border-collapse:collapse;font-size:12px}'
        'td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}'
        'td:first-child,th:first-child{text-align:left}'
        'tr.total{font-weight:bold;background:#f2f2f2}'
        'img.thumb{max-width:%dpx}' % THUMBNAIL_SIZE, '</style></head><body>',
        '<h1>Crack survey</h1>', '<h2>Run</h2>', '<ul id="summary">'
    ]
    lines += [
        f'<li><b>{html.escape(str(k))}</b>: {_cell(v)}</li>'
        for k, v in summary.items()
    ]
    lines += ['</ul>', '<h2>Charts</h2>', '<div id="charts">']
    lines += [
        f'<img alt="chart {i}" src="data:image/png;base64,{chart}">'
        for i, chart in enumerate(charts)
    ]
    lines += [
        '</div>', '<h2>Survey</h2>',
        '<p>Branches by severity: <span style="color:#ffd700">low</span>, '
        '<span style="color:#ff8000">moderate</span>, '
        '<span style="color:#e60000">high</span> (cyan: no scale); network '
        'outlines in purple. The full breakdown by direction and severity '
        'is in survey.csv.</p>', '<table id="survey">', '<tr>'
    ]
    lines += [f'<th>{html.escape(c)}</th>'
              for c in ['photo', 'frame', 'time (s)', 'overlay'] + columns]
    lines.append('</tr>')
    for row, overlay in zip(rows, overlays):
        lines.append('<tr class="photo">')
        lines += [
            f'<td>{_cell(row.get(k))}</td>'
            for k in ('source', 'frame', 'time_s')
        ]
        if overlay:
            image = cv2.imread(osp.join(folder, overlay))
            scale = THUMBNAIL_SIZE / max(image.shape[:2])
            thumb = cv2.resize(image, None, fx=min(scale, 1), fy=min(
                scale, 1), interpolation=cv2.INTER_AREA)
            data = base64.b64encode(cv2.imencode('.jpg', thumb)[1]).decode()
            lines.append(
                f'<td><a href="{html.escape(overlay)}"><img class="thumb" '
                f'alt="{html.escape(str(row["source"]))}" '
                f'src="data:image/jpeg;base64,{data}"></a></td>')
        else:
            lines.append('<td></td>')
        lines += [
            f'<td>{_cell(v)}</td>' for v in _compact(row).values()
        ]
        lines.append('</tr>')
    lines.append('<tr class="total"><td>TOTAL</td><td></td><td></td><td></td>')
    if rows:
        lines += [f'<td>{_cell(v)}</td>' for v in _compact(totals).values()]
    lines += ['</tr>', '</table>', '</body></html>']
    with open(path + '.part', 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    os.replace(path + '.part', path)
    return path
