"""tools/dataset_converters/folder.py on real CrackSC photos with masks
written in the common source formats."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO_ROOT
from PIL import Image

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.split import select_split


@pytest.fixture
def folder(load_converter):
    return load_converter('folder')


def make_source(tmp_path,
                pairs,
                copy_image,
                save_mask,
                mode='0/255',
                mask_name='{stem}.png'):
    img_dir, ann_dir = tmp_path / 'photos', tmp_path / 'labels'
    for stem, img, mask in pairs:
        copy_image(img, img_dir / f'{stem}.jpg')
        save_mask(mask, ann_dir / mask_name.format(stem=stem), mode)
    return img_dir, ann_dir


@pytest.mark.parametrize('mode', ['0/255', '0/1', 'rgb', 'jpeg', '1bit'])
def test_mask_formats(tmp_path, folder, cracksc_dir, real_pairs, copy_image,
                      save_mask, load_split, mode):
    pairs = real_pairs(cracksc_dir, 6)
    name = '{stem}.jpg' if mode == 'jpeg' else '{stem}.png'
    img_dir, ann_dir = make_source(tmp_path, pairs, copy_image, save_mask,
                                   mode, name)
    out = tmp_path / 'out'
    result = folder.main([str(img_dir), str(ann_dir), str(out)])

    stems = [stem for stem, _, _ in pairs]
    assert result.splits['train'] == select_split(stems, 'train')
    assert result.splits['val'] == select_split(stems, 'val')
    for stem, img, mask in pairs:
        # JPEG sources are copied byte for byte.
        assert (out / 'images' / f'{stem}.jpg').read_bytes() == \
            Path(img).read_bytes()
        written = np.asarray(Image.open(out / 'masks' / f'{stem}.png'))
        assert written.dtype == np.uint8 and written.ndim == 2
        # Lossy JPEG masks are thresholded at 128: the CrackSC cracks
        # survive quality 75 with at most a few edge pixels flipped.
        mismatch = np.count_nonzero(written != mask)
        assert mismatch <= (0.01 * mask.sum() if mode == 'jpeg' else 0)
    assert len(load_split(out, 'train')) == 5
    assert len(load_split(out, 'val')) == 1
    crack = sum(int(m.sum()) for _, _, m in pairs)
    total = sum(m.size for _, _, m in pairs)
    converted = sum(result.crack_pixels[s][0] for s in ('train', 'val'))
    assert abs(converted - crack) <= 0.01 * crack
    assert sum(result.crack_pixels[s][1] for s in ('train', 'val')) == total


def test_png_and_bmp_images_are_written_losslessly(tmp_path, folder,
                                                   cracksc_dir, real_pairs,
                                                   save_mask, load_split):
    pairs = real_pairs(cracksc_dir, 5)
    for i, (stem, img, mask) in enumerate(pairs):
        fmt = 'BMP' if i % 2 else 'PNG'
        dst = tmp_path / 'img' / f'{stem}.{fmt.lower()}'
        dst.parent.mkdir(exist_ok=True)
        Image.open(img).save(dst, format=fmt)
        save_mask(mask, tmp_path / 'ann' / f'{stem}.png')
    folder.main(
        [str(tmp_path / 'img'),
         str(tmp_path / 'ann'),
         str(tmp_path / 'out')])
    for stem, img, _ in pairs:
        written = tmp_path / 'out' / 'images' / f'{stem}.png'
        assert np.array_equal(
            np.asarray(Image.open(written)), np.asarray(Image.open(img)))
    assert len(load_split(tmp_path / 'out', 'train')) == 4


def test_mask_suffix_in_one_folder(tmp_path, folder, cracksc_dir, real_pairs,
                                   copy_image, save_mask, load_split):
    pairs = real_pairs(cracksc_dir, 5)
    for stem, img, mask in pairs:
        copy_image(img, tmp_path / 'set' / f'{stem}.jpg')
        save_mask(mask, tmp_path / 'set' / f'{stem}_mask.png')
    result = folder.main([
        str(tmp_path / 'set'),
        str(tmp_path / 'set'),
        str(tmp_path / 'out'), '--mask-suffix', '_mask'
    ])
    assert sorted(result.splits['train'] + result.splits['val']) == \
        [stem for stem, _, _ in pairs]
    assert len(load_split(tmp_path / 'out', 'val')) == 1


def test_mask_pattern_and_val_every(tmp_path, folder, cracksc_dir, real_pairs,
                                    copy_image, save_mask):
    pairs = real_pairs(cracksc_dir, 6)
    img_dir, ann_dir = make_source(tmp_path, pairs, copy_image, save_mask,
                                   'bmp', 'gt_{stem}.bmp')
    result = folder.main([
        str(img_dir),
        str(ann_dir),
        str(tmp_path / 'out'), '--mask-pattern', 'gt_{stem}.bmp',
        '--val-every', '3'
    ])
    stems = [stem for stem, _, _ in pairs]
    assert result.splits['val'] == [stems[2], stems[5]]
    lines = (tmp_path / 'out' / 'splits' / 'val.txt').read_text().split()
    assert lines == [stems[2], stems[5]]


def test_crack_color_and_invert(tmp_path, folder, cracksc_dir, real_pairs,
                                copy_image):
    stem, img, mask = real_pairs(cracksc_dir, 1)[0]
    copy_image(img, tmp_path / 'img' / f'{stem}.jpg')
    # Crack drawn green on white, plus a red scribble that is not crack.
    rgb = np.full(mask.shape + (3, ), 255, np.uint8)
    rgb[mask == 1] = (0, 255, 0)
    rgb[:3, :3] = (255, 0, 0)
    (tmp_path / 'ann').mkdir()
    Image.fromarray(rgb).save(tmp_path / 'ann' / f'{stem}.png')
    for stem2 in ['x1', 'x2', 'x3', 'x4']:
        copy_image(img, tmp_path / 'img' / f'{stem2}.jpg')
        Image.fromarray(rgb).save(tmp_path / 'ann' / f'{stem2}.png')
    folder.main([
        str(tmp_path / 'img'),
        str(tmp_path / 'ann'),
        str(tmp_path / 'out'), '--crack-color', '0,255,0'
    ])
    written = np.asarray(Image.open(tmp_path / 'out' / 'masks' / 'x1.png'))
    assert np.array_equal(written, mask)
    # Without --crack-color a white background is all "bright": --invert
    # with a threshold reads dark-on-bright masks instead.
    grey = np.where(mask == 1, 0, 255).astype(np.uint8)
    for name in ['x1', 'x2', 'x3', 'x4', stem]:
        Image.fromarray(grey).save(tmp_path / 'ann' / f'{name}.png')
    folder.main([
        str(tmp_path / 'img'),
        str(tmp_path / 'ann'),
        str(tmp_path / 'out'), '--invert', '--overwrite'
    ])
    written = np.asarray(Image.open(tmp_path / 'out' / 'masks' / 'x2.png'))
    assert np.array_equal(written, mask)


def test_unpaired_files_are_reported_or_refused(tmp_path, folder, cracksc_dir,
                                                real_pairs, copy_image,
                                                save_mask, capsys):
    pairs = real_pairs(cracksc_dir, 6)
    img_dir, ann_dir = make_source(tmp_path, pairs[:5], copy_image, save_mask)
    copy_image(pairs[5][1], img_dir / 'lonely.jpg')
    save_mask(pairs[5][2], ann_dir / 'orphan.png')
    result = folder.main([str(img_dir), str(ann_dir), str(tmp_path / 'o1')])
    assert sum(len(v) for v in result.splits.values()) == 5
    out = capsys.readouterr().out
    assert '1 images without an annotation' in out and 'lonely.jpg' in out
    assert '1 annotations without an image' in out and 'orphan.png' in out

    args = folder.parse_args(
        [str(img_dir),
         str(ann_dir),
         str(tmp_path / 'o2'), '--strict'])
    with pytest.raises(CrackDataError, match='lonely.jpg'):
        folder.convert(args)


def test_bad_input_names_the_file(tmp_path, folder, cracksc_dir, real_pairs,
                                  copy_image, save_mask):
    pairs = real_pairs(cracksc_dir, 5)
    img_dir, ann_dir = make_source(tmp_path, pairs, copy_image, save_mask)
    stem, img, mask = pairs[2]

    def run(name):
        return folder.convert(
            folder.parse_args(
                [str(img_dir),
                 str(ann_dir),
                 str(tmp_path / name)]))

    # Size mismatch.
    save_mask(mask[:-10], ann_dir / f'{stem}.png')
    with pytest.raises(
            CrackDataError,
            match=rf'{stem}\.jpg is 320x480.*{stem}\.png is '
            r'320x470'):
        run('o1')
    # A photo where a mask should be.
    Image.open(img).convert('L').save(ann_dir / f'{stem}.png')
    with pytest.raises(
            CrackDataError,
            match=rf'{stem}\.png is not a binary mask.*'
            '--threshold'):
        run('o2')
    # Unreadable image.
    save_mask(mask, ann_dir / f'{stem}.png')
    (img_dir / f'{stem}.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(
            CrackDataError, match=rf'Cannot read image .*{stem}\.jpg'):
        run('o3')
    # Nothing is left behind by a failed conversion.
    assert not any((tmp_path / name).exists() for name in ('o1', 'o2', 'o3'))
    # No pairs at all.
    (tmp_path / 'empty').mkdir()
    with pytest.raises(CrackDataError, match='No image/annotation pairs'):
        folder.convert(
            folder.parse_args(
                [str(tmp_path / 'empty'),
                 str(ann_dir),
                 str(tmp_path / 'o4')]))


def test_overwrite_guard(tmp_path, folder, cracksc_dir, real_pairs, copy_image,
                         save_mask):
    pairs = real_pairs(cracksc_dir, 5)
    img_dir, ann_dir = make_source(tmp_path, pairs, copy_image, save_mask)
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'notes.txt').write_text('keep me')
    argv = [str(img_dir), str(ann_dir), str(out)]
    with pytest.raises(SystemExit, match='not empty.*--overwrite'):
        folder.main(argv)
    assert not (out / 'images').exists()
    (out / 'masks').mkdir()
    (out / 'masks' / 'stale.png').write_bytes(b'')
    folder.main(argv + ['--overwrite'])
    assert not (out / 'masks' / 'stale.png').exists()
    assert (out / 'notes.txt').read_text() == 'keep me'
    assert len(list((out / 'masks').iterdir())) == 5
    # A conversion that fails leaves the previous output untouched.
    before = (out / 'splits' / 'train.txt').read_text()
    save_mask(pairs[0][2][:-1], ann_dir / f'{pairs[0][0]}.png')
    with pytest.raises(SystemExit, match='320x479'):
        folder.main(argv + ['--overwrite'])
    assert (out / 'splits' / 'train.txt').read_text() == before
    assert sorted(p.name for p in out.iterdir()) == [
        'images', 'masks', 'notes.txt', 'splits'
    ]
    # Writing into the source is refused even with --overwrite.
    with pytest.raises(SystemExit, match='overlaps the source'):
        folder.main([str(img_dir), str(ann_dir), str(img_dir), '--overwrite'])


def test_help_explains_every_argument(folder, capsys):
    with pytest.raises(SystemExit):
        folder.parse_args(['--help'])
    text = capsys.readouterr().out
    for option in ('IMAGES', 'MASKS', 'OUT', '--overwrite', '--mask-suffix',
                   '--mask-pattern', '--val-every', '--threshold',
                   '--crack-color', '--invert', '--strict'):
        assert option in text
    assert 'select_split' in text and '0/255' in text


@pytest.mark.slow
def test_command_line(tmp_path, cracksc_dir, real_pairs, copy_image,
                      save_mask):
    """The script runs as a program and prints its summary. (Bad input
    ends in SystemExit('error: ...'): status 1 and a one-line message
    without traceback, see test_overwrite_guard.)"""
    pairs = real_pairs(cracksc_dir, 5)
    img_dir, ann_dir = make_source(tmp_path, pairs, copy_image, save_mask)
    script = REPO_ROOT / 'tools' / 'dataset_converters' / 'folder.py'
    out = tmp_path / 'out'
    done = subprocess.run(
        [sys.executable,
         str(script),
         str(img_dir),
         str(ann_dir),
         str(out)],
        capture_output=True,
        text=True)
    assert done.returncode == 0, done.stderr
    assert f'Converted 5 image/mask pairs into {out}' in done.stdout
    assert 'train      4 pairs' in done.stdout
    assert (out / 'splits' / 'val.txt').read_text() == f'{pairs[4][0]}\n'


def test_webp_photos_convert_as_inference_reads_them(tmp_path, folder,
                                                     cracksc_dir, real_pairs,
                                                     save_mask):
    """One list of photo endings: a .webp photo that tools/infer.py reads
    converts too."""
    from mmcrack.apis import inference
    from mmcrack.datasets.conversion import pairing
    from mmcrack.utils import constants
    endings = constants.IMAGE_EXTENSIONS
    assert inference.IMAGE_EXTENSIONS is pairing.IMAGE_EXTENSIONS is endings
    assert '.webp' in endings
    pairs = real_pairs(cracksc_dir, 5)
    for stem, img, mask in pairs:
        (tmp_path / 'img').mkdir(exist_ok=True)
        Image.open(img).save(tmp_path / 'img' / f'{stem}.webp', lossless=True)
        save_mask(mask, tmp_path / 'ann' / f'{stem}.png')
    folder.main(
        [str(tmp_path / 'img'),
         str(tmp_path / 'ann'),
         str(tmp_path / 'out')])
    assert len(list((tmp_path / 'out' / 'images').iterdir())) == 5
