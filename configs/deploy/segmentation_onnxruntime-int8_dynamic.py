# Static INT8 quantization (see ./segmentation_onnxruntime-int8_static-400x400.py)
# of the dynamic-shape export: calibrated on the photos at their own size.
_base_ = ['./segmentation_onnxruntime_dynamic.py']
quantization = dict(
    calib_count=64,
    calib_method='minmax',
    per_channel=True,
    op_types_to_exclude=[])
