"""Per-crack geometry for surveys: branches, widths, severity, GeoJSON.

:func:`crack_geometry` turns a binary crack mask into the distress figures
an inspection report uses: each crack (8-connected component after
:func:`~mmcrack.apis.quantification.clean_mask`) as branches (skeleton
polylines between ends and junctions, the same skeleton and spur pruning as
:func:`~mmcrack.apis.quantification.measure_cracks`), and each crack with
loops or several junctions as a ``network`` measured by its area.

Per branch:

``points``
    The branch as a polyline, ``(x, y)`` in image coordinates (origin at
    the image's top-left corner, so the centre of pixel ``(row, col)`` is
    ``(col + 0.5, row + 0.5)``), from end or junction to end or junction (a
    junction pixel is shared by the branches that meet there): its skeleton
    pixel centres in order, simplified (Douglas-Peucker, 1 px) so that the
    pixel staircase does not lengthen it.
``length_px``
    Polyline length, plus half a pixel at each free end (as
    ``measure_cracks`` counts a skeleton end).
``angle_deg``, ``direction``
    Angle of the branch's principal axis to the image's horizontal axis
    (0-90) and its class: ``transverse`` below 30, ``longitudinal`` above
    60 degrees (the driving direction vertical in the image), ``oblique``
    in between.
``width`` (mean, max, p90)
    Crack width along the branch, by :data:`WIDTH_METHODS`:

    - ``'orthogonal'`` (default): measured across the crack, perpendicular
      to the local skeleton direction (the polyline's direction over
      :data:`TANGENT_HALF_SPAN` points each way): the mask, interpolated
      bilinearly between pixel centres, is followed from the skeleton
      point both ways along the normal to where it drops below one half
      (the crack's border, half a pixel past the last crack pixel); the
      width is the distance between the two crossings.
    - ``'distance'``: ``2 * d - 1`` with ``d`` the Euclidean distance
      transform at the skeleton pixel (``measure_cracks``' width).

    ``docs/inference.md`` reports both methods' errors on generated cracks
    of known width. The statistics leave out a free end's pixel and the
    points within one and a half junction widths of a junction, where the
    cross-section runs into the crossing crack.
``severity``
    With a scale (``mm_per_pixel``), the branch's mean width in mm against
    ``severity_bounds`` (default :data:`LTPP_BOUNDS`, the LTPP Distress
    Identification Manual's 6 and 19 mm for longitudinal and transverse
    cracking in asphalt): ``low`` up to the first bound, ``moderate`` up
    to the second, ``high`` above; None without a scale.

A crack is a ``network`` when it encloses at least ``NETWORK_MIN_LOOPS``
holes or has at least ``NETWORK_MIN_JUNCTIONS`` junctions (the rules of
``measure_cracks``' image type); its outline (the component with its holes
filled) is a polygon whose area is reported, with the severity of the mean
width of its branches.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from scipy.ndimage import map_coordinates
from skimage.morphology import skeletonize

from .quantification import (DEFAULT_MIN_AREA, DIRECTIONS,
                             NETWORK_MIN_JUNCTIONS, NETWORK_MIN_LOOPS,
                             _direction_class, _fold, _prune_spurs,
                             _SkeletonGraph, clean_mask)

#: The width methods; the first is the default.
WIDTH_METHODS = ('orthogonal', 'distance')
#: LTPP Distress Identification Manual (FHWA-HRT-13-092) mean-width bounds
#: of longitudinal and transverse cracking in asphalt, mm: low <= 6,
#: moderate <= 19, high above.
LTPP_BOUNDS = (6.0, 19.0)
SEVERITIES = ('low', 'moderate', 'high')
#: Polyline points on each side used for a branch's local direction.
TANGENT_HALF_SPAN = 3
#: Douglas-Peucker tolerance (px) of the branch polylines.
SIMPLIFY_TOLERANCE = 1.0
#: Step (px) of the walk along the normal, and its longest reach.
NORMAL_STEP = 0.25
NORMAL_REACH = 100.0


@dataclass
class Branch:
    """One skeleton branch of a crack (see the module docstring)."""
    crack: int
    points: np.ndarray
    length_px: float
    angle_deg: float
    direction: str
    width_px: Dict[str, float]
    severity: Optional[str] = None


@dataclass
class CrackGeometry:
    """The branches and networks of one mask.

    Attributes:
        branches (list[Branch]): Every branch, of every crack.
        networks (list[dict]): One per network crack: ``crack``,
            ``outline`` (``(x, y)`` points of its outer border, image
            coordinates), ``area_px``, ``mean_width_px``, ``severity``.
        network_cracks (set[int]): The ids of the network cracks.
        mm_per_pixel (float, optional): The scale used for severities.
        width_method (str): The width method of ``width_px``.
    """
    branches: List[Branch] = field(default_factory=list)
    networks: List[dict] = field(default_factory=list)
    network_cracks: set = field(default_factory=set)
    mm_per_pixel: Optional[float] = None
    width_method: str = WIDTH_METHODS[0]


def severity_of(width_mm: Optional[float],
                bounds: Sequence[float] = LTPP_BOUNDS) -> Optional[str]:
    """``'low'``, ``'moderate'`` or ``'high'`` for a width in mm; None
    without a width."""
    if width_mm is None or not np.isfinite(width_mm):
        return None
    low, high = bounds
    if not 0 < low < high:
        raise ValueError(f'severity bounds must be 0 < low < high, not '
                         f'{tuple(bounds)}.')
    return SEVERITIES[0 if width_mm <= low else 1 if width_mm <= high else 2]


def _neighbours(graph: _SkeletonGraph) -> List[np.ndarray]:
    order = np.argsort(graph.rows, kind='stable')
    starts = np.searchsorted(graph.rows[order], np.arange(len(graph) + 1))
    cols = graph.cols[order]
    return [cols[starts[i]:starts[i + 1]] for i in range(len(graph))]


def _trace(pixels: np.ndarray, neighbours: List[np.ndarray],
           junction: np.ndarray) -> List[int]:
    """Order one branch's pixels along the branch, with the junction
    pixels it touches at its ends."""
    members = set(pixels.tolist())
    inside = {
        p: [q for q in neighbours[p] if q in members]
        for p in members
    }
    ends = [p for p in members if len(inside[p]) < 2]
    start = min(ends) if ends else min(members)
    path, visited = [start], {start}
    while True:
        following = [q for q in inside[path[-1]] if q not in visited]
        if not following:
            break
        path.append(following[0])
        visited.add(following[0])
    first = [q for q in neighbours[path[0]] if junction[q]]
    last = [q for q in neighbours[path[-1]] if junction[q]]
    if len(path) == 1 and len(first) > 1:  # one pixel between two junctions
        first, last = first[:1], first[1:]
    if first:
        path.insert(0, first[0])
    if last and (len(path) > 1 or not first):
        path.append(last[0])
    if not ends and len(path) > 2:  # a ring: close it
        path.append(path[0])
    return path


def _orthogonal_widths(crack: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Width across the crack at each point of one polyline (pixel-centre
    coordinates ``(x, y)``), perpendicular to its local direction."""
    n = len(points)
    if n < 2:
        return np.full(n, np.nan)
    k = TANGENT_HALF_SPAN
    ahead = points[np.minimum(np.arange(n) + k, n - 1)]
    behind = points[np.maximum(np.arange(n) - k, 0)]
    tangent = ahead - behind
    norm = np.linalg.norm(tangent, axis=1, keepdims=True)
    tangent = tangent / np.maximum(norm, 1e-9)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    steps = np.arange(0, NORMAL_REACH + NORMAL_STEP, NORMAL_STEP)
    image = crack.astype(np.float32)
    reach = []
    for sign in (1.0, -1.0):
        # Sample positions (N, S) along the normal; pixel (r, c) has its
        # centre at (c + 0.5, r + 0.5).
        xs = points[:, :1] + sign * normal[:, :1] * steps - 0.5
        ys = points[:, 1:] + sign * normal[:, 1:] * steps - 0.5
        values = map_coordinates(
            image, [ys.ravel(), xs.ravel()], order=1,
            mode='constant').reshape(xs.shape)
        outside = values < 0.5
        first = np.argmax(outside, axis=1)
        found = outside[np.arange(n), first]
        # Linear interpolation of the crossing between the two samples.
        i = np.maximum(first, 1)
        v0, v1 = values[np.arange(n), i - 1], values[np.arange(n), i]
        frac = np.clip((v0 - 0.5) / np.maximum(v0 - v1, 1e-9), 0, 1)
        t = (i - 1 + frac) * NORMAL_STEP
        reach.append(np.where(found & (first > 0), t, np.nan))
    return reach[0] + reach[1]


