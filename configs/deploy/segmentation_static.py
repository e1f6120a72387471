# Static-shape export of an mmseg segmentor built with mmcrack's modules.
# `module` makes mmdeploy import mmcrack (its modules and compatibility
# fixes) and mmcrack's forward rewriter in the process that exports, before
# it builds the model. `with_argmax=True`: `output` is the N x 1 x H x W
# int64 label map (argmax, or the threshold of a one-channel head); False:
# the N x C x H x W logits.
_base_ = ['./_base_/onnx_config.py']
codebase_config = dict(
    type='mmseg',
    task='Segmentation',
    with_argmax=True,
    module=['mmcrack', 'mmcrack.deploy.rewriters'])
