"""Reductions over ``axis`` (None, an int, or a tuple or list of them) with ``keepdims``."""
from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import Tensor, apply, array_of


def normalize_axes(axis, ndim, op):
    """The reduced axes as a sorted tuple of non-negative ints; a clear error when out of range."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    axes = (axis,) if isinstance(axis, int) or getattr(axis, "ndim", None) == 0 else tuple(axis)
    result = []
    for ax in axes:
        if not hasattr(ax, "__index__") or isinstance(ax, bool) or not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"{op}: axis {ax!r} is out of range for a tensor with {ndim} dimensions")
        result.append(int(ax) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(sorted(result))


def kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Reduction(Function):
    def __init__(self, axis=None, keepdims=False, dtype=None, out=None):
        # dtype and out are NumPy's: np.sum(t) and np.mean(t) call t.sum(axis=..., dtype=..., out=...).
        if out is not None:
            raise TypeError(f"{self.name}: out= is not supported (tensors are not written in place); "
                            "use the returned tensor")
        if dtype is not None:
            raise TypeError(f"{self.name}: dtype= is not supported; cast first with .astype(dtype)")
        super().__init__(axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)

    def reduced_axes(self, a):
        """Checked in the forward, where the input's dimensions are known."""
        self.axes = normalize_axes(self.axis, a.ndim, self.name)
        return self.axes

    def spread(self, value):
        """A reduced value (the upstream gradient, the output) reshaped to broadcast against the input."""
        return value.reshape(kept_shape(self.shapes[0], self.axes))


@register("sum")
class Sum(Reduction):
    """The sum of the values over ``axis`` (also ``Tensor.sum``, ``np.sum(t)``).

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``; 0-d for
            every axis); in ``a``'s dtype (booleans count as int64, as NumPy).
    """

    def forward(self, a):
        return a.sum(axis=self.reduced_axes(a), keepdims=self.keepdims)

    def backward(self, grad):
        return (F.broadcast_to(self.spread(grad), self.shapes[0]),)


@register("mean")
class Mean(Reduction):
    """The mean of the values over ``axis`` (of nothing: NaN, as NumPy).

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``; 0-d for
            every axis); a floating input keeps its dtype, integers give float64.
    """

    def forward(self, a):
        return a.mean(axis=self.reduced_axes(a), keepdims=self.keepdims)

    def backward(self, grad):
        shape = self.shapes[0]
        count = 1
        for i in self.axes:
            count *= shape[i]
        return (F.broadcast_to(self.spread(grad), shape) * (1.0 / max(count, 1)),)


class Extremum(Reduction):
    """max/min: at ties the gradient is shared equally among the tied elements.

    This is the rule of PyTorch's amax/amin and of JAX: the result is the
    symmetric subgradient, and it keeps max(x) == max over any permutation.
    """

    def forward(self, a):
        axes = self.reduced_axes(a)
        if any(a.shape[i] == 0 for i in axes):           # NumPy's rule: reducing an empty axis has no answer
            raise ValueError(f"{self.name}: cannot reduce over an axis of size 0 (tensor of shape {a.shape}, "
                             f"axis {self.axis}); reducing other axes of an empty tensor is fine")
        out = getattr(backend.xp(a), self.name)(a, axis=axes, keepdims=True)
        if any(self.needs_input_grad):
            winners = a == out
            self.saved = winners / winners.sum(axis=axes, keepdims=True, dtype=a.dtype)
        return out if self.keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        return (self.spread(grad) * self.saved,)


@register("max")
class Max(Extremum):
    """The largest value over ``axis`` (also ``Tensor.max``, ``np.max(t)``; NumPy's amax, PyTorch's amax).

    At ties the gradient is shared equally among the tied values (PyTorch's amax and JAX's rule);
    NaN wins, as in NumPy.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``; 0-d for
            every axis), in ``a``'s dtype.

    Raises:
        ValueError: when a reduced axis has size 0 (a maximum of nothing).
    """

    pass


