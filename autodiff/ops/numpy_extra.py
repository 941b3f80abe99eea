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
    """Each input with at least one axis: a 0-d one becomes shape (1,) (NumPy's atleast_1d).

    Args:
        *arys: Tensors, arrays or numbers.

    Returns:
        One Tensor for one input, else a tuple of them; inputs with enough axes come back as they are.
    """
    return _at_least(arys, lambda shape: shape or (1,))


@register("atleast_2d", methods=())
def atleast_2d(*arys):
    """Each input with at least two axes: 0-d becomes (1, 1), (N,) becomes (1, N) (NumPy's atleast_2d).

    Args:
        *arys: Tensors, arrays or numbers.

    Returns:
        One Tensor for one input, else a tuple of them; inputs with enough axes come back as they are.
    """
    return _at_least(arys, lambda shape: (1,) * (2 - len(shape)) + shape)


@register("atleast_3d", methods=())
def atleast_3d(*arys):
    """Each input with at least three axes: (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1) (NumPy's atleast_3d).

    Args:
        *arys: Tensors, arrays or numbers.

    Returns:
        One Tensor for one input, else a tuple of them; inputs with enough axes come back as they are.
    """
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
    """The inputs stacked row-wise: 1-D ones become rows, then all join along axis 0 (NumPy's vstack).

    Args:
        tup: a list or tuple of Tensors, arrays or numbers.
        dtype: cast each input to this dtype first (default None: no cast).
        casting: NumPy's rule for that cast: ``"same_kind"`` (the default), ``"safe"``, ``"unsafe"``, ...

    Returns:
        A Tensor with at least 2 dimensions, its first axis the inputs' first axes (or 1s) added up.

    Raises:
        TypeError: when ``tup`` is not a sequence, or the cast breaks ``casting``.
    """
    arrays = [atleast_2d(x) for x in _operands(_sequence(tup, "vstack"))]
    return F.concatenate(_cast(arrays, dtype, casting, "vstack"), axis=0)


@register("row_stack", methods=())
def row_stack(tup, *, dtype=None, casting="same_kind"):
    """NumPy's former name of ``vstack``: the inputs stacked row-wise along axis 0.

    Args:
        tup: a list or tuple of Tensors, arrays or numbers.
        dtype: cast each input to this dtype first (default None: no cast).
        casting: NumPy's rule for that cast (default ``"same_kind"``).

    Returns:
        A Tensor with at least 2 dimensions, as ``vstack`` gives.
    """
    return vstack(tup, dtype=dtype, casting=casting)


@register("hstack", methods=())
def hstack(tup, *, dtype=None, casting="same_kind"):
    """The inputs stacked column-wise: along axis 1, or axis 0 when they are 1-D (NumPy's hstack).

    Args:
        tup: a list or tuple of Tensors, arrays or numbers (numbers become 1-D).
        dtype: cast each input to this dtype first (default None: no cast).
        casting: NumPy's rule for that cast: ``"same_kind"`` (the default), ``"safe"``, ``"unsafe"``, ...

    Returns:
        A Tensor whose axis 1 (axis 0 for 1-D inputs) is the inputs' added up.
    """
    arrays = [atleast_1d(x) for x in _operands(_sequence(tup, "hstack"))]
    arrays = _cast(arrays, dtype, casting, "hstack")
    return F.concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


@register("dstack", methods=())
def dstack(tup):
    """The inputs stacked depth-wise, along axis 2, each made at least 3-D first (NumPy's dstack).

    Args:
        tup: a list or tuple of Tensors, arrays or numbers.

    Returns:
        A Tensor with at least 3 dimensions, its axis 2 the inputs' added up.
    """
    return F.concatenate([atleast_3d(x) for x in _operands(_sequence(tup, "dstack"))], axis=2)


