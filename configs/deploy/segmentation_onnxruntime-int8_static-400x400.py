# Static INT8 ONNX Runtime model at 400x400: the float export of
# ./segmentation_onnxruntime_static-400x400.py, quantized by
# mmcrack.deploy.quantization (ONNX Runtime's quantize_static, QDQ format,
# per-channel int8 weights, uint8 activations) on photos of the training
# set: `tools/deploy.py THIS_CONFIG MODEL ... --calib-data DIR`.
# tools/deploy.py writes the INT8 model as end2end.onnx (what tools/infer.py
# --backend onnxruntime runs) and keeps the float one as end2end-fp32.onnx.
_base_ = ['./segmentation_onnxruntime_static-400x400.py']
quantization = dict(
    calib_count=64,
    calib_method='minmax',
    per_channel=True,
    op_types_to_exclude=[])
