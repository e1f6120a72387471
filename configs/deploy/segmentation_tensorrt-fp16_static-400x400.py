_base_ = [
    './segmentation_tensorrt_static-400x400.py',
    './_base_/backends/tensorrt-fp16.py'
]
