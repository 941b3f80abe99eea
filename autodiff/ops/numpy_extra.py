"""The rest of the NumPy vocabulary a NumPy program uses: stacking and splitting helpers,
differences, products of vectors, and NumPy's element-wise extras.

Most are compositions of existing ops, so their gradients (to any order) follow
from reshape, concatenate, indexing and arithmetic.  The element-wise ones that
need their own rule (``logaddexp``, ``fmax``, ``arcsinh`` ...) are Functions
beside it.  Signatures and keyword names are NumPy's; each function works on
Tensors (and records) and on plain arrays (and returns an array), except
``linspace``, which makes a Tensor from numbers as ``ad.arange`` does.
"""
import math
import operator

from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import DEFAULT_FLOAT, Tensor, array_of
from .elementwise import Maximum
from .shape import _axis, take_along_axis
from .special import Unary


def _operands(items):
    """Tensors as they are; numbers, lists and arrays as Tensors too when a Tensor is among them
    (numbers in its dtype, so they never promote float32), as arrays when none is."""
    items = list(items)
    tensors = [x for x in items if isinstance(x, Tensor)]
    if not tensors:
        return [backend.asarray(x) for x in items]
    first = next((t for t in tensors if t.dtype.kind == "f"), tensors[0])
    return [first._operand(x) for x in items]


def _cast(arrays, dtype, casting, op):
    """NumPy's ``dtype=``/``casting=`` of the stacking functions: each input cast before joining."""
    if dtype is None:
        return arrays
    dtype = backend.dtype(dtype)
    for x in arrays:
        if not backend.xp(array_of(x)).can_cast(x.dtype, dtype, casting):
            raise TypeError(f"{op}: cannot cast from {x.dtype} to {dtype} according to the rule {casting!r}")
    return [F.astype(x, dtype) for x in arrays]


# ---------------------------------------------------------------- at least n dimensions
def _at_least(arys, shape_of):
    out = [x if x.ndim >= len(shape_of(())) else x.reshape(shape_of(x.shape)) for x in _operands(arys)]
    return out[0] if len(out) == 1 else tuple(out)


@register("atleast_1d", methods=())
def atleast_1d(*arys):
    """Each input with at least one axis (a scalar becomes shape (1,)); one input gives one result."""
    return _at_least(arys, lambda shape: shape or (1,))


@register("atleast_2d", methods=())
def atleast_2d(*arys):
    """Each input with at least two axes: (N,) becomes (1, N)."""
    return _at_least(arys, lambda shape: (1,) * (2 - len(shape)) + shape)


@register("atleast_3d", methods=())
def atleast_3d(*arys):
    """Each input with at least three axes: (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1)."""
    return _at_least(arys, lambda shape: {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}.get(len(shape),
                                                                                                  shape))


# ---------------------------------------------------------------- stacking and splitting
def _sequence(tup, op):
    if not isinstance(tup, (list, tuple, Tensor)) and not backend.is_array(tup):
        raise TypeError(f"{op}: arrays to stack must be passed as a sequence such as a list or tuple, "
                        f"not {type(tup).__name__}")
    items = list(tup)
    if not items:
        raise ValueError(f"{op}: needs at least one array to concatenate")
    return items


@register("vstack", methods=())
def vstack(tup, *, dtype=None, casting="same_kind"):
    """Stack row-wise: 1-D inputs become rows, then everything joins along axis 0."""
    arrays = [atleast_2d(x) for x in _operands(_sequence(tup, "vstack"))]
    return F.concatenate(_cast(arrays, dtype, casting, "vstack"), axis=0)


@register("row_stack", methods=())
def row_stack(tup, *, dtype=None, casting="same_kind"):
    """NumPy's former name of ``vstack``."""
    return vstack(tup, dtype=dtype, casting=casting)


@register("hstack", methods=())
def hstack(tup, *, dtype=None, casting="same_kind"):
    """Stack column-wise: along axis 1, or axis 0 when the inputs are 1-D."""
    arrays = [atleast_1d(x) for x in _operands(_sequence(tup, "hstack"))]
    arrays = _cast(arrays, dtype, casting, "hstack")
    return F.concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


@register("dstack", methods=())
def dstack(tup):
    """Stack depth-wise, along axis 2 (inputs made at least 3-D first)."""
    return F.concatenate([atleast_3d(x) for x in _operands(_sequence(tup, "dstack"))], axis=2)


