"""Convert CFD / CrackForest (Shi et al., T-ITS 2016) to the mmcrack layout.

Source: github.com/cuilimeng/CrackForest-dataset (cloned or unpacked):

    SRC/image/<NNN>.jpg          480x320 road photos; 155 files, of which
                                 only 001-118 are annotated (the others are
                                 reported as unpaired and skipped)
    SRC/groundTruth/<NNN>.mat    MATLAB struct groundTruth with fields
                                 Segmentation (uint8 region map, 320x480)
                                 and Boundaries
    SRC/seg/<NNN>.seg            the same annotation in Berkeley format
                                 (not used)

Mask rule: Segmentation is a region map, 1 = background, 2 = crack,
3 = road patches enclosed by crack loops, 4 = extra thin crack strokes (a
visual check of all 22 files holding 3 or 4 showed this). Crack =
Segmentation in {2, 4} (--crack-labels); 3 is background. Many public
loaders take Segmentation > 1, which also marks the enclosed road patches
(up to 30 % of an image) as crack; pass --crack-labels 2 3 4 to reproduce
that convention for comparison with published numbers. A label outside 1-4
stops the conversion with an error naming the file.

Split: CFD has none, so the deterministic rule of
mmcrack.datasets.split.select_split is used: with the stems sorted, every
--val-every-th stem (default 5th) is val, the others train.

Output: OUT/images/<NNN>.jpg (bytes copied), OUT/masks/<NNN>.png (0/1),
OUT/splits/{train,val}.txt.
"""
import argparse
from typing import Optional, Sequence

from mmcrack.datasets.conversion import (ConversionResult, add_dir_args,
                                         add_pairing_args, add_split_args,
                                         build_parser, collect_source_pairs,
                                         convert_samples, run)
from mmcrack.datasets.conversion.cfd_mat import (DEFAULT_CRACK_LABELS,
                                                 cfd_label, read_cfd_mat)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser(
        __doc__, 'CrackForest-dataset folder holding image/ and '
        'groundTruth/ (or a parent of it)')
    parser.add_argument(
        '--crack-labels',
        type=cfd_label,
        nargs='+',
        default=list(DEFAULT_CRACK_LABELS),
        metavar='L',
        help='Segmentation labels counted as crack (default: 2 4; 3 marks '
        'road enclosed by crack loops, which is background)')
    add_dir_args(parser, 'image/', 'groundTruth/')
    add_split_args(parser)
    add_pairing_args(parser)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> ConversionResult:
    """Convert CFD into OUT (see the module docstring)."""
    samples, notes = collect_source_pairs(args, ['image', 'images'],
                                          ['groundTruth'], ('.mat', ))
    crack_labels = tuple(sorted(set(args.crack_labels)))
    notes.append(f'crack = Segmentation in {set(crack_labels)}')
    return convert_samples(
        samples,
        args.out,
        lambda path: read_cfd_mat(path, crack_labels),
        val_every=args.val_every,
        notes=notes)


def main(argv: Optional[Sequence[str]] = None) -> ConversionResult:
    return run(convert, parse_args(argv))


if __name__ == '__main__':
    main()
