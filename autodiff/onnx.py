"""ONNX export: a function of tensors, traced on example inputs, written as a model ONNX Runtime serves.

    import autodiff as ad
    ad.onnx.export(lambda x: (x @ w + b).relu(), [np.zeros((2, 4), np.float32)], "f.onnx")

The function runs once on the example inputs while autodiff records every op
together with the constants it was given; the graph is then walked from the
outputs and each op becomes ONNX nodes through one table, ``EXPORTS``
(Function class -> builder).  An op without a row is refused with its name and
the list of ops that export; a new op adds its row there.  Parameters and
constants become initializers (named when the caller names them: nn's
``model.export`` gives ``state_dict()``'s names).  Ops on constants alone are
folded into constants when traced.  Axis 0 of every input is a free batch axis
unless ``dynamic_batch=False``.

Values computed outside autodiff's ops (through ``.data``, ``.numpy()`` or
NumPy on arrays) are baked in as constants: the check after the trace refuses
a graph whose batch axis came out fixed by such a constant.

The ``onnx`` package (and ``onnxruntime`` to serve) come with the ``onnx``
extra: ``pip install -e '.[onnx]'``.
"""
import os
import tempfile

import numpy as np

from .mode import _state, enable_grad
from .ops import activations, conv, elementwise, linalg, nn as nn_ops, recurrent, reduce, shape, special
from .registry import OPS
from .tensor import Tensor

OPSET = 17                 # ONNX's default opset here; any of 17 .. onnx.defs.onnx_opset_version() works
BATCH = "batch"            # the name of the free batch axis in the model's inputs and outputs
_INT64_MIN = -(2 ** 63)


class ExportError(ValueError):
    """The function cannot be written as ONNX: an op without a row, a fixed batch axis, an output
    that does not come from the inputs."""


def _need_onnx():
    try:
        import onnx  # the ONNX package, not this module (absolute import)
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install -e '.[onnx]' (it installs onnx and "
                          "onnxruntime)") from None
    return onnx


# ---------------------------------------------------------------- tracing
class _Trace:
    """Set as the thread's tracer while the function runs.  Recorded ops keep their inputs
    (``fn.traced_inputs``); ops that are not recorded (no input requires grad: masks, casts of
    them) and comparisons, which are not ops, are noted here when they depend on the inputs.
    Notes come in the order things are computed, so whether a value depends on the inputs is
    known when it is noted; the rest are constants (folded)."""

    def __init__(self, inputs):
        self.notes = {}            # id(result) -> (Function or comparison name, inputs, result)
        self.live = {id(t) for t in inputs}

    def depends(self, t):
        return id(t) in self.live or getattr(t._node, "traced_inputs", None) is not None

    def note(self, op, inputs, result):
        if any(self.depends(x) for x in inputs):
            self.notes[id(result)] = (op, tuple(inputs), result)     # strong references keep ids unique
            self.live.add(id(result))


def _trace(fn, inputs):
    trace, previous = _Trace(inputs), _state.tracer
    _state.tracer = trace
    try:
        with enable_grad():          # every op that sees an input is recorded, whatever the caller's mode
            outputs = fn(*inputs)
    finally:
        _state.tracer = previous
    return trace, outputs


