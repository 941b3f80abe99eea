"""The Tensor: a NumPy array, the op that made it, and its gradient.

Every method that computes something goes through ``Tensor.apply``, which runs
an op's forward on arrays and, when a gradient may be needed, records the op as
a node of the graph.  The gradient rules live beside each forward in ``ops/``.
"""
import math
import numbers
import weakref

import numpy as np

from . import engine, ops
from .mode import _State, current_scope
from .ops.reduce import normalize_axes

DEFAULT_FLOAT = np.dtype(np.float32)


def _to_array(data, dtype=None):
    """An ndarray from Python numbers, nested lists, arrays or Tensors.

    Python floats become float32 (the default float dtype, as in PyTorch and
    Keras); NumPy arrays and scalars keep their dtype unless one is asked for.
    """
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(data)
    if not isinstance(data, (np.ndarray, np.generic)):
        if array.dtype == np.float64 and dtype is None:
            array = array.astype(DEFAULT_FLOAT)
        if array.dtype == object:
            raise TypeError(f"cannot make a tensor from {type(data).__name__} {data!r:.60}: "
                            "use numbers, nested lists of numbers of equal lengths, or a NumPy array")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"tensors hold floating, integer or boolean numbers, not {array.dtype}")
    return array


def _check_can_require_grad(array, requires_grad):
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require grad, this one is {array.dtype}: "
                        f"create it with dtype=np.float32 (or float64)")


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    ``data`` is the NumPy array; ``grad`` the accumulated gradient (a Tensor of
    the same shape and dtype) after ``backward``; ``requires_grad`` marks the
    leaves to differentiate with respect to.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "scope", "_node", "_retains_grad",
                 "_in_graph", "__weakref__")
    __array_ufunc__ = None        # make NumPy defer: ndarray * Tensor calls Tensor.__rmul__

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _to_array(data, dtype)
        _check_can_require_grad(self.data, requires_grad)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        self.scope = current_scope()
        self._node = None
        self._retains_grad = False
        self._in_graph = False

    @classmethod
    def _wrap(cls, array, node=None):
        """A Tensor around an op's output array, without the checks of __init__."""
        t = object.__new__(cls)
        t.data = array
        t.grad = None
        t.requires_grad = node is not None
        t.name = None
        t.scope = node.scope if node is not None else None
        t._node = node
        t._retains_grad = False
        t._in_graph = False
        return t

    # ------------------------------------------------------------------ graph
    def apply(self, fn, *others):
        """Run Function ``fn`` on ``(self, *others)`` and record it when a gradient may be needed.

        ``others`` may be Tensors, arrays or numbers; numbers take this tensor's
        dtype so that a Python or NumPy scalar never promotes float32.
        """
        # One and two inputs spelled out: this runs for every op, forward and backward.
        if not others:
            inputs, arrays, needs = (self,), (self.data,), (self.requires_grad,)
        elif len(others) == 1:
            other = others[0] if isinstance(others[0], Tensor) else self._operand(others[0])
            inputs, arrays, needs = (self, other), (self.data, other.data), (self.requires_grad, other.requires_grad)
        else:
            inputs = (self, *[o if isinstance(o, Tensor) else self._operand(o) for o in others])
            arrays = [t.data for t in inputs]
            needs = tuple([t.requires_grad for t in inputs])
        record = _State.grad_enabled and True in needs
        if record:
            fn.parents = inputs
            fn.needs_input_grad = needs
            fn.scope = current_scope() if _State.scopes else None
        try:
            out = fn.forward(*arrays)
        except ValueError as exc:
            message = str(exc)
            if not message.startswith(fn.name):
                shapes = " and ".join(str(t.shape) for t in inputs)
                message = f"{fn.name} of shapes {shapes}: {message}"
            raise ValueError(message) from None
        if not isinstance(out, np.ndarray):
            out = np.asarray(out)
        if not record:
            return Tensor._wrap(out)
        for t in inputs:
            t._in_graph = True
        result = Tensor._wrap(out, fn)
        fn._output_ref = weakref.ref(result)
        return result

    def _operand(self, other):
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self.data.dtype.kind == "f":      # the common case, checked first
            return Tensor._wrap(np.asarray(other, dtype=self.data.dtype))
        if isinstance(other, (numbers.Number, np.generic)) and not isinstance(other, np.ndarray):
            if isinstance(other, (bool, np.bool_)):
                return Tensor._wrap(np.asarray(other))
            if self.data.dtype.kind == "f":
                return Tensor._wrap(np.asarray(other, dtype=self.data.dtype))
            if isinstance(other, (float, np.floating)):
                return Tensor._wrap(np.asarray(other, dtype=DEFAULT_FLOAT))
            return Tensor._wrap(np.asarray(other))
        if isinstance(other, (np.ndarray, list, tuple)):
            return Tensor(other)
        raise TypeError(f"unsupported operand type for a Tensor op: {type(other).__name__}")

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (PyTorch semantics).

        ``grad`` is the upstream gradient; it may be left out only for a
        one-element tensor.  The graph is freed afterwards unless
        ``retain_graph`` (which defaults to ``create_graph``).
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph: create the "
                               "inputs with requires_grad=True, outside no_grad()")
        engine.backward([self], [_upstream(self, grad, "backward")],
                        retain_graph=create_graph if retain_graph is None else retain_graph,
                        create_graph=create_graph)

    def retain_grad(self):
        """Keep ``.grad`` on this intermediate tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        self._retains_grad = True
        return self

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        """The Function node that produced this tensor, or None for a leaf."""
        return self._node

    def detach(self):
        """The same data, cut off from the graph."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad=True):
        _check_can_require_grad(self.data, requires_grad)
        if self._node is not None and not requires_grad:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    # -------------------------------------------------------- NumPy-like face
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    T = property(lambda self: self.transpose())
    mT = property(lambda self: self.swapaxes(-1, -2))

    def numpy(self):
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    __hash__ = object.__hash__      # == builds a tensor, so identity is the hash

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=60, edgeitems=3)
        extras = [f"dtype={self.dtype.name}"] if self.dtype != DEFAULT_FLOAT else []
        if self._node is not None:
            extras.append(f"grad_fn={self._node.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    def __setitem__(self, index, value):
        if self.requires_grad or self._in_graph:
            raise RuntimeError(
                f"cannot assign into a tensor of shape {self.shape} that "
                f"{'requires grad' if self.requires_grad else 'a recorded graph uses'}: "
                "it would silently make gradients wrong. Build a new tensor (for example with where()), "
                "or assign to a copy made with t.detach().numpy().copy()")
        self.data[index] = value.data if isinstance(value, Tensor) else value

    # ------------------------------------------------------------- arithmetic
    def _binary(self, fn, other, reverse=False):
        if not isinstance(other, Tensor):
            try:
                other = self._operand(other)
            except TypeError:
                return NotImplemented
        return other.apply(fn, self) if reverse else self.apply(fn, other)

    def __add__(self, other): return self._binary(ops.Add(), other)
    def __radd__(self, other): return self._binary(ops.Add(), other, reverse=True)
    def __sub__(self, other): return self._binary(ops.Sub(), other)
    def __rsub__(self, other): return self._binary(ops.Sub(), other, reverse=True)
    def __mul__(self, other): return self._binary(ops.Mul(), other)
    def __rmul__(self, other): return self._binary(ops.Mul(), other, reverse=True)
    def __truediv__(self, other): return self._binary(ops.Div(), other)
    def __rtruediv__(self, other): return self._binary(ops.Div(), other, reverse=True)
    def __pow__(self, other): return self._binary(ops.Pow(), other)
    def __rpow__(self, other): return self._binary(ops.Pow(), other, reverse=True)
    def __matmul__(self, other): return self._binary(ops.MatMul(), other)
    def __rmatmul__(self, other): return self._binary(ops.MatMul(), other, reverse=True)
    def __neg__(self): return self.apply(ops.Neg())
    def __pos__(self): return self
    def __abs__(self): return self.abs()

    # Comparisons give boolean tensors, outside the graph.
    def _compare(self, np_fn, other):
        try:
            other = self._operand(other)
        except TypeError:
            return NotImplemented
        return Tensor._wrap(np_fn(self.data, other.data))

    def __lt__(self, other): return self._compare(np.less, other)
    def __le__(self, other): return self._compare(np.less_equal, other)
    def __gt__(self, other): return self._compare(np.greater, other)
    def __ge__(self, other): return self._compare(np.greater_equal, other)
    def __eq__(self, other): return self._compare(np.equal, other)
    def __ne__(self, other): return self._compare(np.not_equal, other)
    def __invert__(self): return Tensor._wrap(~self.data)
    def __and__(self, other): return self._compare(np.logical_and, other)
    def __or__(self, other): return self._compare(np.logical_or, other)

    def matmul(self, other): return self @ other
    def abs(self): return self.apply(ops.Abs())
    def sqrt(self): return self.apply(ops.Sqrt())
    def exp(self): return self.apply(ops.Exp())
    def log(self): return self.apply(ops.Log())
    def relu(self): return self.apply(ops.Relu())
    def sigmoid(self): return self.apply(ops.Sigmoid())
    def tanh(self): return self.apply(ops.Tanh())
    def maximum(self, other): return self.apply(ops.Maximum(), other)
    def minimum(self, other): return self.apply(ops.Minimum(), other)

    def clip(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        return self.apply(ops.Clip(low=min, high=max))

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's Tensor.where)."""
        condition = _condition_array(condition)
        return self.apply(ops.Where(condition=condition), other)

    def astype(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return self.apply(ops.Cast(dtype=dtype))

    def float(self):
        return self.astype(DEFAULT_FLOAT)

    def clone(self):
        """A copy with its own buffer; gradients flow through it."""
        return self.apply(ops.Cast(dtype=self.dtype)) if self.requires_grad else Tensor._wrap(self.data.copy())

    def softmax(self, axis=-1): return self.apply(ops.Softmax(axis=axis))
    def log_softmax(self, axis=-1): return self.apply(ops.LogSoftmax(axis=axis))

    def logsumexp(self, axis=None, keepdims=False):
        normalize_axes(axis, self.ndim, "logsumexp")
        return self.apply(ops.LogSumExp(axis=axis, keepdims=keepdims))

    # ------------------------------------------------------------- reductions
    def _reduce(self, fn_cls, axis, keepdims):
        normalize_axes(axis, self.ndim, fn_cls.__name__.lower())
        if isinstance(axis, list):
            axis = tuple(axis)
        return self.apply(fn_cls(axis=axis, keepdims=keepdims))

    def sum(self, axis=None, keepdims=False): return self._reduce(ops.Sum, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return self._reduce(ops.Mean, axis, keepdims)
    def max(self, axis=None, keepdims=False): return self._reduce(ops.Max, axis, keepdims)
    def min(self, axis=None, keepdims=False): return self._reduce(ops.Min, axis, keepdims)

    def argmax(self, axis=None):
        return Tensor._wrap(np.asarray(self.data.argmax(axis=axis)))

    def argmin(self, axis=None):
        return Tensor._wrap(np.asarray(self.data.argmin(axis=axis)))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.data.shape:
            return self
        try:
            target = _resolve_shape(self.shape, shape)
        except ValueError as exc:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({self.size} elements) into {shape}: {exc}") from None
        if target == self.shape:
            return self
        return self.apply(ops.Reshape(shape=target))

    def transpose(self, *axes):
        if not axes and self.data.ndim == 2:          # the common case: a matrix
            return self.apply(ops.Transpose(axes=(1, 0)))
        axes = _shape_arg(axes) if axes else None
        if axes is not None:
            if len(axes) != self.ndim or sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
                raise ValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes "
                                 f"of a tensor of shape {self.shape}")
            axes = tuple(a % self.ndim for a in axes)
        else:
            axes = tuple(range(self.ndim))[::-1]
        if axes == tuple(range(self.ndim)):
            return self
        return self.apply(ops.Transpose(axes=axes))

    def swapaxes(self, axis1, axis2):
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.apply(ops.Transpose(axes=tuple(axes))) if axis1 % self.ndim != axis2 % self.ndim else self

    def flatten(self, start_dim=0, end_dim=-1):
        """Join axes start_dim..end_dim into one (all of them by default, like NumPy's flatten)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (math.prod(self.shape[start:end + 1]),) + self.shape[end + 1:]
        return self.reshape(shape)

    def expand_dims(self, axis):
        return self.reshape(np.expand_dims(np.empty(self.shape, dtype=bool), axis).shape)

    def squeeze(self, axis=None):
        try:
            return self.reshape(np.squeeze(np.empty(self.shape, dtype=bool), axis).shape)
        except ValueError as exc:
            raise ValueError(f"squeeze: {exc} (tensor of shape {self.shape})") from None

    def broadcast_to(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, shape)
            if len(shape) < self.ndim or np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError("the tensor is larger than the target")
        except ValueError as exc:
            raise ValueError(f"broadcast_to: cannot broadcast shape {self.shape} to {shape}: {exc}") from None
        return self.apply(ops.BroadcastTo(shape=shape))

    def __getitem__(self, index):
        index = _index_arg(index)
        try:
            return self.apply(ops.GetItem(index=index))
        except IndexError as exc:
            raise IndexError(f"getitem: {exc} (tensor of shape {self.shape})") from None


# -------------------------------------------------------------------- helpers
def _shape_arg(args):
    """Accept both ``reshape(2, 3)`` and ``reshape((2, 3))``, as NumPy does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(n) for n in args)


def _resolve_shape(shape, target):
    size = math.prod(shape)
    if target.count(-1) > 1:
        raise ValueError("only one axis may be -1")
    known = math.prod(n for n in target if n != -1)
    if -1 in target:
        if known == 0 or size % known:
            raise ValueError(f"{size} elements do not divide into axes of {known}")
        target = tuple(size // known if n == -1 else n for n in target)
    if math.prod(target) != size or any(n < 0 for n in target):
        raise ValueError(f"{size} elements do not fit")
    return target


def _index_arg(index):
    """Plain NumPy index: Tensors inside an index become their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _condition_array(condition):
    array = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if array.dtype != bool:
        raise TypeError(f"where: the condition must be boolean, got {array.dtype}; compare first, e.g. x > 0")
    return array


def _upstream(output, grad, op):
    """The gradient fed into ``output``: given, or 1 for a one-element output."""
    if grad is None:
        if output.size != 1:
            raise RuntimeError(f"{op}: the output has shape {output.shape}, so its gradient must be given "
                               "(pass grad=..., or reduce it to a scalar first, e.g. with .sum())")
        return Tensor._wrap(np.ones(output.shape, dtype=output.dtype))
    grad = grad if isinstance(grad, Tensor) else Tensor(np.asarray(grad, dtype=output.dtype))
    if grad.shape != output.shape:
        raise ValueError(f"{op}: the gradient has shape {grad.shape} but the output has shape {output.shape}")
    if grad.dtype != output.dtype:
        grad = grad.astype(output.dtype)
    return grad


# ---------------------------------------------------------------- functions
def tensor(data, requires_grad=False, dtype=None, name=None):
    """Make a Tensor: Python floats become float32, NumPy arrays keep their dtype."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is left alone.

    ``retain_graph`` defaults to ``create_graph``.  An input that the outputs
    do not depend on is an error unless ``allow_unused``, which gives None.
    """
    single_output = isinstance(outputs, Tensor)
    outputs = [outputs] if single_output else list(outputs)
    inputs_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)) and single_output:
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for t in inputs_list:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor with requires_grad=True")
    roots, upstream = [], []
    for out, g in zip(outputs, grad_outputs):
        if out.requires_grad:
            roots.append(out)
            upstream.append(_upstream(out, g, "grad"))
    if not roots:
        raise RuntimeError("grad: none of the outputs requires grad, so there is no graph to differentiate")
    found = engine.backward(roots, upstream, retain_graph=create_graph if retain_graph is None else retain_graph,
                            create_graph=create_graph, inputs=inputs_list)
    for t, g in zip(inputs_list, found):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: an input of shape {t.shape} is not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(found)


def zeros(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, name=None):
    return Tensor(np.zeros(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def ones(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, name=None):
    return Tensor(np.ones(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full(shape, value, dtype=DEFAULT_FLOAT, requires_grad=False, name=None):
    return Tensor(np.full(_shape_arg((shape,)), value, dtype=dtype), requires_grad=requires_grad, name=name)


def arange(*args, dtype=None):
    return Tensor(np.arange(*args, dtype=dtype))


_generator = np.random.default_rng()


def seed(n):
    """Seed the generator behind randn and rand (and nn's initializers)."""
    global _generator
    _generator = np.random.default_rng(n)


def _rng(seed_value):
    return _generator if seed_value is None else np.random.default_rng(seed_value)


def randn(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, seed=None, name=None):
    """Standard normal samples; ``seed`` gives a reproducible draw, else ``ad.seed`` governs."""
    data = _rng(seed).standard_normal(_shape_arg(shape), dtype=np.dtype(dtype).type)
    return Tensor(data, requires_grad=requires_grad, name=name)


def rand(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, seed=None, name=None):
    """Uniform samples in [0, 1)."""
    data = _rng(seed).random(_shape_arg(shape), dtype=np.dtype(dtype).type)
    return Tensor(data, requires_grad=requires_grad, name=name)
