"""The model index: model names to configs and weights.

The index is MMSegmentation's (and mim's) ``model-index.yml``, which imports
one ``configs/<family>/metafile.yaml`` per family; it is read where
mmengine's inferencers read it (the repository root of a checkout, or
``mmcrack/.mim`` of an installed package). Each model has a ``Name``, a
``Config`` and, when weights exist, ``Weights``:

* a path relative to the index (``mmcrack/weights/<name>.pth``: weights we
  publish, shipped in the repository and the package), or
* a path under ``$MMCRACK_HOME`` (default ``~/.cache/mmcrack``) with
  ``Converted From`` (the original weights' address and the conversion
  command): weights we may not ship, which a user converts once.

:func:`resolve_model` turns what a user gives a tool (a name, or a config
and a checkpoint) into a config and a checkpoint, with errors that list the
close names or say how to get missing weights.
"""
import difflib
import importlib
import os.path as osp
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Union

from mmengine.config import Config
from mmengine.infer import BaseInferencer

from ..utils.mmcrack_home import mmcrack_home


class UnknownModelError(KeyError):
    """A model name that is not in the index."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


class MissingWeightsError(FileNotFoundError):
    """A model of the index whose weights are not on this machine."""


@dataclass
class ModelEntry:
    """One model of the index.

    Attributes:
        name (str): The model name.
        config (str): Absolute path of its config.
        weights (str, optional): Absolute path of its checkpoint, or None
            when the index lists no weights (results of a config only).
        converted_from (dict): ``Weights`` (address) and ``Code`` (the
            conversion command) of third-party weights; empty for ours.
        metadata (dict): The entry's ``Metadata`` (training data, license,
            threshold, size, ...).
        results (list[dict]): The entry's ``Results`` (dataset, metrics).
        collection (str): The family (``In Collection``).
    """
    name: str
    config: str
    weights: Optional[str] = None
    converted_from: Dict[str, str] = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    results: List[dict] = field(default_factory=list)
    collection: str = ''

    def checkpoint(self) -> str:
        """The checkpoint path, checked to exist.

        Raises:
            MissingWeightsError: naming where to get the weights and the
                command that makes the file.
        """
        if self.weights is None:
            raise MissingWeightsError(
                f'Model {self.name} has no published weights: train it with '
                f'`python tools/train.py {self.config}` and give the config '
                'and the checkpoint instead of the name.')
        if osp.isfile(self.weights):
            return self.weights
        if self.converted_from:
            raise MissingWeightsError(
                f'The weights of {self.name} are not on this machine '
                f'({self.weights}). Download them from '
                f'{self.converted_from["Weights"]} and convert them: '
                f'`{self.converted_from["Code"]}` (set MMCRACK_HOME to keep '
                f'them elsewhere than {mmcrack_home()}).')
        raise MissingWeightsError(
            f'The weights of {self.name} ({self.weights}) are missing from '
            'this installation: they ship with mmcrack; reinstall it or '
            'check out the repository again (git lfs is not used).')


def index_dir() -> str:
    """Folder of ``model-index.yml``: the checkout, or the package's .mim."""
    return BaseInferencer._get_repo_or_mim_dir('mmcrack')


def _weights_path(weights: Optional[str], root: str,
                  home: str) -> Optional[str]:
    if not weights:
        return None
    if '://' in weights:
        return weights
    weights = osp.expanduser(weights.replace('$MMCRACK_HOME', home))
    if osp.isabs(weights):
        return weights
    package_parent = osp.dirname(
        importlib.import_module('mmcrack').__path__[0])
    for base in (root, package_parent):
        if osp.exists(osp.join(base, weights)):
            return osp.join(base, weights)
    return osp.join(root, weights)


