"""Build a segmentor for inference, testing or export and load its weights.

Every tool that runs a trained model (``tools/infer.py``, ``tools/test.py``,
``tools/deploy.py``, ``tools/benchmark.py``) and :func:`init_model` load the
checkpoint through :func:`load_model_checkpoint`, which refuses what would
otherwise run silently on random weights: a checkpoint of another model
(missing, unexpected or mis-shaped keys), an empty state dict, a file that
is no PyTorch checkpoint, and an exported model given where a checkpoint is
expected. ``allow_partial=True`` (``--allow-partial`` in the tools) loads
what matches, on purpose.
"""
import os
import os.path as osp
import pickle
import tempfile
import zipfile
from typing import Dict, List, Optional, Union

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import CheckpointLoader
from mmseg.registry import MODELS

from ..datasets import CrackDataset
from ..utils.config_check import load_model_config
from .model_index import ResolvedModel, resolve_model

#: Keys named in a mismatch error, per kind.
MAX_KEYS_SHOWN = 5
#: Model files of the deployment backends, by ending.
EXPORTED_ENDINGS = {'.onnx': 'onnxruntime', '.engine': 'tensorrt'}


class CheckpointError(RuntimeError):
    """A checkpoint that does not fit the model it is loaded into."""


def read_checkpoint(path: str) -> dict:
    """Read a ``.pth`` checkpoint on the CPU, with errors that name it.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointError: ``path`` is an exported model (``.onnx``,
            ``.engine``) or not a PyTorch checkpoint at all.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Checkpoint {path} does not exist; tools/train.py writes them to '
            'its work dir (see last_checkpoint there).')
    ending = osp.splitext(path)[1].lower()
    if ending in EXPORTED_ENDINGS:
        raise CheckpointError(
            f'{path} is an exported model, not a PyTorch checkpoint: run it '
            f'with --backend {EXPORTED_ENDINGS[ending]}, or give the .pth '
            'checkpoint it was exported from.')
    try:
        checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError,
            UnicodeDecodeError, RuntimeError, ValueError) as err:
        raise CheckpointError(
            f'{path} is not a PyTorch checkpoint (expected a .pth file '
            'written by tools/train.py or torch.save, holding a state dict): '
            f'{type(err).__name__}: {err}') from err
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{path} holds a {type(checkpoint).__name__}, not a checkpoint '
            'dict (a state dict, or a dict with a state_dict).')
    return checkpoint


def state_dict_of(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint, without a ``module.`` prefix."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    return {
        (key[len('module.'):] if key.startswith('module.') else key): value
        for key, value in state_dict.items() if isinstance(value, torch.Tensor)
    }


def _first(keys: List[str]) -> str:
    shown = ', '.join(keys[:MAX_KEYS_SHOWN])
    more = len(keys) - MAX_KEYS_SHOWN
    return shown + (f' (and {more} more)' if more > 0 else '')


def load_model_checkpoint(model: torch.nn.Module,
                          path: str,
                          config_name: str = 'the config',
                          allow_partial: bool = False) -> dict:
    """Load checkpoint ``path`` into ``model``; every weight must fit.

    Args:
        model (nn.Module): The model built from the config.
        path (str): A ``.pth`` checkpoint (a state dict or a dict with
            ``state_dict``; a ``module.`` prefix is dropped).
        config_name (str): The config, named in errors.
        allow_partial (bool): Load the weights that fit and leave the rest
            as initialised, instead of raising. Defaults to False.

    Returns:
        dict: The checkpoint (``meta`` holds the classes, palette and, for
        published models, the decision threshold).

    Raises:
        CheckpointError: the checkpoint has missing, unexpected or
            mis-shaped keys (naming the checkpoint, the config and the
            first keys of each kind), or no weights at all.
    """
    checkpoint = read_checkpoint(path)
    weights = state_dict_of(checkpoint)
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    mis_shaped = [
        f'{k} {tuple(weights[k].shape)} vs {tuple(v.shape)}'
        for k, v in expected.items()
        if k in weights and weights[k].shape != v.shape
    ]
    if not weights or ((missing or unexpected or mis_shaped)
                       and not allow_partial):
        problems = [
            f'{len(keys)} {kind}: {_first(keys)}'
            for kind, keys in (('missing', missing), ('unexpected',
                                                      unexpected),
                               ('mis-shaped (checkpoint vs model)',
                                mis_shaped)) if keys
        ]
        raise CheckpointError(
            f'Checkpoint {path} does not fit the model of {config_name}: ' +
            ('it holds no weights' if not weights else '; '.join(problems)) +
            '. Is it the checkpoint of another model or width (e.g. a B32 '
            'checkpoint with a B16 config)? Give the config it was trained '
            'with, or pass --allow-partial to load the weights that fit on '
            'purpose.')
    fitting = {
        k: v
        for k, v in weights.items()
        if k in expected and v.shape == expected[k].shape
    }
    model.load_state_dict(fitting, strict=False)
    return checkpoint


def published_threshold(resolved: ResolvedModel) -> Optional[float]:
    """The decision threshold published with a model: its checkpoint's
    ``meta.threshold``, else the ``Threshold`` of its index entry, else
    None (also for a model without a checkpoint)."""
    threshold = None
    if resolved.checkpoint is not None and resolved.checkpoint.endswith(
            ('.pth', '.pt')):
        threshold = (read_checkpoint(resolved.checkpoint).get('meta')
                     or {}).get('threshold')
    if threshold is None and resolved.entry is not None:
        threshold = resolved.entry.metadata.get('Threshold')
    return None if threshold is None else float(threshold)


def init_model(model: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None,
               allow_partial: bool = False) -> torch.nn.Module:
    """Build a segmentor from a model name or config and load its weights.

    ``model`` is a name of the model index (``tools/infer.py
    --list-models``), whose config and weights are used, or a config file
    or :class:`Config` with ``checkpoint``. The model is returned in eval
    mode on ``device`` with ``cfg``, ``dataset_meta`` and ``threshold`` (the
    published decision threshold, or None) attached, as
    ``mmseg.apis.init_model`` attaches ``cfg`` and ``dataset_meta``.

    Args:
        model (str | Config): Model name, config file or config.
        checkpoint (str, optional): Checkpoint; overrides a name's weights.
            Without one a config builds a model with initial weights.
        device (str): 'cpu' or 'cuda[:N]'. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        allow_partial (bool): See :func:`load_model_checkpoint`.
    """
    resolved = resolve_model(model, checkpoint)
    cfg = load_model_config(resolved.config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.pretrained = None
    cfg.model.train_cfg = None
    segmentor = MODELS.build(cfg.model)
    segmentor.cfg = cfg
    segmentor.dataset_meta = dict(CrackDataset.METAINFO)
    segmentor.threshold = None
    if resolved.checkpoint is not None:
        loaded = load_model_checkpoint(segmentor, resolved.checkpoint,
                                       resolved.config_name, allow_partial)
        meta = loaded.get('meta') or {}
        if (meta.get('dataset_meta') or {}).get('classes') is not None:
            segmentor.dataset_meta = dict(meta['dataset_meta'])
        segmentor.threshold = meta.get('threshold')
    if device == 'cpu':
        segmentor = revert_sync_batchnorm(segmentor)
    return segmentor.to(device).eval()


def publish_checkpoint(src: str,
                       dst: str,
                       config: str,
                       threshold: float,
                       **meta) -> dict:
    """Write the weights of checkpoint ``src`` as a published model ``dst``.

    The published file holds the model weights only (no optimizer or
    scheduler state) and a ``meta`` with what a user of the weights needs:
    ``dataset_meta`` (classes, palette), ``config`` (the config file's text),
    ``threshold`` (the decision threshold chosen on validation data), the
    training ``iter`` of ``src``, and the items of ``meta`` (e.g.
    ``training_command``, ``training_data``, ``license``, ``commit``). The
    weights are checked to fit the config's model first, and the file is
    written under a temporary name and moved into place.

    Returns:
        dict: The ``meta`` written.
    """
    if not 0 < threshold < 1:
        raise ValueError(f'threshold must be in (0, 1), not {threshold}.')
    checkpoint = read_checkpoint(src)
    cfg = load_model_config(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    load_model_checkpoint(MODELS.build(cfg.model), src, config)
    weights = {k: v.detach().clone() for k, v in state_dict_of(
        checkpoint).items()}
    source_meta = checkpoint.get('meta') or {}
    with open(config, encoding='utf-8') as f:
        config_text = f.read()
    published = dict(
        dataset_meta=dict(source_meta.get('dataset_meta')
                          or CrackDataset.METAINFO),
        config=config_text,
        config_name=osp.basename(config),
        threshold=float(threshold),
        iter=source_meta.get('iter'),
        **meta)
    folder = osp.dirname(osp.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile(
            dir=folder, prefix='.publish-', suffix='.pth',
            delete=False) as tmp:
        torch.save(dict(state_dict=weights, meta=published), tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp.name, 0o666 & ~umask)  # as a file written plainly
    os.replace(tmp.name, dst)
    return published
