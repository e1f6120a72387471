"""mmdeploy rewriter of the segmentor's forward for mmcrack's exports.

mmdeploy 1.3.1's ``BaseSegmentor.forward`` rewriter thresholds a
one-channel (sigmoid) head even when the deployment config asks for the raw
output (``codebase_config.with_argmax=False``), so Context-CrackNet's
logits could not be exported or compared with PyTorch. This rewriter, for
the ONNX IR (ONNX Runtime and TensorRT), takes precedence over mmdeploy's
default one and traces
:func:`~mmcrack.deploy.exported_graph.exported_outputs`, the one definition
of what the graph computes:

* ``with_argmax=True`` (default): the ``N x 1 x H x W`` int64 label map,
  ``argmax`` over the classes, or ``sigmoid(logit) > threshold`` for a
  one-channel head, as mmdeploy does;
* ``with_argmax=False``: the ``N x C x H x W`` logits at the input size,
  whatever ``C``.

The logits come from the segmentor's ``encode_decode``, which is what
mmdeploy's rewrites of ``EncoderDecoder.predict`` and
``CascadeEncoderDecoder.predict`` compute, and for WP-CrackNet its
inference path (both encoders to ``b5``, PAAM and the detector).

Deployment configs import it through ``codebase_config.module``, so it is
registered in mmdeploy's spawned export process too.
"""
from mmdeploy.core import FUNCTION_REWRITER
from mmdeploy.utils import IR, get_codebase_config, is_dynamic_shape

from .exported_graph import exported_outputs


@FUNCTION_REWRITER.register_rewriter(
    func_name='mmseg.models.segmentors.BaseSegmentor.forward', ir=IR.ONNX)
def base_segmentor__forward(self,
                            inputs,
                            data_samples=None,
                            mode='predict',
                            **kwargs):
    """Logits (``with_argmax=False``) or the label map of ``inputs``."""
    ctx = FUNCTION_REWRITER.get_context()
    # A static export fixes the image size; a dynamic one reads it from the
    # input tensor, so the final resize follows the input.
    img_shape = inputs.shape[2:]
    if not is_dynamic_shape(ctx.cfg):
        img_shape = [int(size) for size in img_shape]
    return exported_outputs(
        self, inputs,
        get_codebase_config(ctx.cfg).get('with_argmax', True), img_shape)