@register("column_stack", methods=())
def column_stack(tup):
    """1-D inputs as the columns of a matrix, 2-D inputs as they are, joined along axis 1 (NumPy's column_stack).

    Args:
        tup: a list or tuple of Tensors, arrays or numbers of equal length.

    Returns:
        A 2-D Tensor (N, total columns) for inputs of length N.
    """
    arrays = [x.reshape(-1, 1) if x.ndim < 2 else x for x in _operands(_sequence(tup, "column_stack"))]
    return F.concatenate(arrays, axis=1)


def _split_along(ary, indices_or_sections, axis, least, op):
    if ary.ndim < least:
        raise ValueError(f"{op} only works on arrays of {least} or more dimensions, got shape {ary.shape}")
    return F.split(ary, indices_or_sections, axis)


@register("vsplit", methods=())
def vsplit(ary, indices_or_sections):
    """``ary`` split along axis 0 (NumPy's vsplit).

    Args:
        ary: a Tensor with at least 2 dimensions.
        indices_or_sections: a number of equal sections, or a list of the indices to cut at.

    Returns:
        A list of Tensors, slices of ``ary`` along axis 0.
    """
    return _split_along(ary, indices_or_sections, 0, 2, "vsplit")


@register("hsplit", methods=())
def hsplit(ary, indices_or_sections):
    """``ary`` split along axis 1, or axis 0 of a 1-D tensor (NumPy's hsplit).

    Args:
        ary: a Tensor with at least 1 dimension.
        indices_or_sections: a number of equal sections, or a list of the indices to cut at.

    Returns:
        A list of Tensors, slices of ``ary``.
    """
    return _split_along(ary, indices_or_sections, 1 if ary.ndim > 1 else 0, 1, "hsplit")


@register("dsplit", methods=())
def dsplit(ary, indices_or_sections):
    """``ary`` split along axis 2 (NumPy's dsplit).

    Args:
        ary: a Tensor with at least 3 dimensions.
        indices_or_sections: a number of equal sections, or a list of the indices to cut at.

    Returns:
        A list of Tensors, slices of ``ary`` along axis 2.
    """
    return _split_along(ary, indices_or_sections, 2, 3, "dsplit")


@register("append", methods=())
def append(arr, values, axis=None):
    """``values`` joined after ``arr`` along ``axis`` (NumPy's append; a new Tensor, nothing is written in place).

    Args:
        arr: a Tensor, an array or a number.
        values: a Tensor, an array or a number; with an ``axis``, of ``arr``'s shape off that axis.
        axis: the axis to join along; None (the default): both are flattened first.

    Returns:
        A Tensor: 1-D of ``arr.size + values.size`` values when ``axis`` is None, else ``arr``'s shape
            grown along ``axis``.
    """
    arr, values = _operands([arr, values])
    if axis is None:
        arr, values, axis = arr.reshape(-1), values.reshape(-1), 0
    return F.concatenate([arr, values], axis=axis)


# ---------------------------------------------------------------- differences
_NO_VALUE = object()