# ---------------------------------------------------------------- the graph being written
class Graph:
    """The ONNX graph under construction: what a builder in ``EXPORTS`` writes into.

    ``g.value(t)`` is the ONNX name of a traced tensor (a constant becomes an
    initializer the first time it is asked for); ``g.node(op, inputs, **attrs)``
    adds a node and returns its output's name; ``g.constant(array)`` adds an
    initializer; ``g.transpose`` folds a transpose into the one before it.
    """

    def __init__(self, onnx, opset, batch, dynamic_batch, names):
        self.onnx, self.opset, self.batch, self.dynamic_batch = onnx, opset, batch, dynamic_batch
        self.nodes, self.initializers = [], []
        self.values = {}           # id(tensor) -> ONNX name
        self.batched = set()       # ONNX names whose axis 0 is the batch axis
        self.transposed = {}       # output name -> (source name, perm) of each Transpose node
        self.names = names         # id(tensor) or id(array) -> the caller's name for a parameter
        self.taken = set()
        self.constant_ids = {}     # (id(array), key) -> initializer name

    def fresh(self, base):
        base = base.replace("/", "_") or "v"
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def node(self, op, inputs, base=None, **attributes):
        out = self.fresh(base or op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], name=out, **attributes))
        return out

    def constant(self, array, base="const", key=None):
        """An initializer holding ``array`` (one per array and ``key``, so a parameter used twice is stored once)."""
        array = np.asarray(array)
        cache = None if key is None else (key[0], key[1])
        if cache is not None and cache in self.constant_ids:
            return self.constant_ids[cache]
        name = self.fresh(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        if cache is not None:
            self.constant_ids[cache] = name
        return name

    def ints(self, values):
        return self.constant(np.asarray(list(values), dtype=np.int64), "shape")

    def is_constant(self, t):
        return id(t) not in self.values

    def constant_name(self, t):
        return self.names.get(id(t)) or self.names.get(id(t.data)) or "const"

    def value(self, t, transform=None, key=""):
        """The ONNX name of tensor ``t``; a constant becomes an initializer (its data passed through
        ``transform`` first, e.g. a kernel stored in ONNX's layout, cached under ``key``)."""
        name = self.values.get(id(t))
        if name is not None:
            return name
        data = np.asarray(t.data)
        if transform is not None:
            data = transform(data)
        return self.constant(data, self.constant_name(t), key=(id(t.data), key))

    def as_dtype(self, t, dtype):
        """``t``'s name in ``dtype``: a constant converted, a value cast (ONNX does not promote)."""
        if t.dtype == dtype:
            return self.value(t)
        if self.is_constant(t):
            return self.value(t, lambda a: a.astype(dtype), key=f"as {np.dtype(dtype).name}")
        return self.node("Cast", [self.value(t)], to=self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def transpose(self, name, perm):
        """``Transpose(name, perm)``; a transpose of a transpose is one (none when they cancel)."""
        perm = list(perm)
        if name in self.transposed:
            source, first = self.transposed[name]
            perm = [first[p] for p in perm]
            name = source
        if perm == sorted(perm):
            return name
        out = self.node("Transpose", [name], perm=perm)
        self.transposed[out] = (name, perm)
        return out

    def reduce(self, op, x, axes, keepdims):
        if self.opset >= 18 or op == "ReduceSum":          # axes became an input in opset 18 (ReduceSum: 13)
            return self.node(op, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.node(op, [x], axes=list(axes), keepdims=int(keepdims))


# ---------------------------------------------------------------- the table's builders
def _unary(op, **attributes):
    def build(g, fn, ins, out):
        return g.node(op, [g.value(ins[0])], **attributes)
    return build


def _binary(op):
    def build(g, fn, ins, out):
        return g.node(op, [g.as_dtype(t, out.dtype) for t in ins])
    return build


def _compare(op, negate=False):
    def build(g, fn, ins, out):
        dtype = np.result_type(*[t.dtype for t in ins])
        result = g.node(op, [g.as_dtype(t, dtype) for t in ins])
        return g.node("Not", [result]) if negate else result
    return build


def _setting(op, onnx_name, setting):
    def build(g, fn, ins, out):
        return g.node(op, [g.value(ins[0])], **{onnx_name: float(getattr(fn, setting))})
    return build


def _square(g, fn, ins, out):
    x = g.value(ins[0])
    return g.node("Mul", [x, x])


def _relu6(g, fn, ins, out):
    dtype = out.dtype
    return g.node("Clip", [g.value(ins[0]), g.constant(np.asarray(0, dtype)), g.constant(np.asarray(6, dtype))])


def _gelu_tanh(g, fn, ins, out):
    """0.5 x (1 + tanh(k x (1 + c x^2))) in opset 17's nodes (ONNX's Gelu node arrives in opset 20)."""
    number = lambda v: g.constant(np.asarray(v, out.dtype))
    x = g.value(ins[0])
    inner = g.node("Mul", [x, g.node("Add", [number(fn.K), g.node("Mul", [number(fn.K * fn.C), g.node("Mul", [x, x])])])])
    half_x = g.node("Mul", [number(0.5), x])
    return g.node("Mul", [half_x, g.node("Add", [number(1.0), g.node("Tanh", [inner])])])


def _clip(g, fn, ins, out):
    bounds = ["" if v is None else g.constant(np.asarray(v, out.dtype)) for v in (fn.min, fn.max)]
    return g.node("Clip", [g.value(ins[0])] + bounds)


def _where(g, fn, ins, out):
    condition = g.as_dtype(ins[0], np.bool_)
    return g.node("Where", [condition, g.as_dtype(ins[1], out.dtype), g.as_dtype(ins[2], out.dtype)])


def _cast(g, fn, ins, out):
    return g.node("Cast", [g.value(ins[0])], to=g.onnx.helper.np_dtype_to_tensor_dtype(out.dtype))


def _matmul(g, fn, ins, out):
    return g.node("MatMul", [g.as_dtype(t, out.dtype) for t in ins])


def _linear(g, fn, ins, out):
    x, weight = g.as_dtype(ins[0], out.dtype), g.as_dtype(ins[1], out.dtype)
    bias = g.as_dtype(ins[2], out.dtype) if len(ins) > 2 else None
    if ins[0].ndim == 2 and bias is not None:
        y = g.node("Gemm", [x, weight, bias], base="linear")
    else:
        y = g.node("MatMul", [x, weight], base="linear")
        if bias is not None:
            y = g.node("Add", [y, bias])
    return g.node("Relu", [y]) if fn.activation == "relu" else y


def _softmax(op):
    def build(g, fn, ins, out):
        return g.node(op, [g.value(ins[0])], axis=int(fn.axis))
    return build


def _reduction(op):
    def build(g, fn, ins, out):
        if not fn.axes:                               # a 0-d input: nothing to reduce
            return g.node("Identity", [g.value(ins[0])])
        return g.reduce(op, g.value(ins[0]), fn.axes, fn.keepdims)
    return build


def _std(g, fn, ins, out):
    """sqrt(sum((x - mean)^2) / (n - ddof)); n is the traced count (over the batch axis it stays that number)."""
    x = g.value(ins[0])
    if not fn.axes:
        return g.node("Mul", [x, g.constant(np.asarray(0, out.dtype))])     # one value: no spread
    centered = g.node("Sub", [x, g.reduce("ReduceMean", x, fn.axes, True)])
    total = g.reduce("ReduceSum", g.node("Mul", [centered, centered]), fn.axes, fn.keepdims)
    n = int(np.prod([ins[0].shape[a] for a in fn.axes]))
    return g.node("Sqrt", [g.node("Mul", [total, g.constant(np.asarray(1.0 / (n - fn.ddof), out.dtype))])])


def _reshape(g, fn, ins, out):
    x = ins[0]
    target = list(out.shape)
    name = g.value(x)
    if g.dynamic_batch and name in g.batched and target:
        if target[0] == x.shape[0]:
            target[0] = 0                             # ONNX's 0: the input's (batch) size, whatever it is
        elif target[0] % x.shape[0] == 0:
            target[0] = -1                            # the batch folded into axis 0
    return g.node("Reshape", [name, g.ints(target)])


def _transpose(g, fn, ins, out):
    return g.transpose(g.value(ins[0]), fn.order)


def _broadcast_to(g, fn, ins, out):
    # Expand broadcasts both ways: where the input already has the size, 1 keeps the input's (a free batch).
    x = ins[0]
    offset = len(fn.shape) - x.ndim
    target = [1 if i >= offset and x.shape[i - offset] == n else n for i, n in enumerate(fn.shape)]
    return g.node("Expand", [g.value(x), g.ints(target)])


def _uniform(t):
    data = np.asarray(t.data)
    return data.size > 0 and bool(np.all((data == data.flat[0]) | (np.isnan(data) & np.isnan(data.flat[0]))))


def _layer_norm(g, fn, ins, out):
    x = ins[0]
    scale = g.constant(np.ones(x.shape[x.ndim - fn.ndim:], out.dtype), "layer_norm_scale")   # ONNX needs one
    return g.node("LayerNormalization", [g.value(x), scale], axis=-fn.ndim, epsilon=float(fn.eps))


def _lstm_cell(g, fn, ins, out):
    """The cell's equations in ONNX's ops: z = x + h @ K, the gates, c' and h', stacked as the op's output."""
    x, state, kernel = (g.as_dtype(t, out.dtype) for t in ins)
    units = ins[2].shape[0]

    def rows(name, start, stop, axis):
        return g.node("Slice", [name, g.ints([start]), g.ints([stop]), g.ints([axis])])

    def row(name, i):                       # state[i] or out[i], the axis dropped
        return g.node("Squeeze", [rows(name, i, i + 1, 0), g.ints([0])])

    z = g.node("Add", [x, g.node("MatMul", [row(state, 0), kernel])])
    i, f, c, o = (rows(z, k * units, (k + 1) * units, -1) for k in range(4))
    i, f, o, c = g.node("Sigmoid", [i]), g.node("Sigmoid", [f]), g.node("Sigmoid", [o]), g.node("Tanh", [c])
    new_c = g.node("Add", [g.node("Mul", [f, row(state, 1)]), g.node("Mul", [i, c])])
    new_h = g.node("Mul", [o, g.node("Tanh", [new_c])])
    return g.node("Concat", [g.node("Unsqueeze", [t, g.ints([0])]) for t in (new_h, new_c, i, f, c, o)], axis=0)


def _concatenate(g, fn, ins, out):
    axis = fn.axis % out.ndim
    ins = [t for t in ins if t.size or not g.is_constant(t)]          # empty blocks (a padding of 0)
    variable = [i for i, t in enumerate(ins) if not g.is_constant(t)]
    if len(variable) == 1:
        # nn's constant padding is a concatenation with filled blocks: written as ONNX's Pad, the
        # blocks (batch-sized) do not fix the batch axis.
        (k,) = variable
        blocks = ins[:k] + ins[k + 1:]
        values = {np.asarray(t.data).flat[0].item() for t in blocks if _uniform(t)}
        if not blocks:
            return g.node("Identity", [g.value(ins[k])])
        if len(values) == 1 and all(_uniform(t) for t in blocks):
            before = sum(t.shape[axis] for t in ins[:k])
            after = sum(t.shape[axis] for t in ins[k + 1:])
            pads = [0] * (2 * out.ndim)
            pads[axis], pads[out.ndim + axis] = before, after
            fill = g.constant(np.asarray(values.pop(), out.dtype), "pad_value")
            return g.node("Pad", [g.as_dtype(ins[k], out.dtype), g.ints(pads), fill], mode="constant")
    return g.node("Concat", [g.as_dtype(t, out.dtype) for t in ins], axis=axis)


def _stack(g, fn, ins, out):
    axis = fn.axis % out.ndim
    return g.node("Concat", [g.node("Unsqueeze", [g.as_dtype(t, out.dtype), g.ints([axis])]) for t in ins],
                  axis=axis)


def _getitem(g, fn, ins, out):
    x = ins[0]
    index = fn.index if isinstance(fn.index, tuple) else (fn.index,)
    if any(not (isinstance(p, (slice, int, np.integer)) or p is None or p is Ellipsis) or isinstance(p, bool)
           for p in index):
        raise ExportError(f"export: indexing with {fn.label()} (arrays or masks) has no ONNX row yet; basic "
                          "indexing (integers, slices, None, ...) exports")
    consuming = sum(1 for p in index if p is not None and p is not Ellipsis)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (x.ndim - consuming) + index[at + 1:]
    index = index + (slice(None),) * (x.ndim - sum(1 for p in index if p is not None))
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = out_axis = 0
    for part in index:
        if part is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        n = x.shape[axis]
        if isinstance(part, slice):
            if part != slice(None):
                start, stop, step = part.indices(n)
                if step < 0 and stop < 0:
                    stop = _INT64_MIN                  # to the start: ONNX reads -1 as the last element
                starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
            out_axis += 1
        else:
            i = int(part) % n
            starts.append(i), ends.append(i + 1), axes.append(axis), steps.append(1)
            squeeze.append(axis)
        axis += 1
    y = g.value(x)
    if axes:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.node("Squeeze", [y, g.ints(squeeze)])
    if unsqueeze:
        y = g.node("Unsqueeze", [y, g.ints(unsqueeze)])
    return y if y != g.value(x) else g.node("Identity", [y])


def _conv2d(g, fn, ins, out):
    """Channels last around ONNX's channels-first Conv: transposes, which fold between layers."""
    geo = fn.geometry
    x = g.transpose(g.as_dtype(ins[0], out.dtype), (0, 3, 1, 2))
    kernel = ins[1]
    if g.is_constant(kernel):                         # stored in ONNX's (filters, in / groups, kh, kw)
        w = g.value(kernel, lambda a: a.astype(out.dtype).transpose(3, 2, 0, 1), key="oihw")
    else:
        w = g.transpose(g.as_dtype(kernel, out.dtype), (3, 2, 0, 1))
    inputs = [x, w] + ([g.as_dtype(ins[2], out.dtype)] if len(ins) > 2 else [])
    (top, bottom), (left, right) = geo.pads
    y = g.node("Conv", inputs, base="conv2d", kernel_shape=[geo.kh, geo.kw], strides=[geo.sh, geo.sw],
               dilations=[geo.dh, geo.dw], pads=[top, left, bottom, right], group=geo.groups)
    if fn.activation == "relu":
        y = g.node("Relu", [y])
    return g.transpose(y, (0, 2, 3, 1))


def _max_pool2d(g, fn, ins, out):
    # The input arrives padded (max_pool2d pads with -inf first): the windows need no padding here.
    geo = fn.geometry
    x = g.transpose(g.value(ins[0]), (0, 3, 1, 2))
    y = g.node("MaxPool", [x], base="max_pool2d", kernel_shape=[geo.kh, geo.kw], strides=[geo.sh, geo.sw])
    return g.transpose(y, (0, 2, 3, 1))


# Each op (its Function class; comparisons, which are not ops, by NumPy's name) -> its builder.
# A builder gets the graph, the recorded Function (its settings), the input tensors and the output.
EXPORTS = {
    elementwise.Add: _binary("Add"), elementwise.Sub: _binary("Sub"), elementwise.Mul: _binary("Mul"),
    elementwise.Div: _binary("Div"), elementwise.Pow: _binary("Pow"),
    elementwise.Maximum: _binary("Max"), elementwise.Minimum: _binary("Min"),
    elementwise.Neg: _unary("Neg"), elementwise.Abs: _unary("Abs"), elementwise.Sign: _unary("Sign"),
    elementwise.Sqrt: _unary("Sqrt"), elementwise.Exp: _unary("Exp"), elementwise.Log: _unary("Log"),
    elementwise.Relu: _unary("Relu"), elementwise.Sigmoid: _unary("Sigmoid"), elementwise.Tanh: _unary("Tanh"),
    elementwise.Clip: _clip, elementwise.Where: _where, elementwise.Cast: _cast,
    activations.Softplus: _unary("Softplus"), activations.Erf: _unary("Erf"), activations.Relu6: _relu6,
    activations.LeakyRelu: _setting("LeakyRelu", "alpha", "negative_slope"),
    activations.Elu: _setting("Elu", "alpha", "alpha"), activations.GeluTanh: _gelu_tanh,
    special.Sin: _unary("Sin"), special.Cos: _unary("Cos"), special.Tan: _unary("Tan"),
    special.Arcsin: _unary("Asin"), special.Arccos: _unary("Acos"), special.Arctan: _unary("Atan"),
    special.Sinh: _unary("Sinh"), special.Cosh: _unary("Cosh"), special.Arctanh: _unary("Atanh"),
    special.Floor: _unary("Floor"), special.Ceil: _unary("Ceil"), special.Round: _unary("Round"),
    special.Reciprocal: _unary("Reciprocal"), special.Square: _square,
    linalg.MatMul: _matmul, linalg.Linear: _linear,
    nn_ops.Softmax: _softmax("Softmax"), nn_ops.LogSoftmax: _softmax("LogSoftmax"), nn_ops.LayerNorm: _layer_norm,
    recurrent.LSTMCell: _lstm_cell,
    reduce.Sum: _reduction("ReduceSum"), reduce.Mean: _reduction("ReduceMean"),
    reduce.Max: _reduction("ReduceMax"), reduce.Min: _reduction("ReduceMin"),
    reduce.Prod: _reduction("ReduceProd"), reduce.Std: _std, reduce.LogSumExp: _reduction("ReduceLogSumExp"),
    shape.Reshape: _reshape, shape.Transpose: _transpose, shape.BroadcastTo: _broadcast_to,
    shape.Concatenate: _concatenate, shape.Stack: _stack, shape.GetItem: _getitem,
    conv.Conv2d: _conv2d, conv.MaxPool2d: _max_pool2d,
    "greater": _compare("Greater"), "less": _compare("Less"), "greater_equal": _compare("GreaterOrEqual"),
    "less_equal": _compare("LessOrEqual"), "equal": _compare("Equal"), "not_equal": _compare("Equal", True),
    "logical_and": _compare("And"), "logical_or": _compare("Or"), "invert": _unary("Not"),
}


# Function classes made by ops declared as functions, by the name users call.
_CALLED = {conv.Conv2d: "conv2d", conv.MaxPool2d: "max_pool2d", elementwise.Cast: "astype", activations.GeluTanh: "gelu",
           nn_ops.LayerNorm: "layer_norm"}


def _op_name(op):
    """The name users call an op by: its registered name (``floor_divide``, ``getitem``)."""
    if isinstance(op, str):
        return op
    if op in _CALLED:
        return _CALLED[op]
    for name, declaration in OPS.items():
        if declaration.op is op:
            return name.removeprefix("Tensor.")
    return op.__name__.lower()


def supported_ops():
    """The names of the ops that export (composite ops such as gelu, selu, conv1d, avg_pool2d, var,
    flatten export through the ops they are made of)."""
    return sorted({_op_name(op) for op in EXPORTS})


# ---------------------------------------------------------------- export
def export(fn, example_inputs, path, input_names=None, output_names=None, dynamic_batch=True, opset=OPSET,
           names=None):
    """Trace ``fn`` on ``example_inputs`` and write it to ``path`` as an ONNX model; return the ModelProto.

    ``fn``: a function of tensors (or arrays) returning a Tensor or a list/tuple of them.
    ``example_inputs``: a list of arrays or Tensors (one per argument of ``fn``); their values
    only drive the trace.  ``input_names``/``output_names``: the ONNX names (default input,
    input_1, ... and output, output_1, ...).  ``dynamic_batch``: axis 0 of every input (and of the
    outputs that carry it) is left free, named "batch".  ``opset``: ONNX's operator set (17 or later).
    ``names``: ``{name: Tensor}`` giving parameters their initializer names (e.g. a model's
    ``named_parameters()``); otherwise a parameter is named by its own name and scope.
    """
    onnx = _need_onnx()
    if not isinstance(opset, int) or not 17 <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"export: opset must be an integer from 17 to {onnx.defs.onnx_opset_version()} (the onnx "
                         f"package's newest), got {opset!r}")
    if isinstance(example_inputs, (Tensor, np.ndarray)):
        example_inputs = [example_inputs]
    inputs = []
    for i, x in enumerate(example_inputs):
        array = np.array(x.data if isinstance(x, Tensor) else x)
        if array.dtype.kind != "f":
            raise ExportError(f"export: example input {i} is {array.dtype}; export traces floating inputs (integer "
                              "inputs such as token ids are not supported yet)")
        inputs.append(Tensor(array, requires_grad=True))
    if not inputs:
        raise ExportError("export: give at least one example input")
    batch = inputs[0].shape[0] if inputs[0].ndim else None
    if dynamic_batch and (batch is None or any(t.ndim == 0 or t.shape[0] != batch for t in inputs)):
        raise ExportError(f"export: with dynamic_batch=True every input has the batch on axis 0, the same for all; "
                          f"got shapes {[t.shape for t in inputs]} (pass dynamic_batch=False for fixed shapes)")
    input_names = _names(input_names, len(inputs), "input")

    trace, result = _trace(fn, inputs)
    single = not isinstance(result, (list, tuple))
    outputs = [result] if single else list(result)
    if not outputs or not all(isinstance(t, Tensor) for t in outputs):
        raise ExportError(f"export: the function must return a Tensor or a list of Tensors, got {type(result).__name__}")
    output_names = _names(output_names, len(outputs), "output")

    known = {}
    for name, t in (names or {}).items():
        known[id(t)] = known[id(t.data)] = name
    for t in _leaves(outputs, inputs, trace):       # parameters named by themselves: dense/kernel
        if t.name and id(t) not in known:
            known[id(t)] = known.setdefault(id(t.data), f"{t.scope}/{t.name}" if t.scope else t.name)
    g = Graph(onnx, opset, batch, dynamic_batch, known)
    g.taken |= set(input_names) | set(output_names)
    for t, name in zip(inputs, input_names):
        g.values[id(t)] = name
        g.batched.add(name)

    for kind, op, ins, out in _ops_in_order(outputs, inputs, trace):
        builder = EXPORTS.get(op if kind == "note" else type(op))
        if builder is None:
            raise ExportError(f"export: the op {_op_name(type(op))!r} ({type(op).__name__}) has no ONNX row; the ops "
                              f"that export are {', '.join(supported_ops())} (add a row to autodiff.onnx.EXPORTS)")
        name = builder(g, op, ins, out)
        g.values[id(out)] = name
        if dynamic_batch and out.ndim and out.shape[0] == batch and any(g.values.get(id(t)) in g.batched
                                                                         for t in ins):
            g.batched.add(name)

    model = _model(g, inputs, input_names, outputs, output_names, trace)
    _write(onnx, model, path)
    return model


def _names(given, count, base):
    if given is None:
        return [base if i == 0 else f"{base}_{i}" for i in range(count)]
    given = [given] if isinstance(given, str) else list(given)
    if len(given) != count or len(set(given)) != count:
        raise ExportError(f"export: {count} distinct {base} names are needed, got {given!r}")
    return given


def _sources(t, inputs, trace):
    """('op', fn, inputs) for a tensor an op made while tracing, ('note', name, inputs) for a comparison's,
    None for an input or a constant."""
    if id(t) in inputs:
        return None
    node = t._node
    if node is not None and getattr(node, "traced_inputs", None) is not None:
        return "op", node, node.traced_inputs
    note = trace.notes.get(id(t))
    if note is None:
        return None
    return ("note" if isinstance(note[0], str) else "op"), note[0], note[1]


def _ops_in_order(outputs, inputs, trace):
    """Every traced op the outputs depend on, inputs before users (an iterative walk: deep graphs
    have no recursion limit)."""
    input_ids = {id(t) for t in inputs}
    order, seen, stack = [], set(), [(t, False) for t in reversed(outputs)]
    while stack:
        t, ready = stack.pop()
        if ready:
            kind, op, ins = _sources(t, input_ids, trace)
            order.append((kind, op, ins, t))
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        source = _sources(t, input_ids, trace)
        if source is None:
            continue
        stack.append((t, True))
        stack.extend((x, False) for x in reversed(source[2]) if id(x) not in seen)
    return order


def _leaves(outputs, inputs, trace):
    input_ids = {id(t) for t in inputs}
    for kind, op, ins, out in _ops_in_order(outputs, inputs, trace):
        for t in ins:
            if id(t) not in input_ids and _sources(t, input_ids, trace) is None:
                yield t


def _model(g, inputs, input_names, outputs, output_names, trace):
    onnx, helper = g.onnx, g.onnx.helper
    element = helper.np_dtype_to_tensor_dtype
    # Outputs: rename the node that makes each one (an Identity when it is an input, a constant or taken).
    renames, ends = {}, []
    for t, name in zip(outputs, output_names):
        value = g.values.get(id(t))
        if value is None:
            raise ExportError(f"export: output {name!r} does not depend on the inputs through autodiff's ops (was it "
                              "computed under no_grad, or through NumPy / .data?): there is nothing to export")
        made_here = any(value in node.output for node in g.nodes)
        if made_here and value not in renames and value not in input_names:
            renames[value] = name
        else:
            g.nodes.append(helper.make_node("Identity", [renames.get(value, value)], [name], name=name))
        ends.append((t, name, value in g.batched))
    for node in g.nodes:
        for field in (node.input, node.output):
            for i, v in enumerate(field):
                field[i] = renames.get(v, v)
    _drop_unused(g, output_names)

    def info(name, t, batched):
        shape = list(t.shape)
        if batched and g.dynamic_batch:
            shape[0] = BATCH
        return helper.make_tensor_value_info(name, element(t.dtype), shape)

    graph = helper.make_graph(
        g.nodes, "rosenblatt", [info(n, t, g.dynamic_batch) for t, n in zip(inputs, input_names)],
        [helper.make_tensor_value_info(name, element(t.dtype), None) for t, name, _ in ends], g.initializers)
    opsets = [helper.make_opsetid("", g.opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="rosenblatt",
                              ir_version=helper.find_min_ir_version_for(opsets))
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    shapes = {v.name: v.type.tensor_type.shape for v in inferred.graph.output}
    for t, name, batched in ends:
        dims = shapes[name].dim
        if g.dynamic_batch and batched and dims and dims[0].HasField("dim_value"):
            raise ExportError(f"export: output {name!r} has its batch axis fixed at {dims[0].dim_value}: a constant "
                              f"of the example's batch size ({g.batch}) entered the graph (a value computed through "
                              "NumPy or .data, or an op that builds a batch-sized constant); pass "
                              "dynamic_batch=False to export for this batch size only")
    del model.graph.output[:]
    model.graph.output.extend([info(name, t, batched) for t, name, batched in ends])
    onnx.checker.check_model(model, full_check=True)
    return model


def _drop_unused(g, output_names):
    """Nodes and initializers no output needs (transposes that folded away)."""
    needed, kept = set(output_names), []
    for node in reversed(g.nodes):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed |= {i for i in node.input if i}
    g.nodes = kept[::-1]
    g.initializers = [t for t in g.initializers if t.name in needed]


def _write(onnx, model, path):
    """Written whole or not at all: a temporary file beside the target, then renamed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".onnx-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(model.SerializeToString())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
