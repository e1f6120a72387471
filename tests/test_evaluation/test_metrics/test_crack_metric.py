"""CrackMetric against hand-computed cases."""
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

from mmcrack.evaluation.metrics import CrackMetric
from mmcrack.evaluation.metrics.crack_metric import counts_above, disk_kernel

META = dict(classes=('background', 'crack'), palette=[[0, 0, 0], [255, 0, 0]])


def logit(p):
    p = np.asarray(p, dtype=np.float64)
    return np.log(p / (1 - p))


def sample(gt, pred=None, prob=None, channels=2):
    """A data sample in the dict form mmseg's evaluator passes to metrics.

    ``prob`` is the crack probability; it is stored as two-channel logits
    (C=2), as a probability (C=1, what mmseg 1.2.2 stores) or as a raw logit
    (channels='logit'). ``pred`` defaults to ``prob > 0.5``.
    """
    gt = torch.as_tensor(np.asarray(gt), dtype=torch.int64)[None]
    out = dict(gt_sem_seg=dict(data=gt))
    if prob is not None:
        prob = np.asarray(prob, dtype=np.float64)
        if pred is None:
            pred = (prob > 0.5).astype(np.int64)
        if channels == 2:
            logits = np.stack([np.zeros_like(prob), logit(prob)])
        elif channels == 1:
            logits = prob[None]
        else:
            logits = logit(prob)[None]
        out['seg_logits'] = dict(
            data=torch.tensor(logits, dtype=torch.float32))
    out['pred_sem_seg'] = dict(
        data=torch.as_tensor(np.asarray(pred), dtype=torch.int64)[None])
    return out


def evaluate(samples, **kwargs):
    metric = CrackMetric(**kwargs)
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


