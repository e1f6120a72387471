"""Per-crack geometry on generated masks of known geometry."""
import json

import cv2
import numpy as np
import pytest

from mmcrack.apis.crack_geometry import (LTPP_BOUNDS, crack_geometry,
                                         geometry_to_geojson,
                                         read_georeference, severity_of)
from mmcrack.apis.crack_width_validation import generated_crack, width_errors


def line(mask, p0, p1, width):
    cv2.line(mask, p0, p1, 1, thickness=width)
    return mask


@pytest.mark.parametrize('angle,direction', [(0, 'transverse'),
                                             (30, None),  # the bound
                                             (45, 'oblique'),
                                             (90, 'longitudinal')])
def test_straight_crack(angle, direction):
    mask, true_width = generated_crack(5, angle)
    geometry = crack_geometry(mask)
    assert len(geometry.branches) == 1 and not geometry.networks
    branch = geometry.branches[0]
    assert branch.length_px == pytest.approx(200, abs=6)
    assert branch.angle_deg == pytest.approx(angle, abs=1)
    assert direction is None or branch.direction == direction
    assert branch.width_px['mean'] == pytest.approx(true_width, abs=0.2)
    assert branch.severity is None  # no scale, no severity
    # The polyline follows the crack from end to end.
    ends = branch.points[[0, -1]]
    assert np.linalg.norm(ends[0] - ends[1]) == pytest.approx(200, abs=8)


def test_y_junction_splits_three_branches():
    mask = np.zeros((300, 300), np.uint8)
    for end in ((150, 20), (30, 270), (270, 270)):
        line(mask, (150, 150), end, 3)
    geometry = crack_geometry(mask)
    assert len(geometry.branches) == 3
    assert {b.crack for b in geometry.branches} == {0}
    # Each branch runs from the junction (shared point) to its end.
    starts = [tuple(np.round(b.points[0])) for b in geometry.branches]
    ends = [tuple(np.round(b.points[-1])) for b in geometry.branches]
    shared = set(starts) & set(ends) or set(starts) | set(ends)
    meeting = [p for p in set(starts + ends)
               if np.hypot(p[0] - 150.5, p[1] - 150.5) < 4]
    assert meeting, (starts, ends, shared)
    assert sum(b.length_px for b in geometry.branches) == pytest.approx(
        130 + 2 * np.hypot(120, 120), rel=0.05)
    assert not geometry.networks  # one junction only


def test_closed_loop_is_one_closed_branch():
    mask = np.zeros((200, 200), np.uint8)
    cv2.circle(mask, (100, 100), 60, 1, thickness=3)
    geometry = crack_geometry(mask)
    assert len(geometry.branches) == 1
    points = geometry.branches[0].points
    assert np.allclose(points[0], points[-1])
    assert geometry.branches[0].length_px == pytest.approx(
        2 * np.pi * 60, rel=0.05)
    assert not geometry.networks  # one loop is a crack, not a network


def test_grid_is_a_network_measured_by_area():
    mask = np.zeros((220, 220), np.uint8)
    for i in range(20, 201, 60):  # 3 px wide lines, 4 each way
        mask[i - 1:i + 2, 19:202] = 1
        mask[19:202, i - 1:i + 2] = 1
    geometry = crack_geometry(mask, mm_per_pixel=1.9)
    assert len(geometry.networks) == 1
    network = geometry.networks[0]
    assert network['area_px'] == pytest.approx(183 * 183, rel=0.03)
    assert network['mean_width_px'] == pytest.approx(3, abs=0.3)
    assert network['severity'] == 'low'  # 5.7 mm
    assert all(b.crack in geometry.network_cracks for b in geometry.branches)
    collection = geometry_to_geojson(geometry)
    polygons = [f for f in collection['features']
                if f['geometry']['type'] == 'Polygon']
    assert len(polygons) == 1
    assert polygons[0]['properties']['area_m2'] == pytest.approx(
        network['area_px'] * 1.9**2 * 1e-6)


@pytest.mark.parametrize('width_px,mm_per_pixel,severity', [
    (3, 2.0, 'low'),  # 6 mm: the low bound is inclusive
    (7, 1.0, 'moderate'),
    (19, 1.0, 'moderate'),
    (11, 2.0, 'high'),  # 22 mm
])
def test_severity_from_the_width_in_mm(width_px, mm_per_pixel, severity):
    mask = np.zeros((240, 240), np.uint8)
    mask[120 - width_px // 2:120 - width_px // 2 + width_px, 20:220] = 1
    geometry = crack_geometry(mask, mm_per_pixel=mm_per_pixel)
    (branch, ) = geometry.branches
    assert branch.width_px['mean'] == pytest.approx(width_px, abs=0.05)
    assert branch.severity == severity
    assert severity_of(6.0) == 'low' and severity_of(6.01) == 'moderate'
    assert severity_of(19.01, LTPP_BOUNDS) == 'high'
    assert severity_of(10.0, (12, 30)) == 'low'
    with pytest.raises(ValueError, match='0 < low < high'):
        severity_of(1.0, (19, 6))


def test_geojson_of_a_georeferenced_photo(tmp_path):
    pytest.importorskip('rasterio')
    mask = np.zeros((100, 160), np.uint8)
    mask[50, 10:150] = 1
    mask[49:52, 10:150] = 1
    photo = tmp_path / 'road.png'
    cv2.imwrite(str(photo), np.full((100, 160, 3), 128, np.uint8))
    # World file: 0.01 map units a pixel, north up, top-left pixel centre
    # at (500000.005, 4100000.995).
    (tmp_path / 'road.pgw').write_text(
        '0.01\n0\n0\n-0.01\n500000.005\n4100000.995\n')
    transform, crs = read_georeference(str(photo))
    assert transform is not None and crs is None
    geometry = crack_geometry(mask)
    collection = geometry_to_geojson(geometry, transform)
    json.dumps(collection)  # plain JSON
    (feature, ) = collection['features']
    assert collection['coordinates'] == 'map'
    coords = np.array(feature['geometry']['coordinates'])
    pixels = geometry.branches[0].points
    # Image coordinates (x, y) -> map: x0 + 0.01 x, y0 - 0.01 y, with the
    # world file's top-left corner at (500000.0, 4100001.0).
    np.testing.assert_allclose(coords[:, 0], 500000.0 + 0.01 * pixels[:, 0])
    np.testing.assert_allclose(coords[:, 1], 4100001.0 - 0.01 * pixels[:, 1])
    # A photo without a georeference stays in image coordinates.
    cv2.imwrite(str(tmp_path / 'plain.png'), np.zeros((4, 4, 3), np.uint8))
    assert read_georeference(str(tmp_path / 'plain.png')) == (None, None)
    plain = geometry_to_geojson(geometry)
    assert plain['coordinates'] == 'image'
    np.testing.assert_allclose(
        plain['features'][0]['geometry']['coordinates'], pixels)


def test_width_methods_on_generated_cracks():
    errors = width_errors(widths=(1, 4, 9, 16), angles=(0, 30, 60))
    mae = {m: np.mean(np.concatenate(list(e.values())))
           for m, e in errors.items()}
    assert mae['orthogonal'] < 0.15 < 0.5 < mae['distance']


def test_empty_and_bad_masks():
    assert crack_geometry(np.zeros((10, 10))).branches == []
    with pytest.raises(ValueError, match='H x W'):
        crack_geometry(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match='width_method'):
        crack_geometry(np.zeros((2, 2)), width_method='median')
