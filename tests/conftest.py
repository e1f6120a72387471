"""Shared fixtures: the real crack data beside the repository, short training
on it, checkpoints of configs' models, and one torch thread for the modules
that ask for it; glibc's malloc tuned as for training; the tools/ scripts
as modules or commands; the ``slow`` and ``needs_data`` markers (setup.cfg)
set from the fixtures a test uses."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, List, Tuple, Union

import numpy as np
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

import mmcrack  # noqa: F401  (registers modules, applies compat fixes)
from mmcrack.datasets import CrackDataset, make_weak_labels
from mmcrack.utils.malloc_tuning import tune_glibc_malloc
from mmcrack.utils.pretrained import drop_pretrained

# Build transforms, models and metrics by their mmseg names, as configs do.
init_default_scope('mmseg')
# Reuse freed tensor memory, as tools/train.py does (faster CPU steps).
tune_glibc_malloc()

SHARED_DATA = REPO_ROOT / '..' / 'shared' / 'data'
# TensorRT 10's operator matrix, where a copy lies beside the checkout
# (mmcrack.deploy.trt_support reads it from this variable only).
_TRT_MATRIX = (REPO_ROOT / '..' / 'shared' / 'reference' /
               'tensorrt10-onnx-operators.md').resolve()
if _TRT_MATRIX.is_file():
    os.environ.setdefault('MMCRACK_TRT_MATRIX', str(_TRT_MATRIX))


#: Fixtures that read the real crack data (``exported``, of
#: tests/test_deploy, exports on CFD photos): their tests are
#: ``needs_data``. Tests that read it otherwise carry the marker themselves.
DATA_FIXTURES = frozenset(
    {'cracksc_dir', 'cfd_dir', 'cfd_weak_128', 'exported'})
#: Fixtures that train models, export them (``exported``, of
#: tests/test_deploy) or run tools/ scripts in new processes: their tests
#: are ``slow``. Tests that do so otherwise carry the marker themselves.
SLOW_FIXTURES = frozenset(
    {'train_steps', 'run_tool', 'cfd_weak_128', 'exported'})


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark the tests that use :data:`DATA_FIXTURES` ``needs_data`` and
    those that use :data:`SLOW_FIXTURES` ``slow``."""
    for item in items:
        used = set(getattr(item, 'fixturenames', ()))
        if used & DATA_FIXTURES:
            item.add_marker(pytest.mark.needs_data)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture
def cracksc_crops(cracksc_dir) -> Callable[..., BaseDataset]:
    """Factory: CrackSC's train split as random, randomly flipped crops of
    ``crop_size`` (``cat_max_ratio`` as in mmseg's ``RandomCrop``)."""

    def build(crop_size: Tuple[int, int],
              cat_max_ratio: float = 1.0) -> BaseDataset:
        return DATASETS.build(
            dict(
                type='CrackDataset',
                data_root=str(cracksc_dir),
                data_prefix=dict(img_path='images', seg_map_path='masks'),
                split='train',
                check_files=False,
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='LoadAnnotations'),
                    dict(
                        type='RandomCrop',
                        crop_size=crop_size,
                        cat_max_ratio=cat_max_ratio),
                    dict(type='RandomFlip', prob=0.5),
                    dict(type='PackSegInputs')
                ]))

    return build


@pytest.fixture
def train_steps() -> Callable[..., List[dict]]:
    """Factory: ``steps`` calls of ``model.train_step`` on batches drawn at
    random (seed 0) from ``dataset``; returns the logs."""

    def run(model: BaseModel,
            optim: OptimWrapper,
            dataset: BaseDataset,
            batch_size: int,
            steps: int = 15) -> List[dict]:
        rng = np.random.default_rng(0)
        logs = []
        for _ in range(steps):
            batch = pseudo_collate([
                dataset[int(i)]
                for i in rng.choice(len(dataset), batch_size)
            ])
            logs.append(model.train_step(batch, optim))
        return logs

    return run


@pytest.fixture(scope='session')
def load_tool() -> Callable[[str], ModuleType]:
    """Factory: a script under ``tools/`` (e.g. ``'infer.py'``,
    ``'analysis_tools/get_flops.py'``) loaded as a module, so that tests can
    call its functions."""

    def load(path: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(
            'mmcrack_tool_' + Path(path).stem, REPO_ROOT / 'tools' / path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope='session')
def run_tool() -> Callable[..., subprocess.CompletedProcess]:
    """Factory: ``python tools/<path> *args`` run from the repository root
    with mmcrack importable and its output captured (text); returns the
    ``CompletedProcess`` whatever its exit status."""

    def run(path: str, *args, timeout: int = 900):
        return subprocess.run(
            [sys.executable, f'tools/{path}', *map(str, args)],
            cwd=REPO_ROOT,
            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
            capture_output=True,
            text=True,
            timeout=timeout)

    return run


@pytest.fixture(scope='session')
def cfd_weak_128(tmp_path_factory) -> Path:
    """The docs' image-level set for the CPU-sized WP-CrackNet config:
    CFD's train images as 3x3 grids of 128x128 patches, made by
    :func:`mmcrack.datasets.make_weak_labels`."""
    cfd = shared_data_dir('cfd')
    out = tmp_path_factory.mktemp('weak') / 'cfd_weak-128'
    make_weak_labels(
        str(cfd),
        str(out),
        grid=3,
        negatives_per_image=0,
        resize=128,
        progress=False)
    return out


@pytest.fixture(scope='session')
def random_checkpoint(tmp_path_factory) -> Callable[[Union[str, Path]], Path]:
    """Factory: a checkpoint (``.pth``) of the model of ``config`` with its
    initial weights (``init_weights`` after seed 0) and, as the runner saves
    them, the crack classes and palette; written once per config in a test
    session."""
    saved = {}

    def save(config: Union[str, Path]) -> Path:
        if str(config) not in saved:
            init_default_scope('mmseg')
            torch.manual_seed(0)
            model_cfg = Config.fromfile(str(config)).model
            drop_pretrained(model_cfg)  # random, not ImageNet, weights
            model = MODELS.build(model_cfg)
            model.init_weights()
            path = tmp_path_factory.mktemp('checkpoint') / (
                Path(config).stem + '.pth')
            torch.save(
                dict(
                    state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(CrackDataset.METAINFO))),
                path)
            saved[str(config)] = path
        return saved[str(config)]

    return save


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


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Serve ``tmp_path/served`` on 127.0.0.1; fetched copies go to
    ``tmp_path/hub``. Yields the folder and the base address."""
    import functools
    import http.server
    import threading
    root = tmp_path / 'served'
    root.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()
