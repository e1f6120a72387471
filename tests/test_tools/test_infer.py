"""tools/infer.py end to end: real photos, a nested folder with a corrupt
file, a video and a large photo that needs sliding windows."""
import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import REPO_ROOT

from mmcrack.apis import CSV_COLUMNS

DEMO_CONFIG = str(REPO_ROOT / 'configs' / 'hrsegnet' /
                  'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')

pytestmark = [
    pytest.mark.usefixtures('one_thread'),
    pytest.mark.filterwarnings('ignore:When align_corners=True')
]


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('infer.py')


@pytest.fixture(scope='module')
def checkpoint(random_checkpoint):
    """A randomly initialised HrSegNet-B16 checkpoint with crack classes."""
    return str(random_checkpoint(DEMO_CONFIG))


def make_inputs(root: Path, cracksc_dir: Path) -> Path:
    """inputs/: two real photos (linked where they lie), a corrupt file, a
    1600 x 1200 photo and a 3-frame video."""
    real = sorted((cracksc_dir / 'images').glob('*.jpg'))[:2]
    (root / 'sub' / 'deeper').mkdir(parents=True)
    (root / 'road_a.jpg').symlink_to(real[0])
    (root / 'sub' / 'road_b.jpg').symlink_to(real[1])
    (root / 'sub' / 'deeper' / 'broken.png').write_bytes(b'\x89PNG garbage')
    large = cv2.resize(cv2.imread(str(real[0])), (1600, 1200))
    cv2.imwrite(str(root / 'sub' / 'deeper' / 'large.png'), large)
    writer = cv2.VideoWriter(
        str(root / 'clip.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 5, (96, 64))
    for i in range(3):
        frame = np.full((64, 96, 3), 120, np.uint8)
        cv2.line(frame, (0, 10 + 15 * i), (95, 40), (20, 20, 20), 2)
        writer.write(frame)
    writer.release()
    return root


def read_png(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


def test_help_explains_every_argument(tool, capsys):
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(['--help'])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for arg in ('--out', '--backend', '--device', '--slide', '--whole',
                '--crop-size', '--stride', '--video-stride', '--save-prob-npy',
                '--measure', '--mm-per-pixel', '--min-area', '--overwrite',
                '--threshold', '--tta'):
        assert arg in out


@pytest.mark.slow
def test_infer_folder_video_and_large_photo(tool, checkpoint, tmp_path,
                                            cracksc_dir, capsys):
    inputs = make_inputs(tmp_path / 'inputs', cracksc_dir)
    out = tmp_path / 'out'
    summary = tool.main([
        DEMO_CONFIG, checkpoint,
        str(inputs), '--out',
        str(out), '--device', 'cpu', '--mm-per-pixel', '0.5',
        '--save-prob-npy', '--overlay-format', 'png'
    ])
    printed = capsys.readouterr().out
    # In folder order: files before subfolders, each sorted.
    names = [
        'clip/frame_000000', 'clip/frame_000001', 'clip/frame_000002',
        'road_a', 'sub/road_b', 'sub/deeper/large'
    ]
    sizes = [(64, 96)] * 3 + [(480, 320), (480, 320), (1200, 1600)]

    # Summary: what was written, what was skipped, how.
    assert summary['written'] == 6
    assert [s['source']
            for s in summary['skipped']] == ['sub/deeper/broken.png']
    assert 'cannot decode' in summary['skipped'][0]['reason']
    assert summary['modes'] == {'whole': 5, 'slide': 1}
    assert 'Wrote 6 prediction(s)' in printed
    # The config's 256 x 256 training crop: 1600 > 2 x 256 slides.
    assert ('5 whole-image, 1 sliding-window (crop 256x256, stride 170x170)'
            in printed)
    assert 'Skipped 1 input(s):\n  sub/deeper/broken.png: cannot decode' \
        in printed
    assert str(out) in printed

    for name, size in zip(names, sizes):
        mask = read_png(out / 'masks' / f'{name}.png')
        prob = read_png(out / 'probs' / f'{name}.png')
        npy = np.load(out / 'probs' / f'{name}.npy')
        overlay = read_png(out / 'overlays' / f'{name}.png')
        assert mask.shape == prob.shape == npy.shape == size, name
        assert overlay.shape == size + (3, )
        assert mask.dtype == prob.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 1}
        assert npy.dtype == np.float32
        np.testing.assert_array_equal(prob,
                                      np.round(npy * 255).astype(np.uint8))
        np.testing.assert_array_equal(mask, npy > 0.5)

    rows = list(csv.DictReader(open(out / 'measurements.csv')))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r['source'], r['frame'])
            for r in rows] == [('clip.avi', '0'), ('clip.avi', '1'),
                               ('clip.avi', '2'), ('road_a.jpg', ''),
                               ('sub/road_b.jpg', ''),
                               ('sub/deeper/large.png', '')]
    # Video rows carry the frame's time (the clip is 5 frames a second).
    assert [r['time_s'] for r in rows] == ['0.0', '0.2', '0.4', '', '', '']
    for row, size in zip(rows, sizes):
        assert (int(row['height']), int(row['width'])) == size
        assert float(row['length_mm']) == pytest.approx(
            float(row['length_px']) * 0.5, abs=1e-3)
    report = json.loads((out / 'measurements.json').read_text())
    assert report['mm_per_pixel'] == 0.5 and report['min_area'] == 10
    assert report['totals']['images'] == 6
    modes = [r['mode'] for r in report['images']]
    assert modes == ['whole'] * 5 + ['slide']
    assert report['skipped'][0]['source'] == 'sub/deeper/broken.png'

    # Nothing is overwritten without --overwrite, and the refusal comes
    # before the model is loaded (this checkpoint does not exist).
    mask_file = out / 'masks' / 'road_a.png'
    before = mask_file.stat().st_mtime_ns
    with pytest.raises(FileExistsError, match='already exist') as err:
        tool.main([
            DEMO_CONFIG, 'missing.pth',
            str(inputs / 'road_a.jpg'), '--out',
            str(out)
        ])
    assert str(mask_file) in str(err.value)
    assert mask_file.stat().st_mtime_ns == before

    # With --overwrite: a threshold that marks about half of the photo as
    # crack; the overlay paints exactly those pixels.
    prob = np.load(out / 'probs' / 'road_a.npy')
    threshold = float(np.median(prob))
    summary = tool.main([
        DEMO_CONFIG, checkpoint,
        str(inputs / 'road_a.jpg'), '--out',
        str(out), '--overwrite', '--threshold', f'{threshold!r}',
        '--overlay-format', 'png', '--no-measure'
    ])
    assert summary['written'] == 1 and summary['skipped'] == []
    mask = read_png(mask_file).astype(bool)
    assert 0.3 < mask.mean() < 0.7
    photo = cv2.imread(str(inputs / 'road_a.jpg'))
    overlay = read_png(out / 'overlays' / 'road_a.png')
    np.testing.assert_array_equal(overlay[~mask], photo[~mask])
    red = np.array([0, 0, 255], np.float32)  # BGR
    painted = (photo[mask] * 0.4 + red * 0.6).astype(np.uint8)
    np.testing.assert_allclose(overlay[mask], painted, atol=1)

    # --tta: the mean over the photo and its mirrors (the mean itself is
    # checked against tools/test.py --tta in tests/test_apis).
    tool.main([
        DEMO_CONFIG, checkpoint,
        str(inputs / 'road_a.jpg'), '--out',
        str(tmp_path / 'tta'), '--tta', '--save-prob-npy', '--no-measure'
    ])
    tta_prob = np.load(tmp_path / 'tta' / 'probs' / 'road_a.npy')
    assert tta_prob.shape == prob.shape
    assert 0 <= tta_prob.min() and tta_prob.max() <= 1
    assert np.abs(tta_prob - prob).max() > 1e-3