def _simplified(points: np.ndarray) -> np.ndarray:
    """The polyline without its pixel staircase: Douglas-Peucker with a
    tolerance of :data:`SIMPLIFY_TOLERANCE` px (shapely), so that its
    length is the crack's, not the chain code's (a 30-degree line's chain
    of pixel steps is 5 % longer than the line)."""
    if len(points) < 3:
        return points
    from shapely.geometry import LineString
    simple = LineString(points).simplify(SIMPLIFY_TOLERANCE)
    return np.asarray(simple.coords, dtype=np.float64)


def _measured(path: List[int], points: np.ndarray, junction: np.ndarray,
              distance: np.ndarray, graph: _SkeletonGraph) -> np.ndarray:
    """The points of a branch whose width is measured: not a free end
    pixel (where the distance reaches the crack's end, not its side), and
    not within one and a half junction widths of a junction (where the
    cross-section runs into the crossing crack)."""
    keep = np.ones(len(path), bool)
    if len(path) > 2:
        keep[[0, -1]] = False
    for position in (0, -1):
        node = path[position]
        if junction[node]:
            reach = 1.5 * 2.0 * distance[graph.ys[node], graph.xs[node]]
            keep &= np.linalg.norm(points - points[position],
                                   axis=1) >= reach
    if not keep.any():
        keep = np.ones(len(path), bool)
        if len(path) > 2:
            keep[[0, -1]] = False
    return keep


