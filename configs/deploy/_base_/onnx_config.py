# The ONNX export settings shared by every deployment config (mmdeploy's
# format: mmdeploy reads `onnx_config` in `torch2onnx`). Opset 17 is within
# TensorRT 10's range (opset 9-20) and ONNX Runtime's; the TorchScript
# exporter folds constants (`do_constant_folding=True`, its default) and
# fuses Conv+BN in eval mode, so the graph carries weights as initializers.
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=17,
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=None,
    optimize=False)
