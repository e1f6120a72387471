"""Pretrained weights the paper configs start from, checked before a run.

Context-CrackNet and CrackSeg start from torchvision's ImageNet ResNets,
WP-CrackNet from the ImageNet ResNet38d: their paper configs load them with
mmengine's ``Pretrained`` init (:data:`TORCHVISION_RESNET`: torchvision's
published checkpoint addresses, fetched by mmengine's http loader with
``weights_only=True``; ``torchvision://`` names would need torchvision, which
mmcrack does not install) or a local file. :func:`check_pretrained` runs
before training: a checkpoint that can be neither found in the download
cache nor fetched, or a local file that is missing, stops the run with a
message naming the weights, where they come from, how to give a local file
and how to train from scratch on purpose.
"""
import os.path as osp
import socket
from typing import Any, Iterator, List, Optional, Tuple
from urllib.parse import urlparse

#: torchvision's ImageNet weights (IMAGENET1K_V1, what ``pretrained=True``
#: loads), by architecture.
TORCHVISION_RESNET = dict(
    resnet50='https://download.pytorch.org/models/resnet50-0676ba61.pth',
    resnet101='https://download.pytorch.org/models/resnet101-63fe2227.pth')
#: The converted ImageNet ResNet38d (tools/model_converters/
#: resnet38d_mxnet2mmcrack.py), where WP-CrackNet's paper configs read it.
RESNET38D_IMAGENET = '~/.cache/mmcrack/checkpoints/resnet38d_imagenet.pth'
#: How to make it.
RESNET38D_COMMAND = (
    'python tools/model_converters/resnet38d_mxnet2mmcrack.py '
    f'resnet_38d.params {RESNET38D_IMAGENET} (resnet_38d.params: the MXNet '
    'ImageNet ResNet38d that PSA and ACR publish)')
#: Seconds to wait for the weights' server.
CONNECT_TIMEOUT = 5.0


class PretrainedWeightsError(RuntimeError):
    """Pretrained weights a config asks for that cannot be had."""


def pretrained_sources(cfg: Any,
                       where: str = 'model') -> Iterator[Tuple[str, str]]:
    """``(config key, checkpoint)`` of every ``Pretrained`` init_cfg and
    ``pretrained`` string in a (model) config, recursively."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('pretrained'), str):
            yield f'{where}.pretrained', cfg['pretrained']
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') in (
                'Pretrained', 'PretrainedInit') and isinstance(
                    init_cfg.get('checkpoint'), str):
            yield f'{where}.init_cfg.checkpoint', init_cfg['checkpoint']
        for key, value in cfg.items():
            if key != 'init_cfg':
                yield from pretrained_sources(value, f'{where}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            yield from pretrained_sources(value, f'{where}[{i}]')


def drop_pretrained(cfg: Any) -> None:
    """Drop every pretrained-weight reference of a config, in place (for
    random weights, or when a checkpoint replaces them anyway)."""
    if isinstance(cfg, dict):
        if 'pretrained' in cfg:
            cfg['pretrained'] = None
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') in (
                'Pretrained', 'PretrainedInit'):
            cfg['init_cfg'] = None
        for value in cfg.values():
            drop_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            drop_pretrained(value)


def _cached(url: str) -> Optional[str]:
    import torch
    path = osp.join(torch.hub.get_dir(), 'checkpoints',
                    osp.basename(urlparse(url).path))
    return path if osp.isfile(path) else None


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == 'https' else 80)
    try:
        with socket.create_connection((parsed.hostname, port),
                                      timeout=CONNECT_TIMEOUT):
            return True
    except OSError:
        return False


def _scratch_key(key: str) -> str:
    if key.endswith('.init_cfg.checkpoint'):
        return key[:-len('.checkpoint')] + '=None'
    return key + '=None'


def check_pretrained(model_cfg: Any) -> List[str]:
    """Check that every pretrained checkpoint of ``model_cfg`` can be had.

    Returns:
        list[str]: The checkpoints, as found.

    Raises:
        PretrainedWeightsError: naming the weights, their address or path,
            how to give a local file and how to train from scratch.
    """
    found = []
    for key, checkpoint in pretrained_sources(model_cfg):
        if checkpoint.startswith(('http://', 'https://')):
            if _cached(checkpoint) or _reachable(checkpoint):
                found.append(checkpoint)
                continue
            reason = (f'they are fetched from {checkpoint}, which cannot be '
                      'reached from this machine')
            hint = (f'Download {osp.basename(urlparse(checkpoint).path)} '
                    'elsewhere and give the file')
        elif '://' in checkpoint:
            found.append(checkpoint)  # another mmengine scheme: its loader
            continue
        else:
            if osp.isfile(osp.expanduser(checkpoint)):
                found.append(checkpoint)
                continue
            reason = f'the file {checkpoint} does not exist'
            hint = ('Make it with ' + RESNET38D_COMMAND +
                    ', or give another file') if 'resnet38d' in checkpoint \
                else 'Give the file'
        raise PretrainedWeightsError(
            f'The config starts from pretrained weights ({key}), but '
            f'{reason}. {hint}: --cfg-options {key}=PATH. To train from '
            f'scratch on purpose: --cfg-options {_scratch_key(key)}.')
    return found