@register("min")
class Min(Extremum):
    """The smallest value over ``axis`` (also ``Tensor.min``): the mirror image of ``max`` (ties share the gradient).

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``; 0-d for
            every axis), in ``a``'s dtype.

    Raises:
        ValueError: when a reduced axis has size 0 (a minimum of nothing).
    """

    pass


@register("logsumexp")
class LogSumExp(Reduction):
    """``log(sum(exp(a)))`` over ``axis``, without overflow (shifted by the maximum).

    Its gradient is the softmax of ``a`` along those axes.  A row of -inf gives -inf (not NaN), and so does
    an empty axis.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``; 0-d for
            every axis); a floating input keeps its dtype.
    """

    retain_inputs = (0,)
    retain_output = True

    def forward(self, a):
        xp, axes = backend.xp(a), self.reduced_axes(a)
        shift = xp.max(a, axis=axes, keepdims=True) if a.size else xp.zeros(kept_shape(a.shape, axes), a.dtype)
        shift = xp.where(xp.isfinite(shift), shift, 0)   # all -inf rows stay -inf, not NaN
        with backend.errstate(divide="ignore"):          # an empty axis sums to 0: log gives -inf
            out = xp.log(xp.sum(xp.exp(a - shift), axis=axes, keepdims=True)) + shift
        return out if self.keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad, a, out):
        return (self.spread(grad) * F.exp(a - self.spread(out)),)


@register("argmax")
def argmax(x, axis=None, out=None, keepdims=False):
    """The index of the largest value (the first one at ties), along ``axis``; no gradient.

    Args:
        x: a Tensor.
        axis: the axis to search along (an int); None (the default): the index into the flattened values.
        out: NumPy's keyword, only None (tensors are not written in place).
        keepdims: keep the searched axis with size 1 (default False).

    Returns:
        An int64 Tensor of ``x``'s shape without ``axis`` (0-d when ``axis`` is None), outside the graph.
    """
    _no_out("argmax", out)
    return Tensor._wrap(backend.asarray(x.data.argmax(axis=axis, keepdims=keepdims)))


@register("argmin")
def argmin(x, axis=None, out=None, keepdims=False):
    """The index of the smallest value (the first one at ties), along ``axis``; no gradient.

    Args:
        x: a Tensor.
        axis: the axis to search along (an int); None (the default): the index into the flattened values.
        out: NumPy's keyword, only None (tensors are not written in place).
        keepdims: keep the searched axis with size 1 (default False).

    Returns:
        An int64 Tensor of ``x``'s shape without ``axis`` (0-d when ``axis`` is None), outside the graph.
    """
    _no_out("argmin", out)
    return Tensor._wrap(backend.asarray(x.data.argmin(axis=axis, keepdims=keepdims)))


def _no_out(op, out=None, dtype=None, mean=None):
    """NumPy's out=, dtype= and mean= keywords: accepted by name, refused when given a value."""
    if out is not None:
        raise TypeError(f"{op}: out= is not supported (tensors are not written in place); use the returned tensor")
    if dtype is not None:
        raise TypeError(f"{op}: dtype= is not supported; cast first with .astype(dtype)")
    if mean is not None:
        raise TypeError(f"{op}: mean= (a precomputed mean) is not supported; leave it out")


def _count(shape, axes):
    count = 1
    for i in axes:
        count *= shape[i]
    return count


@register("var")
def var(x, axis=None, keepdims=False, ddof=0, dtype=None, out=None, correction=None, mean=None):
    """The variance over ``axis``: the mean squared distance from the mean, divided by ``n - ddof``.

    Args:
        x: a Tensor.
        ddof: "delta degrees of freedom": 0 (NumPy's default) divides by n; 1 gives the unbiased estimate
            (PyTorch's default ``unbiased=True``).
        correction: NumPy 2's and PyTorch's name of ``ddof``; it wins when given.
        mean: NumPy 2's precomputed mean; only None is accepted.

    Returns:
        A Tensor of the shape of ``x`` with the reduced axes removed (kept as 1 with ``keepdims``); a
            floating input keeps its dtype.

    Raises:
        ValueError: when ``n - ddof <= 0``.
    """
    _no_out("var", out, dtype, mean)
    ddof = ddof if correction is None else correction
    axes = normalize_axes(axis, x.ndim, "var")
    n = _count(x.shape, axes)
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} values")
    centered = x - F.mean(x, axes, keepdims=True)
    return F.sum(centered * centered, axes, keepdims=keepdims) * (1.0 / (n - ddof))


