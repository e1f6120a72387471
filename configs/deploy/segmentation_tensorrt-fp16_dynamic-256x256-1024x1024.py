_base_ = [
    './segmentation_tensorrt_dynamic-256x256-1024x1024.py',
    './_base_/backends/tensorrt-fp16.py'
]
