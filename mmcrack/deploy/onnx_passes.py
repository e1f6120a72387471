"""Exact rewrites of exported segmentation graphs for fast inference.

:func:`optimize_onnx` runs ONNX Runtime's *basic* graph optimizations
(constant folding, BN folding), then the passes below in the order of
:data:`PASSES`, and leaves standard ONNX operators only, so the result runs
in ONNX Runtime and parses in TensorRT 10. Each pass is an identity in real
arithmetic (outputs move by float rounding only; the parity tests compare
the optimized graph with PyTorch) and applies only where its pattern is
found, so any segmentor can go through them:

* :func:`conv_transpose_to_depth_to_space`: a stride-2 3x3 ``ConvTranspose``
  (padding 1, output padding 1) becomes a 2x2 ``Conv`` with four times the
  output channels, one group per output pixel phase, and
  ``DepthToSpace``: the same taps without multiplying the inserted zeros,
  as a plain conv that ONNX Runtime's blocked (NCHWc) kernels take.
* :func:`move_relu_before_depth_to_space`: ``Relu(DepthToSpace(x))`` becomes
  ``DepthToSpace(Relu(x))`` so that the ReLU fuses into the conv.
* :func:`binary_argmax_to_sign`: a two-class head's ``ArgMax`` becomes the
  sign of one logit difference, computed and resized as one channel.
* :func:`push_depth_to_space_through_conv1x1`: a narrowing pointwise conv
  after ``DepthToSpace`` runs before it, per phase, so the shuffle moves
  fewer channels.

``tools/benchmark.py`` measures the exported graph (docs/benchmark.md's
section); ``tools/deploy.py --no-optimize`` keeps mmdeploy's graph for a
comparison.
"""
import os.path as osp
import tempfile
from typing import Dict, List, Optional

import numpy as np


class _Graph:
    """Producer/consumer indexes and constants of an ``onnx.GraphProto``."""

    def __init__(self, model) -> None:
        from onnx import numpy_helper
        self.model = model
        self.graph = model.graph
        self.inits = {init.name: init for init in self.graph.initializer}
        self._np = numpy_helper
        self.reindex()

    def reindex(self) -> None:
        self.producer = {}
        self.consumers: Dict[str, List] = {}
        for node in self.graph.node:
            for out in node.output:
                self.producer[out] = node
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.outputs = {out.name for out in self.graph.output}

    def array(self, name: str) -> Optional[np.ndarray]:
        init = self.inits.get(name)
        return None if init is None else self._np.to_array(init)

    def add_initializer(self, array: np.ndarray, name: str) -> str:
        init = self._np.from_array(array, name=name)
        self.graph.initializer.append(init)
        self.inits[name] = init
        return name

    def only_consumer(self, name: str):
        """The single node reading ``name`` (None if several or output)."""
        consumers = self.consumers.get(name, [])
        if len(consumers) != 1 or name in self.outputs:
            return None
        return consumers[0]

    def unique_name(self, base: str) -> str:
        taken = set(self.inits) | set(self.producer) | {
            node.name
            for node in self.graph.node
        }
        name, i = base, 0
        while name in taken:
            i += 1
            name = f'{base}_{i}'
        return name

    def replace(self, old_nodes: List, new_nodes: List) -> None:
        """Put ``new_nodes`` where the first of ``old_nodes`` was."""
        nodes = list(self.graph.node)
        index = min(nodes.index(node) for node in old_nodes)
        for node in old_nodes:
            self.graph.node.remove(node)
        for offset, node in enumerate(new_nodes):
            self.graph.node.insert(index + offset, node)
        self.reindex()

    def remove_unused_initializers(self) -> None:
        used = {name for node in self.graph.node for name in node.input}
        used |= self.outputs
        keep = [init for init in self.graph.initializer if init.name in used]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep)
        self.inits = {init.name: init for init in keep}


def node_attributes(node) -> dict:
    """The attributes of an ONNX node as a dict of Python values (strings
    decoded)."""
    from onnx import helper
    values = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        values[attr.name] = value.decode() if isinstance(value,
                                                         bytes) else value
    return values


def _is_pointwise_conv(g: _Graph, node) -> bool:
    if node.op_type != 'Conv' or g.array(node.input[1]) is None:
        return False
    if len(node.input) > 2 and node.input[2] and g.array(
            node.input[2]) is None:
        return False
    attrs = node_attributes(node)
    weight = g.array(node.input[1])
    return (weight.ndim == 4 and weight.shape[2:] == (1, 1)
            and attrs.get('group', 1) == 1
            and all(s == 1 for s in attrs.get('strides', [1, 1]))
            and all(p == 0 for p in attrs.get('pads', [0, 0, 0, 0]))
            and attrs.get('auto_pad', 'NOTSET') in ('NOTSET', 'VALID'))


