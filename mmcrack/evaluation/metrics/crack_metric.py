"""Crack-segmentation metric: crack IoU/P/R/F1, mIoU and ODS/OIS F-measure."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.dist import is_main_process
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ...utils.constants import BACKGROUND, CRACK, IGNORE_INDEX


def disk_kernel(radius: float) -> np.ndarray:
    """Euclidean disk ``dx**2 + dy**2 <= radius**2`` as a uint8 kernel."""
    r = int(np.floor(radius))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (xx**2 + yy**2 <= radius**2).astype(np.uint8)


def counts_above(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Number of ``values`` strictly above each threshold.

    One histogram of ``values`` over the threshold bins: O(len(values))
    memory, never O(len(values) x len(thresholds)).

    Args:
        values (np.ndarray): 1-D probabilities.
        thresholds (np.ndarray): Increasing thresholds, shape (K, ).

    Returns:
        np.ndarray: int64 counts, shape (K, ): ``sum(values > thresholds[k])``.
    """
    # bins[i] = number of thresholds strictly below the value, so a value
    # with bin i is above thresholds[0..i-1].
    bins = np.searchsorted(thresholds, values, side='left')
    hist = np.bincount(bins, minlength=len(thresholds) + 1)
    return np.cumsum(hist[::-1])[::-1][1:].astype(np.int64)


