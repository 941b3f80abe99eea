"""The Tensor: an array, the node that made it, and its gradient; and ``apply``, which runs an op.

A Tensor is mostly data.  Its methods that compute (``exp``, ``sum``, ``+``,
``backward``, ...) are attached where each op is declared, by
``autodiff.registry.register``: an op is declared in one place.
"""
import operator
import weakref

from . import anomaly, backend, numpy_protocol
from .mode import _state, current_scope

DEFAULT_FLOAT = backend.float32


class UnsupportedOperand(TypeError):
    """An operand no op can take; operators answer NotImplemented to it."""


def _to_array(data, dtype=None, copy=False):
    """An array from Python numbers, nested lists, arrays or Tensors (copied when ``copy``).

    Python floats become float32 (the default float dtype, as in PyTorch and
    Keras); arrays and NumPy scalars keep their dtype unless one is asked for.
    """
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)) and _holds_graph(data):
        raise TypeError("tensor: the list holds tensors that require grad, and an array of their values would "
                        "silently cut them off the graph; use ad.stack([...]) (or ad.concatenate) to keep it")
    array = backend.asarray(data)
    if not backend.is_array(data) and not isinstance(data, backend.SCALAR_TYPES[1]):
        if array.dtype == backend.float64 and dtype is None:
            array = array.astype(DEFAULT_FLOAT)
        if array.dtype == object:
            raise TypeError(f"cannot make a tensor from {type(data).__name__} {data!r:.60}: "
                            "use numbers, nested lists of numbers of equal lengths, or an array")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"tensors hold floating, integer or boolean numbers, not {array.dtype}"
                        + (": take the real part (x.real) or the magnitude (abs(x)) first" if array.dtype.kind == "c"
                           else ""))
    return array.copy() if copy and array is data else array


def _holds_graph(items):
    return any(isinstance(x, Tensor) and x.requires_grad or isinstance(x, (list, tuple)) and _holds_graph(x)
               for x in items)


