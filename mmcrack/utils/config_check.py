"""Catch misspelt top-level config keys before a run starts.

mmengine's Runner silently ignores top-level keys it does not know, so a typo
such as ``train_dataloder`` or ``param_schedular`` would train with the
inherited default and lose the user's setting. Keys that are not Runner
arguments but are very close to one are reported with the likely intent.
"""
import difflib
import inspect

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
