"""WP-CrackNet: weakly supervised crack segmentation from image labels."""
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import ModuleDict
from mmengine.optim import OptimWrapperDict
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from ...utils.constants import CRACK
from ...utils.crf import OFFICIAL_CRF, crf_refine
from ..utils import check_keys, frozen, max_norm

#: Sec. 4.2: lambda_c1 = 1, lambda_r1^C = lambda_r1^R = 0.5 (Eq. (16));
#: lambda_c2 = 1, lambda_r2^C = 0.8, lambda_r2^R = 0.3 (Eq. (21); lambda_cec
#: lives in the CECCM loss). ``rec_full`` is the official code's extra
#: full-image reconstruction term that trains the decoder alone (weight 0.2,
#: ``W[1]``); it is not in Eq. (16): set it to 0 to follow the equation.
DEFAULT_LOSS_WEIGHTS = dict(
    rec_cls=1.0,
    rec_crack=0.5,
    rec_road=0.5,
    rec_full=0.2,
    cls_cls=1.0,
    cls_crack=0.8,
    cls_road=0.3)
#: Keys of ``train_cfg`` and of its ``remnant`` dict (see :class:`WPCrackNet`).
TRAIN_CFG_KEYS = ('remnant', 'max_pseudo_fraction')
REMNANT_KEYS = ('grid', 'start', 'end', 'ramp_iters')
#: ``test_cfg`` keys (see :meth:`WPCrackNet.grid_encode_decode`).
TEST_CFG_KEYS = ('mode', 'grid', 'patch_size')
#: The crack logit of a patch the classifier calls crack-free.
CRACK_FREE_LOGIT = -1e4


