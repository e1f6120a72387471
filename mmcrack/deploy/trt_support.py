"""Check an ONNX graph against TensorRT 10's ONNX operator support matrix.

TensorRT cannot be installed on a CPU-only machine, but whether its ONNX
parser will take a graph is written down: onnx-tensorrt's
``docs/operators.md``, the matrix of operators, data types and restrictions
of TensorRT 10.0. :func:`load_support_matrix` parses that markdown file and
:func:`check_onnx` walks a graph with it, so CI catches an unsupported
operator, attribute or dtype before anyone builds an engine.

The matrix is read where it lies, never copied into the repository or the
package: the file named by the environment variable ``MMCRACK_TRT_MATRIX``
(:func:`default_matrix_path`) or given as an argument. Without either,
:func:`load_support_matrix` raises :class:`MissingSupportMatrixError`,
which says where to get the file; the tests point the variable at the copy
beside the checkout and skip where there is none.

Checked, per node (standard ``ai.onnx`` domain; any other domain needs a
plugin and is reported):

* the model's opset is within the matrix's range (opset 9-20);
* the operator is listed with ``Y``;
* its input and output dtypes are among the operator's supported types,
  and every graph input/output among the types TensorRT takes;
* the restrictions of the matrix that can go wrong in an exported CNN,
  recognised from their wording: "``X`` must be an initializer" /
  "... a constant tensor" / "... a build-time constant" (the input ``X``
  comes from an initializer or a ``Constant`` node), "``dilations`` must be
  empty or all ones", "2D or 3D pooling only", "``Indices`` output ...
  unsupported", "Only the first output ... is supported", "... attributes
  are unsupported", and Resize's lists of supported coordinate transformation
  modes, modes and nearest modes, aspect-ratio policy and antialiasing.
  Restrictions of the matrix that :func:`check_onnx` does not recognise are
  returned as notes, so a new one is seen, not skipped silently.

Two rules are stricter than the matrix, for engines that build
predictably: ``Conv``/``ConvTranspose`` weights must be initializers
(TensorRT 10 accepts tensor weights, but then cannot fold or refit them),
and with ``static=True`` every graph input and output has fixed dimensions
and no ``Shape`` node is left (a static export whose sizes are still
computed at run time).
"""
import os
import re
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

from .onnx_passes import node_attributes

#: The environment variable that names the matrix file.
MATRIX_ENV = 'MMCRACK_TRT_MATRIX'
#: Where the matrix is published.
MATRIX_URL = ('https://github.com/onnx/onnx-tensorrt/blob/release/10.0/'
              'docs/operators.md')

#: ONNX TensorProto data types by the names the matrix uses.
_MATRIX_TYPE_NAMES = {
    'FLOAT': 'FP32',
    'FLOAT16': 'FP16',
    'BFLOAT16': 'BF16',
    'DOUBLE': 'DOUBLE',
    'INT32': 'INT32',
    'INT64': 'INT64',
    'INT8': 'INT8',
    'UINT8': 'UINT8',
    'BOOL': 'BOOL',
    'INT4': 'INT4',
    'FLOAT8E4M3FN': 'FP8',
}


class MissingSupportMatrixError(FileNotFoundError):
    """No operator matrix was given, or its file does not exist."""


class OperatorSupport(NamedTuple):
    """One row of the matrix."""
    supported: bool
    types: Tuple[str, ...]
    restrictions: str


class SupportMatrix(NamedTuple):
    """The parsed matrix."""
    operators: Dict[str, OperatorSupport]
    min_opset: int
    max_opset: int
    types: Tuple[str, ...]
    path: str


def default_matrix_path() -> Optional[Path]:
    """The file named by ``$MMCRACK_TRT_MATRIX``, or None where unset."""
    value = os.environ.get(MATRIX_ENV)
    return Path(value) if value else None