def test_window_video_and_measurement_flags(tool, checkpoint, tmp_path,
                                            cracksc_dir, capsys):
    """--slide/--crop-size/--stride, --whole, --video-stride and --min-area
    reach the inferencer and the measurements."""
    inputs = make_inputs(tmp_path / 'inputs', cracksc_dir)
    summary = tool.main([
        DEMO_CONFIG, checkpoint,
        str(inputs / 'clip.avi'), '--out',
        str(tmp_path / 'slide'), '--slide', '--crop-size', '48', '--stride',
        '32', '40', '--video-stride', '2', '--min-area', '25'
    ])
    printed = capsys.readouterr().out
    # Frames 0 and 2 of 3, both slid with the given window.
    assert summary['written'] == 2 and summary['modes'] == {'slide': 2}
    assert [r['frame'] for r in summary['records']] == [0, 2]
    assert ('0 whole-image, 2 sliding-window (crop 48x48, stride 32x40)'
            in printed)
    report = json.loads((tmp_path / 'slide' / 'measurements.json').read_text())
    assert report['min_area'] == 25

    # The 1600 x 1200 photo that slides by default runs whole with --whole.
    summary = tool.main([
        DEMO_CONFIG, checkpoint,
        str(inputs / 'sub' / 'deeper' / 'large.png'), '--out',
        str(tmp_path / 'whole'), '--whole', '--no-measure'
    ])
    assert summary['modes'] == {'whole': 1}
    mask = read_png(tmp_path / 'whole' / 'masks' / 'large.png')
    assert mask.shape == (1200, 1600)