@register("column_stack", methods=())
def column_stack(tup):
    """1-D inputs as columns of a 2-D result, 2-D inputs as they are, joined along axis 1."""
    arrays = [x.reshape(-1, 1) if x.ndim < 2 else x for x in _operands(_sequence(tup, "column_stack"))]
    return F.concatenate(arrays, axis=1)


def _split_along(ary, indices_or_sections, axis, least, op):
    if ary.ndim < least:
        raise ValueError(f"{op} only works on arrays of {least} or more dimensions, got shape {ary.shape}")
    return F.split(ary, indices_or_sections, axis)


@register("vsplit", methods=())
def vsplit(ary, indices_or_sections):
    """Split into pieces along axis 0 (of a tensor with at least 2 axes)."""
    return _split_along(ary, indices_or_sections, 0, 2, "vsplit")


@register("hsplit", methods=())
def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 of a 1-D tensor)."""
    return _split_along(ary, indices_or_sections, 1 if ary.ndim > 1 else 0, 1, "hsplit")


@register("dsplit", methods=())
def dsplit(ary, indices_or_sections):
    """Split along axis 2 (of a tensor with at least 3 axes)."""
    return _split_along(ary, indices_or_sections, 2, 3, "dsplit")


@register("append", methods=())
def append(arr, values, axis=None):
    """``values`` joined after ``arr`` along ``axis`` (both flattened first when axis is None)."""
    arr, values = _operands([arr, values])
    if axis is None:
        arr, values, axis = arr.reshape(-1), values.reshape(-1), 0
    return F.concatenate([arr, values], axis=axis)


# ---------------------------------------------------------------- differences
_NO_VALUE = object()


@register("diff", methods=())
def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """The n-th discrete difference along ``axis``: ``a[1:] - a[:-1]``, n times (NumPy's diff)."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    parts = [a] + [v for v in (prepend, append) if v is not _NO_VALUE]
    parts = _operands(parts)
    a = parts[0]
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis(axis, a.ndim, "diff")
    if len(parts) > 1:
        edge = tuple(1 if i == axis else size for i, size in enumerate(a.shape))
        edges = [F.broadcast_to(v, edge) if v.ndim == 0 else v for v in parts[1:]]
        before = [edges.pop(0)] if prepend is not _NO_VALUE else []
        a = F.concatenate(before + [a] + edges, axis=axis)
    later, earlier = _cut(axis, slice(1, None)), _cut(axis, slice(None, -1))
    for _ in range(n):
        a = a[later] != a[earlier] if a.dtype == bool else a[later] - a[earlier]
    return a


def _cut(axis, part):
    return (slice(None),) * axis + (part,)


@register("gradient", methods=())
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's gradient: central differences inside, one-sided (edge_order 1 or 2) at the ends.

    Spacings are scalars or coordinates along each axis, as NumPy takes them;
    the result is differentiable in ``f`` and in Tensor spacings too.  One
    axis gives one Tensor, several a tuple, as NumPy.
    """
    f = _operands([f])[0]
    if f.dtype.kind != "f":
        f = F.astype(f, backend.float64)            # NumPy's gradient of integers is float64
    axes = tuple(range(f.ndim)) if axis is None else \
        tuple(_axis(a, f.ndim, "gradient") for a in ((axis,) if isinstance(axis, int) else axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"gradient: axis {axis!r} repeats an axis")
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and _ndim(varargs[0]) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = [_spacing(d, f.shape[a]) for d, a in zip(varargs, axes)]
    else:
        raise TypeError(f"gradient: invalid number of spacing arguments: {len(varargs)} for {len(axes)} axes")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    out = tuple(_gradient_along(f, a, dx, edge_order) for a, dx in zip(axes, spacings))
    return out[0] if len(out) == 1 else out


def _ndim(x):
    return x.ndim if hasattr(x, "ndim") else backend.asarray(x).ndim


def _spacing(distances, length):
    """A scalar spacing, or the differences of 1-D coordinates (one scalar when they are even and constant)."""
    if _ndim(distances) == 0:
        return distances
    if not isinstance(distances, Tensor):
        distances = backend.asarray(distances)
    if distances.ndim != 1:
        raise ValueError("gradient: distances must be either scalars or 1d")
    if distances.shape[0] != length:
        raise ValueError(f"gradient: when 1d, distances must match the length of the corresponding dimension "
                         f"({distances.shape[0]} != {length})")
    if distances.dtype.kind in "iub":
        distances = F.astype(distances, backend.float64)
    steps = distances[1:] - distances[:-1]
    if not isinstance(steps, Tensor) and steps.size and (steps == steps[0]).all():
        return steps[0]            # even constant coordinates: NumPy's uniform formula
    return steps


def _gradient_along(f, axis, dx, edge_order):
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(f"gradient: shape {f.shape} is too small along axis {axis} to calculate a numerical "
                         f"gradient, at least (edge_order + 1) = {edge_order + 1} elements are required")
    uniform = _ndim(dx) == 0

    def part(index):
        return f[_cut(axis, index)]

    def along(values):
        # Coefficients (1-D) lined up with ``axis``; constant ones in f's dtype, so they never promote float32.
        if not isinstance(values, Tensor):
            values = backend.asarray(values, dtype=f.dtype)
        return values.reshape((-1,) + (1,) * (f.ndim - axis - 1)) if values.ndim else values

    if uniform:
        inside = (part(slice(2, None)) - part(slice(None, -2))) / along(2.0 * dx)
    else:
        dx1, dx2 = dx[:-1], dx[1:]
        a, b, c = -dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2), dx1 / (dx2 * (dx1 + dx2))
        inside = along(a) * part(slice(None, -2)) + along(b) * part(slice(1, -1)) + along(c) * part(slice(2, None))
    first, second, third = part(slice(0, 1)), part(slice(1, 2)), part(slice(2, 3))
    last, before_last, third_last = part(slice(n - 1, n)), part(slice(n - 2, n - 1)), part(slice(n - 3, n - 2))
    if edge_order == 1:
        start = (second - first) / along(dx if uniform else dx[0])
        end = (last - before_last) / along(dx if uniform else dx[-1])
    else:
        if uniform:
            a, b, c = -1.5 / dx, 2.0 / dx, -0.5 / dx
        else:
            dx1, dx2 = dx[0], dx[1]
            a, b, c = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2)), (dx1 + dx2) / (dx1 * dx2), -dx1 / (dx2 * (dx1 + dx2))
        start = along(a) * first + along(b) * second + along(c) * third
        if uniform:
            a, b, c = 0.5 / dx, -2.0 / dx, 1.5 / dx
        else:
            dx1, dx2 = dx[-2], dx[-1]
            a, b, c = dx2 / (dx1 * (dx1 + dx2)), -(dx2 + dx1) / (dx1 * dx2), (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
        end = along(a) * third_last + along(b) * before_last + along(c) * last
    return F.concatenate(_operands([start, inside, end]), axis=axis)


# ---------------------------------------------------------------- products of vectors and matrices
@register("kron", methods=())
def kron(a, b):
    """The Kronecker product: ``b`` scaled by each value of ``a``, in blocks (NumPy's kron)."""
    a, b = _operands([a, b])
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    nd = max(a.ndim, b.ndim)
    a_shape, b_shape = (1,) * (nd - a.ndim) + tuple(a.shape), (1,) * (nd - b.ndim) + tuple(b.shape)
    spread_a = a.reshape([n for size in a_shape for n in (size, 1)])          # (a0, 1, a1, 1, ...)
    spread_b = b.reshape([n for size in b_shape for n in (1, size)])          # (1, b0, 1, b1, ...)
    return (spread_a * spread_b).reshape([m * n for m, n in zip(a_shape, b_shape)])


@register("cross", methods=())
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors, as NumPy) along the given axes, broadcasting the rest."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _operands([a, b])
    if a.ndim < 1 or b.ndim < 1:
        raise ValueError("cross: at least one array has zero dimension")
    a = F.moveaxis(a, _axis(axisa, a.ndim, "cross (axisa)"), -1)
    b = F.moveaxis(b, _axis(axisb, b.ndim, "cross (axisb)"), -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), "
                         f"got vectors of {a.shape[-1]} and {b.shape[-1]}")
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    a2, b2 = (a[..., 2] if a.shape[-1] == 3 else None), (b[..., 2] if b.shape[-1] == 3 else None)
    if a2 is None:
        x, y = a1 * b2, -(a0 * b2)
    elif b2 is None:
        x, y = -(a2 * b1), a2 * b0
    else:
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    out = F.stack(_operands([x, y, z]), axis=-1)
    return F.moveaxis(out, -1, _axis(axisc, out.ndim, "cross (axisc)"))


