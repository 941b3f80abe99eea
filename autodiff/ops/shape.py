"""Ops that move elements around without changing them: their gradients move them back."""
import math

from .. import backend
from .. import functional as F
from ..function import Function, Scattered
from ..registry import register
from ..tensor import Tensor, apply, array_of, index_arg, shape_arg


@register("reshape")
class Reshape(Function):
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
    """Permute the axes (reverse them when none are given)."""

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
    return F.transpose(x)


@register("swapaxes")
def swapaxes(x, axis1, axis2):
    if not (-x.ndim <= axis1 < x.ndim and -x.ndim <= axis2 < x.ndim):
        raise ValueError(f"swapaxes: axes {axis1} and {axis2} are out of range for a tensor of shape {x.shape}")
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return F.transpose(x, axes)


@register("mT", prop=True, export=False)
def matrix_transpose_last(x):
    """The last two axes swapped (a batch of matrices transposed)."""
    if x.ndim < 2:
        raise ValueError(f"mT: needs at least 2 dimensions, got a tensor of shape {x.shape}")
    return swapaxes(x, -1, -2)


@register("broadcast_to")
class BroadcastTo(Function):
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
    """Join axes start_dim..end_dim into one (all of them by default, like NumPy's flatten)."""
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


@register("expand_dims")
def expand_dims(x, axis):
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


@register("squeeze")
def squeeze(x, axis=None):
    if axis is None:
        return x.reshape(tuple(n for n in x.shape if n != 1))
    axes = {a % max(x.ndim, 1) for a in ((axis,) if isinstance(axis, int) else axis)}
    if any(x.shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not equal to one "
                         f"(axis {axis}, tensor of shape {x.shape})")
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


@register("concatenate")
class Concatenate(Function):
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
    """Tensors of one shape joined along a new axis (NumPy's stack), as one node: a sequence's
    T steps stacked are one op, not T reshapes and a concatenation."""

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
    """All values in one axis (NumPy's C order)."""
    return x.reshape(-1)


@register("moveaxis")
def moveaxis(x, source, destination):
    """Move axes to new positions, the others keeping their order (NumPy's moveaxis)."""
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
    """Reverse the order of values along ``axis`` (all axes when None)."""
    axes = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    axes = {_axis(a, x.ndim, "flip") for a in axes}
    return x[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(x.ndim))]


@register("roll")
def roll(x, shift, axis=None):
    """Shift values along ``axis`` cyclically (of the flattened values when None, then reshaped)."""
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
    """Values at integer ``indices`` along ``axis`` (of the flattened values when None); repeats accumulate.
    ``mode``: "raise" (the default), "wrap" or "clip" out-of-range indices, as NumPy's take."""
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
    """Each value ``repeats`` times along ``axis`` (NumPy's repeat, flattened when None)."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _axis(axis, x.ndim, "repeat")
    xp = backend.xp(array_of(x))
    return take(x, xp.repeat(xp.arange(x.shape[axis]), repeats), axis)


@register("tile")
def tile(x, reps):
    """The whole tensor repeated ``reps`` times along each axis (NumPy's tile)."""
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
    """A list of tensors, each a slice of ``x`` along ``axis`` (NumPy's array_split: sections may differ by one)."""
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
    """A list of equal slices along ``axis`` (or cut at the given indices), as NumPy's split."""
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
    """NumPy's pad with mode "constant", "edge" or "reflect".

    "edge" and "reflect" gather values by index (their gradients accumulate where
    a value is copied); "constant" surrounds the tensor with constants.
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
    """NumPy's take_along_axis: ``indices`` (same dimensions as x) picks along ``axis``; the other axes
    broadcast against x's, as NumPy's and PyTorch's do."""
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
    """A new tensor: ``x`` with ``values`` put at ``indices`` along ``axis`` (NumPy's put_along_axis,
    without writing in place).  Indices and values broadcast as in NumPy; where an index repeats, the
    last write wins, as in NumPy.  Gradients: x gets zero where values were put, and of the values only
    those that were written get theirs (a value overwritten by a later one gets zero)."""
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
    """Values sorted along ``axis`` (of the flattened values when None, as NumPy); the gradient follows
    the permutation (ties in a stable order, whatever ``kind`` asks: the values are the same)."""
    if order is not None:
        raise ValueError("sort: order= names fields of structured arrays, which tensors do not have")
    if axis is None:
        x, axis = x.reshape(-1), 0
    data = array_of(x)
    return take_along_axis(x, backend.xp(data).argsort(data, axis=axis, kind="stable"), axis)


@register("diagonal")
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) planes, as the last axis (NumPy's diagonal)."""
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
    """The sum of a diagonal (NumPy's trace)."""
    if out is not None or dtype is not None:
        raise TypeError("trace: out= and dtype= are not supported; use the returned tensor (cast with .astype(dtype))")
    return diagonal(x, offset, axis1, axis2).sum(axis=-1)


@register("diag")
def diag(x, k=0):
    """A 1-D tensor's values on the k-th diagonal of a square matrix, or a 2-D tensor's k-th diagonal."""
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
    """Values on and above the k-th diagonal of the last two axes; zero below."""
    return _triangle(x, k, lower=False)


@register("tril")
def tril(x, k=0):
    """Values on and below the k-th diagonal of the last two axes; zero above."""
    return _triangle(x, k, lower=True)