@register("std")
class Std(Reduction):
    """The standard deviation over ``axis``: the square root of ``var`` (dividing by ``n - ddof``).

    Where every value is equal (std 0) the gradient is 0, as PyTorch and HIPS autograd give.

    Args:
        a: a Tensor, an array or a number.
        ddof: "delta degrees of freedom": 0 (NumPy's default) divides by n; 1 by n - 1 (PyTorch's default).
        correction: NumPy 2's and PyTorch's name of ``ddof``; it wins when given.
        mean: NumPy 2's precomputed mean; only None is accepted.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``); a
            floating input keeps its dtype.

    Raises:
        ValueError: when ``n - ddof <= 0``.
    """

    retain_inputs = (0,)
    retain_output = True

    def __init__(self, axis=None, keepdims=False, ddof=0, dtype=None, out=None, correction=None, mean=None):
        _no_out("std", mean=mean)
        super().__init__(axis, keepdims, dtype, out)
        ddof = ddof if correction is None else correction      # NumPy 2's (and PyTorch's) name for ddof
        self.settings = dict(self.settings, ddof=ddof)
        self.ddof = ddof

    def forward(self, a):
        axes = self.reduced_axes(a)
        n = _count(a.shape, axes)
        if n - self.ddof <= 0:
            raise ValueError(f"std: ddof={self.ddof} leaves no degrees of freedom for {n} values")
        return backend.xp(a).std(a, axis=axes, keepdims=self.keepdims, ddof=self.ddof)

    def backward(self, grad, a, out):
        centered = a - F.mean(a, self.axes, keepdims=True)
        out = self.spread(out)
        with backend.errstate(divide="ignore", invalid="ignore"):
            scale = F.where(out == 0, 0, self.spread(grad) / out)
        return (scale * centered * (1.0 / (_count(self.shapes[0], self.axes) - self.ddof)),)


