"""One optimizer wrapper per sub-module, for models that train in turns."""
import copy
from typing import Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an :class:`~mmengine.optim.OptimWrapperDict` with one optimizer
    wrapper per named sub-module.

    MMEngine 0.10 trains models with several optimizers (GANs, WP-CrackNet)
    through an ``OptimWrapperDict`` but ships no constructor for it (MMagic
    has its own); this is the same idea for mmseg's registry. Each key of
    the config names a sub-module (an attribute of the model, e.g.
    ``classifier``) and holds an ordinary optimizer-wrapper config, built by
    ``constructor`` (default ``DefaultOptimWrapperConstructor``) with its
    own ``paramwise_cfg``::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            classifier=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=1e-3),
                paramwise_cfg=dict(bias_lr_mult=2.)),
            detector=dict(
                type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3)))

    The model's ``train_step`` then receives the dict and steps each wrapper
    itself (``optim_wrapper['classifier'].update_params(loss)``).

    Args:
        optim_wrapper_cfg (dict): Sub-module name -> optimizer-wrapper config.
        paramwise_cfg (dict, optional): Must be None: give a
            ``paramwise_cfg`` inside each sub-module's config instead.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise TypeError('optim_wrapper_cfg must be a non-empty dict of '
                            'sub-module name -> optimizer wrapper config.')
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor takes a paramwise_cfg inside '
                'each sub-module config, not a global one.')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Return the ``OptimWrapperDict`` for ``model``."""
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            module = getattr(model, name, None)
            if not isinstance(module, nn.Module):
                raise ValueError(
                    f'optim_wrapper has a key {name!r} but '
                    f'{type(model).__name__} has no sub-module of that name.')
            cfg = copy.deepcopy(dict(cfg))
            constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(
                    type=cfg.pop('constructor',
                                 'DefaultOptimWrapperConstructor'),
                    optim_wrapper_cfg=cfg,
                    paramwise_cfg=cfg.pop('paramwise_cfg', None)))
            wrappers[name] = constructor(module)
        return OptimWrapperDict(**wrappers)