@pytest.mark.slow
def test_context_cracknet_large_photos_config(tool, tmp_path, cfd_dir,
                                              random_checkpoint, capsys):
    """The docs' Context-CrackNet command for large photos: a checkpoint
    of the paper's (448x448) config, 448x448 windows over the photo at its
    own resolution."""
    config_dir = REPO_ROOT / 'configs' / 'context_cracknet'
    checkpoint = random_checkpoint(
        config_dir / 'context-cracknet_r50_1xb8-40k_cfd-448x448.py')
    image = tmp_path / 'survey.png'
    cfd_photo = cv2.imread(str(sorted((cfd_dir / 'images').glob('*.jpg'))[0]))
    cv2.imwrite(str(image), cv2.resize(cfd_photo, (900, 600)))

    summary = tool.main([
        str(config_dir / 'context-cracknet_r50_slide-448x448_large-photos.py'),
        str(checkpoint),
        str(image), '--out',
        str(tmp_path / 'out'), '--mm-per-pixel', '0.5'
    ])
    assert summary['written'] == 1 and summary['modes'] == {'slide': 1}
    assert ('0 whole-image, 1 sliding-window (crop 448x448, stride 298x298)'
            in capsys.readouterr().out)
    mask = read_png(tmp_path / 'out' / 'masks' / 'survey.png')
    assert mask.shape == (600, 900) and set(np.unique(mask)) <= {0, 1}
    row = next(csv.DictReader(open(tmp_path / 'out' / 'measurements.csv')))
    assert (row['height'], row['width']) == ('600', '900')


def test_list_models(tool, capsys):
    assert tool.main(['--list-models']) == {}
    table = capsys.readouterr().out
    assert 'hrsegnet-b16_crackseg9k-paddle' in table and 'to convert' in table


def test_model_name_with_its_published_threshold(tool, tmp_path, cfd_dir,
                                                 monkeypatch, capsys):
    """A name runs with the weights the index names and their threshold."""
    from mmcrack.apis import find_model
    from mmcrack.apis.model_loading import publish_checkpoint
    monkeypatch.setenv('MMCRACK_HOME', str(tmp_path / 'home'))
    entry = find_model('hrsegnet-b16-official')
    with pytest.raises(FileNotFoundError, match='hrsegnet_paddle2mmcrack'):
        tool.main(['hrsegnet-b16-official', str(cfd_dir / 'images')])
    # The converter's output stands in for the official weights.
    import torch
    from mmengine.config import Config
    from mmseg.registry import MODELS
    model = MODELS.build(Config.fromfile(entry.config).model)
    src = tmp_path / 'src.pth'
    torch.save(dict(state_dict=model.state_dict()), src)
    publish_checkpoint(str(src), entry.weights, entry.config, 0.3,
                       training_data='none')
    photo = str(sorted((cfd_dir / 'images').glob('*.jpg'))[0])
    out = tool.main(['hrsegnet-b16-official', photo, '--out',
                     str(tmp_path / 'a')])
    assert out['written'] == 1
    assert 'Threshold: 0.3 (published)' in capsys.readouterr().out
    rows = json.loads((tmp_path / 'a' / 'measurements.json').read_text())
    assert rows['threshold'] == 0.3
    tool.main(['hrsegnet-b16-official', photo, '--out',
               str(tmp_path / 'b'), '--threshold', '0.6'])
    assert 'Threshold: 0.6 (given)' in capsys.readouterr().out


