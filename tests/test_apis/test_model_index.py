"""The model index: every entry resolves, names and errors."""
from pathlib import Path

import pytest
import yaml
from helpers import REPO_ROOT
from mmengine.config import Config

from mmcrack.apis import (MissingWeightsError, UnknownModelError, find_model,
                          format_model_table, load_model_index,
                          resolve_model)
from mmcrack.apis import model_index


def test_every_family_has_a_metafile_in_the_index():
    index = yaml.safe_load((REPO_ROOT / 'model-index.yml').read_text())
    families = {p.parent.name for p in (REPO_ROOT / 'configs').glob(
        '*/metafile.yaml')}
    assert {'hrsegnet', 'balanced', 'context_cracknet', 'crackseg',
            'wp_cracknet'} <= families
    assert sorted(index['Import']) == sorted(
        f'configs/{f}/metafile.yaml' for f in families)


def test_every_entry_has_mmseg_fields_and_an_existing_config():
    entries = set(map(id, load_model_index().values()))
    assert len(entries) >= 17
    for entry in {id(e): e for e in load_model_index().values()}.values():
        assert Path(entry.config).is_file(), entry.name
        assert entry.collection and entry.metadata.get('Training Data')
        Config.fromfile(entry.config)  # parses
        for result in entry.results:
            assert result['Task'] == 'Semantic Segmentation'
            assert result['Dataset'] and result['Metrics']


def test_name_resolves_case_insensitively_and_by_alias(tmp_path,
                                                       monkeypatch):
    monkeypatch.setenv('MMCRACK_HOME', str(tmp_path))
    entry = find_model('HrSegNet-B16_CrackSeg9k-Paddle')
    assert entry is find_model('hrsegnet-b16-official')
    assert entry.config.endswith(
        'configs/hrsegnet/hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py')
    # Converted weights live under $MMCRACK_HOME; present, the name works.
    weights = tmp_path / 'checkpoints' / 'hrsegnet-b16_crackseg9k-paddle.pth'
    assert entry.weights == str(weights)
    weights.parent.mkdir()
    weights.write_bytes(b'')
    resolved = resolve_model('hrsegnet-b16-official')
    assert resolved.checkpoint == str(weights)
    assert resolved.config == entry.config and resolved.entry is entry
    # An explicit checkpoint replaces the published weights.
    assert resolve_model('hrsegnet-b16-official', 'mine.pth').checkpoint == (
        'mine.pth')


def test_missing_converted_weights_say_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv('MMCRACK_HOME', str(tmp_path))
    with pytest.raises(MissingWeightsError) as err:
        resolve_model('hrsegnet-b32_crackseg9k-paddle')
    message = str(err.value)
    assert 'sharepoint.com' in message
    assert ('python tools/model_converters/hrsegnet_paddle2mmcrack.py '
            f'model.pdparams {tmp_path}/checkpoints/'
            'hrsegnet-b32_crackseg9k-paddle.pth --base 32') in message


def test_config_only_entry_says_how_to_train():
    with pytest.raises(MissingWeightsError, match='tools/train.py .*'
                       'hrsegnet-b16_1xb8-3k_cfd-256x256.py'):
        resolve_model('hrsegnet-b16_1xb8-3k_cfd-256x256')


def test_unknown_name_lists_close_names():
    with pytest.raises(UnknownModelError) as err:
        resolve_model('hrsegnet-b16-crackseg9k')
    assert 'hrsegnet-b16_crackseg9k-paddle' in str(err.value)
    assert '--list-models' in str(err.value)
    with pytest.raises(UnknownModelError, match='No name is close'):
        find_model('zzzzzzzz')


def test_configs_pass_through():
    config = str(REPO_ROOT / 'configs/hrsegnet/'
                 'hrsegnet-b16_1xb8-3k_cfd-256x256.py')
    resolved = resolve_model(config, 'ckpt.pth')
    assert (resolved.config, resolved.checkpoint) == (config, 'ckpt.pth')
    assert resolve_model(config).checkpoint is None
    with pytest.raises(FileNotFoundError, match='does not exist'):
        resolve_model('configs/nope.py')


def test_model_table_lists_each_model_once():
    table = format_model_table()
    lines = table.splitlines()
    assert lines[0].split()[:2] == ['name', 'training']
    names = [line.split()[0] for line in lines[1:]]
    assert len(names) == len(set(names)) == len(
        {id(e) for e in load_model_index().values()})
    assert 'CrackSeg9k mIoU 78.43' in table


def test_duplicate_names_are_refused(tmp_path, monkeypatch):
    (tmp_path / 'configs').mkdir()
    (tmp_path / 'm.yaml').write_text(
        'Models:\n- {Name: a, Config: x.py}\n- {Name: b, Alias: [A], '
        'Config: y.py}\n')
    (tmp_path / 'model-index.yml').write_text('Import:\n- m.yaml\n')
    with pytest.raises(ValueError, match='listed twice'):
        model_index._load_index(str(tmp_path), str(tmp_path))
