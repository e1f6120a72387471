"""Every model family exports with mmdeploy and runs in ONNX Runtime with
PyTorch's outputs, on real crack photos (CFD, 480 x 320)."""
import copy

import numpy as np
import onnx
import pytest
import torch
from helpers import REPO_ROOT

from mmcrack.deploy.export import prepare_model_config, static_input_shape
from mmcrack.deploy.exported_graph import ExportedGraph
from mmcrack.deploy.onnxruntime import OnnxRuntimeRunner

#: Logits may differ by float rounding: the exporter folds BN into convs,
#: mmcrack's passes reorder exact rewrites, kernels sum in other orders.
#: They match if they are within 1e-4 of the logits' range, or, for a deep
#: network whose float32 rounding is larger (a randomly initialised ResNet50
#: with attention), if they are no further from the float64 result than
#: PyTorch's own float32 run is (with a factor of 2 of slack).
LOGITS_RTOL = 1e-4
#: Labels may differ only where two logits are within rounding.
MIN_LABEL_AGREEMENT = 0.999


def torch_logits(model, inputs: torch.Tensor,
                 dtype: torch.dtype = torch.float32) -> np.ndarray:
    """What the logits export computes, in PyTorch (:class:`ExportedGraph`).

    ``dtype=torch.float64`` runs a float64 copy of the model: the reference
    both float32 runs, PyTorch's and the exported graph's, are measured
    against.
    """
    graph = ExportedGraph(model, with_argmax=False)
    if dtype != torch.float32:
        graph = copy.deepcopy(graph).to(dtype)
    with torch.no_grad():
        return graph(inputs.to(dtype)).numpy()


def label_map(model, inputs: torch.Tensor) -> np.ndarray:
    """What the label-map export computes, in PyTorch."""
    with torch.no_grad():
        return ExportedGraph(model)(inputs).numpy()


def test_logits_match_pytorch(exported):
    runner = OnnxRuntimeRunner(str(exported.onnx['logits']))
    for inputs in exported.inputs.split(1):
        expected = torch_logits(exported.model, inputs)
        actual = runner(inputs)
        assert actual.shape == expected.shape
        scale = np.abs(expected).max()
        assert scale > 1e-3, 'degenerate logits: parity would be vacuous'
        if np.abs(actual - expected).max() <= LOGITS_RTOL * scale:
            continue
        exact = torch_logits(exported.model, inputs, torch.float64)
        onnx_error = np.abs(actual - exact).max()
        torch_error = np.abs(expected - exact).max()
        assert onnx_error <= 2 * torch_error, (
            f'ONNX Runtime is {onnx_error:.3g} from the float64 logits, '
            f'PyTorch float32 {torch_error:.3g} (range {scale:.3g})')


def test_labels_match_pytorch(exported):
    runner = OnnxRuntimeRunner(str(exported.onnx['labels']))
    for inputs in exported.inputs.split(1):
        expected = label_map(exported.model, inputs)
        actual = runner(inputs)
        assert actual.shape == expected.shape and actual.dtype == np.int64
        # Both classes occur, or the comparison says little.
        assert 0.001 < expected.mean() < 0.999
        assert (actual == expected).mean() >= MIN_LABEL_AGREEMENT


def test_dynamic_export_takes_other_sizes(exported):
    if 'dynamic' not in exported.onnx:
        pytest.skip(f'{exported.family} takes one input size only')
    runner = OnnxRuntimeRunner(str(exported.onnx['dynamic']))
    assert [isinstance(d, str) for d in runner.input_shape] == [
        True, False, True, True
    ]
    # Two images at once, cropped to another size and aspect ratio.
    height, width = exported.inputs.shape[2:]
    inputs = exported.inputs[:, :, :height * 3 // 4, :width * 3 // 4]
    expected = label_map(exported.model, inputs)
    actual = runner(inputs.numpy())
    assert actual.shape == (2, 1, *inputs.shape[2:])
    assert (actual == expected).mean() >= MIN_LABEL_AGREEMENT


def test_static_export_has_the_config_shape(exported):
    model = onnx.load(str(exported.onnx['labels']))
    shape = model.graph.input[0].type.tensor_type.shape
    dims = [d.dim_value for d in shape.dim]
    assert dims == [1, 3, *exported.inputs.shape[2:]]
    # Static: every Resize size was folded into a constant.
    assert not [n for n in model.graph.node if n.op_type == 'Shape']
    assert not [n for n in model.graph.node if n.op_type == 'Identity']


def test_prepare_model_config_adds_the_static_resize():
    from mmengine.config import Config
    cfg = Config(
        dict(test_pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ]))
    static = prepare_model_config(cfg, [400, 300])
    assert [step['type'] for step in static.test_pipeline
            ] == ['LoadImageFromFile', 'Resize', 'PackSegInputs']
    assert static.test_pipeline[1]['scale'] == (400, 300)
    dynamic = prepare_model_config(cfg, None)
    assert [step['type'] for step in dynamic.test_pipeline
            ] == ['LoadImageFromFile', 'PackSegInputs']
    # The caller's config is left as it was.
    assert len(cfg.test_pipeline) == 3


@pytest.mark.parametrize('deploy_cfg, shape', [
    ('segmentation_onnxruntime_static-400x400.py', [400, 400]),
    ('segmentation_tensorrt_static-448x448.py', [448, 448]),
    ('segmentation_onnxruntime_dynamic.py', None),
    ('segmentation_tensorrt_dynamic-256x256-1024x1024.py', None),
])
def test_deploy_configs(deploy_cfg, shape):
    from mmengine.config import Config
    deploy_dir = REPO_ROOT / 'configs' / 'deploy'
    cfg = Config.fromfile(str(deploy_dir / deploy_cfg))
    assert static_input_shape(cfg) == shape
    assert cfg.onnx_config.opset_version == 17
    assert cfg.codebase_config.module == [
        'mmcrack', 'mmcrack.deploy.rewriters'
    ]
