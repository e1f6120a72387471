"""The split files of a converted set: which stems are train, val, test."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from ..mask_format import CrackDataError
from ..split import select_split
from .pairing import Sample

#: Order in which split files are written and reported.
SPLIT_ORDER = ('train', 'val', 'test')


def write_splits(split_dir: str, splits: Dict[str, List[str]]) -> None:
    """Write ``<split_dir>/<split>.txt``, one stem per line."""
    os.makedirs(split_dir, exist_ok=True)
    for split, stems in splits.items():
        with open(osp.join(split_dir, f'{split}.txt'), 'w') as f:
            f.writelines(stem + '\n' for stem in stems)


def assign_splits(
        samples: Sequence[Sample],
        val_every: int = 5,
        aliases: Optional[Dict[str, str]] = None) -> Dict[str, List[str]]:
    """Group the stems by split, in :data:`SPLIT_ORDER`.

    Samples without a split are divided by
    :func:`mmcrack.datasets.split.select_split` (every ``val_every``-th
    sorted stem is validation). ``aliases`` adds splits that repeat another
    one, e.g. ``{'val': 'test'}`` for a set whose only held-out split is its
    test split. Both 'train' and 'val' must end up non-empty.
    """
    with_split = [s.split is not None for s in samples]
    if any(with_split) and not all(with_split):
        raise CrackDataError(
            'Some samples have an official split and some do not; a '
            'converter must assign all or none.')
    if not all(with_split):
        stems = sorted(s.stem for s in samples)
        grouped = {
            split: select_split(stems, split, val_every)
            for split in ('train', 'val')
        }
    else:
        grouped = {}
        for sample in samples:
            grouped.setdefault(sample.split, []).append(sample.stem)
    for alias, split in (aliases or {}).items():
        grouped[alias] = list(grouped.get(split, []))
    order = [s for s in SPLIT_ORDER if s in grouped]
    order += sorted(s for s in grouped if s not in SPLIT_ORDER)
    splits = {split: sorted(grouped[split]) for split in order}
    for split in ('train', 'val'):
        if not splits.get(split):
            raise CrackDataError(
                f'The {split!r} split is empty ({len(samples)} pairs in all, '
                f'val_every={val_every}). Every converted set needs train '
                'and val pairs: check that SRC holds every split, add data, '
                'or lower --val-every.')
    return splits