@register("diff", methods=())
def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """The ``n``-th discrete difference along ``axis``: ``a[1:] - a[:-1]``, ``n`` times (NumPy's diff).

    Args:
        a: a Tensor, an array or a number with at least 1 dimension.
        n: how many times to take the difference (default 1; 0 returns ``a``).
        axis: the axis to run along (default -1).
        prepend: values put before ``a`` along ``axis`` first (a number or a Tensor/array of ``a``'s
            shape off ``axis``); left out by default.
        append: values put after ``a`` along ``axis`` first, likewise.

    Returns:
        A Tensor of ``a``'s shape (with ``prepend`` and ``append``) shortened by ``n`` along ``axis``;
            booleans give ``!=`` of neighbours, as NumPy.
    """
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
    """NumPy's numerical gradient: central differences inside, one-sided differences at the ends.

    Differentiable in ``f`` and in spacings given as Tensors.

    Args:
        f: a Tensor, an array or a number with at least ``edge_order + 1`` values along each axis used.
            Integers are taken as float64, as NumPy.
        *varargs: the spacing: none (1 everywhere), one scalar for every axis, or one per axis, each a
            scalar or the 1-D coordinates of the values along that axis.
        axis: the axis or axes to differentiate along (an int or a tuple); None (the default): every axis.
        edge_order: the accuracy at the ends: 1 (the default) or 2.

    Returns:
        A Tensor of ``f``'s shape for one axis, else a tuple of them, one per axis.
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
    """The Kronecker product: blocks of ``b``, each scaled by one value of ``a`` (NumPy's kron).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number.

    Returns:
        A Tensor whose shape is the product of the shapes, axis by axis (the shorter padded with 1s in front).
    """
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
    """The cross product of 3-vectors (or 2-vectors, as NumPy) along the vector axes, broadcasting the rest.

    Args:
        a: a Tensor, an array or a number with vectors of 2 or 3 values along ``axisa``.
        b: likewise along ``axisb``.
        axisa: the axis of ``a`` holding the vectors (default -1).
        axisb: the axis of ``b`` holding the vectors (default -1).
        axisc: the axis of the result holding the vectors (default -1).
        axis: one axis for all three; it overrides the others when given.

    Returns:
        A Tensor of the broadcast shape of the other axes, with 3-vectors along ``axisc``; for two
            2-vectors, the z components only (no vector axis).
    """
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
    """``log(exp(a) + exp(b))``, element-wise, without overflow; the gradient of ``a`` is ``exp(a - out)``.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

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
    """``log2(2**a + 2**b)``, element-wise, without overflow; the gradient of ``a`` is ``2**(a - out)``.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

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
    """The larger of ``a`` and ``b``, element-wise, ignoring NaN: where one side is NaN the other wins.

    Ties share the gradient as in ``maximum``; where both are NaN the result is NaN and the two share
    its gradient too.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
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
    """The smaller of ``a`` and ``b``, element-wise, ignoring NaN (the mirror image of ``fmax``).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    pick, wins = "fmin", "less"


@register("fabs", methods=())
def fabs(x):
    """The absolute value (NumPy's fabs): the same op and gradient as ``abs``.

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return F.abs(x)


@register("arcsinh")
class Arcsinh(Unary):
    """The inverse hyperbolic sine, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / F.sqrt(a * a + 1),)


@register("arccosh")
class Arccosh(Unary):
    """The inverse hyperbolic cosine, element-wise.

    Args:
        a: a Tensor, an array or a number, at least 1 (below: NaN).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / F.sqrt((a - 1) * (a + 1)),)


@register("deg2rad", methods=())
def deg2rad(x):
    """Degrees to radians: ``x * pi / 180``, element-wise.

    Args:
        x: angles in degrees: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return x * (math.pi / 180)


@register("radians", methods=())
def radians(x):
    """NumPy's other name of ``deg2rad``: degrees to radians.

    Args:
        x: angles in degrees: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return deg2rad(x)


@register("rad2deg", methods=())
def rad2deg(x):
    """Radians to degrees: ``x * 180 / pi``, element-wise.

    Args:
        x: angles in radians: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return x * (180 / math.pi)


@register("degrees", methods=())
def degrees(x):
    """NumPy's other name of ``rad2deg``: radians to degrees.

    Args:
        x: angles in radians: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return rad2deg(x)


@register("nan_to_num", methods=())
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers (NumPy's nan_to_num).

    The gradient is 1 where ``x`` was finite and 0 where a value was replaced.

    Args:
        x: a Tensor or an array.
        copy: NumPy's keyword, accepted: a new Tensor is returned whatever it says.
        nan: what NaN becomes (default 0.0).
        posinf: what +inf becomes (default None: the dtype's largest value).
        neginf: what -inf becomes (default None: the dtype's most negative value).

    Returns:
        A Tensor of ``x``'s shape and dtype (``x`` itself when it is not floating).
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
    """``m`` rotated by 90 degrees ``k`` times in the plane of ``axes``, from the first axis towards the second.

    Args:
        m: a Tensor with at least 2 dimensions.
        k: the number of quarter turns (default 1; negative turns the other way).
        axes: the two axes of the plane (default (0, 1)).

    Returns:
        A Tensor of ``m``'s shape, with the two axes' sizes exchanged for an odd ``k``.
    """
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
    """The order reversed along axis 1: a matrix's columns left to right (NumPy's fliplr).

    Args:
        m: a Tensor with at least 2 dimensions.

    Returns:
        A Tensor of ``m``'s shape.
    """
    if m.ndim < 2:
        raise ValueError(f"fliplr: needs at least 2 dimensions, got shape {m.shape}")
    return F.flip(m, 1)


@register("flipud", methods=())
def flipud(m):
    """The order reversed along axis 0: a matrix's rows upside down (NumPy's flipud).

    Args:
        m: a Tensor with at least 1 dimension.

    Returns:
        A Tensor of ``m``'s shape.
    """
    if m.ndim < 1:
        raise ValueError("flipud: needs at least 1 dimension, got a 0-d tensor")
    return F.flip(m, 0)


@register("rollaxis", methods=())
def rollaxis(a, axis, start=0):
    """``axis`` moved to stand before position ``start``, the others keeping their order (NumPy's rollaxis).

    Args:
        a: a Tensor.
        axis: the axis to move.
        start: the position it moves before (default 0: to the front), -ndim <= start <= ndim.

    Returns:
        A Tensor with ``a``'s axes reordered.
    """
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
    """The value of the first choice whose condition holds, else ``default`` (NumPy's select).

    Built of ``where``: a choice not taken gets no gradient, even where it is NaN.

    Args:
        condlist: a list of boolean Tensors or arrays.
        choicelist: a list of as many Tensors, arrays or numbers: the values where their conditions hold.
        default: the value where no condition holds (default 0).

    Returns:
        A Tensor of the broadcast shape of every condition, choice and ``default``.
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
    """Values rearranged along ``axis`` so that the ``kth`` is where sorting would put it (NumPy's partition).

    Smaller values come before it and larger after, in no particular order; the gradient follows the
    permutation.

    Args:
        a: a Tensor.
        kth: the position (an int, or a list of them) to put in sorted place.
        axis: the axis to partition along (default -1); None: the flattened values.
        kind: NumPy's selection algorithm (default ``"introselect"``, its only one).
        order: NumPy's field names for structured arrays; only None is accepted.

    Returns:
        A Tensor of ``a``'s shape (1-D when ``axis`` is None).
    """
    if order is not None:
        raise ValueError("partition: order= names fields of structured arrays, which tensors are not")
    if axis is None:
        a, axis = a.reshape(-1), -1
    data = array_of(a)
    return take_along_axis(a, backend.xp(data).argpartition(data, kth, axis=axis, kind=kind), axis)


# ---------------------------------------------------------------- evenly spaced values
@register("linspace", methods=())
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, requires_grad=False):
    """``num`` evenly spaced values from ``start`` to ``stop`` (NumPy's linspace), as a Tensor.

    Differentiable in ``start`` and ``stop`` when they are Tensors.

    Args:
        start: the first value: a number, an array or a Tensor.
        stop: the last value (or the end, excluded, without ``endpoint``), broadcasting against ``start``.
        num: how many values (default 50).
        endpoint: whether ``stop`` is the last value (default True).
        retstep: also return the step between values.
        dtype: the result's dtype (default: float32 for Python numbers, else the inputs' float dtype);
            integers are rounded down, as NumPy.
        axis: where the values run in the result when ``start`` and ``stop`` are arrays (default 0).
        requires_grad: make the result a leaf that requires grad, as PyTorch's.

    Returns:
        A Tensor of ``num`` values along ``axis`` (the broadcast shape of ``start`` and ``stop`` on the
            other axes); with ``retstep``, the tuple (values, step).
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