def _normalise_type(name: str) -> str:
    name = name.strip().upper()
    # The type list above the table spells FLOAT32 where the rows say
    # FP32; ConstantOfShape's row has a typo ("INF64").
    return dict(
        FLOAT32='FP32', FLOAT16='FP16', BFLOAT16='BF16',
        INF64='INT64').get(name, name)


def load_support_matrix(path: Optional[os.PathLike] = None) -> SupportMatrix:
    """Parse onnx-tensorrt's ``operators.md``.

    Args:
        path (PathLike, optional): The markdown file; defaults to
            :func:`default_matrix_path`.

    Raises:
        MissingSupportMatrixError: No path given and the variable unset, or
            the file absent; the message says where to get it.
        ValueError: If it lacks the operator table, the opset range or the
            data types.
    """
    path = Path(path) if path is not None else default_matrix_path()
    if path is None or not path.is_file():
        where = (f'{path} does not exist' if path is not None else
                 f'{MATRIX_ENV} is not set')
        raise MissingSupportMatrixError(
            f'No TensorRT 10 operator matrix: {where}. Download '
            f"onnx-tensorrt's operator matrix ({MATRIX_URL}, raw markdown) "
            f'and set {MATRIX_ENV} to the file.')
    text = path.read_text(encoding='utf-8')
    opsets = re.search(r'opset (\d+) to opset (\d+)', text)
    types = re.search(r'supports the following ONNX data types: ([^\n]+)',
                      text)
    operators = {}
    in_table = False
    for line in text.splitlines():
        if line.startswith('| Operator'):
            in_table = True
            continue
        if not in_table or not line.startswith('|'):
            continue
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if not cells[0] or set(cells[0]) <= set('-: '):
            continue
        supported = len(cells) > 1 and cells[1].upper() == 'Y'
        op_types = tuple(
            _normalise_type(t) for t in (cells[2].split(',') if len(cells) >
                                         2 else []) if t.strip())
        restrictions = cells[3] if len(cells) > 3 else ''
        operators[cells[0]] = OperatorSupport(supported, op_types,
                                              restrictions)
    missing = [
        what for what, found in (('operator support table', operators),
                                 ('"opset N to opset M" line', opsets),
                                 ('data-type line', types)) if not found
    ]
    if missing:
        raise ValueError(
            f'{path} holds no {" and no ".join(missing)}: it is not '
            "onnx-tensorrt's operators.md, or its format changed.")
    return SupportMatrix(
        operators=operators,
        min_opset=int(opsets.group(1)),
        max_opset=int(opsets.group(2)),
        types=tuple(
            _normalise_type(t)
            for t in types.group(1).replace(' and ', ',').split(',')
            if t.strip()),
        path=str(path))


def _backticked_after(text: str, label: str) -> Set[str]:
    """The backticked words of the sentence that starts with ``label``."""
    match = re.search(re.escape(label) + r'[^.<]*', text)
    return set(re.findall(r'`([^`]+)`', match.group(0))) if match else set()


def _input_index(node, opset: int, name: str) -> Optional[int]:
    from onnx import defs
    try:
        schema = defs.get_schema(node.op_type, opset, node.domain or '')
    except defs.SchemaError:  # unknown op: checked elsewhere
        return None
    for i, formal in enumerate(schema.inputs):
        if formal.name == name:
            return i
    return None


def _data_tensors(node, opset: int) -> List[str]:
    """Inputs and outputs typed like the node's first input.

    The matrix's "Supported Types" are those of the data an operator
    computes on; shape-like inputs (Resize ``sizes``, Slice ``starts``) and
    fixed-type outputs (ArgMax's int64 indices) have their own types.
    """
    from onnx import defs
    try:
        schema = defs.get_schema(node.op_type, opset, node.domain or '')
    except defs.SchemaError:  # unknown op: checked elsewhere
        return []
    if not schema.inputs:
        return list(node.output)
    data_type = schema.inputs[0].type_str
    names = []
    for formals, actuals in ((schema.inputs, node.input), (schema.outputs,
                                                           node.output)):
        for i, name in enumerate(actuals):
            formal = formals[min(i, len(formals) - 1)]
            if name and (formal.type_str == data_type
                         or node.op_type in ('Cast', 'CastLike')):
                names.append(name)
    return names


