"""Parameter and multiply-accumulate (MAC) counts in one stated convention.

Papers report "FLOPs" under many conventions. mmcrack counts **MACs** with
forward hooks on the modules, using the per-module rules of
pytorch-OpCounter's ``thop.profile``. With the official code's order of
HrSegNet's fuse step (1x1 convolution after up-sampling) these rules give
the paper's "GFLOPs" of B32 and B48 (2.50 and 5.60, Table 5; it prints 0.66
for B16, the rules 0.637); mmcrack's order (convolution first, the same
output) needs fewer (configs/hrsegnet/README.md).
The rules:

* convolution (also transposed): ``output elements x in_channels / groups
  x kernel area``, bias not counted (for a transposed conv this is counted
  on its output, as thop does);
* linear: ``output elements x in_features``;
* batch, group, instance and layer norm: 2 ops per input element, twice
  that with an affine transform;
* average pooling: 1 op per output element; adaptive average pooling:
  ``(kernel area + 1)`` per output element;
* everything else (activations, element-wise sums, interpolation, ...):
  0.

mmseg's ``tools/analysis_tools/get_flops.py`` uses fvcore's rules instead
(no norms, transposed convs counted on their input), which give smaller
numbers for the same model.
"""
import math
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.modules.instancenorm import _InstanceNorm


def _conv_macs(module: _ConvNd, inputs: Tuple, output: torch.Tensor) -> int:
    return (output.numel() * (module.in_channels // module.groups) *
            math.prod(module.kernel_size))


def _linear_macs(module: nn.Linear, inputs: Tuple,
                 output: torch.Tensor) -> int:
    return output.numel() * module.in_features


def _norm_macs(module: nn.Module, inputs: Tuple,
               output: torch.Tensor) -> int:
    affine = getattr(module, 'affine', False) or getattr(
        module, 'elementwise_affine', False)
    return 2 * inputs[0].numel() * (2 if affine else 1)


def _avgpool_macs(module: nn.Module, inputs: Tuple,
                  output: torch.Tensor) -> int:
    return output.numel()


def _adaptive_avgpool_macs(module: nn.Module, inputs: Tuple,
                           output: torch.Tensor) -> int:
    in_size, out_size = inputs[0].shape[2:], output.shape[2:]
    kernel = math.prod(i / o for i, o in zip(in_size, out_size))
    return int((kernel + 1) * output.numel())


#: The counting rule of each module type; other modules count 0.
MAC_RULES: Dict[type, Callable] = {
    _ConvNd: _conv_macs,
    nn.Linear: _linear_macs,
    _BatchNorm: _norm_macs,
    _InstanceNorm: _norm_macs,
    nn.GroupNorm: _norm_macs,
    nn.LayerNorm: _norm_macs,
    nn.AvgPool1d: _avgpool_macs,
    nn.AvgPool2d: _avgpool_macs,
    nn.AvgPool3d: _avgpool_macs,
    nn.AdaptiveAvgPool1d: _adaptive_avgpool_macs,
    nn.AdaptiveAvgPool2d: _adaptive_avgpool_macs,
    nn.AdaptiveAvgPool3d: _adaptive_avgpool_macs,
}


def _rule(module: nn.Module) -> Optional[Callable]:
    for module_type, rule in MAC_RULES.items():
        if isinstance(module, module_type):
            return rule
    return None


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (running BN statistics excluded).

    Args:
        model (nn.Module): The model.
        trainable_only (bool): Count only parameters with
            ``requires_grad``. Defaults to False.
    """
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


@torch.no_grad()
def count_macs(model: nn.Module, *inputs, **kwargs) -> int:
    """MACs of one call ``model(*inputs, **kwargs)``, by the module rules.

    Only the modules that run in that call count, so for an mmseg
    segmentor called in ``'tensor'`` mode the auxiliary heads, which run in
    training only, are left out.

    Args:
        model (nn.Module): The model; its train/eval mode is left as it is.
        *inputs: Positional inputs of the call.
        **kwargs: Keyword inputs of the call.

    Returns:
        int: The number of multiply-accumulates.
    """
    return profile_call(model, *inputs, **kwargs)['macs']


@torch.no_grad()
def profile_call(model: nn.Module, *inputs, **kwargs) -> Dict[str, int]:
    """MACs and parameters of what runs in one call ``model(*inputs,
    **kwargs)``.

    For a segmentor called in ``'tensor'`` mode that is its inference path:
    no auxiliary heads, and for a model with training-only parts (such as
    WP-CrackNet's reconstructor decoder, or the encoder blocks past the
    detector's input) only the modules that produce the prediction. A
    parameter counts once however often its module runs.

    Args:
        model (nn.Module): The model; its train/eval mode is left as it is.
        *inputs: Positional inputs of the call.
        **kwargs: Keyword inputs of the call.

    Returns:
        dict: ``macs`` (by the module rules) and ``params`` (parameters of
        the modules that ran).
    """
    macs = 0
    ran = set()

    def hook(module, args, output):
        nonlocal macs
        ran.add(module)
        rule = _rule(module)
        if rule is not None:
            macs += int(rule(module, args, output))

    handles = [
        module.register_forward_hook(hook) for module in model.modules()
    ]
    try:
        model(*inputs, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    params = {p for module in ran for p in module.parameters(recurse=False)}
    return dict(macs=macs, params=sum(p.numel() for p in params))