@MODELS.register_module()
class WPCrackNet(BaseSegmentor):
    """WP-CrackNet: classifier, reconstructor and detector trained in turn.

    `WP-CrackNet: A Collaborative Adversarial Learning Framework for
    End-to-End Weakly-Supervised Road Crack Detection
    <https://mias.group/WP-CrackNet/>`_ (Ma et al., Neurocomputing). Trained
    from image-level labels only (crack / no crack, in the data sample's
    ``img_label`` metainfo, or derived from a ``gt_sem_seg`` mask as "has a
    crack pixel"). Three sub-modules, each with its own optimizer (an
    :class:`~mmengine.optim.OptimWrapperDict` keyed ``classifier``,
    ``reconstructor``, ``detector``):

    * ``classifier`` (Cls): a :class:`ResNet38d` and a :class:`CAMHead`;
      its CAM ``M`` and image logit ``q`` (Eq. (1));
    * ``reconstructor`` (Rec): its own ResNet38d and CAMHead (Rec.E, CAM
      ``M^rec``, logit ``q^rec``), a :class:`ReconFeatureFusion` building
      the feature map ``Z`` and a :class:`UNetGenerator` decoder (Rec.D);
    * ``detector`` (Det): a :class:`WPCrackNetHead` (PAAM and the
      conv / transposed-conv detector) on the ``b5`` features of both
      encoders.

    One call of :meth:`train_step` runs the three steps of Sec. 3.4:

    1. reconstructor step, classifier frozen (Eq. (16)): ``Z`` is split by
       the classifier's crack CAM ``M_C`` into ``Z_C = Z * M_C`` and ``Z_R
       = Z * (1 - M_C)`` (Eq. (2)), decoded (Eq. (3)), and Rec learns to
       reconstruct the image outside the crack from ``Z_C`` and inside it
       from ``Z_R`` (Eqs. (14)-(15)), plus its classification BCE (Eq.
       (13));
    2. classifier step, reconstructor frozen (Eq. (21)): Cls learns CAMs
       that *hinder* the same reconstructions (Eqs. (18)-(19), negative
       L1), plus its BCE (Eq. (17)) and the CECCM consistency with
       ``M^rec`` (Eq. (20), :class:`CECCMLoss`);
    3. detector step (Eq. (22)): pseudo labels from a dense CRF on the
       classifier's crack CAM (:func:`mmcrack.utils.crf.crf_refine`, the
       official settings), empty ones filtered out, train Det on the
       concatenated encoder features, encoders frozen.

    Steps 1-2 use crack images only for the reconstruction and CECCM terms
    (the official ``mask_crack``); the BCE terms use every image. The
    reconstruction target is the normalised input image. Modes follow the
    official code: the frozen encoder of steps 1-2 runs in eval mode (no
    dropout); for the pseudo labels of step 3 the classifier runs in train
    mode, so its dropout is active (its BatchNorms stay frozen,
    ``norm_eval``), as the official code makes them.

    Inference (:meth:`predict`, ``mode='tensor'``) runs only the two
    encoders up to their first ``b5`` block, PAAM and the detector, and
    returns one crack logit per pixel (``seg_logits`` holds the sigmoid
    probability, ``pred_sem_seg`` the label at ``decode_head.threshold``,
    mmseg's binary convention).

    Differences from the official code (see also :class:`WPCrackNetHead`,
    :class:`PAAM`, :class:`CECCMLoss`, :func:`~mmcrack.utils.crf.
    to_uint8_image`): the CRF gets a correctly converted uint8 image (the
    official code multiplies its uint8 image by 255 again, which wraps each
    value ``v`` to ``256 - v``: an inverted image, which happens to keep
    colour distances, hence the bilateral kernel, except at 0); the
    classifier step uses the soft
    masks of Eqs. (18)-(19) (the official code uses ``1[M_C = 0]`` and
    ``M_C * 1[argmax CAM = crack]``); empty pseudo labels are filtered per
    image (the official code skips a batch only when all are empty); the
    official fine-tuning of both encoders with the detector loss after
    epoch 50 is not done (the paper updates only Det with L_Det). The
    reconstructor step uses the classifier's CAM for both the split and
    the loss masks, as the official code does (Eqs. (14)-(15) write
    ``M^rec``).

    Args:
        backbone (dict): Config of the encoders (a :class:`ResNet38d`); the
            classifier and the reconstructor each build one, with their own
            ``out_indices``.
        cam_head (dict): Config of the :class:`CAMHead` of both encoders.
        fusion (dict): Config of the :class:`ReconFeatureFusion`.
        generator (dict): Config of the :class:`UNetGenerator`.
        decode_head (dict): Config of the detector
            (:class:`WPCrackNetHead`).
        ceccm (dict): Config of the :class:`CECCMLoss` (``loss_weight`` is
            ``lambda_cec``). Defaults to ``dict(type='CECCMLoss',
            loss_weight=0.5)``.
        loss_weights (dict, optional): Overrides of
            :data:`DEFAULT_LOSS_WEIGHTS`. Defaults to None.
        crf_cfg (dict, optional): Arguments of :func:`crf_refine`.
            Defaults to :data:`~mmcrack.utils.crf.OFFICIAL_CRF`.
        train_cfg (dict, optional): Training options:
            ``remnant=dict(grid=16, start=0.2, end=1.0, ramp_iters=N)``
            applies ACR's random grid to the split of step 1 (the official
            code: a cell takes part in the split with probability rising
            from 20 % by 1 % per epoch; the other cells keep the whole
            feature map); None (the default) splits everywhere, as Eqs.
            (2), (14)-(15). ``max_pseudo_fraction=f`` also drops pseudo
            labels that mark more than a fraction ``f`` of the image as
            crack (not in the paper, which drops only empty ones; useful
            while CAMs are still flat, e.g. without ImageNet weights).
        test_cfg (dict, optional): ``mode='whole'`` (the default) runs the
            detector on the whole image; ``mode='grid'`` is the paper's CFD
            protocol, :meth:`grid_encode_decode`, with ``grid`` (rows,
            columns; default (3, 3)) and ``patch_size`` ((h, w) each patch
            is resized to, the training patches' size; default: none).
            Defaults to None.
        data_preprocessor (dict, optional): A ``SegDataPreProcessor``
            config; its ``mean``/``std`` also recover the image for the CRF.
        pretrained (str, optional): As in mmseg's segmentors: a checkpoint
            both encoders initialise from (their ``init_cfg``); mmseg's
            ``init_model`` passes None. Defaults to None.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cam_head: ConfigType,
                 fusion: ConfigType,
                 generator: ConfigType,
                 decode_head: ConfigType,
                 ceccm: ConfigType = dict(type='CECCMLoss', loss_weight=0.5),
                 loss_weights: Optional[Dict[str, float]] = None,
                 crf_cfg: Optional[dict] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pretrained is not None:
            backbone = dict(
                backbone,
                init_cfg=dict(type='Pretrained', checkpoint=pretrained))
        check_keys(loss_weights, DEFAULT_LOSS_WEIGHTS, 'loss_weights')
        check_keys(train_cfg, TRAIN_CFG_KEYS, 'train_cfg keys')
        check_keys((train_cfg or {}).get('remnant'), REMNANT_KEYS,
                   'train_cfg.remnant keys')
        self.loss_weights = dict(DEFAULT_LOSS_WEIGHTS, **(loss_weights or {}))
        self.crf_cfg = dict(OFFICIAL_CRF, **(crf_cfg or {}))
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}
        check_keys(self.test_cfg, TEST_CFG_KEYS, 'test_cfg keys')
        if self.test_cfg.get('mode', 'whole') not in ('whole', 'grid'):
            raise ValueError("WPCrackNet's test_cfg.mode is 'whole' or "
                             f"'grid', not {self.test_cfg['mode']!r}.")
        self.align_corners = False
        # mmengine's ModuleDict passes init_weights on to its modules, so
        # their init_cfg (e.g. the encoders' ImageNet weights) is applied.
        # Cls: b5 block (detector input) and the final feature (CAM).
        self.classifier = ModuleDict(
            dict(
                backbone=MODELS.build(
                    dict(backbone, out_indices=(4, 7), preact_indices=())),
                head=MODELS.build(cam_head)))
        # Rec: pre-activated b4 and b5 stages and the final feature (Z), and
        # the b5 block (detector input).
        self.reconstructor = ModuleDict(
            dict(
                backbone=MODELS.build(
                    dict(
                        backbone,
                        out_indices=(3, 4, 5, 7),
                        preact_indices=(3, 5))),
                head=MODELS.build(cam_head),
                fusion=MODELS.build(fusion),
                generator=MODELS.build(generator)))
        self.detector = MODELS.build(decode_head)
        self.ceccm = MODELS.build(ceccm)

    # ------------------------------------------------------------ inference
    @property
    def decode_head(self) -> nn.Module:
        """The detector, under mmseg's name for the pixel head."""
        return self.detector

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """The detector inputs: the first ``b5`` block of the reconstructor
        encoder, then of the classifier; nothing deeper runs."""
        return [
            self.reconstructor['backbone'](inputs, out_indices=(4, ))[0],
            self.classifier['backbone'](inputs, out_indices=(4, ))[0]
        ]

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: Optional[List[dict]] = None) -> Tensor:
        """Crack logits (N, 1, H, W) at the input size."""
        logits = self.detector(self.extract_feat(inputs))
        return resize(
            logits,
            size=inputs.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """The inference path as a tensor (for export): crack logits (N, 1,
        H, W)."""
        return self.encode_decode(inputs)

    def grid_encode_decode(self, inputs: Tensor) -> Tensor:
        """Crack logits (N, 1, H, W) by the paper's CFD protocol.

        Sec. 4.2: "each image is divided into a 3x3 grid of patches, which
        are resized and classified by Cls to filter out background regions.
        Only patches predicted to contain cracks are passed to the detection
        module, and final result is obtained by merging the outputs from
        these selected patches." Each patch of ``test_cfg.grid`` (rows,
        columns) is resized to ``test_cfg.patch_size`` (the size of the
        enlarged training patches) if given; a patch whose image label the
        classifier predicts as crack-free gets :data:`CRACK_FREE_LOGIT`
        everywhere, the others the detector's logits resized back to the
        patch.
        """
        rows, cols = self.test_cfg.get('grid', (3, 3))
        patch_size = self.test_cfg.get('patch_size')
        height, width = inputs.shape[2:]
        ys = np.linspace(0, height, rows + 1).round().astype(int)
        xs = np.linspace(0, width, cols + 1).round().astype(int)
        logits = inputs.new_full((inputs.shape[0], 1, height, width),
                                 CRACK_FREE_LOGIT)
        for y0, y1 in zip(ys[:-1], ys[1:]):
            for x0, x1 in zip(xs[:-1], xs[1:]):
                patch = inputs[:, :, y0:y1, x0:x1]
                if patch_size is not None:
                    patch = resize(
                        patch,
                        size=tuple(patch_size),
                        mode='bilinear',
                        align_corners=False)
                cls_feats = self.classifier['backbone'](patch)
                _, image_logits = self.classifier['head'](cls_feats[-1])
                crack = image_logits.argmax(dim=1) == CRACK
                if not crack.any():
                    continue
                rec_feat = self.reconstructor['backbone'](
                    patch[crack], out_indices=(4, ))[0]
                out = self.detector([rec_feat, cls_feats[0][crack]])
                logits[crack, :, y0:y1, x0:x1] = resize(
                    out,
                    size=(int(y1 - y0), int(x1 - x0)),
                    mode='bilinear',
                    align_corners=self.align_corners)
        return logits

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict crack masks (by :meth:`grid_encode_decode` with
        ``test_cfg.mode='grid'``); see
        :meth:`BaseSegmentor.postprocess_result` for the fields set."""
        if self.test_cfg.get('mode', 'whole') == 'grid':
            logits = self.grid_encode_decode(inputs)
        else:
            logits = self.encode_decode(inputs)
        return self.postprocess_result(logits, data_samples)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Not available: the three sub-modules need separate backward
        passes and optimizers, so training goes through :meth:`train_step`
        (on one device, as in the paper: a distributed model wrapper, which
        calls ``mode='loss'``, ends up here too).
        """
        raise NotImplementedError(
            'WPCrackNet trains with train_step(data, optim_wrapper) and an '
            'OptimWrapperDict (classifier, reconstructor, detector), on one '
            "device; mode='loss' (and distributed training) is not "
            'supported.')

    # ------------------------------------------------------------- training
    @staticmethod
    def image_labels(data_samples: SampleList) -> Tensor:
        """Image labels (N, ) long, 1 = crack, from ``img_label`` metainfo
        or, failing that, from ``gt_sem_seg`` (any crack pixel)."""
        labels = []
        for sample in data_samples:
            if 'img_label' in sample.metainfo:
                labels.append(int(sample.metainfo['img_label']))
            elif 'gt_sem_seg' in sample:
                labels.append(int((sample.gt_sem_seg.data == CRACK).any()))
            else:
                raise ValueError(
                    'WPCrackNet needs image labels: an `img_label` metainfo '
                    "(ImageLabelDataset, with PackSegInputs(meta_keys=(..., "
                    "'img_label'))) or a gt_sem_seg mask.")
        return torch.tensor(labels, dtype=torch.long)

    def _cams(self, branch: nn.ModuleDict, inputs: Tensor,
              onehot: Tensor) -> Tuple[Tensor, Tensor, Tuple[Tensor, ...]]:
        """Run an encoder and its CAM head.

        Returns:
            tuple: image logits (N, 2); the crack CAM normalised by
            :func:`max_norm`, zeroed for crack-free images and resized to
            the input, (N, 1, H, W); the backbone outputs.
        """
        feats = branch['backbone'](inputs)
        cam, logits = branch['head'](feats[-1])
        cam = max_norm(cam) * onehot[:, :, None, None]
        cam = resize(
            cam[:, CRACK:CRACK + 1],
            size=inputs.shape[2:],
            mode='bilinear',
            align_corners=False)
        return logits, cam, feats

    def _fused_features(self, feats: Tuple[Tensor, ...],
                        size: Tuple[int, int]) -> Tensor:
        """Z from the reconstructor's outputs (b4, b5 block, b5, final),
        resized to the input."""
        z = self.reconstructor['fusion']([feats[0], feats[2], feats[3]])
        return resize(z, size=size, mode='bilinear', align_corners=False)

    def _remnant_mask(self, cam: Tensor) -> Tensor:
        """ACR's random grid (1 where the split applies) or all ones."""
        cfg = self.train_cfg.get('remnant')
        if not cfg:
            return torch.ones_like(cam)
        ramp = max(int(cfg.get('ramp_iters', 1)), 1)
        it = MessageHub.get_current_instance().get_info('iter', 0)
        start, end = cfg.get('start', 0.2), cfg.get('end', 1.0)
        prob = min(start + (end - start) * it / ramp, end)
        grid = int(cfg.get('grid', 16))
        cells = (torch.rand(cam.shape[0], 1, grid, grid, device=cam.device)
                 < prob).to(cam)
        return F.interpolate(cells, size=cam.shape[2:], mode='nearest')

    def _reconstructor_losses(self, inputs: Tensor, onehot: Tensor,
                              crack: Tensor,
                              cam_cls: Tensor) -> Dict[str, Tensor]:
        """Eq. (16) (and the official full-reconstruction term)."""
        w = self.loss_weights
        logits, _, feats = self._cams(self.reconstructor, inputs, onehot)
        losses = dict(
            loss_rec_bce=w['rec_cls'] *
            F.binary_cross_entropy_with_logits(logits, onehot))
        if not crack.any():
            return losses
        img = inputs[crack]
        z = self._fused_features(tuple(f[crack] for f in feats),
                                 img.shape[2:])
        cam = cam_cls[crack]
        grid = self._remnant_mask(cam)
        generator = self.reconstructor['generator']
        # Eq. (2): Z_C keeps the crack, Z_R the road (where the grid
        # applies; elsewhere the whole Z is kept).
        out_crack = generator(z * (1 - (1 - cam) * grid))
        out_road = generator(z * (1 - cam * grid))
        # Eqs. (14)-(15): reconstruct the other region.
        losses['loss_rec_crack'] = w['rec_crack'] * (
            (1 - cam) * grid * (img - out_crack)).abs().mean()
        losses['loss_rec_road'] = w['rec_road'] * (
            cam * grid * (img - out_road)).abs().mean()
        if w['rec_full']:
            losses['loss_rec_full'] = w['rec_full'] * (
                generator(z.detach()) - img).abs().mean()
        return losses

    def _classifier_losses(self, inputs: Tensor, onehot: Tensor,
                           crack: Tensor, z: Tensor,
                           cam_rec: Tensor) -> Dict[str, Tensor]:
        """Eq. (21)."""
        w = self.loss_weights
        logits, cam, _ = self._cams(self.classifier, inputs, onehot)
        losses = dict(
            loss_cls_bce=w['cls_cls'] *
            F.binary_cross_entropy_with_logits(logits, onehot))
        if not crack.any():
            return losses
        img, cam = inputs[crack], cam[crack]
        generator = self.reconstructor['generator']
        out_crack = generator(z * cam)  # O^_C = Rec.D(Z * M_C)
        out_road = generator(z * (1 - cam))  # O^_R = Rec.D(Z * (1 - M_C))
        # Eqs. (18)-(19): hinder the reconstruction.
        losses['loss_cls_crack'] = -w['cls_crack'] * (
            (1 - cam) * (img - out_crack)).abs().mean()
        losses['loss_cls_road'] = -w['cls_road'] * (
            cam * (img - out_road)).abs().mean()
        losses[self.ceccm.loss_name] = self.ceccm(cam, cam_rec)  # Eq. (20)
        return losses

    def images_uint8(self, inputs: Tensor) -> np.ndarray:
        """Undo the data preprocessor's normalisation: uint8 (N, H, W, 3)
        images in the channel order of ``inputs``."""
        mean = getattr(self.data_preprocessor, 'mean', None)
        std = getattr(self.data_preprocessor, 'std', None)
        images = inputs.detach().float()
        if mean is not None and std is not None:
            images = images * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)
        images = images.clamp(0, 255).round().to(torch.uint8)
        return images.permute(0, 2, 3, 1).cpu().numpy()

    def pseudo_labels(self, inputs: Tensor, cam: Tensor) -> Tensor:
        """Dense-CRF labels (N, H, W) long from crack CAMs (N, 1, H, W)."""
        images = self.images_uint8(inputs)
        cams = cam[:, 0].detach().float().cpu().numpy()
        labels = [
            crf_refine(image, c, **self.crf_cfg)
            for image, c in zip(images, cams)
        ]
        return torch.from_numpy(np.stack(labels)).long().to(inputs.device)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One iteration: reconstructor, classifier and detector steps.

        Args:
            data (dict): A batch from the dataloader.
            optim_wrapper (OptimWrapperDict): Wrappers keyed
                ``reconstructor``, ``classifier`` and ``detector``.

        Returns:
            dict: Log variables: ``loss_rec``, ``loss_cls``, ``loss_det``
            and their terms, ``cls_acc`` (image accuracy of the classifier)
            and ``det_num_pseudo`` (pseudo labels kept).
        """
        data = self.data_preprocessor(data, True)
        inputs = data['inputs']
        data_samples = data['data_samples']
        labels = self.image_labels(data_samples).to(inputs.device)
        onehot = F.one_hot(labels, 2).to(inputs)
        crack = labels == CRACK
        size = inputs.shape[2:]
        log_vars = {}

        # 1. Reconstructor step, classifier frozen (Eq. (16)).
        self.classifier.eval()
        self.reconstructor.train()
        with torch.no_grad():
            _, cam_cls, _ = self._cams(self.classifier, inputs, onehot)
        wrapper = optim_wrapper['reconstructor']
        with wrapper.optim_context(self.reconstructor):
            losses = self._reconstructor_losses(inputs, onehot, crack,
                                                cam_cls)
        loss, rec_log = self.parse_losses(losses)
        wrapper.update_params(loss)
        log_vars.update(rec_log)
        log_vars['loss_rec'] = log_vars.pop('loss')

        # 2. Classifier step, reconstructor frozen (Eq. (21)).
        self.reconstructor.eval()
        self.classifier.train()
        with torch.no_grad():
            _, cam_rec, rec_feats = self._cams(self.reconstructor, inputs,
                                               onehot)
            z = self._fused_features(tuple(f[crack] for f in rec_feats),
                                     size)
        wrapper = optim_wrapper['classifier']
        with frozen(self.reconstructor), wrapper.optim_context(
                self.classifier):
            losses = self._classifier_losses(inputs, onehot, crack, z,
                                             cam_rec[crack])
        loss, cls_log = self.parse_losses(losses)
        wrapper.update_params(loss)
        log_vars.update(cls_log)
        log_vars['loss_cls'] = log_vars.pop('loss')

        # 3. Detector step on CRF pseudo labels of crack images (Eq. (22)),
        # from the classifier in train mode (dropout on), as the official
        # code makes them.
        self.classifier.train()
        self.detector.train()
        with torch.no_grad():
            cls_logits, cam_cls, cls_feats = self._cams(
                self.classifier, inputs, onehot)
            log_vars['cls_acc'] = ((cls_logits.argmax(1) == labels).float()
                                   .mean())
            keep = crack.clone()
            pseudo = torch.zeros(
                inputs.shape[0], *size, dtype=torch.long,
                device=inputs.device)
            if crack.any():
                pseudo[crack] = self.pseudo_labels(inputs[crack],
                                                   cam_cls[crack])
                # Sec. 3.3: drop all-background pseudo labels.
                fraction = (pseudo == CRACK).flatten(1).float().mean(dim=1)
                keep &= fraction > 0
                max_fraction = self.train_cfg.get('max_pseudo_fraction')
                if max_fraction is not None:
                    keep &= fraction <= max_fraction
        log_vars['det_num_pseudo'] = keep.sum().float()
        if keep.any():
            samples = [
                SegDataSample(
                    gt_sem_seg=PixelData(data=p[None]),
                    metainfo=dict(img_shape=tuple(size)))
                for p in pseudo[keep]
            ]
            feats = [rec_feats[1][keep], cls_feats[0][keep]]
            wrapper = optim_wrapper['detector']
            with wrapper.optim_context(self.detector):
                losses = self.detector.loss(feats, samples, self.train_cfg)
            loss, det_log = self.parse_losses(losses)
            wrapper.update_params(loss)
            log_vars.update({
                ('loss_det' if k == 'loss' else f'det_{k}'): v
                for k, v in det_log.items()
            })
        self.train()
        return {
            k: v.detach() if isinstance(v, Tensor) else v
            for k, v in log_vars.items()
        }
