"""mmcrack.datasets.conversion: the mask rule, image copying, folder search,
pairing, splits and the output guard shared by the dataset converters."""
import argparse
import io
import shutil

import numpy as np
import pytest
from PIL import Image

from mmcrack.datasets.conversion import (ConversionError, MaskRule, Sample,
                                         assign_splits, check_output_dir,
                                         collect_source_pairs,
                                         convert_samples, find_dir,
                                         inspect_image, make_stems_unique,
                                         pair_files, report_unpaired,
                                         validate_mask, write_image)
from mmcrack.datasets.split import select_split

CRACK = np.zeros((40, 60), np.uint8)
CRACK[10:13, 5:50] = 1
CRACK[20:35, 30:32] = 1


def as_image(array, mode=None):
    img = Image.fromarray(array)
    return img.convert(mode) if mode else img


# ---------------------------------------------------------------------------
# MaskRule
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('values', [(0, 1), (0, 255)])
def test_rule_binary_grey(values):
    grey = np.where(CRACK == 1, values[1], values[0]).astype(np.uint8)
    assert np.array_equal(MaskRule().apply(as_image(grey)), CRACK)


def test_rule_keeps_ignore():
    mask = CRACK.copy()
    mask[0, :] = 255
    assert np.array_equal(MaskRule().apply(as_image(mask)), mask)


def test_rule_one_bit_palette_and_16_bit():
    assert np.array_equal(MaskRule().apply(as_image(CRACK.astype(bool))),
                          CRACK)
    # Palette masks: the indices count (0 black, 1 red), as in mmseg.
    palette = Image.new('P', (CRACK.shape[1], CRACK.shape[0]))
    palette.putdata(CRACK.ravel().tolist())
    palette.putpalette([0, 0, 0, 255, 0, 0])
    assert np.array_equal(np.asarray(palette), CRACK)
    assert np.array_equal(MaskRule().apply(palette), CRACK)
    sixteen = Image.fromarray(CRACK.astype(np.uint16) * 65535)
    assert sixteen.mode.startswith('I;16')
    assert np.array_equal(MaskRule().apply(sixteen), CRACK)


def test_rule_colour_masks():
    rgb = np.zeros(CRACK.shape + (3, ), np.uint8)
    rgb[CRACK == 1] = (200, 30, 0)
    assert np.array_equal(MaskRule().apply(as_image(rgb)), CRACK)
    # RGBA: transparent pixels are background whatever their colour.
    rgba = np.full(CRACK.shape + (4, ), 255, np.uint8)
    rgba[..., 3] = np.where(CRACK == 1, 255, 0)
    assert np.array_equal(MaskRule().apply(as_image(rgba)), CRACK)
    # Named colours: only those are crack.
    rgb[0, 0] = (0, 0, 255)
    only_red = MaskRule(crack_colors=[(200, 30, 0)]).apply(as_image(rgb))
    assert np.array_equal(only_red, CRACK)
    with pytest.raises(ConversionError, match='crack colours'):
        MaskRule(crack_colors=[(255, 0, 0)]).apply(as_image(CRACK))


def test_rule_jpeg_compressed_mask_is_thresholded():
    buffer = io.BytesIO()
    Image.fromarray(CRACK * 255).save(buffer, format='JPEG', quality=60)
    jpeg = Image.open(buffer)
    values = np.asarray(jpeg)
    assert len(np.unique(values)) > 3  # really lossy
    mask = MaskRule().apply(jpeg)
    assert np.array_equal(mask, (values >= 128).astype(np.uint8))
    assert np.count_nonzero(mask != CRACK) <= 0.02 * CRACK.sum()


def test_rule_refuses_what_it_cannot_binarize():
    regions = np.ones_like(CRACK) + CRACK  # CFD-like labels 1/2 ...
    regions[:5] = 3
    with pytest.raises(
            ConversionError, match=r'cfd_like.*\[1, 2, 3\].*class-index map'):
        MaskRule().apply(as_image(regions), 'cfd_like')
    photo = np.random.default_rng(0).integers(
        0, 256, CRACK.shape, dtype=np.uint8)
    with pytest.raises(
            ConversionError,
            match=r'photo.png is not a binary mask.*--threshold'):
        MaskRule().apply(as_image(photo), 'photo.png')
    # An explicit threshold is the user's rule and is applied as given.
    assert np.array_equal(
        MaskRule(threshold=2).apply(as_image(regions)),
        (regions >= 2).astype(np.uint8))


