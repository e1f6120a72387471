"""mmcrack.apis.folder_inference: the photo-folder loop of tools/infer.py,
called directly: outputs, refusal to overwrite, and resuming an
interrupted run."""
import csv
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from mmcrack.apis import CrackInferencer
from mmcrack.apis import folder_inference
from mmcrack.apis.folder_inference import InferenceOutputs, infer_inputs

DEMO_CONFIG = str(REPO_ROOT / 'configs' / 'hrsegnet' /
                  'hrsegnet-b16_1xb8-300_crack-synthetic-256x256.py')

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def inferencer(random_checkpoint):
    return CrackInferencer(DEMO_CONFIG, str(random_checkpoint(DEMO_CONFIG)))


@pytest.fixture
def photos(tmp_path, cfd_dir) -> Path:
    """Four real photos, linked where they lie."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    for path in sorted((cfd_dir / 'images').glob('*.jpg'))[:4]:
        (folder / path.name).symlink_to(path)
    return folder


def test_outputs_of_a_folder(inferencer, photos, tmp_path):
    run = infer_inputs(
        inferencer,
        str(photos),
        str(tmp_path / 'out'),
        InferenceOutputs(save_prob_npy=True, mm_per_pixel=0.5),
        show_progress=False)
    out = Path(run.out_dir)
    assert run.predicted == 4 and run.skipped == []
    assert run.modes == {'whole': 4}
    for kind, ext in (('masks', 'png'), ('probs', 'png'), ('probs', 'npy'),
                      ('overlays', 'jpg')):
        assert len(list((out / kind).glob(f'*.{ext}'))) == 4, kind
    with open(out / 'measurements.csv') as f:
        rows = list(csv.DictReader(f))
    assert sorted(r['source'] for r in rows) == sorted(
        p.name for p in photos.iterdir())
    assert not (out / 'measurements.partial.jsonl').exists()


def test_settings_are_checked():
    with pytest.raises(ValueError, match='survey'):
        InferenceOutputs(report=True)
    with pytest.raises(ValueError, match='video_stride'):
        InferenceOutputs(video_stride=0)
    with pytest.raises(ValueError, match='mm_per_pixel'):
        InferenceOutputs(mm_per_pixel=0)


def test_interrupted_run_resumes(inferencer, photos, tmp_path, monkeypatch):
    """Killed after two of four photos: the journal keeps their records, a
    rerun without resume refuses, resume predicts only the other two."""
    out = tmp_path / 'out'
    save = folder_inference._save_prediction
    calls = []

    def interrupted(*args):
        if len(calls) == 2:
            raise KeyboardInterrupt  # as SIGINT, or SIGTERM's default
        calls.append(args[-1])
        save(*args)

    monkeypatch.setattr(folder_inference, '_save_prediction', interrupted)
    with pytest.raises(KeyboardInterrupt):
        infer_inputs(inferencer, str(photos), str(out), show_progress=False)
    journal = out / 'measurements.partial.jsonl'
    assert len(journal.read_text().splitlines()) == 2
    assert not (out / 'measurements.csv').exists()
    with pytest.raises(FileExistsError, match='--resume'):
        infer_inputs(inferencer, str(photos), str(out), show_progress=False)

    calls.clear()
    monkeypatch.setattr(folder_inference, '_save_prediction',
                        lambda *args: calls.append(args[-1]) or save(*args))
    run = infer_inputs(
        inferencer, str(photos), str(out), resume=True, show_progress=False)
    assert sorted(calls) == sorted(p.stem for p in photos.iterdir())[2:]
    assert len(run.records) == 4 and run.modes['kept'] == 2
    assert not journal.exists()
    with open(out / 'measurements.csv') as f:
        rows = list(csv.DictReader(f))
    assert sorted(r['source'] for r in rows) == sorted(
        p.name for p in photos.iterdir())
    assert len(list((out / 'masks').glob('*.png'))) == 4
    # A finished run resumed again keeps everything.
    calls.clear()
    infer_inputs(
        inferencer, str(photos), str(out), resume=True, show_progress=False)
    assert calls == []
