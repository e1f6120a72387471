"""Writing the pairs of a source set into the mmcrack layout.

:func:`convert_samples` is what a converter ends with: it takes the
:class:`~mmcrack.datasets.conversion.pairing.Sample` list and a reader of
the set's annotations, checks every pair, writes them inside
:func:`~mmcrack.datasets.conversion.staging.staged_output` and returns a
:class:`ConversionResult` to print.
"""
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import mmengine
import numpy as np
from PIL import Image

from ...utils.constants import CRACK, IGNORE_INDEX
from ..mask_format import CrackDataError, check_mask
from .images import inspect_image, write_image
from .pairing import Sample
from .splits import assign_splits, write_splits
from .staging import staged_output

@dataclass
class ConversionResult:
    """What :func:`convert_samples` wrote.

    Attributes:
        out_dir (str): Output root.
        splits (dict): Split name -> list of stems, in file order.
        crack_pixels (dict): Split name -> (crack pixels, labelled pixels).
        sizes (Counter): (width, height) -> number of images.
        notes (list[str]): Remarks printed with the summary.
    """
    out_dir: str
    splits: Dict[str, List[str]]
    crack_pixels: Dict[str, Tuple[int, int]]
    sizes: Counter
    notes: List[str] = field(default_factory=list)

    def crack_percent(self, split: str) -> float:
        """Crack pixels in % of the labelled (non-ignore) pixels of a split."""
        crack, total = self.crack_pixels[split]
        return 100.0 * crack / max(total, 1)

    def summary(self) -> str:
        """The short report printed at the end of a conversion."""
        total = sum(len(stems) for stems in self.splits.values())
        lines = [f'Converted {total} image/mask pairs into {self.out_dir}']
        for split, stems in self.splits.items():
            lines.append(f'  {split:<5} {len(stems):>6} pairs, crack pixels '
                         f'{self.crack_percent(split):.2f} %')
        common = ', '.join(f'{w}x{h} ({n})'
                           for (w, h), n in self.sizes.most_common(3))
        more = ' ...' if len(self.sizes) > 3 else ''
        lines.append(f'  sizes (WxH): {common}{more}')
        lines.extend(f'  note: {note}' for note in self.notes)
        split_files = ', '.join(f'{split}.txt' for split in self.splits)
        lines.append(f'  written: {osp.join(self.out_dir, "images")}, '
                     f'{osp.join(self.out_dir, "masks")}, '
                     f'{osp.join(self.out_dir, "splits")} ({split_files})')
        return '\n'.join(lines)


def _write_samples(samples: Sequence[Sample], root: str,
                   read_ann: Callable[[str], np.ndarray], progress: bool):
    """Write images and masks under ``root``; return per-stem (crack,
    labelled) pixel counts, the image sizes and the re-encoded JPEGs."""
    img_dir, mask_dir = osp.join(root, 'images'), osp.join(root, 'masks')
    pixels: Dict[str, Tuple[int, int]] = {}
    sizes: Counter = Counter()
    reencoded = []
    iterator = (
        mmengine.track_iter_progress(list(samples)) if progress else samples)
    for sample in iterator:
        info = inspect_image(sample.img_path)
        mask = read_ann(sample.ann_path)
        # The reader has interpreted the annotation: 255 is ignore.
        check_mask(
            mask,
            sample.ann_path,
            info.size,
            sample.img_path,
            allow_ignore_without_crack=True,
            hint='Fix or remove the annotation')
        if info.exif_rotated:
            reencoded.append(sample.img_path)
        write_image(sample.img_path, img_dir, sample.stem, info.copy_bytes)
        Image.fromarray(mask.astype(np.uint8)).save(
            osp.join(mask_dir, sample.stem + '.png'))
        pixels[sample.stem] = (int(np.count_nonzero(mask == CRACK)),
                               int(np.count_nonzero(mask != IGNORE_INDEX)))
        sizes[info.size] += 1
    return pixels, sizes, reencoded


def convert_samples(samples: Sequence[Sample],
                    out_dir: str,
                    read_ann: Callable[[str], np.ndarray],
                    val_every: int = 5,
                    notes: Sequence[str] = (),
                    split_aliases: Optional[Dict[str, str]] = None,
                    progress: bool = True) -> ConversionResult:
    """Write samples into the mmcrack layout and report what was written.

    Args:
        samples (Sequence[Sample]): Pairs to write; stems must be unique.
        out_dir (str): OUT; checked beforehand with :func:`check_output_dir`.
            Everything is written to a staging folder first; only when all
            pairs are written do its images/, masks/ and splits/ replace
            OUT's, so a failed conversion leaves OUT as it was.
        read_ann (callable): Annotation path -> binarized mask (uint8,
            0/1/255), e.g. :meth:`MaskRule.read`.
        val_every (int): Deterministic rule for samples without a split.
        notes (Sequence[str]): Remarks to print with the summary.
        split_aliases (dict, optional): Splits that repeat another, e.g.
            ``{'val': 'test'}`` (see :func:`assign_splits`).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        ConversionResult: Splits, crack-pixel counts and image sizes.
    """
    samples = sorted(samples, key=lambda s: s.stem)
    if not samples:
        raise CrackDataError('No image/annotation pairs to convert.')
    seen: Dict[str, Sample] = {}
    for sample in samples:
        if sample.stem in seen:
            raise CrackDataError(
                f'{seen[sample.stem].img_path} and {sample.img_path} would '
                f'both be written as {sample.stem!r}: stems must be unique.')
        seen[sample.stem] = sample
    splits = assign_splits(samples, val_every, split_aliases)
    with staged_output(out_dir) as staging:
        pixels, sizes, reencoded = _write_samples(samples, staging, read_ann,
                                                  progress)
        write_splits(osp.join(staging, 'splits'), splits)
    notes = list(notes)
    if reencoded:
        notes.append(
            f'{len(reencoded)} JPEGs carry an EXIF rotation and were saved '
            'losslessly as PNG (raw pixels) so that the loader cannot rotate '
            f'them away from their masks (first: {reencoded[0]})')
    crack_pixels = {}
    for split, stems in splits.items():
        crack_pixels[split] = (sum(pixels[s][0] for s in stems),
                               sum(pixels[s][1] for s in stems))
    return ConversionResult(
        out_dir=out_dir,
        splits=splits,
        crack_pixels=crack_pixels,
        sizes=sizes,
        notes=notes)
