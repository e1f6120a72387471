"""Crack measurements on synthetic masks of known geometry."""
import csv
import json

import numpy as np
import pytest

from mmcrack.apis.quantification import (CSV_COLUMNS, classify_crack,
                                         clean_mask, measure_cracks,
                                         save_measurements)


def hline(length=100, width=3, shape=(120, 200), row=60, col=50):
    """A horizontal bar ``width`` px wide and ``length`` px long."""
    mask = np.zeros(shape, np.uint8)
    top = row - width // 2
    mask[top:top + width, col:col + length] = 1
    return mask


def grid(lines=(60, 120, 180), size=240, lo=30, hi=211):
    """Three horizontal and three vertical 3 px lines crossing in 9 places,
    enclosing 4 cells, not touching the border."""
    mask = np.zeros((size, size), np.uint8)
    for c in lines:
        mask[c - 1:c + 2, lo:hi] = 1
        mask[lo:hi, c - 1:c + 2] = 1
    return mask


def test_horizontal_line_is_transverse_with_exact_width():
    result = measure_cracks(hline())
    assert abs(result['length_px'] - 100) <= 2
    assert result['mean_width_px'] == pytest.approx(3.0)
    assert result['max_width_px'] == pytest.approx(3.0)
    assert result['crack_type'] == 'transverse'
    assert result['transverse_share'] == pytest.approx(1.0)
    assert result['crack_pixels'] == 300
    assert result['area_ratio'] == pytest.approx(300 / (120 * 200))
    assert (result['num_cracks'], result['num_branches'],
            result['num_junctions'], result['num_loops']) == (1, 1, 0, 0)
    assert result['length_mm'] is None and result['crack_area_mm2'] is None


def test_vertical_line_is_longitudinal():
    result = measure_cracks(hline(length=150).T)
    assert abs(result['length_px'] - 150) <= 2
    assert result['mean_width_px'] == pytest.approx(3.0)
    assert result['max_width_px'] == pytest.approx(3.0)
    assert result['crack_type'] == 'longitudinal'
    assert result['longitudinal_share'] == pytest.approx(1.0)


@pytest.mark.parametrize('width', [1, 5, 7])
def test_odd_widths_are_exact(width):
    result = measure_cracks(hline(width=width))
    assert result['mean_width_px'] == pytest.approx(width)
    assert result['max_width_px'] == pytest.approx(width)


def test_even_width_reads_one_pixel_less():
    # Documented: the skeleton lies on one of the two centre rows.
    assert measure_cracks(hline(width=4))['mean_width_px'] == pytest.approx(3)


def test_diagonal_line_is_oblique():
    mask = np.zeros((200, 200), np.uint8)
    for i in range(20, 170):
        mask[i, i - 1:i + 2] = 1
    result = measure_cracks(mask)
    assert result['crack_type'] == 'oblique'
    assert result['oblique_share'] == pytest.approx(1.0)
    # The centre line: 149 diagonal steps between its end pixels.
    assert result['length_px'] == pytest.approx(149 * np.sqrt(2), abs=3)
    assert result['num_junctions'] == 0


def test_grid_is_a_network_with_its_junctions_branches_and_loops():
    result = measure_cracks(grid())
    assert result['crack_type'] == 'network'
    assert result['num_cracks'] == 1
    assert result['num_junctions'] == 9
    # Each line is cut into 4 branches by the 3 lines crossing it.
    assert result['num_branches'] == 6 * 4
    assert result['num_loops'] == 4
    # Centre lines: 6 x 181 px, the 9 crossing pixels counted once.
    assert result['length_px'] == pytest.approx(6 * 181 - 9, abs=6)
    assert result['transverse_share'] == pytest.approx(0.5, abs=0.05)


def test_y_junction_and_spur_pruning():
    mask = np.zeros((200, 200), np.uint8)
    mask[99:102, 20:100] = 1
    for i in range(60):
        mask[99 - i:102 - i, 99 + i:102 + i] = 1
        mask[99 + i:102 + i, 99 + i:102 + i] = 1
    result = measure_cracks(mask)
    assert (result['num_junctions'], result['num_branches']) == (1, 3)
    # A 3 px bump on a 7 px wide crack is not a branch.
    bar = hline(width=7, length=150)
    bar[55:57, 100:103] = 1
    result = measure_cracks(bar)
    assert (result['num_junctions'], result['num_branches']) == (0, 1)
    assert result['crack_type'] == 'transverse'