def _check_restrictions(node, row: OperatorSupport, opset: int,
                        constants: Set[str], ranks: Dict[str, int],
                        used: Set[str], problems: List[str],
                        notes: Set[str]) -> None:
    text = row.restrictions
    if not text:
        return
    where = f'{node.op_type} node {node.name!r}'
    attrs = node_attributes(node)
    recognised = False
    # "`axes` must be an initializer", "... must be a constant tensor",
    # "`depth` must be a build-time constant".
    for name in re.findall(
            r'`(\w+)`(?: input)? must be (?:an initializer|a constant '
            r'tensor|a build-time constant)', text):
        recognised = True
        index = _input_index(node, opset, name)
        if (index is not None and index < len(node.input)
                and node.input[index] and node.input[index] not in constants):
            problems.append(
                f'{where}: input `{name}` must be an initializer or '
                f'constant for TensorRT, but is computed at run time.')
    if '`dilations` must be empty or all ones' in text:
        recognised = True
        if any(d != 1 for d in attrs.get('dilations', [])):
            problems.append(f'{where}: dilations {attrs["dilations"]} are '
                            'not supported (must be all ones).')
    if re.search(r'2D or 3D pooling only', text, re.IGNORECASE):
        recognised = True
        rank = ranks.get(node.input[0])
        if rank is not None and rank not in (4, 5):
            problems.append(f'{where}: only 2D or 3D pooling is supported, '
                            f'the input has rank {rank}.')
    unsupported_attrs = re.search(r'((?:`\w+`,? (?:and )?)+)attributes are '
                                  r'unsupported', text)
    if unsupported_attrs:
        recognised = True
        for name in re.findall(r'`(\w+)`', unsupported_attrs.group(1)):
            if name in attrs:
                problems.append(f'{where}: attribute {name!r} is not '
                                'supported.')
    if re.search(r'Only the first output `\w+` is supported', text):
        recognised = True
        extra = [o for o in node.output[1:] if o in used]
        if extra:
            problems.append(f'{where}: only the first output is supported, '
                            f'but {extra} are used.')
    if '`Indices` output tensor unsupported' in text:
        recognised = True
        if len(node.output) > 1 and node.output[1]:
            problems.append(f'{where}: the Indices output is unsupported.')
    if node.op_type == 'Resize':
        recognised = True
        checks = (
            ('coordinate_transformation_mode', 'half_pixel',
             'Supported resize transformation modes'),
            ('mode', 'nearest', 'Supported resize modes'),
            ('nearest_mode', 'round_prefer_floor', 'Supported nearest modes'),
            ('keep_aspect_ratio_policy', 'stretch',
             'Supported aspect ratio policy'),
        )
        for attr, default, label in checks:
            allowed = _backticked_after(text, label)
            value = attrs.get(attr, default)
            if attr == 'nearest_mode' and attrs.get('mode',
                                                    'nearest') != 'nearest':
                continue
            if allowed and value not in allowed:
                problems.append(f'{where}: {attr}={value!r} is not supported '
                                f'(TensorRT 10: {sorted(allowed)}).')
        if 'Antialiasing is not supported' in text and attrs.get(
                'antialias', 0):
            problems.append(f'{where}: antialias=1 is not supported.')
        # "When `scales` is a tensor input, `axes` must be an iota vector".
        if attrs.get('axes') is not None and list(attrs['axes']) != list(
                range(len(attrs['axes']))):
            problems.append(f'{where}: axes {attrs["axes"]} must be an iota '
                            'vector.')
    if not recognised:
        notes.add(f'{node.op_type}: unchecked restriction: {text}')


