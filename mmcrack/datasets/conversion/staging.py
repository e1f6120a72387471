"""Where a converter writes: the guard on OUT and the staged writing that
leaves OUT as it was when a conversion fails.

Every writer of a data set (the converters, ``make_weak_labels``,
``generate_synthetic_cracks``) checks OUT with :func:`check_output_dir`
before reading anything, then writes inside :func:`staged_output`.
"""
import contextlib
import os
import os.path as osp
import shutil
from typing import Iterator, Sequence

from ..mask_format import CrackDataError

#: The folders a converter writes (and ``--overwrite`` replaces) under OUT.
OUTPUT_DIRS = ('images', 'masks', 'splits')
#: Staging folder under OUT; renamed into place when a conversion succeeds.
_STAGING = '.mmcrack-converting'


def check_output_dir(out_dir: str,
                     overwrite: bool,
                     sources: Sequence[str] = (),
                     outputs: Sequence[str] = OUTPUT_DIRS) -> None:
    """Refuse to write into a non-empty OUT without ``overwrite``, and to
    write into (or over) a source folder at all; ``outputs`` (named in the
    error) are what ``overwrite`` replaces."""
    out_real = osp.realpath(out_dir)
    for src in sources:
        src_real = osp.realpath(src)
        if (out_real == src_real or src_real.startswith(out_real + os.sep)
                or out_real.startswith(src_real + os.sep)):
            raise CrackDataError(
                f'OUT {out_dir} overlaps the source {src}: write the '
                'converted set to a folder outside the source.')
    if osp.isfile(out_dir):
        raise CrackDataError(f'OUT {out_dir} is a file, not a folder.')
    leftovers = osp.isdir(out_dir) and [
        e for e in os.listdir(out_dir) if e != _STAGING
    ]
    if leftovers and not overwrite:
        raise CrackDataError(
            f'OUT {out_dir} is not empty. Choose an empty folder, or pass '
            f'--overwrite to replace its {", ".join(outputs)}.')


@contextlib.contextmanager
def staged_output(out_dir: str,
                  outputs: Sequence[str] = OUTPUT_DIRS,
                  folders: Sequence[str] = OUTPUT_DIRS) -> Iterator[str]:
    """Write OUT's ``outputs`` in a staging folder, moved into place at the
    end.

    Yields the staging folder under OUT (with ``folders`` created in it).
    When the block ends normally, each name of ``outputs`` written there
    replaces OUT's (a folder or a file); when it raises, the staging folder
    is dropped and OUT is left as it was (removed again if it was created).
    """
    created = not osp.isdir(out_dir)
    staging = osp.join(out_dir, _STAGING)
    if osp.isdir(staging):
        shutil.rmtree(staging)
    for name in folders:
        os.makedirs(osp.join(staging, name))
    os.makedirs(staging, exist_ok=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and osp.isdir(out_dir) and not os.listdir(out_dir):
            os.rmdir(out_dir)
        raise
    for name in outputs:
        source, target = osp.join(staging, name), osp.join(out_dir, name)
        if not osp.exists(source):
            continue
        if osp.isdir(target):
            shutil.rmtree(target)
        elif osp.exists(target):
            os.remove(target)
        os.replace(source, target)
    shutil.rmtree(staging)
