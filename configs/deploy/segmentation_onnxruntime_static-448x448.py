_base_ = ['./segmentation_static.py', './_base_/backends/onnxruntime.py']
# Context-CrackNet's input: CAGM (mode='exact') learns its Linformer
# projections for the 28x28 tokens of a 448x448 input.
onnx_config = dict(input_shape=[448, 448])