#: Stride-2 3x3 ConvTranspose (padding 1, output padding 1) as a 2x2 conv:
#: for output row phase p (row 2m + p) and input row offset d (row m + d),
#: the kernel row used (None: no tap), likewise for columns.
_PHASE_TAPS = {(0, 0): 1, (0, 1): None, (1, 0): 2, (1, 1): 0}


def conv_transpose_to_depth_to_space(model) -> int:
    """Rewrite stride-2 3x3 ``ConvTranspose`` as ``Conv`` + ``DepthToSpace``.

    Output pixel ``(2m + py, 2n + px)`` of the transposed conv reads input
    pixels ``(m + dy, n + dx)``, ``dy, dx`` in {0, 1}, with the kernel tap
    of :data:`_PHASE_TAPS`; a 2x2 conv (bottom/right zero padding) with one
    group of output channels per phase ``(py, px)`` computes all four, and
    ``DepthToSpace`` (CRD order) interleaves them.

    Args:
        model (onnx.ModelProto): Modified in place.

    Returns:
        int: The number of rewritten nodes.
    """
    from onnx import helper
    g = _Graph(model)
    rewritten = 0
    for node in list(g.graph.node):
        if node.op_type != 'ConvTranspose':
            continue
        attrs = node_attributes(node)
        weight = g.array(node.input[1])
        bias_name = node.input[2] if len(node.input) > 2 else ''
        bias = g.array(bias_name) if bias_name else None
        if (weight is None or (bias_name and bias is None)
                or weight.ndim != 4 or weight.shape[2:] != (3, 3)
                or attrs.get('group', 1) != 1
                or list(attrs.get('strides', [1, 1])) != [2, 2]
                or list(attrs.get('pads', [0, 0, 0, 0])) != [1, 1, 1, 1]
                or list(attrs.get('output_padding', [0, 0])) != [1, 1]
                or any(d != 1 for d in attrs.get('dilations', [1, 1]))
                or attrs.get('auto_pad', 'NOTSET') != 'NOTSET'
                or 'output_shape' in attrs):
            continue
        in_channels, out_channels = weight.shape[:2]
        kernel = np.zeros((out_channels, 4, in_channels, 2, 2), weight.dtype)
        for py in (0, 1):
            for px in (0, 1):
                for dy in (0, 1):
                    for dx in (0, 1):
                        ky, kx = _PHASE_TAPS[py, dy], _PHASE_TAPS[px, dx]
                        if ky is None or kx is None:
                            continue
                        kernel[:, py * 2 + px, :, dy, dx] = weight[:, :, ky,
                                                                   kx].T
        kernel = kernel.reshape(out_channels * 4, in_channels, 2, 2)
        if bias is None:
            bias = np.zeros(out_channels, weight.dtype)
        w_name = g.add_initializer(
            kernel, g.unique_name(f'{node.name}.phase_weight'))
        b_name = g.add_initializer(
            np.repeat(bias, 4).astype(weight.dtype),
            g.unique_name(f'{node.name}.phase_bias'))
        phases = g.unique_name(f'{node.name}_phases')
        conv = helper.make_node(
            'Conv', [node.input[0], w_name, b_name], [phases],
            name=g.unique_name(f'{node.name}_as_conv'),
            kernel_shape=[2, 2],
            pads=[0, 0, 1, 1])
        shuffle = helper.make_node(
            'DepthToSpace', [phases], [node.output[0]],
            name=g.unique_name(f'{node.name}_depth_to_space'),
            blocksize=2,
            mode='CRD')
        g.replace([node], [conv, shuffle])
        rewritten += 1
    g.remove_unused_initializers()
    return rewritten


def move_relu_before_depth_to_space(model) -> int:
    """``Relu(DepthToSpace(x))`` -> ``DepthToSpace(Relu(x))``.

    Returns:
        int: The number of moved ReLUs.
    """
    from onnx import helper
    g = _Graph(model)
    moved = 0
    for shuffle in list(g.graph.node):
        if shuffle.op_type != 'DepthToSpace':
            continue
        relu = g.only_consumer(shuffle.output[0])
        if relu is None or relu.op_type != 'Relu':
            continue
        activated = g.unique_name(f'{relu.name}_before_depth_to_space')
        new_relu = helper.make_node(
            'Relu', [shuffle.input[0]], [activated], name=relu.name)
        new_shuffle = helper.make_node(
            'DepthToSpace', [activated], [relu.output[0]], name=shuffle.name)
        new_shuffle.attribute.extend(shuffle.attribute)
        g.replace([shuffle, relu], [new_relu, new_shuffle])
        moved += 1
    return moved