def test_wrong_model_files_are_refused(tool, tmp_path, checkpoint, cfd_dir):
    from mmcrack.apis import CheckpointError
    photo = str(sorted((cfd_dir / 'images').glob('*.jpg'))[0])
    b32 = str(REPO_ROOT / 'configs' / 'balanced' /
              'hrsegnet-b32-balanced-dice_1xb8-3k_cfd-256x256.py')
    with pytest.raises(CheckpointError, match='mis-shaped'):
        tool.main([b32, checkpoint, photo, '--out', str(tmp_path / 'a')])
    assert not (tmp_path / 'a' / 'masks').exists()
    with pytest.raises(ValueError, match='is a PyTorch checkpoint'):
        tool.main([DEMO_CONFIG, checkpoint, photo, '--backend', 'onnxruntime',
                   '--out', str(tmp_path / 'b')])
    with pytest.raises(SystemExit):  # a config without its checkpoint
        tool.main([DEMO_CONFIG, checkpoint, photo, 'extra'])


def test_survey_geojson_and_totals(tool, tmp_path, checkpoint, cfd_dir):
    pytest.importorskip('rasterio')
    photos = tmp_path / 'photos'
    photos.mkdir()
    source = sorted((cfd_dir / 'images').glob('*.jpg'))[0]
    (photos / 'road.jpg').write_bytes(source.read_bytes())
    (photos / 'road.jgw').write_text('0.002\n0\n0\n-0.002\n700.001\n50.999\n')
    (photos / 'plain.jpg').write_bytes(source.read_bytes())
    out = tmp_path / 'out'
    # A low threshold: the random model marks crack somewhere.
    tool.main([DEMO_CONFIG, checkpoint, str(photos), '--out', str(out),
               '--survey', '--report', '--threshold', '0.3',
               '--mm-per-pixel', '2'])
    for name, kind in (('road', 'map'), ('plain', 'image')):
        collection = json.loads(
            (out / 'cracks' / f'{name}.geojson').read_text())
        assert collection['type'] == 'FeatureCollection'
        assert collection['coordinates'] == kind
        assert collection['properties']['source'] == f'{name}.jpg'
        assert collection['properties']['severity'] == 'assigned'
        features = collection['features']
        assert features, 'no crack found at threshold 0.3'
        xs = [c[0] for f in features if f['geometry']['type'] == 'LineString'
              for c in f['geometry']['coordinates']]
        if kind == 'map':  # 700 + 0.002 * x for x in [0, 480]
            assert all(700 <= x <= 700.96 for x in xs)
        else:
            assert all(0 <= x <= 480 for x in xs)
        assert all(f['properties']['severity'] in ('low', 'moderate', 'high')
                   for f in features)
    # The run's survey: one row per photo, totals that add up.
    survey = json.loads((out / 'survey.json').read_text())
    assert sorted(r['source'] for r in survey['rows']) == [
        'plain.jpg', 'road.jpg'
    ]
    for key, total in survey['totals'].items():
        if key != 'density_m_per_m2':
            assert total == pytest.approx(
                sum(r[key] for r in survey['rows'])), key
    assert survey['totals']['surveyed_area_m2'] == pytest.approx(
        2 * 480 * 320 * 0.002**2)
    assert survey['totals']['length_m'] > 0
    with open(out / 'survey.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['source'] for r in rows][-1] == 'TOTAL' and len(rows) == 3
    # The report: one row per photo, every linked image exists, two charts.
    from html.parser import HTMLParser

    class Page(HTMLParser):
        rows, links, images = 0, [], []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == 'tr' and attrs.get('class') == 'photo':
                self.rows += 1
            if tag == 'a':
                self.links.append(attrs['href'])
            if tag == 'img':
                self.images.append(attrs['src'])

    page = Page()
    page.feed((out / 'report.html').read_text())
    assert page.rows == 2
    assert sorted(page.links) == ['report/plain.jpg', 'report/road.jpg']
    assert all((out / link).is_file() for link in page.links)
    assert all(src.startswith('data:image/') for src in page.images)
    assert sum(src.startswith('data:image/png') for src in page.images) == 2
