"""Refuse unknown keys in a model's option dicts."""
from typing import Optional, Sequence


def check_keys(given: Optional[dict], allowed: Sequence[str],
               what: str) -> None:
    """Refuse keys of ``given`` outside ``allowed``: a misspelt option
    would otherwise be silently ignored.

    Args:
        given (dict, optional): The options as configured; None has no
            keys.
        allowed (Sequence[str]): The keys the model reads.
        what (str): What the keys are, for the error message (e.g.
            ``'train_cfg keys'``).

    Raises:
        ValueError: Naming the unknown keys and the allowed ones.
    """
    unknown = set(given or {}) - set(allowed)
    if unknown:
        raise ValueError(f'Unknown {what} {sorted(unknown)}; the keys are '
                         f'{sorted(allowed)}.')