# ---------------------------------------------------------------- element-wise extras
@register("logaddexp", methods=())
class LogAddExp(Function):
    """log(exp(a) + exp(b)) without overflow; the gradient of a is exp(a - out), a softmax weight."""

    retain_inputs = (0, 1)
    retain_output = True

    def forward(self, a, b):
        return backend.xp(a).logaddexp(a, b)

    def backward(self, grad, a, b, out):
        need = self.needs_input_grad
        return (self.unbroadcast(grad * F.exp(a - out), 0) if need[0] else None,
                self.unbroadcast(grad * F.exp(b - out), 1) if need[1] else None)


@register("logaddexp2", methods=())
class LogAddExp2(Function):
    """log2(2**a + 2**b) without overflow; the gradient of a is 2**(a - out)."""

    retain_inputs = (0, 1)
    retain_output = True

    def forward(self, a, b):
        return backend.xp(a).logaddexp2(a, b)

    def backward(self, grad, a, b, out):
        need = self.needs_input_grad
        return (self.unbroadcast(grad * F.exp2(a - out), 0) if need[0] else None,
                self.unbroadcast(grad * F.exp2(b - out), 1) if need[1] else None)


@register("fmax", methods=())
class FMax(Maximum):
    """maximum that ignores NaN: where one side is NaN the other wins, value and gradient.

    Ties share the gradient as in ``maximum``; where both are NaN the result is
    NaN and the two share its gradient too (counted as a tie).
    """

    pick, wins = "fmax", "greater"

    def forward(self, a, b):
        xp = backend.xp(a)
        if any(self.needs_input_grad):
            dtype = backend.result_type(a, b)
            nan_a, nan_b = xp.isnan(a), xp.isnan(b)
            a_wins = getattr(xp, self.wins)(a, b) | nan_b & ~nan_a
            tie = (a == b) | nan_a & nan_b
            self.saved = a_wins.astype(dtype) + tie.astype(dtype) * dtype.type(0.5)
        return getattr(xp, self.pick)(a, b)