def _check_can_require_grad(array, requires_grad):
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require grad, this one is {array.dtype}: "
                        f"create it with dtype=np.float32 (or float64)")


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    ``data`` is the array; ``grad`` the accumulated gradient (a Tensor of the same shape and dtype)
    after ``backward``; ``requires_grad`` marks the leaves to differentiate with respect to.  Every op
    is also a method (``t.exp()``, ``t.sum(axis=0)``, ``t @ w``), and NumPy's functions run on
    Tensors through autodiff's ops (``np.exp(t)``).  ``ad.tensor(data)`` is the usual way to make one.

    Args:
        data: the values: a number, a nested list of numbers, an array or a Tensor (its values).
            Python floats become float32 (the default float dtype, as in PyTorch and Keras); Python
            integers and booleans stay integers and booleans; arrays and NumPy scalars keep their dtype.
        requires_grad: whether gradients are computed for this tensor (default False); only floating
            tensors can.
        dtype: the dtype to convert the values to (a NumPy dtype or its name); None (the default): as above.
        name: a name shown in graph drawings (default None).
        copy: copy an array given as ``data`` (the default); False shares its memory when no conversion
            is needed.

    Raises:
        TypeError: for values that are not real numbers (objects, complex numbers, strings), a list
            holding tensors that require grad (use ``ad.stack`` to keep the graph), or
            ``requires_grad=True`` on a tensor that is not floating.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "scope", "_node", "_retains_grad",
                 "_versions", "__weakref__")
    # ------------------------------------------------- NumPy's own functions
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.exp(t)``, ``ndarray * t``: NumPy's ufuncs on Tensors run the op of the same name and record."""
        return numpy_protocol.call_ufunc(self, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """``np.sum(t, axis=0)``, ``np.concatenate([a, b])``: NumPy's functions on Tensors run autodiff's."""
        return numpy_protocol.call_function(self, func, args, kwargs)

    def __init__(self, data, requires_grad=False, dtype=None, name=None, copy=True):
        self.data = _to_array(data, dtype, copy)
        _check_can_require_grad(self.data, requires_grad)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        self.scope = current_scope()
        self._node = None
        self._retains_grad = False
        self._versions = None

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
        t._versions = None
        return t

    def apply(self, fn, *others):
        """Run the Function instance ``fn`` on ``(self, *others)``: ``autodiff.extend.apply(fn, self, *others)``.

        Args:
            fn: a new instance of a Function subclass (one per call).
            *others: its other inputs: Tensors, arrays or numbers.

        Returns:
            A Tensor: ``fn``'s output, recorded in the graph when grad mode is on and an input requires grad.
        """
        return apply(fn, self, *others)

    def _operand(self, other):
        """``other`` as a Tensor; numbers take this tensor's dtype, so they never promote float32."""
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self.data.dtype.kind == "f":      # the common case, checked first
            return Tensor._wrap(backend.asarray(other, dtype=self.data.dtype))
        if isinstance(other, backend.SCALAR_TYPES) and not backend.is_array(other):
            if isinstance(other, bool) or getattr(other, "dtype", None) == bool:
                return Tensor._wrap(backend.asarray(other))
            if self.data.dtype.kind == "f":
                return Tensor._wrap(backend.asarray(other, dtype=self.data.dtype))
            if isinstance(other, float) or getattr(other, "dtype", backend.float32).kind == "f":
                return Tensor._wrap(backend.asarray(other, dtype=DEFAULT_FLOAT))
            return Tensor._wrap(backend.asarray(other))
        if backend.is_array(other) or isinstance(other, (list, tuple)):
            return Tensor(other, copy=False)
        if other is None:
            raise TypeError(f"a Tensor op (on a tensor of shape {self.shape}) got None as an operand: if it is a "
                            "weight's .grad, backward() has not run since the gradients were cleared, or this "
                            "weight does not reach the loss")
        raise UnsupportedOperand(f"unsupported operand type for a Tensor op: {type(other).__name__}")

    def retain_grad(self):
        """Keep ``.grad`` on this intermediate tensor after backward (leaves keep theirs anyway).

        Returns:
            This tensor.

        Raises:
            RuntimeError: when it does not require grad.
        """
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
        """The same data, cut off from the graph (as PyTorch's detach).

        Writes through the result are seen by backward: the two share their version counter, so a graph
        that kept these values refuses to use them once changed.

        Returns:
            A Tensor sharing this tensor's data (no copy), with ``requires_grad`` False.
        """
        t = Tensor._wrap(self.data)
        t._versions = self._version_counter()
        return t

    def _version_counter(self):
        """The counter of in-place writes, shared with detached aliases (made on first need)."""
        if self._versions is None:
            self._versions = [0]
        return self._versions

    @property
    def version(self):
        """How many in-place writes (``t[i] = v``) this tensor's data has seen, as PyTorch's ``_version``."""
        return self._versions[0] if self._versions is not None else 0

    def requires_grad_(self, requires_grad=True):
        """Turn gradients for this leaf on or off, in place (PyTorch's ``requires_grad_``).

        Args:
            requires_grad: True (the default) to compute gradients for this tensor, False to stop.

        Returns:
            This tensor.

        Raises:
            TypeError: when turning it on for a tensor that is not floating.
            RuntimeError: when turning it off for a tensor made by an op (use ``detach()``).
        """
        _check_can_require_grad(self.data, requires_grad)
        if self._node is not None and not requires_grad:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------- copy and pickle
    def __getstate__(self):
        """A leaf copies (data, grad, name); a tensor made by an op refuses, as in PyTorch."""
        if self._node is not None:
            raise RuntimeError("only leaf tensors (made by you, not by an op) can be copied or pickled: "
                               "detach() the result first, or copy the leaves and recompute")
        return {"data": self.data, "grad": self.grad, "requires_grad": self.requires_grad, "name": self.name,
                "scope": self.scope}

    def __setstate__(self, state):
        for key in Tensor.__slots__[:-1]:
            object.__setattr__(self, key, None)
        self._retains_grad = False
        for key, value in state.items():
            object.__setattr__(self, key, value)

    # -------------------------------------------------------- NumPy-like face
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def numpy(self):
        """The values as a NumPy array (the tensor's own array, not a copy; on a GPU backend, a copy on the host).

        Returns:
            A NumPy array of the tensor's shape and dtype.
        """
        return backend.to_host(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number.

        Returns:
            A Python float, int or bool.

        Raises:
            ValueError: when the tensor has more than one element (or none).
        """
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as nested Python lists of numbers, as NumPy's ``tolist``.

        Returns:
            Nested lists, one level per dimension (a Python number for a 0-d tensor).
        """
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        """NumPy's implicit conversion (``np.asarray(t)``, a NumPy function given a list of tensors, plotting).

        A tensor that requires grad refuses it while grad mode records, as PyTorch refuses ``.numpy()``:
        the array would silently cut the result off the graph (``np.mean([x, x + 2])`` would be a
        constant).  Say what is meant instead: ``t.numpy()`` or ``t.detach()`` for the values,
        ``ad.stack([...])`` to keep the graph, or convert under ``ad.no_grad()``.
        """
        if self.requires_grad and _state.grad_enabled:
            raise TypeError(
                f"a tensor of shape {self.shape} that requires grad was converted to a NumPy array, which would "
                "silently drop its gradient (NumPy functions given a list of tensors convert them). Keep the "
                "graph with autodiff's ops (np.mean(ad.stack([x, y])) instead of np.mean([x, y])), or take "
                "the values on purpose: t.numpy(), t.detach(), or inside `with ad.no_grad():`")
        array = backend.to_host(self.data)
        if copy:
            return array.astype(dtype or array.dtype, copy=True)
        return array if dtype is None else array.astype(dtype, copy=False)

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
        body = backend.format_array(self.data, prefix="Tensor(")
        extras = [f"dtype={self.dtype.name}"] if self.dtype != DEFAULT_FLOAT else []
        if self._node is not None:
            extras.append(f"grad_fn={self._node.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    def __setitem__(self, index, value):
        """Write in place.  Refused on a tensor that requires grad; a graph that kept this
        tensor for its backward notices the write and refuses to use the changed values."""
        if self.requires_grad:
            raise RuntimeError(
                f"cannot assign into a tensor of shape {self.shape} that requires grad: it would silently make "
                "gradients wrong. Build a new tensor instead: ad.where(mask, values, t) or "
                "ad.put_along_axis(t, indices, values, axis) record the update; or assign into a copy made "
                "with t.detach().numpy().copy()")
        self.data[index_arg(index)] = value.data if isinstance(value, Tensor) else value
        self._version_counter()[0] += 1

    def _in_place(self, ufunc, other):
        """``t += v`` (and -=, *=, /=) in the tensor's own memory, as PyTorch: for an optimizer's update
        inside ``no_grad()``, or when no gradient is involved.  While recording, a tensor in a graph
        gets a new tensor instead (``t = t + v``); a leaf that requires grad refuses, as in PyTorch."""
        number = other if isinstance(other, (int, float)) and not isinstance(other, bool) else None
        try:
            other = self._operand(other)
        except UnsupportedOperand:
            return NotImplemented
        if _state.grad_enabled and (self.requires_grad or other.requires_grad):
            if self.requires_grad and self.is_leaf:
                raise RuntimeError(f"in-place {ufunc} on a leaf tensor of shape {self.shape} that requires grad: "
                                   "update weights inside `with ad.no_grad():` (as in PyTorch), or make a new "
                                   "tensor (w = w - lr * g)")
            return NotImplemented
        value = other.data if number is None else number      # a Python number keeps the tensor's dtype
        try:
            getattr(backend.xp(self.data), ufunc)(self.data, value, out=self.data, casting="same_kind")
        except TypeError:
            raise TypeError(f"in-place {ufunc}: the result cannot be stored in this {self.dtype} tensor of shape "
                            f"{self.shape} (NumPy's same-kind casting); make a new tensor instead (t = t / v, ...)") from None
        self._version_counter()[0] += 1
        return self

    def zero_(self):
        """Fill with zeros in place, as PyTorch's ``t.grad.zero_()``: ``copy_(0)``.

        A read-only buffer (a broadcast gradient, which nothing else can see change) is replaced by zeros instead.

        Returns:
            This tensor.

        Raises:
            RuntimeError: when it requires grad and grad mode is on (write inside ``ad.no_grad()``).
        """
        if self.data.flags.writeable:
            return self.copy_(0, op="zero_")
        self._refuse_write_while_recording("zero_")
        self.data = backend.xp(self.data).zeros(self.data.shape, dtype=self.data.dtype)
        return self.increment_version()

    def copy_(self, value, op="copy_"):
        """Write ``value`` into this tensor's own memory, as PyTorch's ``copy_``.

        The one writer of a weight's values (moving statistics, ``set_weights``, loading).  The version counter
        moves on, so a graph that kept the old values refuses a later backward instead of giving a wrong
        gradient.  A tensor that requires grad is written only with grad mode off (``with ad.no_grad():``).

        Args:
            value: an array, a number or a Tensor, broadcast to this tensor's shape and cast to its dtype.
            op: the name error messages give for the write (``zero_`` passes its own; default ``"copy_"``).

        Returns:
            This tensor.

        Raises:
            RuntimeError: when it requires grad and grad mode is on.
            ValueError: when its data is read-only.
        """
        self._refuse_write_while_recording(op)
        if not self.data.flags.writeable:
            raise ValueError(f"{op}: this tensor's data (shape {self.shape}) is read-only; give it a writeable "
                             "copy first")
        self.data[...] = value.data if isinstance(value, Tensor) else value
        return self.increment_version()

    def _refuse_write_while_recording(self, op):
        if self.requires_grad and _state.grad_enabled:
            raise RuntimeError(f"{op} on a tensor of shape {self.shape} that requires grad would change a graph's "
                               "values behind it: write it inside `with ad.no_grad():` (as in PyTorch), or make a "
                               "new tensor")

    def increment_version(self):
        """Say that this tensor's data was written in place by code that writes the array itself.

        For an optimizer's fused kernel, as PyTorch's ``torch.autograd.graph.increment_version``: a graph that
        kept the old values then refuses backward, as after ``copy_``.

        Returns:
            This tensor.
        """
        self._version_counter()[0] += 1
        return self

    def __iadd__(self, other): return self._in_place("add", other)
    def __isub__(self, other): return self._in_place("subtract", other)
    def __imul__(self, other): return self._in_place("multiply", other)
    def __itruediv__(self, other): return self._in_place("true_divide", other)

    # Comparisons and logic give boolean tensors, outside the graph.
    def _compare(self, name, other):
        if other is None:
            return NotImplemented           # t == None is False, as for any object
        try:
            other = self._operand(other)
        except UnsupportedOperand:
            return NotImplemented
        result = Tensor._wrap(getattr(backend.xp(self.data), name)(self.data, other.data))
        if _state.tracer is not None:    # not an op of the graph, but an export must see where masks come from
            _state.tracer.note(name, (self, other), result)
        return result

    def __lt__(self, other): return self._compare("less", other)
    def __le__(self, other): return self._compare("less_equal", other)
    def __gt__(self, other): return self._compare("greater", other)
    def __ge__(self, other): return self._compare("greater_equal", other)
    def __eq__(self, other): return self._compare("equal", other)
    def __ne__(self, other): return self._compare("not_equal", other)
    def __and__(self, other): return self._compare("logical_and", other)
    def __or__(self, other): return self._compare("logical_or", other)
    def __invert__(self):
        result = Tensor._wrap(~self.data)
        if _state.tracer is not None:
            _state.tracer.note("invert", (self,), result)
        return result

    def __pos__(self): return self


def apply(fn, *inputs):
    """Run the Function instance ``fn`` on ``inputs``: Tensors, arrays or numbers.

    With a Tensor among them, numbers and arrays become Tensors (numbers in the first floating Tensor's
    dtype, so a Python or NumPy scalar never promotes float32), the result is a Tensor, and ``fn`` is
    recorded as a node of the graph when grad mode is on and some input requires grad.  With no Tensor
    the forward simply runs on the arrays and returns an array: that is how one gradient rule serves both
    the plain backward (arrays) and ``create_graph`` (Tensors).

    Args:
        fn: a new instance of a Function subclass, its settings given to its constructor; an instance
            records one call (make a new one for each call).
        *inputs: the inputs of ``fn.forward``, in order.

    Returns:
        A Tensor of what ``fn.forward`` returned, or that array itself when no input is a Tensor.

    Raises:
        RuntimeError: when ``fn`` already recorded a call.
        ValueError: from the forward, its message prefixed with the op's name and the shapes (IndexError too).
    """
    if inputs and isinstance(inputs[0], Tensor) and len(inputs) <= 2:
        # The one fast path, measured with benchmarks/overhead.py: a unary or binary op on a Tensor
        # (nearly every call); the other operand takes this tensor's dtype.
        x = inputs[0]
        if len(inputs) == 1:
            tensors, arrays, needs = inputs, (x.data,), (x.requires_grad,)
        else:
            y = x._operand(inputs[1])
            tensors, arrays, needs = (x, y), (x.data, y.data), (x.requires_grad, y.requires_grad)
    else:
        tensors = [x for x in inputs if isinstance(x, Tensor)]
        if not tensors:
            return fn.forward(*[_plain(x) for x in inputs])
        if len(tensors) < len(inputs):
            # Numbers and arrays take the dtype of the first floating tensor (where's condition is boolean).
            first = next((t for t in tensors if t.data.dtype.kind == "f"), tensors[0])
            tensors = [first._operand(x) for x in inputs]
        arrays = [t.data for t in tensors]
        needs = tuple([t.requires_grad for t in tensors])
    record = True in needs and _state.grad_enabled
    if record:
        fn.needs_input_grad = needs
    if fn._output_ref is not None:
        raise RuntimeError(f"{fn.name}: this Function instance already recorded a call, and running it again "
                           f"would rewire that graph; make a new instance for each call ({type(fn).__name__}())")
    try:
        out = fn.forward(*arrays)
    except (ValueError, IndexError) as exc:
        message = str(exc)
        if not message.startswith(fn.name):
            shapes = " and ".join(str(t.shape) for t in tensors)
            message = f"{fn.name} of shapes {shapes}: {message}"
        raise type(exc)(message) from None
    if not isinstance(out, backend.ARRAY_TYPES):
        out = backend.asarray(out)
    if _state.anomaly:
        anomaly.check_forward(fn, tensors, out)
        if record:
            fn.created_at = anomaly.creation_site()
    if not record:
        result = Tensor._wrap(out)
        if _state.tracer is not None:    # an export also follows ops on values without gradient (masks)
            _state.tracer.note(fn, tensors, result)
        return result
    _record(fn, tensors, out)
    result = Tensor._wrap(out, fn)
    fn._output_ref = weakref.ref(result)
    return result


def _record(fn, tensors, out):
    """Make ``fn`` a node: its edges to the inputs' nodes (or leaves), their shapes, what backward keeps."""
    if len(tensors) == 1:                 # spelled out: this runs for every recorded op
        (t,) = tensors
        fn.parents, fn.shapes, fn.dtypes = (t._node or t,), (t.data.shape,), (t.data.dtype,)
    else:
        fn.parents = tuple([t._node or (t if t.requires_grad else None) for t in tensors])
        fn.shapes = tuple([t.data.shape for t in tensors])
        fn.dtypes = tuple([t.data.dtype for t in tensors])
    keep = fn.retain_inputs
    if keep:
        fn.retained = retained = tensors if len(keep) == len(tensors) else tuple([tensors[i] for i in keep])
        if any([t._versions is not None for t in retained]):      # else every version is 0
            fn.versions = tuple([t.version for t in retained])
    if fn.retain_output:
        fn.output_data = out
    if _state.keep_values:
        fn.kept_value = out
    if _state.scopes:
        fn.scope = current_scope()
    if _state.tracer is not None:        # an export traces: it reads every input, constants included
        fn.traced_inputs = tuple(tensors)


def array_of(x):
    """The array behind a Tensor, or ``x`` itself: how composite ops look at values.

    Args:
        x: a Tensor, an array or a number.

    Returns:
        ``x.data`` for a Tensor (the array itself, not a copy), else ``x``.
    """
    return x.data if isinstance(x, Tensor) else x


def _plain(x):
    """An input of an op run on arrays: lists become arrays; numbers stay numbers (they never promote)."""
    return backend.asarray(x) if isinstance(x, (list, tuple)) else x


# ---------------------------------------------------------------- constructors
def shape_arg(args, op="shape"):
    """Accept both ``zeros(2, 3)`` and ``zeros((2, 3))``, as NumPy does; entries must be integers."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if not all(hasattr(n, "__index__") and not isinstance(n, bool) for n in args):
        raise TypeError(f"{op}: a shape is made of integers, got {args}")
    return tuple(operator.index(n) for n in args)


def index_arg(index):
    """A plain NumPy index: Tensors, lists and tuples inside it become arrays.

    ``x[:, (1, 1)]`` and ``x[((0, 0),)]`` pick by integer arrays (NumPy reads a
    sequence inside an index tuple as an array), so their gradients accumulate;
    an empty list is an empty integer array, as in NumPy.
    """
    if isinstance(index, tuple):
        return tuple(_index_part(i) for i in index)
    return _index_part(index)


def _index_part(part):
    if isinstance(part, Tensor):
        return part.data
    if isinstance(part, (list, tuple)):
        array = backend.asarray(part)
        return array.astype(int) if array.size == 0 else array
    return part


def tensor(data, requires_grad=False, dtype=None, name=None):
    """A new Tensor holding a copy of ``data`` (as ``torch.tensor``).

    Args:
        data: a number, a nested list of numbers, an array or a Tensor.  Python floats become float32;
            Python integers stay integers (int64) and booleans booleans; arrays keep their dtype.
        requires_grad: whether gradients are computed for it (default False; floating tensors only).
        dtype: the dtype to convert to (a NumPy dtype or its name); None (the default): as above.
        name: a name shown in graph drawings.

    Returns:
        A leaf Tensor of ``data``'s shape.

    Raises:
        TypeError: for values that are not real numbers, or ``requires_grad`` on a non-floating tensor.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def as_tensor(data, dtype=None):
    """``data`` as a Tensor, sharing its memory when no conversion is needed (as ``torch.as_tensor``).

    Args:
        data: a Tensor, an array, a number or a nested list.
        dtype: the dtype wanted; None (the default): ``data``'s own (Python floats: float32).

    Returns:
        ``data`` itself when it is a Tensor and no dtype is asked; else a Tensor on ``data``'s array when
            it already has that dtype, or on a converted copy.
    """
    return data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype, copy=False)


def zeros(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, name=None):
    """A Tensor of zeros.

    Args:
        *shape: the shape, as integers or one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``).
        dtype: the dtype (default float32).
        requires_grad: whether gradients are computed for it (default False).
        name: a name shown in graph drawings.

    Returns:
        A leaf Tensor of ``shape``.
    """
    return Tensor(backend.zeros(shape_arg(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def ones(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, name=None):
    """A Tensor of ones.

    Args:
        *shape: the shape, as integers or one tuple (``ones(2, 3)`` or ``ones((2, 3))``).
        dtype: the dtype (default float32).
        requires_grad: whether gradients are computed for it (default False).
        name: a name shown in graph drawings.

    Returns:
        A leaf Tensor of ``shape``.
    """
    return Tensor(backend.ones(shape_arg(shape), dtype=dtype), requires_grad=requires_grad, name=name)


def zeros_like(t, dtype=None, requires_grad=False):
    """A Tensor of zeros with ``t``'s shape.

    Args:
        t: a Tensor (or an array): its shape and dtype are used.
        dtype: the dtype; None (the default): ``t``'s.
        requires_grad: whether gradients are computed for it (default False).

    Returns:
        A leaf Tensor of ``t``'s shape.
    """
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """A Tensor of ones with ``t``'s shape.

    Args:
        t: a Tensor (or an array): its shape and dtype are used.
        dtype: the dtype; None (the default): ``t``'s.
        requires_grad: whether gradients are computed for it (default False).

    Returns:
        A leaf Tensor of ``t``'s shape.
    """
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full(shape, value, dtype=DEFAULT_FLOAT, requires_grad=False, name=None):
    """A Tensor of ``shape`` filled with ``value``.

    Args:
        shape: the shape: an int or a tuple of ints.
        value: the fill value, a number.
        dtype: the dtype (default float32).
        requires_grad: whether gradients are computed for it (default False).
        name: a name shown in graph drawings.

    Returns:
        A leaf Tensor of ``shape``.
    """
    return Tensor(backend.full(shape_arg((shape,)), value, dtype=dtype), requires_grad=requires_grad,
                  name=name)


def arange(*args, dtype=None, requires_grad=False, name=None):
    """Evenly spaced values from start to stop (excluded) by step, as NumPy's and PyTorch's arange.

    Integers give int64; a Python float gives float32 (computed in float64, then rounded once, as PyTorch).

    Args:
        *args: ``stop``, ``start, stop`` or ``start, stop, step``, as Python's range (start 0, step 1
            by default).
        dtype: the dtype; None (the default): as above.
        requires_grad: whether gradients are computed for it (default False; floating dtypes only).
        name: a name shown in graph drawings.

    Returns:
        A 1-D leaf Tensor of ``ceil((stop - start) / step)`` values.
    """
    if dtype is None and any(isinstance(a, float) for a in args):
        return Tensor(backend.arange(*args).astype(DEFAULT_FLOAT), requires_grad=requires_grad, name=name)
    return Tensor(backend.arange(*args, dtype=dtype), requires_grad=requires_grad, name=name)


def seed(n):
    """Seed the one generator behind ``randn`` and ``rand`` (and nn's initializers, dropout and shuffling).

    Args:
        n: the seed, an int (NumPy's ``default_rng(n)``).
    """
    backend.seed(n)


def randn(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, seed=None, name=None):
    """Samples of the standard normal distribution (mean 0, standard deviation 1).

    Args:
        *shape: the shape, as integers or one tuple.
        dtype: a floating dtype (default float32).
        requires_grad: whether gradients are computed for it (default False).
        seed: an int for a reproducible draw of its own; None (the default): the shared generator, which
            ``ad.seed`` governs.
        name: a name shown in graph drawings.

    Returns:
        A leaf Tensor of ``shape``.
    """
    data = backend.generator(seed).standard_normal(shape_arg(shape), dtype=backend.dtype(dtype).type)
    return Tensor(data, requires_grad=requires_grad, name=name)


def rand(*shape, dtype=DEFAULT_FLOAT, requires_grad=False, seed=None, name=None):
    """Samples of the uniform distribution on [0, 1).

    Args:
        *shape: the shape, as integers or one tuple.
        dtype: a floating dtype (default float32).
        requires_grad: whether gradients are computed for it (default False).
        seed: an int for a reproducible draw of its own; None (the default): the shared generator, which
            ``ad.seed`` governs.
        name: a name shown in graph drawings.

    Returns:
        A leaf Tensor of ``shape``.
    """
    data = backend.generator(seed).random(shape_arg(shape), dtype=backend.dtype(dtype).type)
    return Tensor(data, requires_grad=requires_grad, name=name)
