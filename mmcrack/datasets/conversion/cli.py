"""The command line shared by the converters in ``tools/dataset_converters/``:
their common arguments, the folders and pairs they take from those
arguments, and :func:`run`, which prints the summary or the error."""
import argparse
import os.path as osp
from typing import Callable, List, Sequence, Tuple

from ..mask_format import CrackDataError
from .convert import ConversionResult
from .masks import DEFAULT_THRESHOLD
from .pairing import Sample, collect_pairs, find_dir
from .staging import OUTPUT_DIRS, check_output_dir


def source_dirs(args: argparse.Namespace, img_names: Sequence[str],
                ann_names: Sequence[str]) -> Tuple[str, str]:
    """The image and annotation folders of a two-folder set: ``--img-dir``
    and ``--ann-dir`` when given, else found under SRC by name
    (:func:`find_dir`)."""
    img_dir = args.img_dir or find_dir(args.src, img_names, 'image',
                                       '--img-dir')
    ann_dir = args.ann_dir or find_dir(args.src, ann_names, 'annotation',
                                       '--ann-dir')
    for folder, option in ((img_dir, '--img-dir'), (ann_dir, '--ann-dir')):
        if not osp.isdir(folder):
            raise CrackDataError(f'{option} {folder} is not a folder.')
    return img_dir, ann_dir


def check_output_for(args: argparse.Namespace, dirs: Sequence[str]) -> None:
    """:func:`check_output_dir` for a converter that reads ``dirs``: SRC
    counts as a source too unless both --img-dir and --ann-dir replaced
    the search in it."""
    overridden = getattr(args, 'img_dir', None) and getattr(
        args, 'ann_dir', None)
    sources = list(dirs) if overridden else [args.src, *dirs]
    check_output_dir(args.out, args.overwrite, sources)


def collect_source_pairs(
        args: argparse.Namespace, img_names: Sequence[str],
        ann_names: Sequence[str],
        ann_exts: Sequence[str]) -> Tuple[List[Sample], List[str]]:
    """The pairs of a two-folder set and the notes of their pairing.

    The folders come from :func:`source_dirs`; OUT is checked against them
    (:func:`check_output_for`) before anything is read, then the pairs are
    collected by :func:`collect_pairs` (``--strict`` from ``args``).
    """
    img_dir, ann_dir = source_dirs(args, img_names, ann_names)
    check_output_for(args, [img_dir, ann_dir])
    notes: List[str] = []
    samples = collect_pairs([img_dir],
                            ann_dir,
                            ann_exts=ann_exts,
                            strict=args.strict,
                            notes=notes)
    return samples, notes


def _rgb(text: str) -> Tuple[int, int, int]:
    try:
        rgb = tuple(int(v) for v in text.split(','))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise argparse.ArgumentTypeError(
            f'{text!r} is not an R,G,B colour such as 255,0,0')
    return rgb


def _threshold(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 255:
        raise argparse.ArgumentTypeError('the threshold must be in 1..255')
    return value


def _positive_val_every(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError('--val-every must be >= 2')
    return value


def build_parser(description: str,
                 src_help: str = 'source folder') -> argparse.ArgumentParser:
    """An argument parser with SRC, OUT and ``--overwrite``.

    The converter's module docstring is the description, so ``--help``
    states the layout it assumes.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', metavar='SRC', help=src_help)
    add_out_args(parser)
    return parser


def add_out_args(parser: argparse.ArgumentParser,
                 outputs: Sequence[str] = OUTPUT_DIRS) -> None:
    """Add OUT and ``--overwrite`` (which replaces ``outputs``)."""
    written = ', '.join(outputs)
    parser.add_argument(
        'out', metavar='OUT', help=f'output folder; {written} are written '
        'into it')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help=f'write into a non-empty OUT, replacing its {written} (other '
        'files are left alone)')


def add_split_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--val-every`` (for sets without an official split)."""
    parser.add_argument(
        '--val-every',
        type=_positive_val_every,
        default=5,
        metavar='N',
        help='deterministic split: with the stems sorted, every N-th stem '
        'goes to val, the rest to train (mmcrack.datasets.split.'
        'select_split; default: 5)')


def add_mask_args(parser: argparse.ArgumentParser,
                  colors: bool = False,
                  invert: bool = False) -> None:
    """Add ``--threshold`` and, on request, ``--crack-color`` and
    ``--invert`` (see :class:`MaskRule`)."""
    parser.add_argument(
        '--threshold',
        type=_threshold,
        metavar='T',
        help='binarize every mask as value >= T is crack, skipping the '
        'automatic rule (0/1 and 0/255 masks as they are; other values '
        f'thresholded at {DEFAULT_THRESHOLD} only when nearly binary; see '
        'mmcrack/datasets/conversion/masks.py)')
    if colors:
        parser.add_argument(
            '--crack-color',
            type=_rgb,
            action='append',
            metavar='R,G,B',
            help='colour masks: pixels of exactly this colour are crack, all '
            'others background; repeat for several colours (default: any '
            'non-black pixel is crack)')
    if invert:
        parser.add_argument(
            '--invert',
            action='store_true',
            help='swap crack and background after binarizing (for masks '
            'that draw cracks dark on a bright background)')


def add_pairing_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--strict``."""
    parser.add_argument(
        '--strict',
        action='store_true',
        help='stop with an error when an image has no annotation or an '
        'annotation no image (default: skip them and list them in the '
        'summary)')


def add_dir_args(parser: argparse.ArgumentParser, img_default: str,
                 ann_default: str) -> None:
    """Add ``--img-dir`` and ``--ann-dir`` overrides."""
    parser.add_argument(
        '--img-dir',
        metavar='DIR',
        help=f'image folder, overriding the search for {img_default} under '
        'SRC')
    parser.add_argument(
        '--ann-dir',
        metavar='DIR',
        help=f'annotation folder, overriding the search for {ann_default} '
        'under SRC')


def run(convert: Callable[[argparse.Namespace], ConversionResult],
        args: argparse.Namespace) -> ConversionResult:
    """Run a converter from the command line: print its summary, or exit
    with status 1 and the error message (no traceback) on bad input."""
    try:
        result = convert(args)
    except CrackDataError as err:
        raise SystemExit(f'error: {err}') from err
    print(result.summary())
    return result