@register("fmin", methods=())
class FMin(FMax):
    """minimum that ignores NaN (the mirror image of fmax)."""

    pick, wins = "fmin", "less"


@register("fabs", methods=())
def fabs(x):
    """The absolute value (NumPy's float-only abs): the same op and gradient as ``abs``."""
    return F.abs(x)


@register("arcsinh")
class Arcsinh(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / F.sqrt(a * a + 1),)


@register("arccosh")
class Arccosh(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / F.sqrt((a - 1) * (a + 1)),)


@register("deg2rad", methods=())
def deg2rad(x):
    """Degrees to radians: ``x * pi / 180``."""
    return x * (math.pi / 180)


@register("radians", methods=())
def radians(x):
    """NumPy's other name of ``deg2rad``."""
    return deg2rad(x)


@register("rad2deg", methods=())
def rad2deg(x):
    """Radians to degrees: ``x * 180 / pi``."""
    return x * (180 / math.pi)


@register("degrees", methods=())
def degrees(x):
    """NumPy's other name of ``rad2deg``."""
    return rad2deg(x)


@register("nan_to_num", methods=())
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers (NumPy's defaults: 0 and the dtype's extremes).

    The gradient is 1 where ``x`` was finite and 0 where a value was replaced.
    A new tensor is returned whatever ``copy`` says (tensors are not written in place).
    """
    data = array_of(x)
    if data.dtype.kind != "f":
        return x
    xp = backend.xp(data)
    replaced = xp.nan_to_num(data, copy=True, nan=nan, posinf=posinf, neginf=neginf)
    return F.where(xp.isfinite(data), x, replaced)


# ---------------------------------------------------------------- rotations and moved axes
@register("rot90", methods=())
def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, from the first axis towards the second."""
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: len(axes) must be 2, got {axes}")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == m.ndim:
        raise ValueError(f"rot90: axes must be different, got {axes}")
    if not all(-m.ndim <= a < m.ndim for a in axes):
        raise ValueError(f"rot90: axes={axes} out of range for a tensor with {m.ndim} dimensions")
    k %= 4
    if k == 0:
        return m[...]
    if k == 2:
        return F.flip(F.flip(m, axes[0]), axes[1])
    order = list(range(m.ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return F.transpose(F.flip(m, axes[1]), order)
    return F.flip(F.transpose(m, order), axes[1])


@register("fliplr", methods=())
def fliplr(m):
    """Reverse the order along axis 1 (columns of a matrix)."""
    if m.ndim < 2:
        raise ValueError(f"fliplr: needs at least 2 dimensions, got shape {m.shape}")
    return F.flip(m, 1)


@register("flipud", methods=())
def flipud(m):
    """Reverse the order along axis 0 (rows of a matrix)."""
    if m.ndim < 1:
        raise ValueError("flipud: needs at least 1 dimension, got a 0-d tensor")
    return F.flip(m, 0)


@register("rollaxis", methods=())
def rollaxis(a, axis, start=0):
    """Move ``axis`` to stand before position ``start`` (NumPy's older moveaxis)."""
    n = a.ndim
    axis = _axis(axis, n, "rollaxis")
    if not -n <= start < n + 1:
        raise ValueError(f"rollaxis: 'start' arg requires {-n} <= start < {n + 1}, but {start} was passed in")
    if start < 0:
        start += n
    if axis < start:
        start -= 1
    if axis == start:
        return a[...]
    order = [i for i in range(n) if i != axis]
    order.insert(start, axis)
    return F.transpose(a, order)


# ---------------------------------------------------------------- choosing and ordering
@register("select", methods=())
def select(condlist, choicelist, default=0):
    """The value of the first choice whose condition holds, else ``default``, broadcasting all (NumPy's select).

    Built of ``where``: a choice not taken gets no gradient, even where it is NaN.
    """
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: list of cases must be same length as list of conditions "
                         f"({len(choicelist)} != {len(condlist)})")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conditions = [backend.asarray(array_of(c)) for c in condlist]
    for i, c in enumerate(conditions):
        if c.dtype != bool:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean, got {c.dtype}")
    result = default
    for condition, choice in zip(reversed(conditions), reversed(choicelist)):
        result = F.where(condition, choice, result)
    return result


@register("partition")
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Values rearranged along ``axis`` so that the ``kth`` is where sorting would put it, smaller ones
    before and larger after (in no particular order, as NumPy).  The gradient follows the permutation."""
    if order is not None:
        raise ValueError("partition: order= names fields of structured arrays, which tensors are not")
    if axis is None:
        a, axis = a.reshape(-1), -1
    data = array_of(a)
    return take_along_axis(a, backend.xp(data).argpartition(data, kth, axis=axis, kind=kind), axis)


# ---------------------------------------------------------------- evenly spaced values
@register("linspace", methods=())
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, requires_grad=False):
    """``num`` evenly spaced values from ``start`` to ``stop`` (NumPy's linspace), a Tensor.

    Differentiable in ``start`` and ``stop`` (Tensors, broadcasting against
    each other: the values run along ``axis``).  Python numbers give float32,
    as ``ad.tensor``; ``requires_grad`` makes the result a leaf, as PyTorch's.
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    if isinstance(start, Tensor) or isinstance(stop, Tensor):
        start, stop = _operands([start, stop])
    else:
        start, stop = Tensor(start, copy=False), Tensor(stop, copy=False)     # Python floats: float32
    if start.dtype.kind != "f" or stop.dtype.kind != "f":
        floating = [v.dtype for v in (start, stop) if v.dtype.kind == "f"]
        start, stop = (F.astype(v, floating[0] if floating else DEFAULT_FLOAT) for v in (start, stop))
    delta = stop - start
    div = num - 1 if endpoint else num
    step = delta / div if div > 0 else delta * float("nan")
    counts = backend.arange(num, dtype=delta.dtype).reshape((num,) + (1,) * delta.ndim)
    y = counts * (step if div > 0 else delta) + start
    if endpoint and num > 1:
        last = (backend.arange(num) == num - 1).reshape(counts.shape)
        y = F.where(last, stop, y)                  # the last value is stop exactly, as NumPy's
    if axis != 0:
        y = F.moveaxis(y, 0, axis)
    if dtype is not None:
        dtype = backend.dtype(dtype)
        if dtype.kind in "iu":
            y = F.floor(y)                         # NumPy rounds down to integers
        y = F.astype(y, dtype)
    if requires_grad:
        y.requires_grad_(True)
    return (y, step) if retstep else y