def test_empty_mask():
    result = measure_cracks(np.zeros((40, 50), np.uint8), mm_per_pixel=0.5)
    assert result['crack_type'] == 'none'
    assert result['crack_pixels'] == 0 and result['length_px'] == 0
    assert result['num_cracks'] == 0 and result['max_width_px'] == 0
    assert result['length_mm'] == 0 and result['crack_area_mm2'] == 0
    assert (result['height'], result['width']) == (40, 50)


def test_millimetres():
    px = measure_cracks(hline())
    mm = measure_cracks(hline(), mm_per_pixel=0.5)
    assert mm['length_mm'] == pytest.approx(px['length_px'] * 0.5)
    assert mm['mean_width_mm'] == pytest.approx(1.5)
    assert mm['max_width_mm'] == pytest.approx(1.5)
    assert mm['crack_area_mm2'] == pytest.approx(300 * 0.25)


def test_min_area_drops_specks_and_fills_pinholes():
    mask = hline(width=5)
    mask[10:12, 10:13] = 1  # a 6 px speck
    mask[60, 80] = 0  # a 1 px hole inside the crack
    cleaned, loops = clean_mask(mask, min_area=10)
    assert cleaned.sum() == 500 and loops == 0
    result = measure_cracks(mask, min_area=10)
    assert result['num_cracks'] == 1 and result['crack_pixels'] == 500
    kept = measure_cracks(mask, min_area=1)
    assert kept['num_cracks'] == 2 and kept['num_loops'] == 1


def test_mask_values_and_border_cracks():
    # 0/255 masks work the same; a crack cut by the image border keeps
    # its width there.
    mask = hline(length=200, col=0) * 255
    result = measure_cracks(mask)
    assert result['crack_pixels'] == 600
    assert result['max_width_px'] == pytest.approx(3.0)
    assert result['crack_type'] == 'transverse'


def test_classify_crack_rules():
    shares = dict(transverse=0.7, longitudinal=0.2, oblique=0.1)
    assert classify_crack(shares, 0, 0) == 'transverse'
    assert classify_crack(shares, 2, 0) == 'network'
    assert classify_crack(shares, 0, 3) == 'network'
    mixed = dict(transverse=0.5, longitudinal=0.45, oblique=0.05)
    assert classify_crack(mixed, 0, 0) == 'network'
    assert classify_crack(dict.fromkeys(shares, 0.0), 0, 0) == 'none'


def test_save_measurements(tmp_path):
    records = [
        dict(
            source='a.jpg',
            frame=None,
            mode='whole',
            **measure_cracks(hline(), mm_per_pixel=2.0)),
        dict(
            source='clip.mp4',
            frame=3,
            mode='slide',
            **measure_cracks(np.zeros((120, 200)), mm_per_pixel=2.0)),
    ]
    csv_path, json_path = tmp_path / 'm.csv', tmp_path / 'm.json'
    totals = save_measurements(
        records,
        str(csv_path),
        str(json_path),
        mm_per_pixel=2.0,
        min_area=10,
        skipped=[])
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r['source'] for r in rows] == ['a.jpg', 'clip.mp4']
    assert rows[0]['frame'] == '' and rows[1]['frame'] == '3'
    assert float(rows[0]['mean_width_mm']) == pytest.approx(6.0)
    summary = json.loads(json_path.read_text())
    assert summary['min_area'] == 10 and summary['skipped'] == []
    assert summary['images'][1]['mode'] == 'slide'
    assert summary['totals'] == totals
    assert totals['images'] == 2 and totals['images_with_cracks'] == 1
    assert totals['crack_pixels'] == 300
    assert totals['crack_types']['transverse'] == 1
    assert totals['crack_types']['none'] == 1
    assert totals['mean_width_px'] == pytest.approx(3.0)
    assert totals['length_mm'] == pytest.approx(records[0]['length_px'] * 2)
