_base_ = [
    './segmentation_tensorrt_static-256x256.py',
    './_base_/backends/tensorrt-fp16.py'
]