def test_rule_invert_keeps_ignore():
    mask = CRACK.copy()
    mask[0, :] = 255
    inverted = MaskRule(invert=True).apply(as_image(mask))
    assert np.array_equal(inverted[1:], 1 - CRACK[1:])
    assert (inverted[0] == 255).all()


def test_rule_read_names_unreadable_file(tmp_path):
    path = tmp_path / 'broken.png'
    path.write_bytes(b'\x89PNG broken')
    with pytest.raises(ConversionError, match='Cannot read mask .*broken'):
        MaskRule().read(str(path))


def test_validate_mask():
    validate_mask(CRACK, 'm.png', (60, 40), 'i.jpg')
    with pytest.raises(
            ConversionError, match=r'i.jpg is 60x41.*m.png is '
            r'60x40'):
        validate_mask(CRACK, 'm.png', (60, 41), 'i.jpg')
    with pytest.raises(ConversionError, match=r'values \[2\]'):
        validate_mask(CRACK * 2, 'm.png')
    with pytest.raises(ConversionError, match='2-D uint8'):
        validate_mask(CRACK.astype(np.int32), 'm.png')


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------
def test_jpeg_bytes_are_copied(tmp_path, cfd_dir):
    src = cfd_dir / 'images' / '001.jpg'
    info = inspect_image(str(src))
    assert info.size == (480, 320) and info.copy_bytes
    dst = write_image(str(src), str(tmp_path), 'x', info.copy_bytes)
    assert dst.endswith('x.jpg')
    assert (tmp_path / 'x.jpg').read_bytes() == src.read_bytes()


def test_exif_rotated_jpeg_is_saved_as_png(tmp_path, cfd_dir):
    img = Image.open(cfd_dir / 'images' / '001.jpg')
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    img.save(tmp_path / 'rot.jpg', exif=exif)
    info = inspect_image(str(tmp_path / 'rot.jpg'))
    assert info.is_jpeg and info.exif_rotated and not info.copy_bytes
    dst = write_image(
        str(tmp_path / 'rot.jpg'), str(tmp_path), 'rot', info.copy_bytes)
    assert dst.endswith('rot.png')
    assert np.array_equal(
        np.asarray(Image.open(dst)),
        np.asarray(Image.open(tmp_path / 'rot.jpg')))


def test_unreadable_image(tmp_path):
    (tmp_path / 'a.jpg').write_bytes(b'\xff\xd8\xff garbage')
    with pytest.raises(ConversionError, match=r'Cannot read image .*a.jpg'):
        inspect_image(str(tmp_path / 'a.jpg'))


# ---------------------------------------------------------------------------
# Folders, pairing, splits, output
# ---------------------------------------------------------------------------
def test_find_dir(tmp_path):
    (tmp_path / 'CRACK500' / 'traincrop' / 'traincrop').mkdir(parents=True)
    (tmp_path / 'CRACK500' / 'traincrop' / 'traincrop' / 'a.jpg').touch()
    (tmp_path / 'x' / 'images').mkdir(parents=True)
    (tmp_path / 'image').mkdir()
    found = find_dir(str(tmp_path), ['traincrop'], 'train')
    assert found.endswith('traincrop/traincrop')
    # Shallowest first; at one depth the earlier name wins.
    assert find_dir(str(tmp_path), ['images', 'image'],
                    'image') == str(tmp_path / 'image')
    (tmp_path / 'y' / 'images').mkdir(parents=True)
    with pytest.raises(
            ConversionError, match='several image folders.*'
            '--img-dir'):
        find_dir(str(tmp_path), ['images'], 'image', '--img-dir')
    with pytest.raises(ConversionError, match='No mask folder .*--ann-dir'):
        find_dir(str(tmp_path), ['gt'], 'mask', '--ann-dir')


def test_pairing_and_report():
    pairing = pair_files(['d/a.jpg', 'd/b.jpg', 'd/c.jpg'],
                         ['m/a.png', 'm/b_mask.png', 'm/z.png'], lambda s:
                         (s, s + '_mask'))
    assert pairing.pairs == [('a', 'd/a.jpg', 'm/a.png'),
                             ('b', 'd/b.jpg', 'm/b_mask.png')]
    assert pairing.unpaired_images == ['d/c.jpg']
    assert pairing.unpaired_anns == ['m/z.png']
    notes = []
    report_unpaired(pairing, 'd', notes=notes)
    assert notes == [
        'skipped 1 images without an annotation in d (c.jpg)',
        'skipped 1 annotations without an image in d (z.png)'
    ]
    with pytest.raises(ConversionError, match='c.jpg.*drop --strict'):
        report_unpaired(pairing, 'd', strict=True)
    with pytest.raises(ConversionError, match='share the stem'):
        pair_files(['d/a.jpg', 'd/a.png'], [])


