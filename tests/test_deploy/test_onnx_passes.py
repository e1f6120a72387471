"""Each graph rewrite keeps the outputs and changes the graph as stated."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcrack.deploy.onnx_passes import (binary_argmax_to_sign,
                                        conv_transpose_to_depth_to_space,
                                        move_relu_before_depth_to_space,
                                        optimize_onnx,
                                        push_depth_to_space_through_conv1x1)


class Head(nn.Module):
    """HrSegNet's patterns: Eq. (4) fusion (projection, then up-sampling),
    transposed-conv head, argmax."""

    def __init__(self, argmax=True):
        super().__init__()
        torch.manual_seed(0)
        self.fuse = nn.Conv2d(32, 8, 1)
        self.up = nn.ConvTranspose2d(8, 8, 3, 2, 1, output_padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.cls = nn.Conv2d(8, 2, 1)
        self.argmax = argmax
        self.bn.running_mean.uniform_(-1, 1)
        self.bn.running_var.uniform_(0.5, 2)

    def forward(self, high, semantic):
        x = high + F.interpolate(
            self.fuse(semantic),
            size=high.shape[2:],
            mode='bilinear',
            align_corners=True)
        x = self.cls(F.relu(self.bn(self.up(x))))
        x = F.interpolate(
            x, scale_factor=2.0, mode='bilinear', align_corners=False)
        return x.argmax(1, keepdim=True) if self.argmax else x


def export(model, path, *inputs):
    names = [f'in{i}' for i in range(len(inputs))]
    torch.onnx.export(
        model.eval(), inputs, str(path), opset_version=17, input_names=names)
    return names


def run(path, names, inputs):
    session = ort.InferenceSession(
        str(path), providers=['CPUExecutionProvider'])
    return session.run(None,
                       {n: x.numpy()
                        for n, x in zip(names, inputs)})[0]


@pytest.mark.parametrize('argmax', [True, False])
def test_optimize_onnx_keeps_outputs(tmp_path, argmax):
    inputs = (torch.randn(1, 8, 24, 20), torch.randn(1, 32, 6, 5))
    model = Head(argmax)
    names = export(model, tmp_path / 'raw.onnx', *inputs)
    counts = optimize_onnx(str(tmp_path / 'raw.onnx'),
                           str(tmp_path / 'opt.onnx'))
    assert counts == dict(
        conv_transpose_to_depth_to_space=1,
        move_relu_before_depth_to_space=1,
        binary_argmax_to_sign=int(argmax),
        push_depth_to_space_through_conv1x1=1)
    ops = [n.op_type for n in onnx.load(str(tmp_path / 'opt.onnx')).graph.node]
    assert 'ConvTranspose' not in ops and 'BatchNormalization' not in ops
    assert 'ArgMax' not in ops and ('Greater' in ops) == argmax
    with torch.no_grad():
        expected = model(*inputs).numpy()
    actual = run(tmp_path / 'opt.onnx', names, inputs)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if argmax:
        assert (actual == expected).mean() >= 0.999
    else:
        assert np.abs(actual - expected).max() < 1e-4


def load_basic(tmp_path, model, *inputs):
    """Export and apply ONNX Runtime's basic level, as optimize_onnx."""
    names = export(model, tmp_path / 'raw.onnx', *inputs)
    options = ort.SessionOptions()
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)
    options.optimized_model_filepath = str(tmp_path / 'basic.onnx')
    ort.InferenceSession(
        str(tmp_path / 'raw.onnx'), options,
        providers=['CPUExecutionProvider'])
    return onnx.load(str(tmp_path / 'basic.onnx')), names


def test_conv_transpose_to_depth_to_space_is_exact(tmp_path):
    torch.manual_seed(0)
    conv = nn.ConvTranspose2d(5, 3, 3, 2, 1, output_padding=1)
    x = torch.randn(2, 5, 7, 9)
    model, names = load_basic(tmp_path, conv, x)
    assert conv_transpose_to_depth_to_space(model) == 1
    assert [n.op_type for n in model.graph.node] == ['Conv', 'DepthToSpace']
    assert move_relu_before_depth_to_space(model) == 0
    assert push_depth_to_space_through_conv1x1(model) == 0
    onnx.save(model, str(tmp_path / 'rewritten.onnx'))
    with torch.no_grad():
        expected = conv(x).numpy()
    actual = run(tmp_path / 'rewritten.onnx', names, [x])
    assert np.abs(actual - expected).max() < 1e-5


def test_other_conv_transposes_are_left_alone(tmp_path):
    conv = nn.ConvTranspose2d(4, 4, 4, 2, 1)  # kernel 4
    model, _ = load_basic(tmp_path, conv, torch.randn(1, 4, 5, 5))
    assert conv_transpose_to_depth_to_space(model) == 0


def test_binary_argmax_needs_two_classes(tmp_path):

    class ThreeClasses(nn.Module):

        def __init__(self):
            super().__init__()
            self.cls = nn.Conv2d(4, 3, 1)

        def forward(self, x):
            return self.cls(x).argmax(1, keepdim=True)

    model, _ = load_basic(tmp_path, ThreeClasses(), torch.randn(1, 4, 5, 5))
    assert binary_argmax_to_sign(model) == 0
