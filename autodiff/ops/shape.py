"""Ops that move elements around without changing them: their gradients move them back."""
import math

from .. import backend
from .. import functional as F
from ..function import Function, Scattered
from ..registry import register
from ..tensor import Tensor, apply, array_of, index_arg, shape_arg


@register("reshape")
class Reshape(Function):
    """The values of ``a`` in a new shape (C order, as NumPy's reshape; also ``Tensor.reshape``).

    Args:
        a: a Tensor, an array or a number.
        *shape: the new shape, as integers or one tuple (``reshape(t, 2, 3)`` or ``reshape(t, (2, 3))``);
            one entry may be -1, worked out from the size.

    Returns:
        A Tensor of ``shape`` holding ``a``'s values, in ``a``'s dtype.

    Raises:
        ValueError: when the sizes differ.
    """

    def __init__(self, *shape):
        super().__init__(shape=shape_arg(shape, self.name))

    def forward(self, a):
        try:
            return a.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                             f"into {self.shape}") from None

    def backward(self, grad):
        return (grad.reshape(self.shapes[0]),)


@register("transpose")
class Transpose(Function):
    """``a`` with its axes permuted (reversed when no order is given; also ``Tensor.transpose`` and ``.T``).

    Args:
        a: a Tensor, an array or a number.
        *args: the new order of the axes, as integers or one tuple (``transpose(t, 1, 0)`` or
            ``transpose(t, (1, 0))``); position i of the result is axis ``args[i]`` of ``a``.
        axes: the same order by keyword, NumPy's name; None (the default): reversed.

    Returns:
        A Tensor of ``a``'s shape permuted, in ``a``'s dtype.

    Raises:
        ValueError: when the order is not a permutation of ``a``'s axes.
    """

    def __init__(self, *args, axes=None):
        if args and args != (None,):
            axes = args
        super().__init__(axes=shape_arg(axes, "transpose") if axes is not None else None)

    def forward(self, a):
        axes = self.axes if self.axes is not None else tuple(range(a.ndim))[::-1]
        if len(axes) != a.ndim or sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes "
                             f"of a tensor of shape {a.shape}")
        self.order = tuple(ax % a.ndim for ax in axes)
        return a.transpose(self.order)

    def backward(self, grad):
        inverse = [0] * len(self.order)
        for position, axis in enumerate(self.order):
            inverse[axis] = position
        return (grad.transpose(inverse),)


@register("T", prop=True, export=False)
def matrix_transpose(x):
    """``x`` with its axes reversed: the ``.T`` property (a matrix's transpose).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape reversed.
    """
    return F.transpose(x)


@register("swapaxes")
def swapaxes(x, axis1, axis2):
    """``x`` with axes ``axis1`` and ``axis2`` exchanged (NumPy's swapaxes).

    Args:
        x: a Tensor.
        axis1: an axis (negative counts from the end).
        axis2: the other axis.

    Returns:
        A Tensor of ``x``'s shape with those two sizes exchanged.

    Raises:
        ValueError: when an axis is out of range.
    """
    if not (-x.ndim <= axis1 < x.ndim and -x.ndim <= axis2 < x.ndim):
        raise ValueError(f"swapaxes: axes {axis1} and {axis2} are out of range for a tensor of shape {x.shape}")
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return F.transpose(x, axes)


@register("mT", prop=True, export=False)
def matrix_transpose_last(x):
    """The last two axes swapped (a batch of matrices transposed): the ``.mT`` property.

    Args:
        x: a Tensor with at least 2 dimensions.

    Returns:
        A Tensor of shape (..., n, m) for ``x`` of shape (..., m, n).
    """
    if x.ndim < 2:
        raise ValueError(f"mT: needs at least 2 dimensions, got a tensor of shape {x.shape}")
    return swapaxes(x, -1, -2)


@register("broadcast_to")
class BroadcastTo(Function):
    """``a`` broadcast to ``shape`` by NumPy's rules; the gradient sums over the broadcast axes.

    Args:
        a: a Tensor, an array or a number.
        *shape: the target shape, as integers or one tuple.

    Returns:
        A Tensor of ``shape``, in ``a``'s dtype.

    Raises:
        ValueError: when ``a``'s shape does not broadcast to ``shape``.
    """

    def __init__(self, *shape):
        super().__init__(shape=shape_arg(shape, self.name))

    def forward(self, a):
        if len(self.shape) < a.ndim:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {self.shape}: "
                             "the tensor is larger than the target")
        try:
            return backend.xp(a).broadcast_to(a, self.shape)
        except ValueError as exc:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {self.shape}: {exc}") from None

    def backward(self, grad):
        return (self.unbroadcast(grad, 0),)