def binary_argmax_to_sign(model) -> int:
    """Replace the class argmax of a 2-class head by a sign test.

    Pattern: pointwise ``Conv`` with 2 output channels, optionally a linear
    or nearest ``Resize``, then ``ArgMax(axis=1, keepdims=1)``. With logits
    ``l0, l1``, ``argmax = [l1 - l0 > 0]`` (ties give 0 in both), and
    ``l1 - l0`` is one pointwise conv with weights ``W1 - W0`` and bias
    ``b1 - b0``; the interpolation commutes with the difference. So the
    head computes and resizes one channel instead of two, and
    ``Greater`` + ``Cast`` (to ArgMax's int64) replace the ``ArgMax``.

    Returns:
        int: The number of rewritten heads.
    """
    from onnx import TensorProto, helper
    g = _Graph(model)
    rewritten = 0
    for argmax in list(g.graph.node):
        attrs = node_attributes(argmax)
        if (argmax.op_type != 'ArgMax' or attrs.get('axis', 0) != 1
                or attrs.get('keepdims', 1) != 1
                or attrs.get('select_last_index', 0) != 0):
            continue
        resize = g.producer.get(argmax.input[0])
        conv = resize
        if resize is not None and resize.op_type == 'Resize':
            r_attrs = node_attributes(resize)
            if (r_attrs.get('mode', 'nearest') not in ('linear', 'nearest')
                    or r_attrs.get('antialias', 0)
                    or g.only_consumer(resize.output[0]) is not argmax):
                continue
            conv = g.producer.get(resize.input[0])
        else:
            resize = None
        if (conv is None or not _is_pointwise_conv(g, conv)
                or g.only_consumer(conv.output[0]) is not (resize or argmax)
                or g.array(conv.input[1]).shape[0] != 2):
            continue
        weight = g.array(conv.input[1])
        bias = (
            g.array(conv.input[2]) if len(conv.input) > 2 and conv.input[2]
            else np.zeros(2, weight.dtype))
        nodes = []
        w_name = g.add_initializer(
            (weight[1:2].astype(np.float64) -
             weight[0:1]).astype(weight.dtype),
            g.unique_name(f'{conv.name}.margin_weight'))
        b_name = g.add_initializer(
            np.array([bias[1] - bias[0]], weight.dtype),
            g.unique_name(f'{conv.name}.margin_bias'))
        margin = g.unique_name(f'{conv.name}_margin')
        new_conv = helper.make_node(
            'Conv', [conv.input[0], w_name, b_name], [margin], name=conv.name)
        new_conv.attribute.extend(conv.attribute)
        nodes.append(new_conv)
        if resize is not None:
            inputs = list(resize.input)
            sizes = g.array(inputs[3]) if len(inputs) > 3 and inputs[
                3] else None
            if len(inputs) > 3 and inputs[3]:
                if sizes is None:
                    continue  # sizes computed at run time
                sizes = sizes.copy()
                sizes[1] = 1
                inputs[3] = g.add_initializer(
                    sizes, g.unique_name(f'{resize.name}.sizes'))
            inputs[0] = margin
            margin = g.unique_name(f'{resize.name}_margin')
            new_resize = helper.make_node(
                'Resize', inputs, [margin], name=resize.name)
            new_resize.attribute.extend(resize.attribute)
            nodes.append(new_resize)
        zero = g.add_initializer(
            np.zeros((), weight.dtype), g.unique_name(f'{argmax.name}.zero'))
        positive = g.unique_name(f'{argmax.name}_positive')
        nodes.append(
            helper.make_node(
                'Greater', [margin, zero], [positive],
                name=g.unique_name(f'{argmax.name}_greater')))
        nodes.append(
            helper.make_node(
                'Cast', [positive], [argmax.output[0]],
                name=argmax.name,
                to=TensorProto.INT64))
        g.replace([n for n in (conv, resize, argmax) if n is not None],
                  nodes)
        rewritten += 1
    g.remove_unused_initializers()
    return rewritten


