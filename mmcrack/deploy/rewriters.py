"""mmdeploy rewriter of the segmentor's forward for mmcrack's exports.

mmdeploy 1.3.1's ``BaseSegmentor.forward`` rewriter thresholds a
one-channel (sigmoid) head even when the deployment config asks for the raw
output (``codebase_config.with_argmax=False``), so Context-CrackNet's
logits could not be exported or compared with PyTorch. This rewriter, for
the ONNX IR (ONNX Runtime and TensorRT), takes precedence over mmdeploy's
default one and returns:

* ``with_argmax=True`` (default): the ``N x 1 x H x W`` int64 label map,
  ``argmax`` over the classes, or ``sigmoid(logit) > threshold`` for a
  one-channel head, as mmdeploy does;
* ``with_argmax=False``: the ``N x C x H x W`` logits at the input size,
  whatever ``C``.

mmdeploy rewrites ``EncoderDecoder.predict`` to return the logits; a second
rewriter does the same for :class:`~mmcrack.models.segmentors.WPCrackNet`,
whose ``predict`` is its own (the inference path: both encoders to ``b5``,
PAAM and the detector).

Deployment configs import it through ``codebase_config.module``, so it is
registered in mmdeploy's spawned export process too.
"""
from mmdeploy.core import FUNCTION_REWRITER
from mmdeploy.utils import IR, get_codebase_config, is_dynamic_shape
from mmseg.structures import SegDataSample

from .export import labels_from_logits


@FUNCTION_REWRITER.register_rewriter(
    func_name='mmseg.models.segmentors.BaseSegmentor.forward', ir=IR.ONNX)
def base_segmentor__forward(self,
                            inputs,
                            data_samples=None,
                            mode='predict',
                            **kwargs):
    """Logits (``with_argmax=False``) or the label map of ``inputs``."""
    ctx = FUNCTION_REWRITER.get_context()
    if data_samples is None:
        data_samples = [SegDataSample()]
    # A static export fixes the image size; a dynamic one reads it from the
    # input tensor, so the final resize follows the input.
    img_shape = inputs.shape[2:]
    if not is_dynamic_shape(ctx.cfg):
        img_shape = [int(size) for size in img_shape]
    for data_sample in data_samples:
        data_sample.set_field(
            name='img_shape', value=img_shape, field_type='metainfo')
    seg_logits = self.predict(inputs, data_samples)
    if not get_codebase_config(ctx.cfg).get('with_argmax', True):
        return seg_logits
    return labels_from_logits(seg_logits, self.decode_head.threshold)


@FUNCTION_REWRITER.register_rewriter(
    func_name='mmcrack.models.segmentors.WPCrackNet.predict')
def wp_cracknet__predict(self, inputs, data_samples=None, **kwargs):
    """The crack logits (``N x 1 x H x W``) of the inference path, where
    PyTorch would wrap them in data samples."""
    return self.encode_decode(inputs)