def _width_stats(values: np.ndarray) -> Dict[str, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return dict(mean=float('nan'), max=float('nan'), p90=float('nan'))
    return dict(
        mean=float(values.mean()),
        max=float(values.max()),
        p90=float(np.percentile(values, 90)))


def crack_geometry(mask: np.ndarray,
                   min_area: int = DEFAULT_MIN_AREA,
                   mm_per_pixel: Optional[float] = None,
                   width_method: str = WIDTH_METHODS[0],
                   severity_bounds: Sequence[float] = LTPP_BOUNDS
                   ) -> CrackGeometry:
    """Branches and networks of a binary crack mask.

    Args:
        mask (np.ndarray): H x W mask; non-zero pixels are crack.
        min_area (int): Smaller components are dropped and smaller holes
            filled first (as ``measure_cracks``). Defaults to 10.
        mm_per_pixel (float, optional): Ground sampling distance; without
            it no severity is assigned.
        width_method (str): One of :data:`WIDTH_METHODS`.
        severity_bounds (Sequence[float]): Two widths in mm, see the module
            docstring. Defaults to :data:`LTPP_BOUNDS`.
    """
    if width_method not in WIDTH_METHODS:
        raise ValueError(f'width_method must be one of {WIDTH_METHODS}, not '
                         f'{width_method!r}.')
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'Expected an H x W mask, got shape {mask.shape}.')
    result = CrackGeometry(mm_per_pixel=mm_per_pixel,
                           width_method=width_method)
    cleaned, _ = clean_mask((mask > 0).view(np.uint8), min_area)
    if not cleaned.any():
        return result
    num, labels = cv2.connectedComponents(
        cleaned.view(np.uint8), connectivity=8)
    distance = cv2.distanceTransform(
        cleaned.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    skeleton = skeletonize(cleaned, method='lee') > 0
    graph = _SkeletonGraph(skeleton)
    if _prune_spurs(skeleton, graph,
                    2.0 * distance[graph.ys, graph.xs] - 1.0):
        graph = _SkeletonGraph(skeleton)
    junction = graph.degree >= 3
    crack_of = labels[graph.ys, graph.xs] - 1
    neighbours = _neighbours(graph)
    num_branches, branch_of = graph.groups(~junction)
    num_junctions, junction_of = graph.groups(junction)
    scale = mm_per_pixel

    for index in range(num_branches):
        path = _trace(np.nonzero(branch_of == index)[0], neighbours,
                      junction)
        points = np.stack([graph.xs[path] + 0.5, graph.ys[path] + 0.5],
                          axis=1).astype(np.float64)
        polyline = _simplified(points)
        free_ends = sum(graph.degree[p] <= 1 for p in (path[0], path[-1]))
        if len(path) == 1:
            free_ends = 2
        length = float(
            np.linalg.norm(np.diff(polyline, axis=0), axis=1).sum() +
            0.5 * free_ends)
        if len(points) > 1:
            centred = points - points.mean(axis=0)
            cov = centred.T @ centred
            theta = np.degrees(0.5 * np.arctan2(2 * cov[0, 1],
                                                cov[0, 0] - cov[1, 1]))
        else:
            theta = 0.0
        angle = float(_fold(np.array([theta]))[0])
        direction = DIRECTIONS[int(_direction_class(np.array([angle]))[0])]
        measured = _measured(path, points, junction, distance, graph)
        distance_widths = 2.0 * distance[graph.ys[path], graph.xs[path]] - 1
        stats = _width_stats(
            (_orthogonal_widths(cleaned, points) if width_method ==
             'orthogonal' else distance_widths)[measured])
        if not np.isfinite(stats['mean']):  # no cross-section closes
            stats = _width_stats(distance_widths[measured])
        severity = severity_of(
            stats['mean'] * scale if scale else None, severity_bounds)
        result.branches.append(
            Branch(
                crack=int(crack_of[path[len(path) // 2]]),
                points=polyline,
                length_px=length,
                angle_deg=angle,
                direction=direction,
                width_px=stats,
                severity=severity))

    # Networks: cracks with loops or several junctions.
    junctions_per_crack = np.bincount(
        crack_of[[np.nonzero(junction_of == j)[0][0]
                  for j in range(num_junctions)]].astype(int),
        minlength=num - 1) if num_junctions else np.zeros(num - 1, int)
    for crack in range(num - 1):
        component = (labels == crack + 1).astype(np.uint8)
        contours, hierarchy = cv2.findContours(component, cv2.RETR_CCOMP,
                                               cv2.CHAIN_APPROX_SIMPLE)
        holes = sum(1 for h in hierarchy[0] if h[3] >= 0)
        if (holes < NETWORK_MIN_LOOPS
                and junctions_per_crack[crack] < NETWORK_MIN_JUNCTIONS):
            continue
        outer = max((c for c, h in zip(contours, hierarchy[0]) if h[3] < 0),
                    key=cv2.contourArea)
        filled = np.zeros_like(component)
        cv2.drawContours(filled, [outer], -1, 1, thickness=cv2.FILLED)
        widths = [
            b.width_px['mean'] * b.length_px for b in result.branches
            if b.crack == crack and np.isfinite(b.width_px['mean'])
        ]
        lengths = [
            b.length_px for b in result.branches
            if b.crack == crack and np.isfinite(b.width_px['mean'])
        ]
        mean_width = float(sum(widths) / sum(lengths)) if lengths else (
            float('nan'))
        result.network_cracks.add(crack)
        result.networks.append(
            dict(
                crack=crack,
                outline=outer[:, 0, :].astype(np.float64),
                area_px=float(filled.sum()),
                mean_width_px=mean_width,
                severity=severity_of(mean_width * scale if scale else None,
                                     severity_bounds)))
    return result


def _pixel_transform(transform) -> Tuple[float, ...]:
    """shapely's ``affine_transform`` matrix of an image-to-map transform
    (an ``affine.Affine``, as rasterio reads it), or the identity."""
    if transform is None:
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    a, b, c, d, e, f = tuple(transform)[:6]
    return (a, b, d, e, c, f)


def geometry_to_geojson(geometry: CrackGeometry,
                        transform=None,
                        crs: Optional[str] = None) -> dict:
    """A GeoJSON FeatureCollection: one LineString per branch and one
    Polygon per network, with the measurements as properties.

    Coordinates are image coordinates (see the module docstring), or map
    coordinates through ``transform`` (the image's affine georeference, as
    :func:`read_georeference` returns it); ``crs`` is then recorded in the
    collection's ``crs`` member.
    """
    from shapely.affinity import affine_transform
    from shapely.geometry import LineString, Point, Polygon, mapping
    matrix = _pixel_transform(transform)
    scale = geometry.mm_per_pixel
    features = []
    for i, branch in enumerate(geometry.branches):
        shape = (LineString(branch.points) if len(branch.points) > 1 else
                 Point(branch.points[0]))
        props = dict(
            kind='branch',
            id=i,
            crack=branch.crack,
            network=branch.crack in geometry.network_cracks,
            length_px=branch.length_px,
            angle_deg=branch.angle_deg,
            direction=branch.direction,
            width_method=geometry.width_method,
            **{f'{k}_width_px': v
               for k, v in branch.width_px.items()},
            severity=branch.severity)
        if scale:
            props.update(
                length_m=branch.length_px * scale / 1000,
                **{f'{k}_width_mm': v * scale
                   for k, v in branch.width_px.items()})
        features.append(
            dict(
                type='Feature',
                geometry=mapping(affine_transform(shape, matrix)),
                properties=props))
    for network in geometry.networks:
        props = dict(
            kind='network',
            crack=network['crack'],
            area_px=network['area_px'],
            mean_width_px=network['mean_width_px'],
            severity=network['severity'])
        if scale:
            props['area_m2'] = network['area_px'] * (scale / 1000)**2
        features.append(
            dict(
                type='Feature',
                geometry=mapping(
                    affine_transform(Polygon(network['outline']), matrix)),
                properties=props))
    collection = dict(type='FeatureCollection', features=features)
    collection['coordinates'] = 'map' if transform is not None else 'image'
    if crs:
        collection['crs'] = dict(type='name', properties=dict(name=crs))
    return collection


def read_georeference(image_path: str):
    """``(transform, crs)`` of a georeferenced photo (a GeoTIFF, or a world
    file such as ``.jgw``/``.tfw``/``.wld`` beside it), read with rasterio
    (GDAL); ``(None, None)`` for a photo without one.

    Raises:
        ImportError: the photo has a georeference and rasterio is missing.
    """
    import glob
    import os.path as osp
    stem, ending = osp.splitext(image_path)
    world_files = [
        p for p in glob.glob(glob.escape(stem) + '.*')
        if osp.splitext(p)[1].lower() in ('.wld', '.jgw', '.tfw', '.pgw',
                                          '.pngw', '.jpgw', '.tifw')
    ]
    tiff = ending.lower() in ('.tif', '.tiff')
    if not world_files and not tiff:
        return None, None
    try:
        import rasterio
        from rasterio.errors import NotGeoreferencedWarning
    except ImportError as err:
        source = world_files[0] if world_files else 'a GeoTIFF'
        raise ImportError(
            f'{image_path} is georeferenced ({source}); reading its '
            'transform needs rasterio: pip install rasterio.') from err
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', NotGeoreferencedWarning)
        with rasterio.open(image_path) as dataset:
            transform, crs = dataset.transform, dataset.crs
    if transform.is_identity:
        return None, None
    return transform, (crs.to_string() if crs else None)
