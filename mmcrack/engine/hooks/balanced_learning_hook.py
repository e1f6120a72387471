"""Balanced learning: let precision and recall flow towards each other."""
import math
from typing import List, Optional, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from ...models.losses.balanced_cross_entropy_loss import \
    BalancedCrossEntropyLoss


def precision_recall_factor(
        tp: float, fp: float,
        fn: float) -> Tuple[Optional[float], Optional[float], Optional[float]]:
    """Precision, recall and the precision-recall factor of crack counts.

    ``PRF = (P - R) / (P + R)``, in [-1, 1]: its sign is the direction of
    the flow (positive: precision exceeds recall, so the model predicts too
    little crack), its magnitude the relative gap. With no crack pixel in
    the counts, recall is undefined and all three are None (no
    information). With no predicted crack pixel, precision is taken as 1
    (nothing predicted, nothing wrong), so a model that predicts no crack at
    all gets ``PRF = 1``. With ``P = R = 0`` the factor is 0.
    """
    if tp + fn <= 0:
        return None, None, None
    precision = tp / (tp + fp) if tp + fp > 0 else 1.0
    recall = tp / (tp + fn)
    if precision + recall == 0:
        return precision, recall, 0.0
    return precision, recall, (precision - recall) / (precision + recall)


@HOOKS.register_module()
class BalancedLearningHook(Hook):
    """Move the crack loss weight and the crack sampling rate so that
    precision and recall meet.

    The recurrent adaptive scheme of Zhang et al. (2022), "Balanced Learning
    for Road Crack Segmentation": precision and recall are treated like two
    temperatures that should equalise, with (1) a factor PRF measuring
    their gap over an interval, (2) its sign giving the direction and its
    magnitude the strength of the flow, and (3) the loss weight (feature
    level) and the sampling (sample level) adjusted again and again during
    training. The paper gives no formula; the one used here:

    * every ``interval`` training iterations, the crack TP / FP / FN that
      each :class:`BalancedCrossEntropyLoss` of the model counted on its
      training batches (summed over processes) give ``P``, ``R`` and
      ``PRF = (P - R) / (P + R)`` (:func:`precision_recall_factor`);
    * loss level, for each such loss with its own counts:
      ``pos_weight <- clip(pos_weight * exp(weight_step * PRF),
      min_weight, max_weight)``: multiplicative, so the weight stays
      positive and equal steps up and down cancel;
    * sample level, with the counts of all the losses together: for each
      transform of the training pipeline that has a ``pos_prob`` (e.g.
      :class:`~mmcrack.datasets.transforms.CrackAwareCrop`), ``pos_prob <-
      clip(pos_prob + prob_step * PRF, min_prob, max_prob)``;
    * the counts are then reset. An interval without crack pixels, or with
      ``|PRF| <= tolerance``, changes nothing.

    So when precision is well above recall (the model misses cracks) the
    crack weight and the share of crack-centred crops grow, and when
    recall is well above precision (the model over-predicts cracks) they
    shrink, by an amount proportional to the relative gap.

    The loss weights are buffers of the model and travel with its state
    dict; the hook saves the sampling rates (``pos_prob`` of each knob) in
    the checkpoint under ``'balanced_learning'`` and sets them back when a
    run resumes (``--resume``), so a resumed run continues from where the
    rates had moved rather than from the config's values.

    Args:
        interval (int): Iterations between updates. Defaults to 50.
        weight_step (float): Step of ``log(pos_weight)`` at ``|PRF| = 1``.
            Defaults to 0.2.
        min_weight (float): Lower bound of ``pos_weight``. Defaults to
            0.1.
        max_weight (float): Upper bound of ``pos_weight``. Defaults to 100.
        prob_step (float): Step of ``pos_prob`` at ``|PRF| = 1``. Defaults
            to 0.05.
        min_prob (float): Lower bound of ``pos_prob``. Defaults to 0.
        max_prob (float): Upper bound of ``pos_prob``. Defaults to 1.
        tolerance (float): Dead band of ``|PRF|``. Defaults to 0.
    """
    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 weight_step: float = 0.2,
                 min_weight: float = 0.1,
                 max_weight: float = 100.,
                 prob_step: float = 0.05,
                 min_prob: float = 0.,
                 max_prob: float = 1.,
                 tolerance: float = 0.) -> None:
        if interval < 1 or not 0 < min_weight <= max_weight:
            raise ValueError('interval must be >= 1 and 0 < min_weight <= '
                             'max_weight.')
        if not 0 <= min_prob <= max_prob <= 1:
            raise ValueError('Need 0 <= min_prob <= max_prob <= 1.')
        self._resumed_pos_prob: Optional[List[float]] = None
        self.interval = interval
        self.weight_step = weight_step
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.prob_step = prob_step
        self.min_prob = min_prob
        self.max_prob = max_prob
        self.tolerance = tolerance

    @staticmethod
    def balanced_losses(model) -> List[BalancedCrossEntropyLoss]:
        """The :class:`BalancedCrossEntropyLoss` modules of the model."""
        if is_model_wrapper(model):
            model = model.module
        return [
            m for m in model.modules()
            if isinstance(m, BalancedCrossEntropyLoss)
        ]

    @staticmethod
    def sampling_knobs(dataset) -> list:
        """Transforms with a ``pos_prob`` in the (wrapped) dataset."""
        knobs = []
        for inner in getattr(dataset, 'datasets', []):  # ConcatDataset
            knobs += BalancedLearningHook.sampling_knobs(inner)
        if hasattr(dataset, 'dataset'):  # RepeatDataset and others
            knobs += BalancedLearningHook.sampling_knobs(dataset.dataset)
        pipeline = getattr(dataset, 'pipeline', None)
        for transform in getattr(pipeline, 'transforms', []):
            if hasattr(transform, 'pos_prob'):
                knobs.append(transform)
        return knobs

    def before_train(self, runner) -> None:
        if not self.balanced_losses(runner.model):
            raise ValueError(
                'BalancedLearningHook needs a BalancedCrossEntropyLoss in '
                'the model (set loss_decode=dict(type='
                "'BalancedCrossEntropyLoss') in the decode head).")
        self._knobs = self.sampling_knobs(runner.train_dataloader.dataset)
        if not self._knobs:
            print_log(
                'BalancedLearningHook: no transform with a pos_prob (such as '
                'CrackAwareCrop) in the training pipeline, so only the loss '
                'weight pos_weight is adapted.',
                logger='current')
        if self._resumed_pos_prob is not None:
            if len(self._resumed_pos_prob) != len(self._knobs):
                raise ValueError(
                    'BalancedLearningHook: the checkpoint holds '
                    f'{len(self._resumed_pos_prob)} sampling rates but the '
                    f'training pipeline has {len(self._knobs)} transforms '
                    'with a pos_prob; resume with the config the run was '
                    'started with.')
            for knob, pos_prob in zip(self._knobs, self._resumed_pos_prob):
                knob.pos_prob = pos_prob
            print_log(
                'BalancedLearningHook: sampling rates pos_prob '
                f'{self._resumed_pos_prob} restored from the checkpoint.',
                logger='current')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['balanced_learning'] = dict(
            pos_prob=[knob.pos_prob for knob in getattr(self, '_knobs', [])])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('balanced_learning')
        if state is not None:
            self._resumed_pos_prob = list(state['pos_prob'])

    def _step(self, factor: Optional[float]) -> Optional[float]:
        if factor is None or abs(factor) <= self.tolerance:
            return None
        return factor

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        losses = self.balanced_losses(runner.model)
        counts = torch.tensor([loss.counts() for loss in losses],
                              dtype=torch.float64)
        if get_world_size() > 1:
            all_reduce(counts)
        hub = runner.message_hub
        for i, (loss, (tp, fp, fn)) in enumerate(zip(losses, counts.tolist())):
            precision, recall, factor = precision_recall_factor(tp, fp, fn)
            step = self._step(factor)
            if step is not None:
                weight = float(loss.pos_weight) * math.exp(
                    self.weight_step * step)
                loss.pos_weight.fill_(
                    min(max(weight, self.min_weight), self.max_weight))
            suffix = '' if i == 0 else f'_{i}'
            if factor is not None:
                hub.update_scalar(f'train/bl_precision{suffix}', precision)
                hub.update_scalar(f'train/bl_recall{suffix}', recall)
                hub.update_scalar(f'train/bl_prf{suffix}', factor)
            hub.update_scalar(f'train/bl_pos_weight{suffix}',
                              float(loss.pos_weight))
            loss.reset_counts()
        tp, fp, fn = counts.sum(dim=0).tolist()
        step = self._step(precision_recall_factor(tp, fp, fn)[2])
        for i, knob in enumerate(getattr(self, '_knobs', [])):
            if step is not None:
                knob.pos_prob = min(
                    max(knob.pos_prob + self.prob_step * step,
                        self.min_prob), self.max_prob)
            suffix = '' if i == 0 else f'_{i}'
            hub.update_scalar(f'train/bl_pos_prob{suffix}', knob.pos_prob)
