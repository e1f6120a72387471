"""What every dataset converter in ``tools/dataset_converters/`` shares.

A converter only knows where its source set keeps images and annotations and
which split each pair belongs to; it hands a list of :class:`Sample` to
:func:`convert_samples`, which writes the layout :class:`CrackDataset` reads::

    OUT/images/<stem>.jpg   JPEG sources: the original bytes, copied
    OUT/images/<stem>.png   other sources: the pixels, written losslessly
    OUT/masks/<stem>.png    single channel uint8: 0 background, 1 crack,
                            255 ignore; same size as the image
    OUT/splits/<split>.txt  train.txt and val.txt always, test.txt when the
                            source has a test split; one stem per line

One module per job:

- :mod:`.masks`: :class:`MaskRule`, the one rule that turns a source mask
  file (0/1, 0/255, JPEG, palette, colour, 16-bit) into a crack mask;
- :mod:`.images`: every image decoded once, then copied (JPEG) or written
  losslessly (PNG);
- :mod:`.pairing`: the source folders found by name, images paired with
  annotations by stem, unpaired files reported;
- :mod:`.staging`: the guard on OUT and the staged writing that leaves OUT
  as it was when a conversion fails;
- :mod:`.splits`: train/val/test stems and their split files;
- :mod:`.convert`: :func:`convert_samples`, which checks every mask with
  :func:`~mmcrack.datasets.mask_format.check_mask` (the check
  :class:`CrackDataset` runs too) and writes the set;
- :mod:`.cli`: the converters' common arguments and :func:`run`.

What one set alone needs is a module of its own, imported from there by its
converter:

- :mod:`.crackseg9k_source`: CrackSeg9k's folders and its official split
  lists (fetched once, cached);
- :mod:`.cfd_mat`: CFD's ``.mat`` ground truth as 0/1 masks.

Every error is a :class:`~mmcrack.datasets.mask_format.CrackDataError` that
names the file and says how to fix it.
"""
from .cli import (add_dir_args, add_mask_args, add_out_args,
                  add_pairing_args, add_split_args, build_parser,
                  check_output_for, collect_source_pairs, run, source_dirs)
from .convert import ConversionResult, convert_samples
from .images import ImageInfo, inspect_image, write_image
from .masks import (BRIGHT_MIN, DARK_MAX, DEFAULT_THRESHOLD, MASK_EXTENSIONS,
                    MAX_AMBIGUOUS_FRACTION, MaskRule)
from .pairing import (Pairing, Sample, collect_pairs, find_dir,
                      index_by_stem, list_files, make_stems_unique,
                      pair_files, report_unpaired, stem_of)
from .splits import SPLIT_ORDER, assign_splits, write_splits
from .staging import OUTPUT_DIRS, check_output_dir, staged_output

__all__ = [
    'BRIGHT_MIN', 'DARK_MAX', 'DEFAULT_THRESHOLD', 'MASK_EXTENSIONS',
    'MAX_AMBIGUOUS_FRACTION', 'OUTPUT_DIRS', 'SPLIT_ORDER',
    'ConversionResult', 'ImageInfo', 'MaskRule', 'Pairing', 'Sample',
    'add_dir_args', 'add_mask_args', 'add_out_args', 'add_pairing_args',
    'add_split_args', 'assign_splits', 'build_parser', 'check_output_dir',
    'check_output_for', 'collect_pairs', 'collect_source_pairs',
    'convert_samples', 'find_dir', 'index_by_stem', 'inspect_image',
    'list_files', 'make_stems_unique', 'pair_files', 'report_unpaired', 'run',
    'source_dirs', 'staged_output', 'stem_of', 'write_image', 'write_splits'
]
