# Batch 1-8, height and width 256-1024, tuned for 1 x 3 x 400 x 400.
_base_ = ['./segmentation_dynamic.py', './_base_/backends/tensorrt.py']
backend_config = dict(model_inputs=[
    dict(
        input_shapes=dict(
            input=dict(
                min_shape=[1, 3, 256, 256],
                opt_shape=[1, 3, 400, 400],
                max_shape=[8, 3, 1024, 1024])))
])
