"""The Function base: one op's forward and its one gradient rule, and the graph node that recorded it.

A Function is made for each call of its op, so settings and anything the
forward works out (normalised axes, masks) belong to that call alone.

The gradient rule is written once, in a small vocabulary that works on NumPy
arrays and on Tensors alike: operators, the methods arrays and Tensors share
(``sum reshape transpose swapaxes astype``, indexing, ``.T``) and the
functions of ``autodiff.functional`` (``where exp log broadcast_to ...``,
which compute on arrays when given arrays and record when given Tensors).
The engine hands a rule arrays when no graph of the gradient is built (the
usual backward, as fast as the NumPy calls inside it) and Tensors under
``create_graph=True``, so that the gradient can be differentiated again.

What backward reads is declared, as Chainer's ``retain_inputs`` and
``retain_outputs`` do: ``retain_inputs`` (indices of inputs) and
``retain_output``.  Those values are passed to ``backward`` after the upstream
gradient, inputs first, and freed with the graph.  A node never keeps the
other inputs: once backward has run (or when nothing retains them) the
activations go, however long the user keeps the output.
"""
from . import backend


class Function:
    """One op: a forward on arrays beside its one gradient rule (subclass it, then ``register`` it).

    Subclasses define ``forward(self, *arrays) -> array`` and ``backward(self, grad, *retained)``, and
    declare what backward reads: ``retain_inputs`` (indices of inputs) and ``retain_output``.  ``backward``
    returns one gradient per input (None where ``self.needs_input_grad`` says nobody asked).
    ``self.shapes`` and ``self.dtypes`` describe every input; ``self.saved`` holds constant arrays the
    forward kept (masks, tie shares); ``self.unbroadcast(grad, i)`` gives a gradient input i's shape and
    dtype.  An instance is made for each call, its settings given to the constructor.

    Args:
        **settings: the op's settings by name (``axis=1``), set as attributes and kept in ``self.settings``,
            which graph labels show (``sum(axis=1)``).  A subclass's ``__init__`` names them with their
            defaults and passes them on here.
    """

    retain_inputs = ()       # indices of the inputs backward reads, in order
    retain_output = False    # whether backward reads the output

    # Set when the op is recorded in a graph.
    parents = ()             # per input: the node that made it, the leaf tensor, or None (no gradient)
    needs_input_grad = ()
    shapes = dtypes = ()
    retained = ()            # the Tensors named by retain_inputs
    versions = ()            # their in-place write counts when recorded (none: all 0); backward refuses changes
    output_data = None       # the output array, when retain_output
    saved = None             # constant arrays the forward kept for backward
    kept_value = None        # the output, kept for drawings under keep_values() (never freed)
    freed = False
    scope = None
    _output_ref = None

    settings = {}

    def __init__(self, **settings):
        if settings:
            self.settings = settings
            self.__dict__.update(settings)

    def forward(self, *arrays):
        """Compute the op on arrays (NumPy's, or the backend's): override it.

        Args:
            *arrays: the op's inputs as arrays, one parameter each in a subclass (``forward(self, a, b)``; a
                ``*arrays`` parameter takes a list, as ``concatenate``).

        Returns:
            The output array.
        """
        raise NotImplementedError

    def backward(self, grad, *retained):
        """The gradient rule: override it.

        Write it with operators and ``autodiff.functional``, so that it runs on arrays (a plain
        backward) and on Tensors (under ``create_graph``, so that any order of derivative works).

        Args:
            grad: the upstream gradient, of the output's shape.
            *retained: the inputs named by ``retain_inputs``, in order, then the output if ``retain_output``.

        Returns:
            A tuple with one gradient per input, each of that input's shape and dtype (None where not needed).
        """
        raise NotImplementedError(f"{type(self).__name__} has no gradient rule")

    def unbroadcast(self, grad, i):
        """``grad`` summed over the axes broadcasting added to input ``i``, in that input's dtype.

        Args:
            grad: a gradient of the output's (broadcast) shape, an array or a Tensor.
            i: the index of the input.

        Returns:
            ``grad`` reduced to ``self.shapes[i]`` and cast to ``self.dtypes[i]`` (the same type: array or Tensor).
        """
        return unbroadcast(grad, self.shapes[i], self.dtypes[i])

    @property
    def output(self):
        """The Tensor this node produced, while someone holds it (a weak reference: no cycle)."""
        return self._output_ref() if self._output_ref is not None else None

    def free(self):
        """Drop what backward needed; the node keeps only its place in the graph."""
        self.retained = self.versions = ()
        self.output_data = self.saved = None
        self.freed = True

    @property
    def name(self):
        return type(self).__name__.lower()

    def label(self):
        """The op's name with its settings, as graph drawings show it: ``sum(axis=1)``.

        Settings that are None, False or start with ``_`` are left out; override it for a custom label.

        Returns:
            A str.
        """
        shown = []
        for key, value in self.settings.items():
            if value is None or value is False or key.startswith("_"):
                continue
            if key == "shape" and isinstance(value, tuple):
                shown.append(", ".join(str(n) for n in value))
            else:
                shown.append(f"{key}={_short(value)}")
        return f"{self.name}({', '.join(shown)})" if shown else self.name

    def __repr__(self):
        return f"<{self.label()}>"