def f_measure(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """Harmonic mean 2PR / (P + R), 0 where P + R = 0."""
    precision = np.asarray(precision, dtype=np.float64)
    recall = np.asarray(recall, dtype=np.float64)
    denom = precision + recall
    return np.divide(
        2 * precision * recall,
        denom,
        out=np.zeros_like(denom),
        where=denom > 0)


@METRICS.register_module()
class CrackMetric(BaseMetric):
    """Binary crack-segmentation metric with ODS/OIS F-measure.

    Classes are ``background`` (0) and ``crack`` (1); pixels whose ground truth
    is ``ignore_index`` are excluded from every count. Crack pixels are only
    1-5 % of an image, so the crack-class numbers are the ones to read: a model
    that predicts all background still scores ~98 % ``aAcc`` and ~49 % mIoU.

    Returned keys (percent, rounded to 2 decimals, like mmseg's ``IoUMetric``;
    ``prefix`` is prepended as ``'{prefix}/{key}'`` by :class:`BaseMetric`):

    From the model's label prediction ``pred_sem_seg`` (argmax for two-channel
    heads, ``decode_head.threshold`` for one-channel heads) or, with
    ``threshold``, from the crack probability above it (a model's published
    threshold; ``tools/test.py`` sets it), pixel-exact, with TP, FP, FN summed
    over the whole dataset:

    - ``IoU``: crack IoU = TP / (TP + FP + FN).
    - ``Precision``: TP / (TP + FP); NaN if no pixel is predicted crack.
    - ``Recall``: TP / (TP + FN); NaN if the ground truth holds no crack.
    - ``F1``: 2TP / (2TP + FP + FN), equal to the crack Dice.
    - ``mIoU``: mean IoU of background and crack (NaN classes skipped).
    - ``aAcc``: correct pixels / all non-ignored pixels.

    From the crack probability ``p`` swept over ``thresholds`` (a pixel is
    predicted crack at threshold ``t`` when ``p > t``, the rule of the common
    crack evaluation code and of mmseg's binary ``threshold``), with the
    ``tolerance`` matching below; at threshold ``t`` an image gives
    ``TP_p(t)`` (predicted crack pixels that match a ground-truth crack),
    ``FP(t)`` (those that do not), ``TP_r(t)`` (ground-truth crack pixels that
    are matched) and ``G`` (ground-truth crack pixels);
    ``P = TP_p / (TP_p + FP)`` (0 when nothing is predicted), ``R = TP_r / G``
    and ``F = 2PR / (P + R)`` (0 when P + R = 0):

    - ``ODS`` (optimal dataset scale): the counts are summed over all images
      at each threshold, and ODS is the best F over thresholds; one threshold
      for the whole dataset. NaN if no image holds a crack pixel.
    - ``ODS_thr``: the threshold that gives ODS, as a probability in [0, 1]
      (rounded to 4 decimals, not percent).
    - ``OIS`` (optimal image scale): each image takes its own best threshold,
      and OIS is the mean over images of the per-image best F. This is the
      definition of the crack literature's evaluation code (DeepCrack,
      CrackFormer: ``cal_OIS_metrics``), not the BSDS edge benchmark's, which
      sums the counts at the per-image best thresholds instead. Images whose
      ground truth holds no crack pixel have no recall and are left out of the
      mean (they still count, through their false positives, in ODS); OIS is
      NaN if no image holds a crack pixel. The log line says how many images
      were used.

    Tolerance: with ``tolerance = d > 0`` pixels, a predicted crack pixel is a
    true positive for precision if a ground-truth crack pixel lies within the
    Euclidean disk of radius ``d`` around it, and a ground-truth crack pixel
    is recalled if a predicted crack pixel lies within that disk (the usual
    "2 px tolerance" of crack papers is ``tolerance=2``). Both stay histogram
    computations: precision uses the ground truth dilated by the disk, recall
    the maximum of ``p`` over the disk (predictions on ignored pixels never
    match). With ``tolerance=0`` (default) the matching is pixel-exact and
    ``TP_p = TP_r``. The tolerance applies to ``ODS``/``OIS`` only and is
    printed in the log line; ``IoU``/``Precision``/``Recall``/``F1`` are always
    pixel-exact. The key names do not change with it, so ``save_best='ODS'``
    works for any setting.

    Memory: per image only a few integers per threshold are kept (the
    probability is histogrammed over the thresholds), O(H x W) work per image
    and O(num_images x num_thresholds) in total.

    Crack probability from ``seg_logits`` (``C x H x W`` at the original image
    size, as mmseg's segmentors store it):

    - ``C = 2``: softmax over the channels, channel 1.
    - ``C = 1``: mmseg 1.2.2's ``BaseSegmentor.postprocess_result`` has already
      applied the sigmoid, so the values are taken as probabilities
      (``single_channel='prob'``, default; values outside [0, 1] raise an
      error). With ``single_channel='logit'`` a sigmoid is applied first, for
      segmentors that store raw logits.

    Under test-time augmentation, :class:`CrackTTAModel` (the ``tta_model``
    of mmcrack's configs) stores the merged probability as ``seg_logits``, so
    ODS/OIS describe the merged prediction; mmseg 1.2.2's ``SegTTAModel``
    leaves the ``seg_logits`` of one augmented view.

    Subsets: with ``subsets=dict(name=folder, ...)`` the images whose path
    lies under ``folder`` are also scored on their own, under the keys
    ``'{name}/{key}'`` (``'cfd/IoU'``, ``'cfd/ODS'``, ...), beside the keys of
    all images together; ``IoU_subset_mean`` is the mean crack IoU of the
    subsets, for a ``save_best`` that weighs each set equally whatever its
    number of crack pixels. An image under no subset folder is an error.

    Without ``seg_logits`` the metric raises an error at the first batch
    rather than silently dropping ODS/OIS from the results; set
    ``ods_ois=False`` to report only the label-based keys.

    Args:
        ignore_index (int): Ground-truth value excluded from every count.
            Defaults to 255.
        num_thresholds (int): Number of evenly spaced thresholds
            ``k / (num_thresholds + 1)``, ``k = 1..num_thresholds``; the
            default 99 gives 0.01, 0.02, ..., 0.99. Ignored when
            ``thresholds`` is given. Defaults to 99.
        thresholds (Sequence[float], optional): Explicit increasing
            thresholds in [0, 1). Defaults to None.
        tolerance (float): Matching distance in pixels for ODS/OIS (see
            above). Defaults to 0 (pixel-exact).
        ods_ois (bool): Compute ``ODS``, ``ODS_thr`` and ``OIS``; needs
            ``seg_logits`` in the data samples. Defaults to True.
        single_channel (str): How to read one-channel ``seg_logits``:
            'prob' (already a probability, as mmseg 1.2.2 stores it) or
            'logit' (apply a sigmoid). Defaults to 'prob'.
        output_dir (str, optional): Also write each image's predicted label
            ``pred_sem_seg`` there as ``<image name>.png`` (one channel,
            0 background, 1 crack), as mmseg's ``IoUMetric`` does;
            ``tools/test.py --out DIR`` sets it. Defaults to None.
        subsets (dict[str, str], optional): Name -> folder of the images
            to score on their own as well (see above). Defaults to None.
        threshold (float, optional): Label each pixel crack when its crack
            probability (from ``seg_logits``) is above this, instead of
            reading ``pred_sem_seg``; the result then has a ``threshold``
            key. Defaults to None.
        keep_results (bool): Accepted because mmseg's own
            ``tools/test.py --out`` passes it; the masks are always kept.
            Defaults to True.
        collect_device (str): Device used to collect results across ranks,
            'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix added to the metric names, e.g.
            'val' gives 'val/IoU'. Defaults to None.
    """

    def __init__(self,
                 ignore_index: int = IGNORE_INDEX,
                 num_thresholds: int = 99,
                 thresholds: Optional[Sequence[float]] = None,
                 tolerance: float = 0,
                 ods_ois: bool = True,
                 single_channel: str = 'prob',
                 output_dir: Optional[str] = None,
                 subsets: Optional[Dict[str, str]] = None,
                 threshold: Optional[float] = None,
                 keep_results: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = ignore_index
        if thresholds is None:
            if int(num_thresholds) < 1:
                raise ValueError('num_thresholds must be >= 1, not '
                                 f'{num_thresholds}.')
            num_thresholds = int(num_thresholds)
            thresholds = np.arange(1, num_thresholds + 1) / (
                num_thresholds + 1)
        thresholds = np.asarray(thresholds, dtype=np.float64).ravel()
        if (thresholds.size == 0 or np.any(np.diff(thresholds) <= 0)
                or thresholds[0] < 0 or thresholds[-1] >= 1):
            raise ValueError(
                'thresholds must be a non-empty, strictly increasing list of '
                f'probabilities in [0, 1); got {thresholds.tolist()}.')
        self.thresholds = thresholds
        if tolerance < 0:
            raise ValueError(
                f'tolerance must be >= 0 pixels, not {tolerance}.')
        self.tolerance = tolerance
        self._disk = disk_kernel(tolerance) if tolerance > 0 else None
        self.ods_ois = ods_ois
        if single_channel not in ('prob', 'logit'):
            raise ValueError("single_channel must be 'prob' or 'logit', not "
                             f'{single_channel!r}.')
        self.single_channel = single_channel
        if threshold is not None and not 0 <= threshold < 1:
            raise ValueError(
                f'threshold must be a probability in [0, 1), not {threshold}.')
        self.threshold = threshold
        self.output_dir = output_dir
        self.subsets = {
            name: osp.abspath(folder) + osp.sep
            for name, folder in (subsets or {}).items()
        }
        if output_dir is not None and is_main_process():
            mkdir_or_exist(output_dir)

    # ------------------------------------------------------------------
    # per-image processing
    # ------------------------------------------------------------------
    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Count, for each sample, what :meth:`compute_metrics` needs.

        Per image this keeps, as numpy arrays: the per-class intersection,
        union, prediction and label areas (shape (2, )), and, with
        ``ods_ois``, ``TP_p``, ``FP``, ``TP_r`` per threshold and ``G``.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs, each with
                ``pred_sem_seg``, ``gt_sem_seg`` and (for ODS/OIS)
                ``seg_logits``, as dicts or :class:`SegDataSample`.
        """
        for data_sample in data_samples:
            if hasattr(data_sample, 'to_dict'):
                data_sample = data_sample.to_dict()
            label = data_sample['gt_sem_seg']['data'].squeeze(0)
            pred = data_sample['pred_sem_seg']['data'].squeeze(0)
            if label.shape != pred.shape or label.dim() != 2:
                raise ValueError(
                    f'pred_sem_seg {tuple(pred.shape)} and gt_sem_seg '
                    f'{tuple(label.shape)} must both be 1 x H x W.')
            label = label.to(torch.int64).cpu().numpy()
            prob = None
            if self.ods_ois or self.threshold is not None:
                if 'seg_logits' not in data_sample:
                    raise KeyError(
                        'CrackMetric needs seg_logits (the per-pixel class '
                        'scores) in the data samples to compute ODS/OIS or '
                        'to apply a threshold: mmseg segmentors store them '
                        'in predict(). For outputs without them, set '
                        "val_evaluator=dict(type='CrackMetric', "
                        'ods_ois=False) to report IoU, Precision, Recall, F1, '
                        'mIoU and aAcc only.')
                prob = self.crack_probability(
                    data_sample['seg_logits']['data'])
                if prob.shape != label.shape:
                    raise ValueError(
                        f'seg_logits are {prob.shape[0]}x{prob.shape[1]} but '
                        f'gt_sem_seg is {label.shape[0]}x{label.shape[1]}: '
                        'seg_logits must be at the original image size.')
            if self.threshold is not None:
                pred = (prob > self.threshold).astype(np.int64)
            else:
                pred = pred.to(torch.int64).cpu().numpy()
            if self.output_dir is not None:
                self.save_prediction(pred, data_sample['img_path'])
            valid = label != self.ignore_index
            result = dict(areas=self.label_areas(pred, label, valid))
            if self.subsets:
                result['subset'] = self.subset_of(data_sample['img_path'])
            if self.ods_ois:
                result.update(self.sweep_counts(prob, label == CRACK, valid))
            self.results.append(result)

    def subset_of(self, img_path: str) -> str:
        """Name of the subset whose folder holds ``img_path``."""
        path = osp.abspath(img_path)
        for name, folder in self.subsets.items():
            if path.startswith(folder):
                return name
        raise ValueError(
            f'Image {img_path} lies under none of the CrackMetric subsets '
            f'{self.subsets}: add its folder to subsets.')

    def save_prediction(self, pred: np.ndarray, img_path: str) -> None:
        """Write ``pred`` as ``output_dir/<image name>.png`` (uint8)."""
        name = osp.splitext(osp.basename(img_path))[0]
        path = osp.join(self.output_dir, f'{name}.png')
        if not cv2.imwrite(path, pred.astype(np.uint8)):
            raise OSError(f'Could not write the predicted mask {path}.')

    @staticmethod
    def label_areas(pred: np.ndarray, label: np.ndarray,
                    valid: np.ndarray) -> np.ndarray:
        """Per-class intersection, union, prediction and label areas.

        Returns:
            np.ndarray: int64, shape (4, 2): rows intersection, union,
            prediction, label; columns background, crack. Predicted labels
            other than 0 and 1 count as neither class.
        """
        pred = pred[valid]
        label = label[valid]
        pred_area = np.stack([pred == BACKGROUND, pred == CRACK]).sum(1)
        label_area = np.stack([label == BACKGROUND, label == CRACK]).sum(1)
        inter = np.stack([(pred == BACKGROUND) & (label == BACKGROUND),
                          (pred == CRACK) & (label == CRACK)]).sum(1)
        union = pred_area + label_area - inter
        return np.stack([inter, union, pred_area, label_area]).astype(np.int64)

    def crack_probability(self, seg_logits: torch.Tensor) -> np.ndarray:
        """Crack probability (H x W, float64) from C x H x W ``seg_logits``."""
        seg_logits = seg_logits.detach().float()
        channels = seg_logits.shape[0]
        if seg_logits.dim() != 3 or channels not in (1, 2):
            raise ValueError(
                'CrackMetric is a binary metric: seg_logits must be C x H x W '
                f'with C = 1 or 2, not {tuple(seg_logits.shape)}.')
        if channels == 2:
            prob = seg_logits.softmax(dim=0)[CRACK]
        elif self.single_channel == 'logit':
            prob = seg_logits[0].sigmoid()
        else:
            prob = seg_logits[0]
            if prob.numel() and (prob.min() < 0 or prob.max() > 1):
                raise ValueError(
                    'One-channel seg_logits hold values outside [0, 1] '
                    f'({prob.min().item():.3g} to {prob.max().item():.3g}), '
                    'so they are not probabilities. mmseg 1.2.2 applies the '
                    'sigmoid before storing them; if your segmentor stores '
                    "raw logits, set CrackMetric(single_channel='logit').")
        return prob.cpu().numpy().astype(np.float64)

    def sweep_counts(self, prob: np.ndarray, gt: np.ndarray,
                     valid: np.ndarray) -> Dict[str, np.ndarray]:
        """Per-threshold counts of one image.

        Args:
            prob (np.ndarray): Crack probability, H x W.
            gt (np.ndarray): Ground-truth crack (bool), H x W.
            valid (np.ndarray): Non-ignored pixels (bool), H x W.

        Returns:
            dict: ``tp_p``, ``fp``, ``tp_r`` (int64, one per threshold) and
            ``num_gt`` (int64 scalar).
        """
        gt = gt & valid
        if self._disk is None:
            near_gt = gt
            recall_prob = prob
        else:
            # Precision: predicted pixels within the disk of a GT crack pixel.
            near_gt = cv2.dilate(gt.astype(np.uint8), self._disk) > 0
            # Recall: the best probability within the disk of each GT pixel;
            # predictions on ignored pixels never match (-1 < any threshold).
            masked = np.where(valid, prob, -1.0).astype(np.float32)
            recall_prob = cv2.dilate(
                masked,
                self._disk,
                borderType=cv2.BORDER_CONSTANT,
                borderValue=-1.0).astype(np.float64)
        match = valid & near_gt
        miss = valid & ~near_gt
        return dict(
            tp_p=counts_above(prob[match], self.thresholds),
            fp=counts_above(prob[miss], self.thresholds),
            tp_r=counts_above(recall_prob[gt], self.thresholds),
            num_gt=np.int64(gt.sum()))

    # ------------------------------------------------------------------
    # dataset-level metrics
    # ------------------------------------------------------------------
    @staticmethod
    def sweep_f(tp_p: np.ndarray, fp: np.ndarray, tp_r: np.ndarray,
                num_gt: Union[int, np.ndarray]) -> np.ndarray:
        """F per threshold from counts (P = 0 when nothing is predicted)."""
        tp_p, fp, tp_r = (
            np.asarray(x, dtype=np.float64) for x in (tp_p, fp, tp_r))
        num_pred = tp_p + fp
        precision = np.divide(
            tp_p, num_pred, out=np.zeros_like(tp_p), where=num_pred > 0)
        recall = tp_r / num_gt
        return f_measure(precision, recall)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics from the per-image counts of :meth:`process`.

        Args:
            results (list[dict]): One dict per image, from :meth:`process`.

        Returns:
            Dict[str, float]: The keys described in the class docstring.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.threshold is not None:
            print_log(
                'IoU, Precision, Recall, F1, mIoU and aAcc: crack where the '
                f'probability is above {self.threshold:g}', logger)
        metrics = self.dataset_metrics(results, logger)
        if self.subsets:
            subset_ious = []
            for name in self.subsets:
                subset = [r for r in results if r['subset'] == name]
                if not subset:
                    raise ValueError(f'CrackMetric subset {name!r} '
                                     f'({self.subsets[name]}) has no image.')
                print_log(f'subset {name}: {len(subset)} images', logger)
                subset_metrics = self.dataset_metrics(subset, logger)
                subset_ious.append(subset_metrics['IoU'])
                metrics.update((f'{name}/{key}', value)
                               for key, value in subset_metrics.items())
            metrics['IoU_subset_mean'] = float(
                np.round(np.mean(subset_ious), 2))
        if self.threshold is not None:
            metrics['threshold'] = float(self.threshold)
        return metrics

    def dataset_metrics(self, results: List[dict],
                        logger: MMLogger) -> Dict[str, float]:
        """The keys of the class docstring over ``results``."""
        areas = np.sum([r['areas'] for r in results], axis=0).astype(float)
        inter, union, pred_area, label_area = areas
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = inter / union
            precision = inter / pred_area
            recall = inter / label_area
            f1 = 2 * inter / (pred_area + label_area)
            aacc = inter.sum() / label_area.sum()
        miou = np.nan if np.all(np.isnan(iou)) else np.nanmean(iou)
        metrics = OrderedDict(
            IoU=iou[CRACK],
            Precision=precision[CRACK],
            Recall=recall[CRACK],
            F1=f1[CRACK],
            mIoU=miou,
            aAcc=aacc)
        metrics = OrderedDict(
            (k, float(np.round(v * 100, 2))) for k, v in metrics.items())

        class_names = ('background', 'crack')
        if self.dataset_meta and 'classes' in self.dataset_meta:
            class_names = tuple(self.dataset_meta['classes'])
        table = PrettyTable()
        table.add_column('Class', list(class_names))
        for name, value in (('IoU', iou), ('Precision', precision),
                            ('Recall', recall), ('F1', f1)):
            table.add_column(name, np.round(value * 100, 2).tolist())
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)

        if self.ods_ois:
            metrics.update(self.ods_ois_metrics(results, logger))
        return metrics

    def ods_ois_metrics(self, results: List[dict],
                        logger: MMLogger) -> Dict[str, float]:
        """``ODS``, ``ODS_thr`` and ``OIS`` from the per-image counts."""
        tp_p = np.stack([r['tp_p'] for r in results])
        fp = np.stack([r['fp'] for r in results])
        tp_r = np.stack([r['tp_r'] for r in results])
        num_gt = np.array([r['num_gt'] for r in results])
        with_crack = num_gt > 0
        if with_crack.any():
            ods_f = self.sweep_f(
                tp_p.sum(0), fp.sum(0), tp_r.sum(0), num_gt.sum())
            best = int(np.argmax(ods_f))
            ods, ods_thr = ods_f[best], self.thresholds[best]
            image_f = self.sweep_f(tp_p[with_crack], fp[with_crack],
                                   tp_r[with_crack], num_gt[with_crack][:,
                                                                        None])
            ois = image_f.max(axis=1).mean()
        else:
            ods = ods_thr = ois = np.nan
        out = OrderedDict(
            ODS=float(np.round(ods * 100, 2)),
            ODS_thr=float(np.round(ods_thr, 4)),
            OIS=float(np.round(ois * 100, 2)))
        print_log(
            f'ODS {out["ODS"]} (threshold {out["ODS_thr"]}), OIS '
            f'{out["OIS"]} over {int(with_crack.sum())}/{len(results)} '
            f'images with crack; tolerance {self.tolerance} px, '
            f'{len(self.thresholds)} thresholds '
            f'{self.thresholds[0]:g}..{self.thresholds[-1]:g}',
            logger=logger)
        return out