def check_onnx(model,
               matrix: Optional[SupportMatrix] = None,
               static: bool = False) -> Tuple[List[str], List[str]]:
    """Check an ONNX model against TensorRT 10's support matrix.

    Args:
        model (onnx.ModelProto | str): The model or its path.
        matrix (SupportMatrix, optional): Defaults to
            :func:`load_support_matrix` of :func:`default_matrix_path`.
        static (bool): Also require fixed graph input/output shapes and no
            ``Shape`` node (a static-shape deployment config). Defaults to
            False.

    Returns:
        tuple[list[str], list[str]]: The problems (the graph would fail to
        parse or build, or breaks a rule above) and notes (restrictions of
        the matrix that were not checked), each one line. An empty problem
        list means the graph passes.
    """
    import onnx
    from onnx import TensorProto

    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    matrix = matrix or load_support_matrix()
    model = onnx.shape_inference.infer_shapes(model)
    graph = model.graph
    problems: List[str] = []
    notes: Set[str] = set()

    opset = next((o.version for o in model.opset_import
                  if o.domain in ('', 'ai.onnx')), None)
    if opset is None or not matrix.min_opset <= opset <= matrix.max_opset:
        problems.append(f'opset {opset} is outside TensorRT 10\'s range '
                        f'{matrix.min_opset}-{matrix.max_opset}.')
        opset = opset or matrix.max_opset

    dtypes: Dict[str, str] = {}
    ranks: Dict[str, int] = {}
    for value in [*graph.input, *graph.output, *graph.value_info]:
        tensor_type = value.type.tensor_type
        dtypes[value.name] = _MATRIX_TYPE_NAMES.get(
            TensorProto.DataType.Name(tensor_type.elem_type),
            TensorProto.DataType.Name(tensor_type.elem_type))
        if tensor_type.HasField('shape'):
            ranks[value.name] = len(tensor_type.shape.dim)
    for init in graph.initializer:
        dtypes[init.name] = _MATRIX_TYPE_NAMES.get(
            TensorProto.DataType.Name(init.data_type),
            TensorProto.DataType.Name(init.data_type))
        ranks[init.name] = len(init.dims)
    used = {name for node in graph.node for name in node.input}
    used |= {value.name for value in graph.output}
    constants = {init.name for init in graph.initializer}
    constants |= {
        out
        for node in graph.node if node.op_type == 'Constant'
        for out in node.output
    }

    for value in [*graph.input, *graph.output]:
        if matrix.types and dtypes.get(value.name) not in matrix.types:
            problems.append(f'graph {value.name!r}: dtype '
                            f'{dtypes.get(value.name)} is not a TensorRT '
                            'type.')
        if static:
            dims = value.type.tensor_type.shape.dim
            if any(not d.HasField('dim_value') or d.dim_value <= 0
                   for d in dims):
                problems.append(f'graph {value.name!r}: shape is not static '
                                'although the config is static.')

    for node in graph.node:
        where = f'{node.op_type} node {node.name!r}'
        if node.domain not in ('', 'ai.onnx'):
            problems.append(f'{where}: custom domain {node.domain!r} needs '
                            'a TensorRT plugin.')
            continue
        row = matrix.operators.get(node.op_type)
        if row is None or not row.supported:
            problems.append(f'{where}: {node.op_type} is not supported by '
                            'TensorRT 10.')
            continue
        if row.types:
            for name in _data_tensors(node, opset):
                dtype = dtypes.get(name)
                if dtype and dtype not in row.types:
                    problems.append(
                        f'{where}: tensor {name!r} has dtype {dtype}, not '
                        f'among {node.op_type}\'s {list(row.types)}.')
        _check_restrictions(node, row, opset, constants, ranks, used,
                            problems, notes)
        if node.op_type in ('Conv', 'ConvTranspose'):
            for name in node.input[1:]:
                if name and name not in constants:
                    problems.append(f'{where}: weight/bias {name!r} is not '
                                    'an initializer.')
        if static and node.op_type == 'Shape':
            problems.append(f'{where}: a static graph should have no Shape '
                            'nodes left (sizes computed at run time).')
    return problems, sorted(notes)