@lru_cache(maxsize=None)
def _load_index(root: str, home: str) -> Dict[str, ModelEntry]:
    entries = {}
    for item in BaseInferencer._get_models_from_metafile(root):
        entry = ModelEntry(
            name=item['Name'],
            config=osp.join(root, item['Config']),
            weights=_weights_path(item.get('Weights'), root, home),
            converted_from=dict(item.get('Converted From') or {}),
            metadata=dict(item.get('Metadata') or {}),
            results=list(item.get('Results') or []),
            collection=item.get('In Collection', ''))
        if entry.converted_from:
            entry.converted_from['Code'] = entry.converted_from[
                'Code'].replace('$MMCRACK_HOME', home)
        for name in [entry.name] + list(item.get('Alias') or []):
            if name.lower() in entries:
                raise ValueError(f'Model name {name} is listed twice in the '
                                 f'index under {root}.')
            entries[name.lower()] = entry
    return entries


def load_model_index() -> Dict[str, ModelEntry]:
    """Every model of the index, by lower-case name and alias."""
    return _load_index(index_dir(), mmcrack_home())


def find_model(name: str) -> ModelEntry:
    """The index entry of ``name`` (case-insensitive).

    Raises:
        UnknownModelError: listing the closest names.
    """
    index = load_model_index()
    entry = index.get(name.lower())
    if entry is None:
        close = difflib.get_close_matches(
            name.lower(), list(index), n=5, cutoff=0.4)
        hint = ('Close names: ' +
                ', '.join(index[c].name for c in close) if close else
                'No name is close')
        raise UnknownModelError(
            f'{name!r} is neither a config file nor a model name of the '
            f'index. {hint}. `python tools/infer.py --list-models` lists '
            'them all.')
    return entry


def is_config_path(model: str) -> bool:
    """Whether ``model`` names a config file rather than a model name."""
    return model.endswith('.py') or osp.sep in model or osp.isfile(model)


@dataclass
class ResolvedModel:
    """A config and a checkpoint, and the index entry they came from."""
    config: Union[str, Config]
    checkpoint: Optional[str]
    entry: Optional[ModelEntry] = None

    @property
    def config_name(self) -> str:
        """The config, as errors name it."""
        if isinstance(self.config, Config):
            return self.config.filename or 'the given config'
        return self.config


def resolve_model(model: Union[str, Config],
                  checkpoint: Optional[str] = None) -> ResolvedModel:
    """The config and checkpoint of a model name or of a config.

    Args:
        model (str | Config): A name of the index, or a config file or
            :class:`Config`.
        checkpoint (str, optional): A checkpoint; with a name it replaces
            the published weights (e.g. the model fine-tuned further).

    Raises:
        UnknownModelError: ``model`` is neither a config file nor a name.
        MissingWeightsError: a name whose weights are not on the machine.
        FileNotFoundError: a config file that does not exist.
    """
    if isinstance(model, Config):
        return ResolvedModel(model, checkpoint)
    if is_config_path(model):
        if not osp.isfile(model):
            raise FileNotFoundError(f'Config {model} does not exist.')
        return ResolvedModel(model, checkpoint)
    entry = find_model(model)
    return ResolvedModel(entry.config, checkpoint or entry.checkpoint(), entry)


def _headline(entry: ModelEntry) -> str:
    metrics = []
    for result in entry.results:
        values = result.get('Metrics') or {}
        for key in ('IoU', 'mIoU'):
            if key in values:
                metrics.append(f'{result["Dataset"]} {key} {values[key]}')
                break
    return '; '.join(metrics) or '-'


def format_model_table(index: Optional[Dict[str, ModelEntry]] = None) -> str:
    """A text table of the index: name, data, crack IoU, size, weights."""
    index = load_model_index() if index is None else index
    rows = [('name', 'training data', 'results', 'size', 'weights')]
    entries = {id(e): e for e in index.values()}.values()
    for entry in sorted(entries, key=lambda e: e.name):
        size = '-'
        if entry.weights and osp.isfile(entry.weights):
            size = f'{osp.getsize(entry.weights) / 2**20:.1f} MB'
        state = ('none (config only)' if entry.weights is None else
                 'here' if osp.isfile(entry.weights) else
                 'to convert' if entry.converted_from else 'missing')
        data = entry.metadata.get('Training Data', '-')
        if isinstance(data, list):
            data = ' + '.join(data)
        rows.append((entry.name, str(data), _headline(entry), size, state))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return '\n'.join('  '.join(cell.ljust(w) for cell, w in zip(row, widths))
                     .rstrip() for row in rows)