def push_depth_to_space_through_conv1x1(model) -> int:
    """``Conv1x1(DepthToSpace(x))`` -> ``DepthToSpace(Conv1x1'(x))``.

    A pointwise conv acts on each output pixel alone, so it can act on
    each of the ``b x b`` phases before they are interleaved: ``W'`` maps
    phase ``q`` of input channel ``c`` (channel ``c * b^2 + q`` in CRD
    order) to phase ``q`` of output channel ``k`` with weight ``W[k, c]``.
    Applied where the conv narrows (the head's classifier), so the shuffle
    moves fewer channels.

    Returns:
        int: The number of rewritten pairs.
    """
    from onnx import helper
    g = _Graph(model)
    rewritten = 0
    for shuffle in list(g.graph.node):
        attrs = node_attributes(shuffle)
        if shuffle.op_type != 'DepthToSpace' or attrs.get('mode',
                                                          'DCR') != 'CRD':
            continue
        conv = g.only_consumer(shuffle.output[0])
        if conv is None or not _is_pointwise_conv(g, conv):
            continue
        weight = g.array(conv.input[1])
        out_channels, in_channels = weight.shape[:2]
        if out_channels >= in_channels:
            continue
        phases = attrs['blocksize']**2
        bias = (
            g.array(conv.input[2]) if len(conv.input) > 2 and conv.input[2]
            else np.zeros(out_channels, weight.dtype))
        new_weight = np.zeros(
            (out_channels, phases, in_channels, phases), weight.dtype)
        for q in range(phases):
            new_weight[:, q, :, q] = weight[:, :, 0, 0]
        w_name = g.add_initializer(
            new_weight.reshape(out_channels * phases, in_channels * phases,
                               1, 1),
            g.unique_name(f'{conv.name}.phase_weight'))
        b_name = g.add_initializer(
            np.repeat(bias, phases).astype(weight.dtype),
            g.unique_name(f'{conv.name}.phase_bias'))
        projected = g.unique_name(f'{conv.name}_phases')
        new_conv = helper.make_node(
            'Conv', [shuffle.input[0], w_name, b_name], [projected],
            name=conv.name)
        new_conv.attribute.extend(conv.attribute)
        new_shuffle = helper.make_node(
            'DepthToSpace', [projected], [conv.output[0]], name=shuffle.name)
        new_shuffle.attribute.extend(shuffle.attribute)
        g.replace([shuffle, conv], [new_conv, new_shuffle])
        rewritten += 1
    g.remove_unused_initializers()
    return rewritten


#: The passes of :func:`optimize_onnx`, in order. The resize passes need
#: the constant ``sizes`` that ONNX Runtime's constant folding leaves.
PASSES = (conv_transpose_to_depth_to_space, move_relu_before_depth_to_space,
          binary_argmax_to_sign, push_depth_to_space_through_conv1x1)


def optimize_onnx(onnx_file: str, output_file: Optional[str] = None) -> dict:
    """Rewrite an exported graph for speed; standard operators only.

    1. ONNX Runtime's *basic* graph optimizations, saved as a model:
       constant folding (with a static input, every ``Shape -> Gather ->
       Concat -> Cast`` chain that mmseg's ``resize`` traces becomes a
       constant ``sizes`` input of ``Resize``), removal of ``Identity`` and
       no-op nodes, and the Conv+BN (also ConvTranspose+BN), Conv+Add and
       Conv+Mul fusions. These
       rewrites are provider independent and emit standard ONNX operators
       (unlike the *extended* and layout levels, which ONNX Runtime applies
       again at load time, for its own execution provider).
    2. :data:`PASSES`.

    Args:
        onnx_file (str): The exported model.
        output_file (str, optional): Where to write; defaults to
            ``onnx_file`` (overwritten).

    Returns:
        dict: How many rewrites each pass made.
    """
    import onnx

    from .onnxruntime import _import_onnxruntime
    ort = _import_onnxruntime()
    output_file = output_file or onnx_file
    original = onnx.load(onnx_file)
    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)
        options.optimized_model_filepath = osp.join(tmp, 'basic.onnx')
        options.log_severity_level = 3
        ort.InferenceSession(
            onnx_file, options, providers=['CPUExecutionProvider'])
        model = onnx.load(options.optimized_model_filepath)
    counts = {}
    for rewrite in PASSES:
        counts[rewrite.__name__] = rewrite(model)
    # ONNX Runtime stamps its own producer; keep the exporter's.
    model.producer_name = original.producer_name
    model.producer_version = original.producer_version
    onnx.checker.check_model(model)
    onnx.save(model, output_file)
    return counts
