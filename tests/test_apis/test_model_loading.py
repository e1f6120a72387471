"""Strict checkpoint loading, init_model and published checkpoints."""
from pathlib import Path

import pytest
import torch
from helpers import REPO_ROOT

from mmcrack.apis import CheckpointError, init_model, load_model_checkpoint
from mmcrack.apis.model_loading import publish_checkpoint

B16 = str(REPO_ROOT / 'configs/hrsegnet/hrsegnet-b16_1xb8-3k_cfd-256x256.py')
B32 = str(REPO_ROOT / 'configs/balanced/'
          'hrsegnet-b32-balanced-dice_1xb8-3k_cfd-256x256.py')


def test_init_model_loads_every_weight(random_checkpoint):
    checkpoint = random_checkpoint(B16)
    model = init_model(B16, str(checkpoint))
    saved = torch.load(checkpoint, weights_only=False)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key
    assert not model.training and model.threshold is None
    assert model.dataset_meta['classes'] == ('background', 'crack')


def test_checkpoint_of_another_width_is_refused(random_checkpoint):
    with pytest.raises(CheckpointError) as err:
        init_model(B16, str(random_checkpoint(B32)))
    message = str(err.value)
    assert str(random_checkpoint(B32)) in message and B16 in message
    assert 'mis-shaped' in message and 'backbone.stem.0.conv.weight' in message
    assert '--allow-partial' in message
    # On purpose: what fits is loaded, the rest stays as built.
    init_model(B16, str(random_checkpoint(B32)), allow_partial=True)


def test_missing_unexpected_and_empty(tmp_path, random_checkpoint):
    state = torch.load(random_checkpoint(B16), weights_only=False)
    weights = state['state_dict']
    first = next(iter(weights))
    partial = dict(weights)
    del partial[first]
    partial['extra.weight'] = torch.zeros(1)
    path = tmp_path / 'partial.pth'
    torch.save(dict(state_dict=partial), path)
    model = init_model(B16)
    with pytest.raises(CheckpointError,
                       match=f'1 missing: {first}.*1 unexpected: '
                       'extra.weight'):
        load_model_checkpoint(model, str(path), B16)
    torch.save(dict(state_dict={}), tmp_path / 'empty.pth')
    with pytest.raises(CheckpointError, match='holds no weights'):
        load_model_checkpoint(
            model, str(tmp_path / 'empty.pth'), B16, allow_partial=True)
    # A bare state dict with DataParallel's prefix loads.
    torch.save({f'module.{k}': v for k, v in weights.items()},
               tmp_path / 'bare.pth')
    load_model_checkpoint(model, str(tmp_path / 'bare.pth'), B16)


@pytest.mark.parametrize('content,match', [
    (b'not a checkpoint\n', 'is not a PyTorch checkpoint'),
    (b'\xff\xd8\xff\xe0' + bytes(100), 'is not a PyTorch checkpoint'),
])
def test_files_that_are_no_checkpoint(tmp_path, content, match):
    path = tmp_path / 'weights.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        init_model(B16, str(path))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        init_model(B16, str(tmp_path / 'absent.pth'))


@pytest.mark.parametrize('ending,backend', [('.onnx', 'onnxruntime'),
                                            ('.engine', 'tensorrt')])
def test_exported_model_given_as_checkpoint(tmp_path, ending, backend):
    path = tmp_path / f'end2end{ending}'
    path.write_bytes(b'\x08\x07')
    with pytest.raises(CheckpointError, match=f'--backend {backend}'):
        init_model(B16, str(path))


def test_published_checkpoint_carries_threshold_and_meta(
        tmp_path, random_checkpoint):
    source = torch.load(random_checkpoint(B16), weights_only=False)
    source['optimizer'] = dict(state={})
    source['meta']['iter'] = 1234
    src = tmp_path / 'iter_1234.pth'
    torch.save(source, src)
    dst = tmp_path / 'weights' / 'model.pth'
    publish_checkpoint(str(src), str(dst), B16, 0.35,
                       training_data='CFD', license='research only')
    # Plain tensors and builtins: loadable without unpickling code.
    published = torch.load(dst, weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    meta = published['meta']
    assert meta['threshold'] == 0.35 and meta['iter'] == 1234
    assert meta['training_data'] == 'CFD'
    assert meta['config'] == Path(B16).read_text()
    assert not list(dst.parent.glob('.publish-*'))
    model = init_model(B16, str(dst))
    assert model.threshold == 0.35
    with pytest.raises(CheckpointError):
        publish_checkpoint(str(src), str(tmp_path / 'x.pth'), B32, 0.5)
    with pytest.raises(ValueError, match='threshold'):
        publish_checkpoint(str(src), str(tmp_path / 'x.pth'), B16, 1.5)