# 4x4: GT crack 5 px; prediction 5 px of which 4 on the crack.
GT4 = [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
PRED4 = [[0, 1, 1, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]


def test_registered():
    metric = METRICS.build(dict(type='CrackMetric', tolerance=2))
    assert isinstance(metric, CrackMetric)
    assert metric.tolerance == 2


def test_label_metrics_4x4():
    # TP=4, FP=1 (0,1), FN=1 (1,3); background: 10 of 12 in the union.
    res = evaluate([sample(GT4, pred=PRED4)], ods_ois=False)
    assert res == dict(
        IoU=66.67, Precision=80.0, Recall=80.0, F1=80.0, mIoU=75.0, aAcc=87.5)


def test_label_metrics_match_mmseg_iou_metric():
    rng = np.random.default_rng(0)
    gt = (rng.random((3, 9, 7)) < 0.2).astype(np.int64)
    gt[0, :2] = 255
    pred = (rng.random((3, 9, 7)) < 0.3).astype(np.int64)
    samples = [sample(g, pred=p) for g, p in zip(gt, pred)]
    ours = evaluate(samples, ods_ois=False)
    ref = IoUMetric(iou_metrics=['mIoU', 'mFscore'])
    ref.dataset_meta = META
    ref.process({}, samples)
    ref_res = ref.compute_metrics(ref.results)
    assert ours['mIoU'] == ref_res['mIoU']
    assert ours['aAcc'] == ref_res['aAcc']
    # Crack-class values from the same counts.
    valid = gt != 255
    tp = ((gt == 1) & (pred == 1) & valid).sum()
    fp = ((gt == 0) & (pred == 1) & valid).sum()
    fn = ((gt == 1) & (pred == 0) & valid).sum()
    assert ours['IoU'] == round(100 * tp / (tp + fp + fn), 2)
    assert ours['Precision'] == round(100 * tp / (tp + fp), 2)
    assert ours['Recall'] == round(100 * tp / (tp + fn), 2)
    assert ours['F1'] == round(100 * 2 * tp / (2 * tp + fp + fn), 2)


def test_ignore_pixels_excluded_5x5():
    gt = np.zeros((5, 5), np.int64)
    gt[2, 1:4] = 1  # crack: 3 px
    pred = np.zeros((5, 5), np.int64)
    pred[2, 1:3] = 1  # TP 2, FN 1 at (2, 3)
    pred[0, 0] = 1  # FP 1
    # Ignored pixels: a crack pixel missed, predictions on background and a
    # predicted crack pixel; none may count.
    gt[4, :] = 255
    pred[4, :2] = 1
    gt[2, 4] = 255  # would be FN if it counted as crack: pred 0 there
    res = evaluate([sample(gt, pred=pred)], ods_ois=False)
    # TP=2, FP=1, FN=1 over 19 valid px; background: 16 gt, 16 pred, 15 both.
    assert res['IoU'] == 50.0
    assert res['Precision'] == round(200 / 3, 2)
    assert res['Recall'] == round(200 / 3, 2)
    assert res['F1'] == round(400 / 6, 2)
    assert res['mIoU'] == round(100 * (0.5 + 15 / 17) / 2, 2)
    assert res['aAcc'] == round(100 * 17 / 19, 2)


# Two 2x3 images for ODS/OIS with thresholds 0.25, 0.5, 0.75.
# A: crack at 0.6 (2 px), background 0.4 (2 px) and 0.1: best t=0.5, F=1.
GT_A = [[1, 1, 0], [0, 0, 0]]
PROB_A = [[0.6, 0.6, 0.4], [0.4, 0.1, 0.1]]
# B: crack at 0.3 (2 px), background 0.1: best t=0.25, F=1.
GT_B = [[0, 0, 0], [0, 1, 1]]
PROB_B = [[0.1, 0.1, 0.1], [0.1, 0.3, 0.3]]
THRS = [0.25, 0.5, 0.75]


@pytest.mark.parametrize('channels', [2, 1, 'logit'])
def test_ods_ois_two_images(channels):
    kwargs = dict(single_channel='logit') if channels == 'logit' else {}
    res = evaluate([
        sample(GT_A, prob=PROB_A, channels=channels),
        sample(GT_B, prob=PROB_B, channels=channels)
    ],
                   thresholds=THRS,
                   **kwargs)
    # Summed counts: t=0.25: TP 4, FP 2, G 4 -> P 2/3, R 1, F 0.8;
    # t=0.5: TP 2, FP 0 -> P 1, R 0.5, F 2/3; t=0.75: nothing -> F 0.
    assert res['ODS'] == 80.0
    assert res['ODS_thr'] == 0.25
    # Per image best F: A 1.0 (t=0.5), B 1.0 (t=0.25).
    assert res['OIS'] == 100.0
    # Label prediction prob > 0.5: TP 2 (A), FN 2 (B), FP 0.
    assert res['IoU'] == 50.0
    assert res['Precision'] == 100.0
    assert res['Recall'] == 50.0
    assert res['F1'] == round(200 / 3, 2)


def test_ois_averages_per_image_best_f():
    # B' has its best F below 1, so the mean is visible:
    # crack 0.3 and 0.3, background 0.3 (1 px) -> t=0.25: P 2/3, R 1, F 0.8.
    prob_b = [[0.3, 0.1, 0.1], [0.1, 0.3, 0.3]]
    res = evaluate([sample(GT_A, prob=PROB_A),
                    sample(GT_B, prob=prob_b)],
                   thresholds=THRS)
    assert res['OIS'] == 90.0  # (1.0 + 0.8) / 2
    # Summed: t=0.25: TP 4, FP 3 -> P 4/7, R 1 -> F 8/11.
    assert res['ODS'] == round(800 / 11, 2)
    assert res['ODS_thr'] == 0.25


def test_empty_gt_image_left_out_of_ois_counted_in_ods():
    # C: no crack, two background pixels at 0.6 (false positives up to 0.5).
    gt_c = [[0, 0, 0], [0, 0, 0]]
    prob_c = [[0.6, 0.1, 0.1], [0.1, 0.1, 0.6]]
    res = evaluate([sample(GT_A, prob=PROB_A),
                    sample(gt_c, prob=prob_c)],
                   thresholds=THRS)
    # Summed: t=0.25: TP 2, FP 4 -> P 1/3, R 1, F 0.5;
    # t=0.5: TP 2, FP 2 -> P 1/2, R 1, F 2/3.
    assert res['ODS'] == round(200 / 3, 2)
    assert res['ODS_thr'] == 0.5
    assert res['OIS'] == 100.0  # A only


def test_all_empty_gt_gives_nan():
    gt = np.zeros((3, 3), np.int64)
    res = evaluate([sample(gt, prob=np.full((3, 3), 0.2))])
    assert math.isnan(res['ODS']) and math.isnan(res['OIS'])
    assert math.isnan(res['ODS_thr'])
    # No crack predicted (0.2 < 0.5) nor present: crack IoU undefined,
    # mIoU is the background IoU.
    assert math.isnan(res['IoU']) and math.isnan(res['Precision'])
    assert res['mIoU'] == 100.0 and res['aAcc'] == 100.0


# 5x5 with a 3 px horizontal crack and three predicted pixels off it.
GT5 = np.zeros((5, 5), np.int64)
GT5[2, 1:4] = 1
PROB5 = np.full((5, 5), 0.05)
PROB5[1, 1] = 0.9  # 1 px above (2, 1)
PROB5[0, 3] = 0.9  # 2 px above (2, 3)
PROB5[3, 4] = 0.9  # diagonal to (2, 3): sqrt(2) px


@pytest.mark.parametrize(
    'tolerance, ods',
    [
        (0, 0.0),  # nothing on the crack
        # disk radius 1 (4-neighbours): P: (1,1) matches -> 1/3;
        # R: (2,1) recalled by (1,1) only -> 1/3; F 1/3.
        (1, round(100 / 3, 2)),
        # radius 1.5 adds diagonals: P: (1,1), (3,4) -> 2/3;
        # R: (2,1) by (1,1), (2,2) by (1,1), (2,3) by (3,4) -> 1; F 0.8.
        (1.5, 80.0),
    ])
def test_tolerance(tolerance, ods):
    res = evaluate([sample(GT5, prob=PROB5)],
                   thresholds=[0.5],
                   tolerance=tolerance)
    assert res['ODS'] == ods
    assert res['OIS'] == ods
    # The label metrics stay pixel-exact.
    assert res['IoU'] == 0.0


def test_tolerance_ignores_predictions_on_ignored_pixels():
    gt = GT5.copy()
    prob = PROB5.copy()
    gt[1, 2] = 255  # next to (2, 2) and (1, 1)
    prob[1, 2] = 0.9  # would match (2, 2) and add a TP for precision
    res = evaluate([sample(gt, prob=prob)], thresholds=[0.5], tolerance=1)
    assert res['ODS'] == round(100 / 3, 2)


def test_sweep_at_half_equals_label_f1():
    rng = np.random.default_rng(1)
    samples = []
    for _ in range(3):
        gt = (rng.random((16, 12)) < 0.1).astype(np.int64)
        prob = np.clip(0.6 * gt + 0.5 * rng.random((16, 12)), 0.01, 0.99)
        samples.append(sample(gt, prob=prob))
    res = evaluate(samples, thresholds=[0.5])
    assert res['ODS'] == res['F1']


def test_default_thresholds_and_bounded_results():
    metric = CrackMetric()
    np.testing.assert_allclose(metric.thresholds, np.arange(1, 100) / 100)
    metric.process({}, [sample(GT_A, prob=PROB_A)])
    result = metric.results[0]
    assert result['areas'].shape == (4, 2)
    assert {
        k: np.shape(v)
        for k, v in result.items() if k != 'areas'
    } == {
        'tp_p': (99, ),
        'fp': (99, ),
        'tp_r': (99, ),
        'num_gt': ()
    }


def test_counts_above_and_disk():
    values = np.array([0.1, 0.5, 0.5, 0.7, 0.99])
    np.testing.assert_array_equal(
        counts_above(values, np.array([0.05, 0.5, 0.6, 0.99])), [5, 2, 2, 0])
    np.testing.assert_array_equal(
        disk_kernel(1), [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    assert disk_kernel(2).sum() == 13


def test_missing_seg_logits_raises_with_fix():
    with pytest.raises(KeyError, match='ods_ois=False'):
        evaluate([sample(GT4, pred=PRED4)])


def test_single_channel_prob_out_of_range_raises():
    s = sample(GT_A, prob=PROB_A, channels='logit')  # raw logits, not probs
    with pytest.raises(ValueError, match="single_channel='logit'"):
        evaluate([s])


def test_bad_arguments():
    with pytest.raises(ValueError, match='increasing'):
        CrackMetric(thresholds=[0.5, 0.2])
    with pytest.raises(ValueError, match='tolerance'):
        CrackMetric(tolerance=-1)
    with pytest.raises(TypeError):
        CrackMetric(iou_metrics=['mIoU'])
    with pytest.raises(ValueError, match='binary'):
        evaluate([
            dict(
                gt_sem_seg=dict(data=torch.zeros(1, 2, 2, dtype=torch.long)),
                pred_sem_seg=dict(data=torch.zeros(1, 2, 2, dtype=torch.long)),
                seg_logits=dict(data=torch.zeros(3, 2, 2)))
        ])


def test_evaluate_with_prefix_and_seg_data_sample():
    metric = CrackMetric(thresholds=THRS, prefix='val')
    metric.dataset_meta = META
    data_sample = SegDataSample()
    s = sample(GT_A, prob=PROB_A)
    data_sample.gt_sem_seg = PixelData(data=s['gt_sem_seg']['data'])
    data_sample.pred_sem_seg = PixelData(data=s['pred_sem_seg']['data'])
    data_sample.seg_logits = PixelData(data=s['seg_logits']['data'])
    metric.process({}, [data_sample])
    res = metric.evaluate(1)
    assert res == {
        'val/IoU': 100.0,
        'val/Precision': 100.0,
        'val/Recall': 100.0,
        'val/F1': 100.0,
        'val/mIoU': 100.0,
        'val/aAcc': 100.0,
        'val/ODS': 100.0,
        'val/ODS_thr': 0.5,
        'val/OIS': 100.0,
    }


def test_output_dir_writes_the_predicted_masks(tmp_path):
    """``output_dir`` (tools/test.py --out) writes ``pred_sem_seg`` as a 0/1
    PNG named after the image; mmseg's tools/test.py also passes
    ``keep_results``."""
    import cv2
    samples = [sample(GT4, pred=PRED4), sample(GT4, pred=GT4)]
    for name, data_sample in zip(('a.jpg', 'b.png'), samples):
        data_sample['img_path'] = f'data/cfd/images/{name}'
    out = tmp_path / 'masks'
    res = evaluate(
        samples, ods_ois=False, output_dir=str(out), keep_results=True)
    assert res['IoU'] == round(100 * 9 / 11, 2)
    for name, pred in (('a', PRED4), ('b', GT4)):
        mask = cv2.imread(str(out / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        assert mask.dtype == np.uint8
        np.testing.assert_array_equal(mask, pred)


def test_subsets_scored_on_their_own():
    # Set a: IoU 4/6 (the 4x4 case); set b: a perfect prediction.
    gt_b = [[0, 1], [0, 1]]
    samples = [
        dict(sample(GT4, prob=np.where(np.array(PRED4) > 0, 0.9, 0.1)),
             img_path='/data/a/images/x.jpg'),
        dict(sample(gt_b, prob=np.array(gt_b) * 0.8 + 0.1),
             img_path='/data/b/images/y.jpg'),
    ]
    res = evaluate(samples, subsets=dict(a='/data/a', b='/data/b/'))
    assert res['a/IoU'] == 66.67 and res['a/ODS'] == 80.0
    assert res['b/IoU'] == 100.0 and res['b/Precision'] == 100.0
    assert res['IoU'] == round(100 * 6 / 8, 2)  # 6 TP, 1 FP, 1 FN pooled
    assert res['IoU_subset_mean'] == round((66.67 + 100) / 2, 2)
    # /data/ab is not under /data/a: an image under no subset is an error.
    outside = dict(sample(gt_b, prob=np.array(gt_b) * 0.8),
                   img_path='/data/ab/z.jpg')
    with pytest.raises(ValueError, match='none of the CrackMetric subsets'):
        evaluate([outside], subsets=dict(a='/data/a'))
