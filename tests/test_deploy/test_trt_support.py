"""The TensorRT 10 operator check: the parsed matrix, the rules it applies,
and every family's exported graph."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from mmcrack.deploy.trt_support import (MissingSupportMatrixError,
                                        check_onnx, default_matrix_path,
                                        load_support_matrix)


@pytest.fixture(scope='module')
def matrix():
    path = default_matrix_path()
    if path is None or not path.is_file():
        pytest.skip(f'TensorRT 10 operator matrix {path} is not available')
    return load_support_matrix(path)


def test_missing_matrix_says_where_to_get_it(tmp_path, monkeypatch):
    """The package reads the matrix from the variable or an argument only,
    never from a path beside a checkout."""
    monkeypatch.delenv('MMCRACK_TRT_MATRIX', raising=False)
    assert default_matrix_path() is None
    with pytest.raises(MissingSupportMatrixError,
                       match='MMCRACK_TRT_MATRIX is not set.*operators.md'):
        load_support_matrix()
    missing = tmp_path / 'operators.md'
    monkeypatch.setenv('MMCRACK_TRT_MATRIX', str(missing))
    with pytest.raises(MissingSupportMatrixError,
                       match=f'{missing} does not exist'):
        load_support_matrix()


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, 'g', inputs, outputs,
                              list(initializers))
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid('', opset)], ir_version=8)


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def test_matrix_is_parsed(matrix):
    assert (matrix.min_opset, matrix.max_opset) == (9, 20)
    assert matrix.operators['Conv'].supported
    assert matrix.operators['Conv'].types == ('FP32', 'FP16', 'BF16')
    assert not matrix.operators['Unique'].supported
    assert 'align_corners' in matrix.operators['Resize'].restrictions
    assert {'FP32', 'INT64', 'BOOL'} <= set(matrix.types)


def test_a_matrix_in_another_format_is_refused(tmp_path):
    """A file without the opset range or the data types would otherwise
    switch those checks off and still report 'passes'."""
    path = tmp_path / 'operators.md'
    path.write_text('| Operator | Supported |\n|---|---|\n| Conv | Y |\n')
    with pytest.raises(ValueError, match='no "opset N to opset M" line and '
                       'no data-type line'):
        load_support_matrix(path)


def test_clean_graph_passes(matrix):
    weight = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), 'w')
    sizes = numpy_helper.from_array(np.array([1, 4, 16, 16], np.int64), 's')
    model = make_model([
        helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
        helper.make_node(
            'Resize', ['c', '', '', 's'], ['r'],
            mode='linear',
            coordinate_transformation_mode='align_corners'),
        helper.make_node('ArgMax', ['r'], ['y'], axis=1, keepdims=1),
    ], [tensor('x', [1, 3, 8, 8])], [tensor('y', [1, 1, 16, 16],
                                            TensorProto.INT64)],
                       [weight, sizes])
    assert check_onnx(model, matrix, static=True) == ([], [])


def test_problems_are_reported(matrix):
    model = make_model([
        helper.make_node('Conv', ['x', 'w'], ['c']),
        helper.make_node('Resize', ['c', '', 's'], ['r'], mode='cubic'),
        helper.make_node(
            'Resize', ['r', '', 's'], ['r2'],
            mode='linear',
            coordinate_transformation_mode='tf_crop_and_resize'),
        helper.make_node('Unique', ['r2'], ['u']),
        helper.make_node('MyPlugin', ['u'], ['y'], domain='custom'),
        helper.make_node('Shape', ['x'], ['shape']),
        helper.make_node(
            'MaxPool', ['x'], ['p'], kernel_shape=[2, 2],
            dilations=[2, 2]),
        helper.make_node(
            'LayerNormalization', ['x', 'w'], ['ln', 'mean'], axis=-1),
    ], [tensor('x', ['n', 3, 8, 8]),
        tensor('w', [4, 3, 1, 1]),
        tensor('s', [4])], [tensor('y', None),
                            tensor('shape', None, TensorProto.INT64),
                            tensor('p', None), tensor('mean', None)])
    model.opset_import.append(helper.make_opsetid('custom', 1))
    problems, _ = check_onnx(model, matrix, static=True)
    text = '\n'.join(problems)
    assert "weight/bias 'w' is not an initializer" in text
    assert "mode='cubic' is not supported" in text
    assert "coordinate_transformation_mode='tf_crop_and_resize'" in text
    assert 'Unique is not supported' in text
    assert "custom domain 'custom'" in text
    assert "graph 'x': shape is not static" in text
    assert 'no Shape nodes' in text
    assert 'dilations [2, 2] are not supported' in text
    assert 'only the first output' in text.lower()
    # A dynamic config accepts dynamic shapes and Shape nodes.
    dynamic, _ = check_onnx(model, matrix, static=False)
    assert not [p for p in dynamic if 'static' in p or 'Shape nodes' in p]


def test_dtype_and_opset_are_checked(matrix):
    model = make_model(
        [helper.make_node('Relu', ['x'], ['y'])],
        [tensor('x', [1, 4], TensorProto.DOUBLE)],
        [tensor('y', [1, 4], TensorProto.DOUBLE)],
        opset=21)
    problems, _ = check_onnx(model, matrix)
    assert any('opset 21 is outside' in p for p in problems)
    assert any("tensor 'x' has dtype DOUBLE" in p for p in problems)


def test_exported_graphs_are_supported(exported, matrix):
    # 'labels' is the graph exported for TensorRT (mmdeploy's TensorRT
    # rewriters), 'logits' and 'dynamic' those for ONNX Runtime.
    for name, path in exported.onnx.items():
        problems, notes = check_onnx(
            str(path), matrix, static=name != 'dynamic')
        assert problems == [], f'{exported.family} {name}: {problems}'
        assert notes == []
