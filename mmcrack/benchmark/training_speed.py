"""Training throughput of a config, and the share of it spent waiting for
data."""
import copy
import inspect
import statistics
import time
from typing import Optional

from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

from mmcrack.utils.pretrained import drop_pretrained


def measure_training(cfg: Config,
                     iters: int,
                     warmup: int = 2,
                     data_root: Optional[str] = None,
                     batch_size: Optional[int] = None) -> dict:
    """Time ``iters`` training iterations of ``cfg`` on the CPU.

    The config's own train dataloader (with an infinite shuffling sampler)
    and optimizer wrapper drive the model, built with random weights (no
    pretrained ones are fetched; speed does not depend on them). Each
    iteration is timed from asking the loader for a batch to the end of
    ``train_step``.

    Args:
        cfg (Config): A training config (``train_dataloader``,
            ``optim_wrapper``, ``model``); it is not changed.
        iters (int): Timed iterations.
        warmup (int): Untimed iterations first. Defaults to 2.
        data_root (str, optional): The dataset's ``data_root`` instead of
            the config's: for a pixel-labelled set (one whose dataset class
            takes ``split``, such as ``CrackDataset``) a folder with
            ``images/`` and ``masks/`` whose training images the split rule
            picks; an image-level set (``ImageLabelDataset``, WP-CrackNet)
            keeps its own list file or folders.
        batch_size (int, optional): The loader's batch size instead of the
            config's.

    Returns:
        dict: ``iters``, ``batch_size``, ``num_workers``, ``crop`` (the
        config's ``crop_size``), ``images_per_s``, ``iter_ms_mean``,
        ``data_ms_mean`` and ``data_wait_share`` (time waiting for data /
        iteration time, in [0, 1]).
    """
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    loader_cfg = cfg.train_dataloader
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if data_root:
        dataset = loader_cfg.dataset
        dataset.data_root = data_root
        dataset_class = DATASETS.get(dataset.type)
        if 'split' in inspect.signature(dataset_class).parameters:
            dataset.ann_file = ''
            dataset.split = 'train'
    if batch_size:
        loader_cfg.batch_size = batch_size
    loader_cfg.sampler = dict(type='InfiniteSampler', shuffle=True)
    drop_pretrained(cfg.model)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = iter(loader)
    data_times, iter_times = [], []
    for i in range(warmup + iters):
        start = time.perf_counter()
        data = next(batches)
        got = time.perf_counter()
        model.train_step(data, optim_wrapper)
        end = time.perf_counter()
        if i >= warmup:
            data_times.append(got - start)
            iter_times.append(end - start)
    batch = loader_cfg.batch_size
    return dict(
        iters=iters,
        batch_size=batch,
        num_workers=loader_cfg.get('num_workers', 0),
        crop=list(cfg.get('crop_size', [])),
        images_per_s=batch * len(iter_times) / sum(iter_times),
        iter_ms_mean=1e3 * statistics.fmean(iter_times),
        data_ms_mean=1e3 * statistics.fmean(data_times),
        data_wait_share=sum(data_times) / sum(iter_times))
