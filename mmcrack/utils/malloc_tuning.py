"""Keep glibc's malloc from handing activation memory back every step.

PyTorch's CPU tensors come from the C library's ``malloc``. With glibc's
defaults a buffer above the mmap threshold (dynamic, at most 32 MiB) is
mapped fresh and unmapped when freed, and free memory at the top of the
heap is trimmed, so every training step maps, page-faults and unmaps its
large activations again. :func:`tune_glibc_malloc` raises the mmap and trim
thresholds to 1 GiB and pads heap growth by 256 MiB (``man 3 mallopt``;
setting them also turns glibc's dynamic thresholds off), so freed buffers
stay in the heap and are reused (``docs/training.md`` has the
measurement). Other C libraries (macOS, musl) are left alone.
"""
import ctypes
import ctypes.util
import platform

#: ``mallopt`` parameter numbers from glibc's ``malloc.h``.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
#: Parameter -> value, in bytes.
SETTINGS = {
    M_MMAP_THRESHOLD: 1024**3,
    M_TRIM_THRESHOLD: 1024**3,
    M_TOP_PAD: 256 * 1024**2,
}


def tune_glibc_malloc() -> bool:
    """Apply :data:`SETTINGS` with ``mallopt``; True if glibc took them all.

    Returns False, changing nothing, where the C library is not glibc.
    Affects this process and the data-loader workers it forks later.
    """
    if platform.libc_ver()[0] != 'glibc':
        return False
    libc = ctypes.CDLL(ctypes.util.find_library('c'))
    return all(
        libc.mallopt(param, value) == 1 for param, value in SETTINGS.items())