@register("flatten")
def flatten(x, start_dim=0, end_dim=-1):
    """Axes ``start_dim`` to ``end_dim`` joined into one (PyTorch's flatten; by default NumPy's, all of them).

    Args:
        x: a Tensor.
        start_dim: the first axis joined (default 0; negative counts from the end).
        end_dim: the last axis joined (default -1, the last).

    Returns:
        A Tensor with those axes' sizes multiplied into one: 1-D by default (shape (1,) for a 0-d ``x``).
    """
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


@register("expand_dims")
def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at position ``axis`` (NumPy's expand_dims).

    Args:
        x: a Tensor.
        axis: where the new axis stands in the result, -ndim - 1 <= axis <= ndim (negative counts from the end).

    Returns:
        A Tensor of ``x``'s shape with a 1 inserted, one dimension more.
    """
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


@register("squeeze")
def squeeze(x, axis=None):
    """``x`` without axes of size 1 (NumPy's squeeze).

    Args:
        x: a Tensor.
        axis: the axis or axes (an int or a tuple) to remove, each of size 1; None (the default): every
            axis of size 1.

    Returns:
        A Tensor of ``x``'s shape without those axes.

    Raises:
        ValueError: when a given axis does not have size 1.
    """
    if axis is None:
        return x.reshape(tuple(n for n in x.shape if n != 1))
    axes = {a % max(x.ndim, 1) for a in ((axis,) if isinstance(axis, int) else axis)}
    if any(x.shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not equal to one "
                         f"(axis {axis}, tensor of shape {x.shape})")
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


@register("concatenate")
class Concatenate(Function):
    """The tensors joined along an existing axis (NumPy's concatenate).

    Args:
        tensors: a list or tuple of Tensors, arrays or numbers, all with the same number of dimensions
            (at least 1) and the same sizes except along ``axis``.
        axis: the axis to join along (default 0; negative counts from the end).
        out: NumPy's keyword, taken so that ``np.concatenate`` works on Tensors; only None is accepted.
        dtype: NumPy's keyword; only None is accepted (cast first, with ``.astype(dtype)``).
        casting: NumPy's keyword, accepted and unused (no cast is made).

    Returns:
        A Tensor whose size along ``axis`` is the sum of the inputs' sizes, the other axes as theirs.

    Raises:
        ValueError: for no tensors or 0-d ones (use ``stack``), or sizes that differ off ``axis``.
    """

    def __init__(self, axis=0, out=None, dtype=None, casting="same_kind"):
        if out is not None or dtype is not None:
            raise TypeError("concatenate: out= and dtype= are not supported; use the returned tensor "
                            "(cast with .astype(dtype))")
        super().__init__(axis=axis)

    def forward(self, *arrays):
        if not arrays:
            raise ValueError("concatenate: needs at least one tensor")
        if arrays[0].ndim == 0:
            raise ValueError("concatenate: 0-d tensors cannot be concatenated; use stack")
        return backend.xp(arrays[0]).concatenate(arrays, axis=self.axis)

    def backward(self, grad):
        grads, start = [], 0
        axis = self.axis % grad.ndim
        for i, shape in enumerate(self.shapes):
            stop = start + shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(self.unbroadcast(grad[index], i) if self.needs_input_grad[i] else None)
            start = stop
        return tuple(grads)


@register("stack")
class Stack(Function):
    """The tensors joined along a new axis (NumPy's stack): each becomes one slice of the result.

    One node, not a reshape per tensor and a concatenation: a sequence's T steps stacked are one op.

    Args:
        tensors: a sequence of Tensors, arrays or numbers, all of the same shape.
        axis: where the new axis stands in the result (default 0; negative counts from the end).
        out: NumPy's keyword, taken so that ``np.stack`` works on Tensors; only None is accepted.
        dtype: NumPy's keyword; only None is accepted (cast first, with ``.astype(dtype)``).
        casting: NumPy's keyword, accepted and unused (no cast is made).

    Returns:
        A Tensor of the common shape with ``len(tensors)`` inserted at ``axis``.

    Raises:
        ValueError: for no tensors or tensors of different shapes.
    """

    def __init__(self, axis=0, out=None, dtype=None, casting="same_kind"):
        if out is not None or dtype is not None:
            raise TypeError("stack: out= and dtype= are not supported; use the returned tensor "
                            "(cast with .astype(dtype))")
        super().__init__(axis=axis)

    def forward(self, *arrays):
        if not arrays:
            raise ValueError("stack: needs at least one tensor")
        arrays = [a if backend.is_array(a) else backend.asarray(a) for a in arrays]     # numbers alone: NumPy's
        if len({a.shape for a in arrays}) != 1:
            raise ValueError(f"stack: all tensors must have the same shape, got {[a.shape for a in arrays]}")
        return backend.xp(arrays[0]).stack(arrays, axis=self.axis)

    def backward(self, grad):
        axis = self.axis % grad.ndim
        return tuple(self.unbroadcast(grad[(slice(None),) * axis + (i,)], i) if self.needs_input_grad[i] else None
                     for i in range(len(self.shapes)))


@register("getitem", methods=("__getitem__",), export=False)
class GetItem(Function):
    """``a[index]``: NumPy's basic and advanced indexing (the ``[]`` operator).

    Picks by integer arrays accumulate their gradients where an element is picked twice.

    Args:
        a: a Tensor.
        index: an int, a slice, ``None``, ``...``, a boolean mask, an integer array, list or Tensor, or a
            tuple of these.

    Returns:
        A Tensor of the shape NumPy's indexing gives.
    """

    def __init__(self, index):
        super().__init__(index=index_arg(index))

    def forward(self, a):
        return a[self.index]

    def backward(self, grad):
        # The adjoint: zeros of the input's shape with grad at index.  On arrays, left for the engine
        # to add in place (function.Scattered); on Tensors, recorded.
        if isinstance(grad, Tensor):
            return (apply(Unindex(self.shapes[0], self.index), grad),)
        return (Scattered(self.shapes[0], self.index, grad),)

    def label(self):
        return f"getitem[{_index_text(self.index)}]"


class Unindex(Function):
    """The adjoint of ``x[index]``: a zero tensor of ``shape`` with ``grad`` added at ``index``.

    Repeated integer indices accumulate (scatter-add); slices and masks pick
    each element at most once, so a plain assignment is enough and much faster.
    """

    def __init__(self, shape, index):
        super().__init__(shape=shape, index=index)

    def forward(self, grad):
        return Scattered(self.shape, self.index, grad).dense()

    def backward(self, grad):
        return (grad[self.index],)

    def label(self):
        return f"unindex[{_index_text(self.index)}]"


def _index_text(index):
    parts = index if isinstance(index, tuple) else (index,)
    text = []
    for p in parts:
        if isinstance(p, slice):
            text.append(":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":") or ":")
        elif p is Ellipsis:
            text.append("...")
        elif p is None:
            text.append("None")
        elif backend.is_array(p):
            text.append(f"<{p.dtype.name} array {p.shape}>")
        else:
            text.append(str(p))
    return ", ".join(text)


# ---------------------------------------------------------------- NumPy's vocabulary of moves
# Compositions of the ops above: their gradients come from reshape, transpose,
# broadcast_to, concatenate and indexing (whose adjoint scatter-adds repeats).
def _axis(axis, ndim, op):
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % max(ndim, 1)


def _along(axis, ndim, index):
    """An index that applies ``index`` along ``axis`` and takes everything elsewhere."""
    return (slice(None),) * axis + (index,)


@register("ravel")
def ravel(x):
    """All values of ``x`` in one axis, in C order (NumPy's ravel).

    Args:
        x: a Tensor.

    Returns:
        A 1-D Tensor of ``x.size`` values.
    """
    return x.reshape(-1)


@register("moveaxis")
def moveaxis(x, source, destination):
    """Axes moved to new positions, the others keeping their order (NumPy's moveaxis).

    Args:
        x: a Tensor.
        source: the axis to move (an int) or a list of them; negative counts from the end.
        destination: its position in the result (an int), or a list of them, one per source.

    Returns:
        A Tensor with ``x``'s axes reordered.

    Raises:
        ValueError: when the lists differ in length or an axis is out of range.
    """
    sources = [source] if isinstance(source, int) else list(source)
    destinations = [destination] if isinstance(destination, int) else list(destination)
    if len(sources) != len(destinations):
        raise ValueError(f"moveaxis: {len(sources)} source axes but {len(destinations)} destinations")
    sources = [_axis(a, x.ndim, "moveaxis") for a in sources]
    destinations = [_axis(a, x.ndim, "moveaxis") for a in destinations]
    order = [a for a in range(x.ndim) if a not in sources]
    for dest, src in sorted(zip(destinations, sources)):
        order.insert(dest, src)
    return F.transpose(x, order)


@register("flip")
def flip(x, axis=None):
    """The order of the values reversed along ``axis`` (NumPy's flip).

    Args:
        x: a Tensor.
        axis: the axis (an int) or axes (a tuple) to reverse; None (the default): every axis.

    Returns:
        A Tensor of ``x``'s shape.
    """
    axes = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    axes = {_axis(a, x.ndim, "flip") for a in axes}
    return x[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(x.ndim))]


@register("roll")
def roll(x, shift, axis=None):
    """The values shifted cyclically along ``axis``: those pushed past the end come in at the start (NumPy's roll).

    Args:
        x: a Tensor.
        shift: how many places to shift (negative: backwards), or one per axis.
        axis: the axis (an int) or axes to shift along; None (the default): the flattened values, then
            reshaped back.

    Returns:
        A Tensor of ``x``'s shape.
    """
    if axis is None:
        return roll(x.reshape(-1), shift, 0).reshape(x.shape)
    shifts = [shift] if isinstance(shift, int) else list(shift)
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = x
    for s, a in zip(shifts, axes):
        a = _axis(a, x.ndim, "roll")
        n = x.shape[a]
        if n:
            start = -s % n
            out = F.concatenate([out[_along(a, x.ndim, slice(start, None))],
                                 out[_along(a, x.ndim, slice(None, start))]], axis=a)
    return out


@register("take")
def take(x, indices, axis=None, out=None, mode="raise"):
    """The values at integer ``indices`` along ``axis`` (NumPy's take); repeated indices accumulate gradients.

    Args:
        x: a Tensor.
        indices: integers: an int, a list, an array or a Tensor (no gradient).
        axis: the axis to pick along; None (the default): the flattened values.
        out: NumPy's keyword, only None (tensors are not written in place).
        mode: out-of-range indices: ``"raise"`` (the default: an IndexError), ``"wrap"`` (counted
            around) or ``"clip"`` (to the nearest end).

    Returns:
        A Tensor of ``x``'s shape with ``axis`` replaced by ``indices``' shape (``indices``' shape when
            ``axis`` is None).
    """
    if out is not None:
        raise TypeError("take: out= is not supported (tensors are not written in place); use the returned tensor")
    indices = backend.asarray(array_of(indices))
    if indices.size == 0 and indices.dtype.kind not in "iu":      # take(x, []): NumPy reads it as no integers
        indices = indices.astype(int)
    if mode != "raise":
        n = x.size if axis is None else x.shape[_axis(axis, x.ndim, "take")]
        if mode == "wrap":
            indices = indices % n
        elif mode == "clip":
            indices = backend.xp(indices).clip(indices, 0, n - 1)
        else:
            raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is None:
        return x.reshape(-1)[indices]
    return x[_along(_axis(axis, x.ndim, "take"), x.ndim, indices)]


@register("repeat")
def repeat(x, repeats, axis=None):
    """Each value repeated ``repeats`` times along ``axis``, next to itself (NumPy's repeat).

    Args:
        x: a Tensor.
        repeats: an int, or one int per value along ``axis``.
        axis: the axis to repeat along; None (the default): the flattened values.

    Returns:
        A Tensor of ``x``'s shape with ``axis`` grown to the sum of the repeats (1-D when ``axis`` is None).
    """
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _axis(axis, x.ndim, "repeat")
    xp = backend.xp(array_of(x))
    return take(x, xp.repeat(xp.arange(x.shape[axis]), repeats), axis)


@register("tile")
def tile(x, reps):
    """The whole of ``x`` repeated ``reps`` times along each axis (NumPy's tile).

    Args:
        x: a Tensor.
        reps: an int, or one int per axis (counted from the last; missing axes of either are 1s in front).

    Returns:
        A Tensor of shape ``x.shape * reps``, axis by axis, with ``max(x.ndim, len(reps))`` dimensions.
    """
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    ndim = max(x.ndim, len(reps))
    shape = (1,) * (ndim - x.ndim) + tuple(x.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    spread = [n for pair in zip((1,) * ndim, shape) for n in pair]          # (1, n0, 1, n1, ...)
    target = [n for pair in zip(reps, shape) for n in pair]                 # (r0, n0, r1, n1, ...)
    tiled = F.broadcast_to(x.reshape(spread), target)
    return tiled.reshape([r * n for r, n in zip(reps, shape)])


@register("array_split")
def array_split(x, indices_or_sections, axis=0):
    """``x`` cut into slices along ``axis``; sections may differ in size by one (NumPy's array_split).

    Args:
        x: a Tensor.
        indices_or_sections: a number of sections n (the first ``size % n`` get one value more), or a
            list of the indices to cut at.
        axis: the axis to cut along (default 0).

    Returns:
        A list of Tensors, slices of ``x`` along ``axis``.
    """
    axis = _axis(axis, x.ndim, "array_split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0:
            raise ValueError("array_split: the number of sections must be positive")
        size, extra = divmod(n, indices_or_sections)
        bounds = [0]
        for i in range(indices_or_sections):
            bounds.append(bounds[-1] + size + (1 if i < extra else 0))
    else:
        bounds = [0] + [min(int(i), n) for i in indices_or_sections] + [n]
    return [x[_along(axis, x.ndim, slice(start, stop))] for start, stop in zip(bounds[:-1], bounds[1:])]


@register("split")
def split(x, indices_or_sections, axis=0):
    """``x`` cut into equal slices along ``axis``, or at the given indices (NumPy's split).

    Args:
        x: a Tensor.
        indices_or_sections: a number of equal sections, or a list of the indices to cut at.
        axis: the axis to cut along (default 0).

    Returns:
        A list of Tensors, slices of ``x`` along ``axis``.

    Raises:
        ValueError: when the axis does not divide into that many equal sections (use ``array_split``).
    """
    if isinstance(indices_or_sections, int) and x.shape[_axis(axis, x.ndim, "split")] % indices_or_sections:
        raise ValueError(f"split: an axis of {x.shape[axis]} does not split into {indices_or_sections} equal "
                         "sections; use array_split")
    return array_split(x, indices_or_sections, axis)


def _pad_widths(pad_width, ndim):
    """NumPy's pad_width forms (n, (before, after), or one pair per axis) as one pair per axis."""
    if isinstance(pad_width, int):
        return [(pad_width, pad_width)] * ndim
    pairs = [(tuple(p) * 2)[:2] if isinstance(p, (tuple, list)) and len(p) == 1 else
             tuple(p) if isinstance(p, (tuple, list)) else p for p in pad_width]
    if all(isinstance(p, int) for p in pairs):
        pairs = [tuple(pairs)] * ndim if len(pairs) == 2 else [(pairs[0], pairs[0])] * ndim
    if len(pairs) == 1:
        pairs = pairs * ndim
    if len(pairs) != ndim or not all(len(p) == 2 and min(p) >= 0 for p in pairs):
        raise ValueError(f"pad: pad_width {pad_width!r} does not give (before, after) for {ndim} axes")
    return [(int(a), int(b)) for a, b in pairs]


@register("pad")
def pad(x, pad_width, mode="constant", constant_values=0):
    """``x`` padded on each side of each axis (NumPy's pad, modes "constant", "edge" and "reflect").

    Args:
        x: a Tensor.
        pad_width: the widths as NumPy takes them: n for every side, (before, after) for every axis,
            or one (before, after) pair per axis.
        mode: ``"constant"`` (the default: fill with ``constant_values``), ``"edge"`` (repeat the edge
            value) or ``"reflect"`` (mirror the values, the edge not repeated).
        constant_values: the fill value of ``"constant"`` (default 0), a number.

    Returns:
        A Tensor of ``x``'s shape grown by ``before + after`` on each axis; copied values (edge, reflect)
            accumulate their gradients.
    """
    widths = _pad_widths(pad_width, x.ndim)
    if mode == "constant":
        out = x
        for axis, (before, after) in enumerate(widths):
            if before or after:
                shape = list(out.shape)
                parts = []
                for width in (before, after):
                    shape[axis] = width
                    parts.append(backend.full(tuple(shape), constant_values, dtype=x.dtype))
                out = F.concatenate([parts[0], out, parts[1]], axis=axis)
        return out
    if mode not in ("edge", "reflect"):
        raise ValueError(f"pad: mode must be 'constant', 'edge' or 'reflect', got {mode!r}")
    out = x
    for axis, (before, after) in enumerate(widths):
        if before or after:
            index = backend.pad_index(x.shape[axis], before, after, mode)
            out = take(out, index, axis)
    return out


@register("take_along_axis")
def take_along_axis(x, indices, axis=-1):
    """Values picked along ``axis`` at ``indices`` that line up with ``x`` (NumPy's take_along_axis).

    Args:
        x: a Tensor.
        indices: an integer array or Tensor with as many dimensions as ``x`` (the result of argsort or
            argmax with keepdims); off ``axis`` its axes broadcast against ``x``'s.
        axis: the axis to pick along (default -1); None: the flattened values.

    Returns:
        A Tensor of ``indices``' shape (broadcast against ``x`` off ``axis``).
    """
    indices = backend.asarray(array_of(indices))
    if axis is None:
        return take_along_axis(x.reshape(-1), indices, 0)
    axis = _axis(axis, x.ndim, "take_along_axis")
    if indices.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices have {indices.ndim} dimensions, x has {x.ndim}")
    return x[_open_index(x.shape, indices, axis)]


def _open_index(shape, indices, axis):
    """The fancy index that picks ``indices`` along ``axis`` of an array of ``shape`` and walks every other
    axis in step (NumPy's rule: size-1 axes of the indices or of the array broadcast)."""
    xp = backend.xp(indices)
    grids = []
    for a, n in enumerate(shape):
        if a == axis:
            grids.append(indices)
        else:
            spread = [1] * len(shape)
            spread[a] = n
            grids.append(xp.arange(n).reshape(spread))
    try:
        return tuple(xp.broadcast_arrays(*grids))
    except ValueError:
        raise ValueError(f"indices of shape {indices.shape} do not broadcast against an array of shape "
                         f"{tuple(shape)} off axis {axis}") from None


@register("put_along_axis")
def put_along_axis(x, indices, values, axis):
    """A new Tensor: ``x`` with ``values`` put at ``indices`` along ``axis`` (NumPy's put_along_axis, not in place).

    Where an index repeats, the last write wins, as in NumPy.  Gradients: ``x`` gets zero where values were
    put; of the values only those written get theirs.

    Args:
        x: a Tensor.
        indices: an integer array or Tensor with as many dimensions as ``x``, broadcasting against it off ``axis``.
        values: a Tensor, array or number, broadcasting against ``indices``.
        axis: the axis to put along; None: the flattened values.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    indices = backend.asarray(array_of(indices))
    if axis is None:
        return put_along_axis(x.reshape(-1), indices, values, 0).reshape(x.shape)
    axis = _axis(axis, x.ndim, "put_along_axis")
    if indices.ndim != x.ndim:
        raise ValueError(f"put_along_axis: indices have {indices.ndim} dimensions, x has {x.ndim}")
    xp = backend.xp(indices)
    index = _open_index(x.shape, indices, axis)
    written = index[0].shape
    if not isinstance(values, Tensor):
        values = backend.asarray(values, dtype=x.dtype)
    values = F.broadcast_to(values, written)
    # The last of the writes to each place wins: keep only those (the first of each in reversed order).
    places = xp.ravel_multi_index(index, x.shape).reshape(-1)
    _, first_from_end = xp.unique(places[::-1], return_index=True)
    wins = xp.zeros(places.size, dtype=bool)
    wins[places.size - 1 - first_from_end] = True
    wins = wins.reshape(written)
    winners = tuple(i[wins] for i in index)
    mask = xp.zeros(x.shape, dtype=bool)
    mask[winners] = True
    return F.where(mask, apply(Unindex(tuple(x.shape), winners), values[wins]), x)


@register("sort")
def sort(x, axis=-1, kind=None, order=None, stable=None):
    """The values sorted along ``axis``, ascending; the gradient follows the permutation (NumPy's sort).

    Args:
        x: a Tensor.
        axis: the axis to sort along (default -1); None: the flattened values.
        kind: NumPy's choice of algorithm, accepted and ignored: the sort is always stable (the values are the same).
        order: NumPy's field names for structured arrays; only None is accepted.
        stable: NumPy 2's keyword, accepted (the sort is stable anyway).

    Returns:
        A Tensor of ``x``'s shape (1-D when ``axis`` is None).
    """
    if order is not None:
        raise ValueError("sort: order= names fields of structured arrays, which tensors do not have")
    if axis is None:
        x, axis = x.reshape(-1), 0
    data = array_of(x)
    return take_along_axis(x, backend.xp(data).argsort(data, axis=axis, kind="stable"), axis)


@register("diagonal")
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the (``axis1``, ``axis2``) planes, as the last axis (NumPy's diagonal).

    Args:
        x: a Tensor with at least 2 dimensions.
        offset: which diagonal: 0 (the default) the main one, positive above it, negative below.
        axis1: the rows' axis (default 0).
        axis2: the columns' axis (default 1).

    Returns:
        A Tensor of ``x``'s other axes followed by the diagonal's length.
    """
    a1, a2 = _axis(axis1, x.ndim, "diagonal"), _axis(axis2, x.ndim, "diagonal")
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 must differ")
    moved = moveaxis(x, [a1, a2], [-2, -1])
    rows, cols = moved.shape[-2], moved.shape[-1]
    start_row, start_col = max(-offset, 0), max(offset, 0)
    length = max(min(rows - start_row, cols - start_col), 0)
    xp = backend.xp(array_of(x))
    r = xp.arange(length) + start_row
    return moved[(Ellipsis, r, r - start_row + start_col)]


@register("trace")
def trace(x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of a diagonal of the (``axis1``, ``axis2``) planes (NumPy's trace).

    Args:
        x: a Tensor with at least 2 dimensions.
        offset: which diagonal: 0 (the default) the main one, positive above it, negative below.
        axis1: the rows' axis (default 0).
        axis2: the columns' axis (default 1).
        dtype: NumPy's keyword; only None is accepted (cast first, with ``.astype(dtype)``).
        out: NumPy's keyword; only None is accepted.

    Returns:
        A Tensor of ``x``'s shape without ``axis1`` and ``axis2`` (0-d for a matrix).
    """
    if out is not None or dtype is not None:
        raise TypeError("trace: out= and dtype= are not supported; use the returned tensor (cast with .astype(dtype))")
    return diagonal(x, offset, axis1, axis2).sum(axis=-1)


@register("diag")
def diag(x, k=0):
    """A 1-D tensor's values on the ``k``-th diagonal of a square matrix, or a matrix's ``k``-th diagonal (np.diag).

    Args:
        x: a 1-D or 2-D Tensor.
        k: which diagonal: 0 (the default) the main one, positive above it, negative below.

    Returns:
        For 1-D ``x`` of length n, an (n + abs(k), n + abs(k)) Tensor, zero off that diagonal; for 2-D ``x``,
            the 1-D diagonal.

    Raises:
        ValueError: for other numbers of dimensions.
    """
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: takes a 1-D or 2-D tensor, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    xp = backend.xp(array_of(x))
    i = xp.arange(x.shape[0])
    return apply(Unindex((n, n), (i + max(-k, 0), i + max(k, 0))), x)


def _triangle(x, k, lower):
    if x.ndim < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: needs at least 2 dimensions, got shape {x.shape}")
    return F.where(backend.triangle(x.shape[-2:], k, lower), x, 0)


@register("triu")
def triu(x, k=0):
    """The values on and above the ``k``-th diagonal of the last two axes; zero below (NumPy's triu).

    Args:
        x: a Tensor with at least 2 dimensions (a batch of matrices in the leading axes).
        k: the diagonal: 0 (the default) the main one, positive above it, negative below.

    Returns:
        A Tensor of ``x``'s shape.
    """
    return _triangle(x, k, lower=False)


@register("tril")
def tril(x, k=0):
    """The values on and below the ``k``-th diagonal of the last two axes; zero above (NumPy's tril).

    Args:
        x: a Tensor with at least 2 dimensions (a batch of matrices in the leading axes).
        k: the diagonal: 0 (the default) the main one, positive above it, negative below.

    Returns:
        A Tensor of ``x``'s shape.
    """
    return _triangle(x, k, lower=True)
