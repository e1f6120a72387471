_base_ = ['./segmentation_static.py', './_base_/backends/onnxruntime.py']
# input_shape is [width, height], as in mmdeploy.
onnx_config = dict(input_shape=[400, 400])
