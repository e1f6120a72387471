"""Test-time augmentation that averages crack probabilities."""
from typing import List

import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList


@MODELS.register_module()
class CrackTTAModel(SegTTAModel):
    """Merge the views of test-time augmentation by their mean probability.

    ``tools/test.py --tta`` wraps the segmentor in the config's ``tta_model``
    and runs it on every view of ``tta_pipeline``; mmseg's
    ``postprocess_result`` has already flipped and resized each view's
    ``seg_logits`` back to the original image. Per image this model averages
    the views' class probabilities and labels the pixels from the mean
    (argmax for two channels, ``decode_head.threshold`` for one).

    Two things differ from mmseg 1.2.2's ``SegTTAModel``:

    - One output channel (Context-CrackNet, WP-CrackNet): ``seg_logits``
      already hold the sigmoid probability, and ``SegTTAModel`` applies the
      sigmoid a second time, so every merged value is at least 0.5 and every
      pixel is labelled crack at the usual threshold 0.5. Here the
      probabilities are averaged as they are.
    - The merged probability is kept as the sample's ``seg_logits`` (two
      channels: the log of the mean probabilities, whose softmax gives them
      back; one channel: the mean probability, as ``postprocess_result``
      stores it), so ODS/OIS of :class:`CrackMetric` describe the merged
      prediction; ``SegTTAModel`` leaves those of one view.
    """

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Merge each image's augmented views into one prediction.

        Args:
            data_samples_list (List[SampleList]): Per image, the predictions
                of its views, at the original image size.

        Returns:
            SampleList: One merged prediction per image, with the metainfo
            and ground truth of the image's first view.
        """
        merged = []
        for views in data_samples_list:
            scores = torch.stack([view.seg_logits.data for view in views])
            if scores.shape[1] == 1:
                # Already sigmoid probabilities (postprocess_result).
                prob = scores.mean(dim=0)
                seg_logits = prob
                pred = (prob > self.module.decode_head.threshold).to(prob)
            else:
                prob = scores.softmax(dim=1).mean(dim=0)
                seg_logits = prob.log()
                pred = prob.argmax(dim=0, keepdim=True)
            sample = SegDataSample(metainfo=views[0].metainfo)
            sample.seg_logits = PixelData(data=seg_logits)
            sample.pred_sem_seg = PixelData(data=pred)
            if 'gt_sem_seg' in views[0]:
                sample.gt_sem_seg = views[0].gt_sem_seg
            merged.append(sample)
        return merged
