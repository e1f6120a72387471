"""The deterministic train/validation split used where a set ships none."""
from typing import List, Optional, Sequence

SPLITS = ('train', 'val')


def select_split(sorted_stems: Sequence[str], split: Optional[str],
                 val_every: int = 5) -> List[str]:
    """Select the stems of one split by position in sorted order.

    Rule: with stems sorted, the stem at index ``i`` is validation when
    ``i % val_every == val_every - 1`` (the 5th, 10th, ... with the default),
    and training otherwise. ``split=None`` keeps every stem.

    Args:
        sorted_stems (Sequence[str]): File stems in sorted order.
        split (str, optional): 'train', 'val' or None.
        val_every (int): One in ``val_every`` stems is validation.
            Defaults to 5.
    """
    if split is None:
        return list(sorted_stems)
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS} or None, not '
                         f'{split!r}.')
    if val_every < 2:
        raise ValueError(f'val_every must be >= 2, not {val_every}.')
    is_val = [i % val_every == val_every - 1 for i in range(len(sorted_stems))]
    return [
        stem for stem, val in zip(sorted_stems, is_val)
        if val == (split == 'val')
    ]
