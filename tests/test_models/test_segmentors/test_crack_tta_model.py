"""CrackTTAModel: views merged by their mean probability, for two-channel
and one-channel segmentors, with the merged probability kept; and every
model config's tta_pipeline: its test pipeline plus the flips."""
import pytest
import torch
from helpers import REPO_ROOT
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import DATASETS, MODELS
from mmseg.structures import SegDataSample

from mmcrack.models.segmentors import CrackTTAModel

RUNTIME = Config.fromfile(REPO_ROOT / 'configs/_base_/default_runtime.py')
HRSEGNET = Config.fromfile(REPO_ROOT / 'configs/_base_/models/hrsegnet.py')


def hrsegnet(out_channels: int = 2, threshold: float = 0.5):
    """HrSegNet-B16 (random weights) with the given output channels."""
    cfg = HRSEGNET.model.copy()
    cfg.decode_head.update(out_channels=out_channels, threshold=threshold)
    return MODELS.build(cfg)


def view(seg_logits, flip=False):
    """One augmented view as mmseg's ``postprocess_result`` leaves it."""
    sample = SegDataSample(
        metainfo=dict(img_path='a.jpg', ori_shape=(4, 5), flip=flip))
    sample.seg_logits = PixelData(data=seg_logits)
    sample.gt_sem_seg = PixelData(data=torch.ones(1, 4, 5).long())
    return sample


def test_two_channels_average_softmax():
    logits = torch.randn(
        3, 2, 4, 5, generator=torch.Generator().manual_seed(0))
    tta = CrackTTAModel(module=hrsegnet())
    [merged] = tta.merge_preds([[view(x, flip=i > 0)
                                 for i, x in enumerate(logits)]])
    mean_prob = logits.softmax(dim=1).mean(dim=0)
    # CrackMetric's softmax of seg_logits gives the mean probability back.
    torch.testing.assert_close(merged.seg_logits.data.softmax(dim=0),
                               mean_prob)
    assert torch.equal(merged.pred_sem_seg.data,
                       mean_prob.argmax(dim=0, keepdim=True))
    assert merged.pred_sem_seg.data.shape == (1, 4, 5)
    assert merged.metainfo['flip'] is False  # the first view's metainfo
    assert merged.img_path == 'a.jpg'
    assert torch.equal(merged.gt_sem_seg.data, torch.ones(1, 4, 5).long())


def test_one_channel_averages_probabilities_as_they_are():
    # One channel: postprocess_result has already applied the sigmoid.
    probs = torch.tensor([0.1, 0.2, 0.35, 0.9]).view(1, 1, 1, 4).repeat(
        3, 1, 1, 1)
    probs[1] = 0.05
    tta = CrackTTAModel(module=hrsegnet(1, threshold=0.3))
    [merged] = tta.merge_preds([[view(p) for p in probs]])
    mean = probs.mean(dim=0)
    torch.testing.assert_close(merged.seg_logits.data, mean)
    assert merged.pred_sem_seg.data.tolist() == [[[0.0, 0.0, 0.0, 1.0]]]
    # mmseg's SegTTAModel takes them for logits: sigmoid(p) >= 0.5 labels
    # every pixel crack, however low its probability.
    [upstream] = SegTTAModel(module=hrsegnet(1)).merge_preds(
        [[view(p) for p in probs]])
    assert upstream.pred_sem_seg.data.flatten().tolist() == [1.0] * 4


@pytest.mark.parametrize('out_channels', [2, 1])
def test_flip_tta_of_real_model_on_real_photo(cfd_dir, out_channels):
    """The default tta_pipeline's three views of a CFD photo, merged, equal
    the model's probabilities on the photo and on its flips (flipped
    back), averaged."""
    torch.manual_seed(0)
    model = hrsegnet(out_channels)
    model.init_weights()
    model.eval()
    tta = MODELS.build(dict(RUNTIME.tta_model, module=model))

    def dataset(pipeline):
        return DATASETS.build(
            dict(
                type='CrackDataset',
                data_root=str(cfd_dir),
                data_prefix=dict(img_path='images', seg_map_path='masks'),
                split='val',
                indices=1,
                pipeline=pipeline))

    with torch.no_grad():
        [merged] = tta.test_step(
            pseudo_collate([dataset(RUNTIME.tta_pipeline)[0]]))
        plain = model.data_preprocessor(
            pseudo_collate([
                dataset([
                    dict(type='LoadImageFromFile'),
                    dict(type='PackSegInputs')
                ])[0]
            ]))
        inputs, metas = plain['inputs'], [
            s.metainfo for s in plain['data_samples']
        ]
        views = [
            model.encode_decode(inputs, metas),
            model.encode_decode(inputs.flip(3), metas).flip(3),
            model.encode_decode(inputs.flip(2), metas).flip(2),
        ]
    if out_channels == 2:
        expected = torch.stack([v.softmax(dim=1) for v in views]).mean(0)[0]
        merged_prob = merged.seg_logits.data.softmax(dim=0)
    else:
        expected = torch.stack([v.sigmoid() for v in views]).mean(0)[0]
        merged_prob = merged.seg_logits.data
    assert merged_prob.shape == (out_channels, 320, 480)
    torch.testing.assert_close(merged_prob, expected, atol=1e-5, rtol=1e-4)
    assert merged.gt_sem_seg.data.shape == (1, 320, 480)


MODEL_CONFIGS = sorted(
    p for p in (REPO_ROOT / 'configs').glob('*/*.py')
    if p.parent.name not in ('_base_', 'deploy'))


@pytest.mark.parametrize('path', MODEL_CONFIGS, ids=lambda p: p.name)
def test_tta_pipeline_is_the_test_pipeline_with_flips(path):
    """``--tta`` sees each image as the test pipeline does (the same
    Resize, if any), plus the flips: none, left-right, upside down."""
    cfg = Config.fromfile(path)
    assert cfg.tta_model.type == 'CrackTTAModel'
    load, augment = cfg.tta_pipeline
    dataset = cfg.test_dataloader.dataset
    # A concatenation of sets that share one test pipeline.
    pipelines = [
        part.get('pipeline', dataset.get('pipeline'))
        for part in dataset.get('datasets', [dataset])
    ]
    assert all(pipeline == pipelines[0] for pipeline in pipelines)
    test_pipeline = pipelines[0]
    assert load == test_pipeline[0]
    assert augment.type == 'TestTimeAug'
    flips = [[(t.prob, t.direction) for t in choices]
             for choices in augment.transforms
             if choices[0].type == 'RandomFlip']
    assert flips == [[(0.0, 'horizontal'), (1.0, 'horizontal'),
                      (1.0, 'vertical')]]
    steps = [choices for choices in augment.transforms
             if choices[0].type != 'RandomFlip']
    assert all(len(choices) == 1 for choices in steps)
    assert [choices[0] for choices in steps] == test_pipeline[1:]
