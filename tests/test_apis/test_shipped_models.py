"""The models mmcrack ships: files, meta, and the results their index
entries promise, reproduced on the real validation images."""
import json
import os.path as osp
from pathlib import Path

import pytest
import torch

from mmcrack.apis import load_model_index

SHIPPED = sorted(
    {id(e): e
     for e in load_model_index().values()
     if e.weights and '/mmcrack/weights/' in e.weights}.values(),
    key=lambda e: e.name)
#: Everything shipped together stays small enough for git and a wheel.
MAX_SHIPPED_BYTES = 12 * 2**20
#: Where each data set of a Results entry lies.
DATA = dict(CFD='cfd', CrackSC='cracksc')

pytestmark = pytest.mark.usefixtures('one_thread')


def test_something_is_shipped_and_small():
    assert SHIPPED, 'the index lists no shipped model'
    assert sum(osp.getsize(e.weights) for e in SHIPPED) < MAX_SHIPPED_BYTES


@pytest.mark.parametrize('entry', SHIPPED, ids=lambda e: e.name)
def test_weights_and_meta(entry):
    checkpoint = torch.load(entry.weights, weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    meta = checkpoint['meta']
    assert meta['threshold'] == entry.metadata['Threshold']
    assert meta['config_name'] == osp.basename(entry.config)
    assert meta['dataset_meta']['classes'] == ('background', 'crack')
    for key in ('training_command', 'training_data', 'commit', 'iter'):
        assert meta[key], key
    if 'CFD' in entry.metadata['Training Data']:
        assert 'non-commercial' in meta['license']
        assert 'non-commercial' in entry.metadata['License']


@pytest.mark.parametrize('entry', SHIPPED, ids=lambda e: e.name)
def test_results_reproduce(entry, run_tool, cfd_dir, cracksc_dir, tmp_path):
    """tools/test.py NAME on the full val splits gives the index's crack
    IoU within half a point, at the published threshold."""
    proc = run_tool('test.py', entry.name, '--work-dir', tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    out = proc.stdout + proc.stderr
    metrics = json.loads(
        Path(out.split('Metrics saved to ')[1].split()[0]).read_text())
    assert metrics['threshold'] == entry.metadata['Threshold']
    for result in entry.results:
        prefix = DATA[result['Dataset']]
        for key in ('IoU', 'ODS'):
            assert metrics[f'{prefix}/{key}'] == pytest.approx(
                result['Metrics'][key], abs=0.5), (prefix, key)


@pytest.mark.slow
@pytest.mark.parametrize('entry', SHIPPED, ids=lambda e: e.name)
def test_mmseg_inferencer_agrees_with_infer(entry, load_tool, cfd_dir,
                                            tmp_path, capsys):
    """mmseg's own MMSegInferencer on the shipped config and file gives the
    mask tools/infer.py NAME gives at 0.5 (MMSeg takes the argmax); by
    default tools/infer.py uses the published threshold."""
    import cv2
    from mmseg.apis import MMSegInferencer
    photo = sorted((cfd_dir / 'images').glob('*.jpg'))[4]
    infer = load_tool('infer.py')
    infer.main([entry.name, str(photo), '--out', str(tmp_path / 'half'),
                '--threshold', '0.5'])
    infer.main([entry.name, str(photo), '--out', str(tmp_path / 'default')])
    assert (f'Threshold: {entry.metadata["Threshold"]:g} (published)'
            in capsys.readouterr().out)
    ours = cv2.imread(str(tmp_path / 'half' / 'masks' / f'{photo.stem}.png'),
                      0)
    inferencer = MMSegInferencer(
        model=entry.config, weights=entry.weights, device='cpu')
    theirs = inferencer(str(photo), return_datasamples=True)
    mask = theirs.pred_sem_seg.data[0].numpy()
    assert mask.shape == ours.shape
    assert (mask == ours).mean() > 0.999
    assert ours.any()
