"""Shared fixtures: the real crack data beside the repository, and one torch
thread for the modules that ask for it."""
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope

import mmcrack  # noqa: F401  (registers modules, applies compat fixes)

# Build transforms, models and metrics by their mmseg names, as configs do.
init_default_scope('mmseg')

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT / '..' / 'shared' / 'data'


def shared_data_dir(name: str) -> Path:
    """Path of ``../shared/data/<name>``; skips the test when it is absent."""
    path = SHARED_DATA / name
    if not (path / 'images').is_dir():
        pytest.skip(f'real crack data {path} is not available')
    return path


@pytest.fixture
def cracksc_dir() -> Path:
    return shared_data_dir('cracksc')


@pytest.fixture
def cfd_dir() -> Path:
    return shared_data_dir('cfd')


@pytest.fixture(scope='module')
def one_thread():
    """One intra-op torch thread for a test module (``pytestmark =
    pytest.mark.usefixtures('one_thread')``): on a shared 2-core machine,
    OpenMP threads spin against other processes and small convolutions run
    tens of times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
