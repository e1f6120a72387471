"""Catch config mistakes before a run starts.

mmengine's Runner silently ignores top-level keys it does not know, so a typo
such as ``train_dataloder`` or ``param_schedular`` would train with the
inherited default and lose the user's setting. Keys that are not Runner
arguments but are very close to one are reported with the likely intent.

Other mistakes that run silently or fail late are checked too
(:func:`check_config`): MMSegmentation 0.x keys, which 1.x ignores (each
named with its 1.x replacement); keys of the segmentor's ``test_cfg`` /
``train_cfg`` that it does not read; hook arguments that the hook does not
take (a misspelt ``default_hooks.checkpoint`` argument fails only at the
first save, with nothing saved); and a ``num_classes`` of a head that does
not match the dataset's classes (which fails at the first validation, or
inside a loss).
"""
import copy
import difflib
import inspect
from typing import Iterable, Optional, Union

from mmengine.config import Config
from mmengine.runner import Runner

#: Top-level keys that mmengine, mmseg's tools and TTA read from a config.
RUNNER_KEYS = frozenset(
    set(inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    | {
        'custom_imports', 'launcher', 'model_wrapper_cfg', 'runner_type',
        'tta_model', 'tta_pipeline', 'vis_backends', 'compile'
    })
#: Variables that OpenMMLab configs conventionally define for reuse.
CONVENTIONAL_VARIABLES = frozenset({
    'dataset_type', 'data_root', 'crop_size', 'img_scale', 'img_ratios',
    'train_pipeline', 'val_pipeline', 'test_pipeline', 'norm_cfg',
    'backend_args', 'optimizer', 'num_classes', 'checkpoint'
})
#: MMSegmentation 0.x keys that 1.x ignores, with what replaces them.
LEGACY_KEYS = {
    'runner': "train_cfg=dict(type='IterBasedTrainLoop', max_iters=..., "
    'val_interval=...)',
    'evaluation': "val_evaluator=dict(type='CrackMetric') and "
    'train_cfg.val_interval',
    'checkpoint_config': "default_hooks=dict(checkpoint=dict(type="
    "'CheckpointHook', interval=...))",
    'log_config': "default_hooks=dict(logger=dict(type='LoggerHook', "
    'interval=...))',
    'lr_config': "param_scheduler=[dict(type='PolyLR', ...)]",
    'optimizer_config': 'optim_wrapper=dict(clip_grad=...)',
    'data': 'train_dataloader, val_dataloader and test_dataloader',
    'workflow': 'train_cfg and val_cfg',
    'total_iters': 'train_cfg.max_iters',
}
#: ``test_cfg`` keys that mmseg's ``EncoderDecoder`` reads.
ENCODER_DECODER_TEST_KEYS = ('mode', 'crop_size', 'stride')


class ConfigError(KeyError):
    """A config mistake that would run silently or fail late."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


def _close(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f' (did you mean {close[0]!r}?)' if close else ''


def check_config_keys(cfg: Config, cutoff: float = 0.9) -> None:
    """Raise if a top-level key looks like a misspelt Runner argument.

    Args:
        cfg (Config): The loaded config.
        cutoff (float): Similarity (``difflib`` ratio) above which an unknown
            key is taken for a typo. Defaults to 0.9.

    Raises:
        KeyError: naming the key and the Runner argument it resembles.
    """
    for key in cfg.keys():
        if key in RUNNER_KEYS or key in CONVENTIONAL_VARIABLES:
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=cutoff)
        if close:
            raise KeyError(
                f'Config key {key!r} is not used by the runner; did you mean '
                f'{close[0]!r}? Rename it (an unknown key is silently '
                'ignored and the inherited value would be used).')


def check_legacy_keys(cfg: Config) -> None:
    """Raise on MMSegmentation 0.x keys, naming their 1.x replacement."""
    legacy = [key for key in LEGACY_KEYS if key in cfg]
    if 'optimizer' in cfg and 'optim_wrapper' not in cfg:
        legacy.append('optimizer')
    if legacy:
        lines = [
            f'  {key} -> ' + LEGACY_KEYS.get(
                key, 'optim_wrapper=dict(optimizer=...)') for key in legacy
        ]
        raise ConfigError(
            'The config holds MMSegmentation 0.x keys, which 1.x ignores '
            'without a word; replace them (see mmseg\'s migration guide):\n' +
            '\n'.join(lines))


def check_segmentor_cfgs(model: Optional[dict]) -> None:
    """Raise on ``model.test_cfg`` / ``model.train_cfg`` keys that mmseg's
    ``EncoderDecoder`` does not read (other segmentors check their own)."""
    if not model or model.get('type') not in ('EncoderDecoder',
                                              'CascadeEncoderDecoder'):
        return
    test_cfg = model.get('test_cfg') or {}
    for key in test_cfg:
        if key not in ENCODER_DECODER_TEST_KEYS:
            raise ConfigError(
                f'model.test_cfg.{key} is not read by {model["type"]}, '
                f'which reads {", ".join(ENCODER_DECODER_TEST_KEYS)}'
                f'{_close(key, ENCODER_DECODER_TEST_KEYS)}.')
    mode = test_cfg.get('mode', 'whole')
    if mode not in ('whole', 'slide'):
        raise ConfigError(f"model.test_cfg.mode must be 'whole' or 'slide', "
                          f'not {mode!r}.')
    if mode == 'slide' and not {'crop_size', 'stride'} <= set(test_cfg):
        raise ConfigError("model.test_cfg.mode='slide' needs crop_size and "
                          'stride (each (h, w)).')
    for key in model.get('train_cfg') or {}:
        raise ConfigError(
            f'model.train_cfg.{key} is not read by {model["type"]} (its '
            'train_cfg takes no keys; losses, samplers and their settings '
            'belong to the heads).')


def _hook_arguments(hook_type) -> Optional[set]:
    """Arguments a hook takes, or None when any are taken (``**kwargs``)."""
    from mmengine.hooks import CheckpointHook
    from mmseg.registry import HOOKS
    hook_cls = HOOKS.get(hook_type) if isinstance(hook_type, str) else (
        hook_type)
    if hook_cls is None:
        return None
    params = inspect.signature(hook_cls.__init__).parameters
    names = {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, )}
    names |= {'type', 'priority'}
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        if not issubclass(hook_cls, CheckpointHook):
            return None
        # CheckpointHook passes its other arguments to Runner.save_checkpoint.
        names |= set(inspect.signature(Runner.save_checkpoint).parameters)
    return names - {'self'}


def check_hooks(cfg: Config) -> None:
    """Raise on an argument that a hook of ``default_hooks`` or
    ``custom_hooks`` does not take."""
    hooks = [(f'default_hooks.{name}', hook)
             for name, hook in (cfg.get('default_hooks') or {}).items()]
    hooks += [(f'custom_hooks[{i}]', hook)
              for i, hook in enumerate(cfg.get('custom_hooks') or [])]
    for where, hook in hooks:
        if not isinstance(hook, dict) or 'type' not in hook:
            continue
        known = _hook_arguments(hook['type'])
        if known is None:
            continue
        for key in hook:
            if key not in known:
                raise ConfigError(
                    f'{where}.{key}: {hook["type"]} takes no argument '
                    f'{key!r}{_close(key, known)}; it would fail only when '
                    'the hook first runs (for the checkpoint hook: at the '
                    'first save, with nothing saved).')


def _dataset_classes(dataset: Optional[dict]) -> Optional[tuple]:
    """Class names of a dataset config, when its type declares them."""
    from mmseg.registry import DATASETS
    if not isinstance(dataset, dict):
        return None
    if dataset.get('type') == 'ConcatDataset':
        parts = [_dataset_classes(d) for d in dataset.get('datasets', [])]
        return parts[0] if parts and all(p == parts[0] for p in parts) else (
            None)
    if 'dataset' in dataset:  # RepeatDataset and other wrappers
        return _dataset_classes(dataset['dataset'])
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None:
        dataset_cls = DATASETS.get(dataset.get('type', ''))
        classes = (getattr(dataset_cls, 'METAINFO', None) or {}).get(
            'classes')
    return tuple(classes) if classes is not None else None


def check_num_classes(cfg: Config) -> None:
    """Raise when a head's ``num_classes`` differs from the dataset's."""
    model = cfg.get('model') or {}
    classes = None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        classes = _dataset_classes((cfg.get(loader) or {}).get('dataset'))
        if classes is not None:
            break
    if classes is None:
        return
    heads = []
    for name in ('decode_head', 'auxiliary_head'):
        value = model.get(name)
        for i, head in enumerate(value if isinstance(value, list) else
                                 [value]):
            if isinstance(head, dict) and 'num_classes' in head:
                heads.append((f'model.{name}' + (
                    f'[{i}]' if isinstance(value, list) else ''), head))
    for where, head in heads:
        if head['num_classes'] != len(classes):
            raise ConfigError(
                f'{where}.num_classes is {head["num_classes"]} but the '
                f'dataset has {len(classes)} classes {classes}: set '
                f'num_classes={len(classes)} on every head (for a '
                'one-channel sigmoid head, out_channels=1 with '
                f'num_classes={len(classes)}).')


def check_config(cfg: Config) -> None:
    """Every check of this module (see the module docstring).

    Raises:
        KeyError: a misspelt top-level key (:func:`check_config_keys`).
        ConfigError: any other mistake, naming the key and the fix.
    """
    check_config_keys(cfg)
    check_legacy_keys(cfg)
    check_segmentor_cfgs(cfg.get('model'))
    check_hooks(cfg)
    check_num_classes(cfg)


def load_model_config(config: Union[str, Config],
                      cfg_options: Optional[dict] = None) -> Config:
    """A config file (or a copy of a :class:`Config`) with ``cfg_options``
    merged and checked (:func:`~mmcrack.utils.config_check.check_config`:
    misspelt or 0.x keys, unread ``test_cfg`` keys, hook arguments,
    ``num_classes``). Every tool that loads a config uses it."""
    cfg = (Config.fromfile(config)
           if isinstance(config, str) else copy.deepcopy(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_config(cfg)
    return cfg
