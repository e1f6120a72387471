_base_ = [
    './segmentation_tensorrt_static-448x448.py',
    './_base_/backends/tensorrt-fp16.py'
]
