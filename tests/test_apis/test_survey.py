"""Survey figures from crack geometry: buckets, units and totals."""
import csv
import json

import numpy as np
import pytest

from mmcrack.apis.crack_geometry import crack_geometry
from mmcrack.apis.survey import save_survey, survey_row


def photo_with_cracks():
    """A 7 px transverse crack of 200 px and a 3 px grid network."""
    mask = np.zeros((400, 400), np.uint8)
    mask[47:54, 100:300] = 1
    for i in range(200, 381, 60):
        mask[i - 1:i + 2, 199:382] = 1
        mask[199:382, i - 1:i + 2] = 1
    return mask


def test_buckets_by_direction_and_severity():
    geometry = crack_geometry(photo_with_cracks(), mm_per_pixel=1.0)
    row = survey_row(geometry, (400, 400), 'a.jpg')
    # 7 mm wide: moderate; 200 mm long.
    assert row['length_transverse_moderate_m'] == pytest.approx(0.2, abs=0.01)
    other = [k for k in row if k.startswith('length_') and k.endswith('_m')
             and k != 'length_transverse_moderate_m' and k != 'length_m']
    assert all(row[k] == 0 for k in other)
    assert row['network_area_low_m2'] == pytest.approx(0.183**2, rel=0.03)
    assert row['surveyed_area_m2'] == pytest.approx(0.16)
    assert row['density_m_per_m2'] == pytest.approx(
        row['length_m'] / 0.16)
    assert row['length_m'] > 0.2 + 8 * 0.17  # the grid's branches too


def test_without_a_scale_in_pixels():
    geometry = crack_geometry(photo_with_cracks())
    row = survey_row(geometry, (400, 400), 'a.jpg', frame=3, time_s=0.1)
    assert (row['frame'], row['time_s']) == (3, 0.1)
    assert row['length_transverse_px'] == pytest.approx(200, abs=5)
    assert row['network_area_px'] == pytest.approx(183**2, rel=0.03)
    assert not [k for k in row if k.endswith('_m')]


def test_totals_are_the_sums(tmp_path):
    geometry = crack_geometry(photo_with_cracks(), mm_per_pixel=2.0)
    rows = [survey_row(geometry, (400, 400), f'{i}.jpg') for i in range(3)]
    totals = save_survey(rows, str(tmp_path / 's.csv'),
                         str(tmp_path / 's.json'), mm_per_pixel=2.0)
    assert totals['length_m'] == pytest.approx(3 * rows[0]['length_m'])
    assert totals['density_m_per_m2'] == pytest.approx(
        rows[0]['density_m_per_m2'])
    saved = json.loads((tmp_path / 's.json').read_text())
    assert saved['mm_per_pixel'] == 2.0 and len(saved['rows']) == 3
    with open(tmp_path / 's.csv') as f:
        table = list(csv.DictReader(f))
    assert table[-1]['source'] == 'TOTAL'
    assert float(table[-1]['length_m']) == pytest.approx(totals['length_m'])
    assert not list(tmp_path.glob('*.part'))