def unbroadcast(grad, shape, dtype):
    """Reduce ``grad`` (an array or a Tensor) to ``shape`` and ``dtype``: the gradient of a broadcast.

    Broadcasting added leading axes and stretched size-1 axes; the gradient of a broadcast is the sum over
    exactly those axes (one sum with keepdims plus a reshape covers every case).  A float32 input mixed
    with float64 gets its gradient back in float32.

    Args:
        grad: the gradient of the broadcast result: an array or a Tensor.
        shape: the input's shape (a tuple), which ``grad``'s shape broadcasts from.
        dtype: the input's dtype.

    Returns:
        ``grad`` summed to ``shape`` and cast to ``dtype``: an array for an array, a Tensor for a Tensor.
    """
    if grad.shape != shape:
        extra = grad.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(
            extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
        if axes and axes == tuple(range(extra)) and type(grad) in backend.ARRAY_TYPES:
            grad = backend.sum_leading(grad, extra)          # a bias's gradient: rows added by BLAS
        elif axes:
            grad = grad.sum(axis=axes, keepdims=True)
        grad = grad.reshape(shape)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _short(value):
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


class Scattered:
    """A gradient that is zero but for ``values`` at ``index`` of an array of ``shape``.

    What the rule of ``x[index]`` gives in a plain backward (arrays, no graph of
    the gradient).  The engine adds it into the gradient pending for ``x`` in
    place, so the k slices of one tensor (a sequence cut into steps, gates split
    apart) cost one array of x's shape, not k arrays summed.  Under
    ``create_graph`` the same rule records the Unindex op instead.
    """

    __slots__ = ("shape", "dtype", "index", "values")
    base = None                 # never a view of another gradient: the engine may own what it makes of it

    def __init__(self, shape, index, values):
        self.shape, self.dtype, self.index, self.values = tuple(shape), values.dtype, index, values

    def add_into(self, out):
        """``out[index] += values``; repeated integer indices accumulate."""
        if has_integer_array(self.index):
            backend.scatter_add(out, self.index, self.values)
        else:
            out[self.index] += self.values
        return out

    def dense(self):
        """The gradient as an array of ``shape``: zeros, ``values`` written (scatter-added) at ``index``."""
        out = backend.xp(self.values).zeros(self.shape, dtype=self.dtype)
        if has_integer_array(self.index):
            backend.scatter_add(out, self.index, self.values)
        else:
            out[self.index] = self.values
        return out


def has_integer_array(index):
    """True when NumPy indexing with ``index`` may pick one element several times."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(backend.is_array(p) and p.dtype.kind in "iu" for p in parts)