@register("norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """A vector norm over one axis, or the Frobenius (2-) norm of all values over several.

    The 2-norm has gradient 0 at 0, as PyTorch's.

    Args:
        x: a Tensor.
        ord: None or 2 (the default: the Euclidean norm), ``"fro"`` (the same over any number of axes),
            1 (the sum of absolute values) or ``inf`` (the largest absolute value); 1, 2 and inf take
            one axis.  Matrix norms other than Frobenius are not defined here.

    Returns:
        A Tensor of the shape of ``x`` with the reduced axes removed (kept as 1 with ``keepdims``).

    Raises:
        ValueError: for another ``ord``, or ``ord`` 1, 2 or inf over several axes.
    """
    axes = normalize_axes(axis, x.ndim, "norm")
    if ord in (None, 2, "fro") and (ord != 2 or len(axes) == 1):
        return F.sqrt_of_sum_of_squares(x, axes, keepdims) if axes else abs(x)
    if len(axes) != 1:
        raise ValueError(f"norm: ord={ord!r} over {len(axes)} axes is a matrix norm; vector norms (ord 1, 2, inf) "
                         "take one axis, and the Frobenius norm (ord None or 'fro') any")
    if ord == 1:
        return F.sum(abs(x), axes, keepdims=keepdims)
    if ord in (float("inf"), "inf"):
        return F.max(abs(x), axes, keepdims=keepdims)
    raise ValueError(f"norm: ord must be None, 'fro', 1, 2 or inf, got {ord!r}")


@register("sqrt_of_sum_of_squares", methods=())
class SqrtOfSumOfSquares(Reduction):
    """sqrt(sum(x**2)) over axes: the Euclidean norm, with gradient 0 where it is 0 (as PyTorch)."""

    retain_inputs = (0,)
    retain_output = True

    def forward(self, a):
        axes = self.reduced_axes(a)
        return backend.xp(a).sqrt((a * a).sum(axis=axes, keepdims=self.keepdims))

    def backward(self, grad, a, out):
        out = self.spread(out)
        # PyTorch's rule, masked as it is: grad * (a / norm), with 0 for a / norm where the norm is 0.  The
        # upstream gradient stays outside the mask, so a second derivative never meets 0 / 0 through it.
        with backend.errstate(divide="ignore", invalid="ignore"):
            return (self.spread(grad) * F.where(out == 0, 0, a / out),)


@register("prod")
class Prod(Reduction):
    """The product of the values over ``axis``.

    The gradient of each value is the product of the others, computed as such (never as product / value),
    so it is exact with one zero or several.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of the shape of ``a`` with the reduced axes removed (kept as 1 with ``keepdims``; 0-d for
            every axis); in ``a``'s dtype (booleans count as int64).
    """

    retain_inputs = (0,)

    def forward(self, a):
        return a.prod(axis=self.reduced_axes(a), keepdims=self.keepdims)

    def backward(self, grad, a):
        # The product of the others is (product of those before) * (product of those after): running
        # products both ways, so this rule, and every order of it, takes memory linear in n.
        shape, axes = self.shapes[0], self.axes
        kept = [i for i in range(len(shape)) if i not in axes]
        order = kept + list(axes)
        rows = F.transpose(a, order).reshape([shape[i] for i in kept] + [_count(shape, axes)])
        others = _exclusive_cumprod(rows) * F.flip(_exclusive_cumprod(F.flip(rows, -1)), -1)
        others = others.reshape([shape[i] for i in order])
        inverse = [order.index(i) for i in range(len(shape))]
        return (F.transpose(others, inverse) * self.spread(grad),)


def _exclusive_cumprod(x):
    """Along the last axis: 1, x_0, x_0 x_1, ..., x_0 ... x_{n-2} (the product of the values before each)."""
    if x.shape[-1] == 0:
        return x
    ones = backend.xp(array_of(x)).ones(x.shape[:-1] + (1,), dtype=x.dtype)
    return F.concatenate([ones, F.cumprod(x, -1)[..., :-1]], axis=-1)


class Recurrence(Function):
    """s_0 = g_0, s_i = g_i + c_i * s_{i-1} along the last axis (c_0 is not used).

    The first-order linear recurrence that cumprod's gradient needs, exact with zeros (no division);
    its own gradient is the same recurrence run backwards, so every order stays linear in memory.
    """

    retain_inputs = (1,)
    retain_output = True

    def forward(self, g, c):
        xp = backend.xp(g)
        s = xp.moveaxis(g, -1, 0).astype(backend.result_type(g, c), copy=True)   # contiguous steps
        c = xp.moveaxis(c, -1, 0)
        for i in range(1, s.shape[0]):
            s[i] += c[i] * s[i - 1]
        return xp.moveaxis(s, 0, -1)

    def backward(self, grad, c, s):
        need = self.needs_input_grad
        later = _reverse_recurrence(grad, c)                 # how each s_i reaches the output
        before = _shift_right(s)                              # s_{i-1}, and 0 for i = 0
        return (self.unbroadcast(later, 0) if need[0] else None,
                self.unbroadcast(later * before, 1) if need[1] else None)


def _shift_right(x):
    zeros = backend.xp(array_of(x)).zeros(x.shape[:-1] + (1,), dtype=x.dtype)
    return F.concatenate([zeros, x[..., :-1]], axis=-1)


def _reverse_recurrence(g, c):
    """t_{n-1} = g_{n-1}, t_i = g_i + c_{i+1} * t_{i+1}: the recurrence run from the end."""
    if g.shape[-1] == 0:
        return g
    return F.flip(apply(Recurrence(), F.flip(g, -1), _shift_right(F.flip(c, -1))), -1)


@register("cumsum")
class Cumsum(Function):
    """The running sum along ``axis``: value i is the sum of values 0..i.

    Args:
        a: a Tensor, an array or a number.
        axis: the axis to run along (an int, negative from the end); None (the default): along the
            flattened values, as NumPy.

    Returns:
        A Tensor of ``a``'s shape (1-D of ``a``'s size when ``axis`` is None), in ``a``'s dtype (booleans
            count as int64).
    """

    def __init__(self, axis=None, dtype=None, out=None):
        _no_out(self.name, out, dtype)
        super().__init__(axis=axis)

    def forward(self, a):
        if self.axis is None:
            a = a.reshape(-1)
        self.along = normalize_axes(0 if self.axis is None else self.axis, a.ndim, "cumsum")[0]
        return backend.xp(a).cumsum(a, axis=self.along)

    def backward(self, grad):
        # Each value reaches every later sum: the running sum of the gradient taken from the end (as
        # such, not total - cumsum + grad, which cancels, and turns one inf into NaN for the whole row).
        later = F.flip(F.cumsum(F.flip(grad, self.along), self.along), self.along)
        return (later.reshape(self.shapes[0]),)


@register("all")
def all_(x, axis=None, keepdims=False):
    """Whether every value is true (non-zero) over ``axis``; no gradient.

    Args:
        x: a Tensor.
        axis: the axis or axes to test over (an int or a tuple of ints); None (the default): every axis.
        keepdims: keep each tested axis with size 1 (default False).

    Returns:
        A boolean Tensor of ``x``'s shape with the tested axes removed (0-d for every axis), outside the graph.
    """
    return Tensor._wrap(backend.asarray(x.data.all(axis=axis, keepdims=keepdims)))


@register("any")
def any_(x, axis=None, keepdims=False):
    """Whether some value is true (non-zero) over ``axis``; no gradient.

    Args:
        x: a Tensor.
        axis: the axis or axes to test over (an int or a tuple of ints); None (the default): every axis.
        keepdims: keep each tested axis with size 1 (default False).

    Returns:
        A boolean Tensor of ``x``'s shape with the tested axes removed (0-d for every axis), outside the graph.
    """
    return Tensor._wrap(backend.asarray(x.data.any(axis=axis, keepdims=keepdims)))


@register("cumprod")
class Cumprod(Function):
    """The running product along ``axis``: value i is the product of values 0..i.

    The gradient uses the products of the other values, never a division, so it is exact with zeros.

    Args:
        a: a Tensor, an array or a number.
        axis: the axis to run along (an int, negative from the end); None (the default): along the
            flattened values, as NumPy.

    Returns:
        A Tensor of ``a``'s shape (1-D of ``a``'s size when ``axis`` is None), in ``a``'s dtype (booleans
            count as int64).
    """

    retain_inputs = (0,)

    def __init__(self, axis=None, dtype=None, out=None):
        _no_out(self.name, out, dtype)
        super().__init__(axis=axis)

    def forward(self, a):
        if self.axis is None:
            a = a.reshape(-1)
        self.along = normalize_axes(0 if self.axis is None else self.axis, a.ndim, "cumprod")[0]
        return backend.xp(a).cumprod(a, axis=self.along)

    def backward(self, grad, a):
        if self.axis is None:
            a = a.reshape(-1)
        last = a.ndim - 1
        x, g = F.moveaxis(a, self.along, last), F.moveaxis(grad, self.along, last)
        # d y_k / d x_i = (x_0 ... x_{i-1}) (x_{i+1} ... x_k) for k >= i, so the gradient of x_i is
        # (x_0 ... x_{i-1}) * sum_{k >= i} g_k x_{i+1} ... x_k, and that sum is a recurrence from the end.
        total = _reverse_recurrence(g, x)
        return (F.moveaxis(_exclusive_cumprod(x) * total, last, self.along).reshape(self.shapes[0]),)