def test_collect_source_pairs(tmp_path):
    src = tmp_path / 'src'
    for folder, names in (('images', ['a.jpg', 'b.jpg']),
                          ('gt', ['a.png', 'c.png'])):
        (src / folder).mkdir(parents=True)
        for name in names:
            (src / folder / name).touch()
    args = argparse.Namespace(
        src=str(src),
        img_dir=None,
        ann_dir=None,
        out=str(tmp_path / 'out'),
        overwrite=False,
        strict=False)
    samples, notes = collect_source_pairs(args, ['images'], ['gt'],
                                          ('.png', ))
    assert samples == [
        Sample('a', str(src / 'images' / 'a.jpg'), str(src / 'gt' / 'a.png'))
    ]
    assert len(notes) == 2 and 'b.jpg' in notes[0] and 'c.png' in notes[1]
    # OUT is checked against the folders before anything is read.
    args.out = str(src / 'images' / 'out')
    with pytest.raises(ConversionError, match='overlaps the source'):
        collect_source_pairs(args, ['images'], ['gt'], ('.png', ))


def test_assign_splits():
    stems = [f'{i:03d}' for i in range(12)]
    samples = [Sample(s, '', '') for s in reversed(stems)]
    splits = assign_splits(samples, val_every=4)
    assert splits == {
        'train': select_split(stems, 'train', 4),
        'val': select_split(stems, 'val', 4)
    }
    official = [Sample('b', '', '', 'train'), Sample('a', '', '', 'test')]
    assert assign_splits(
        official, aliases={'val': 'test'}) == {
            'train': ['b'],
            'val': ['a'],
            'test': ['a']
        }
    with pytest.raises(ConversionError, match="'val' split is empty"):
        assign_splits(official)
    with pytest.raises(ConversionError, match="'val' split is empty"):
        assign_splits(samples[:3], val_every=5)


def test_make_stems_unique():
    samples = [Sample('a', '', '', 'train'), Sample('a', '', '', 'test')]
    notes = make_stems_unique(samples, lambda s: s.split)
    assert [s.stem for s in samples] == ['train_a', 'test_a'] and notes
    samples = [Sample('a', '', '', 'train'), Sample('b', '', '', 'test')]
    assert make_stems_unique(samples, lambda s: s.split) == []
    assert [s.stem for s in samples] == ['a', 'b']


def test_check_output_dir(tmp_path):
    check_output_dir(str(tmp_path / 'new'), False)
    (tmp_path / 'out').mkdir()
    check_output_dir(str(tmp_path / 'out'), False)  # empty is fine
    (tmp_path / 'out' / 'f').touch()
    with pytest.raises(ConversionError, match='not empty.*--overwrite'):
        check_output_dir(str(tmp_path / 'out'), False)
    check_output_dir(str(tmp_path / 'out'), True)
    with pytest.raises(ConversionError, match='overlaps the source'):
        check_output_dir(
            str(tmp_path / 'src' / 'out'), True, [str(tmp_path / 'src')])


def test_convert_samples(tmp_path, cfd_dir):
    samples = []
    for i in range(1, 7):
        stem = f'{i:03d}'
        shutil.copyfile(cfd_dir / 'masks' / f'{stem}.png',
                        tmp_path / f'{stem}.png')
        samples.append(
            Sample(stem, str(cfd_dir / 'images' / f'{stem}.jpg'),
                   str(tmp_path / f'{stem}.png')))
    out = tmp_path / 'out'
    result = convert_samples(
        samples, str(out), MaskRule().read, val_every=3, progress=False)
    assert result.splits == {
        'train': ['001', '002', '004', '005'],
        'val': ['003', '006']
    }
    assert result.sizes == {(480, 320): 6}
    crack = sum(
        int(np.asarray(Image.open(s.ann_path)).sum()) for s in samples[:2])
    assert result.crack_pixels['train'][0] >= crack
    assert result.crack_pixels['val'][1] == 2 * 480 * 320
    assert 'val        2 pairs' in result.summary()
    assert (out / 'splits' / 'train.txt').read_text() == \
        '001\n002\n004\n005\n'
    with pytest.raises(ConversionError, match="both be written as '001'"):
        convert_samples(samples + samples[:1], str(out), MaskRule().read)
