"""Reductions over ``axis`` (None, an int or a tuple) with ``keepdims``."""
import numpy as np

from ..function import Function


def normalize_axes(axis, ndim, op):
    """The reduced axes as a sorted tuple of non-negative ints; a clear error when out of range."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"{op}: axis {ax!r} is out of range for a tensor with {ndim} dimensions")
        result.append(int(ax) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(sorted(result))


def kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _Reduction(Function):
    def __init__(self, axis=None, keepdims=False):
        super().__init__(axis=axis, keepdims=keepdims)

    def spread(self, grad):
        """Upstream gradient reshaped so that it broadcasts against the input."""
        x = self.parents[0]
        return grad.reshape(kept_shape(x.shape, normalize_axes(self.axis, x.ndim, self.name)))


class Sum(_Reduction):
    def forward(self, a):
        return a.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        return (self.spread(grad).broadcast_to(self.parents[0].shape),)


class Mean(_Reduction):
    def forward(self, a):
        return a.mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        x = self.parents[0]
        count = x.size // max(self.output.size, 1) if x.size else 1
        return (self.spread(grad).broadcast_to(x.shape) * (1.0 / count),)


class _Extremum(_Reduction):
    """max/min: at ties the gradient is shared equally among the tied elements.

    This is the rule of PyTorch's amax/amin and of JAX: the result is the
    symmetric subgradient, and it keeps max(x) == max over any permutation.
    """

    def forward(self, a):
        if a.size == 0:
            raise ValueError(f"{self.name}: cannot reduce an empty tensor of shape {a.shape}")
        out = self.reduce(a, axis=self.axis, keepdims=True)
        if any(self.needs_input_grad):
            winners = a == out
            self.saved = winners / winners.sum(axis=self.axis, keepdims=True, dtype=a.dtype)
        return out if self.keepdims else np.squeeze(out, axis=normalize_axes(self.axis, a.ndim, self.name))

    def backward(self, grad):
        return (self.spread(grad) * self.saved,)


class Max(_Extremum):
    reduce = staticmethod(np.max)


class Min(_Extremum):
    reduce = staticmethod(np.min)


class LogSumExp(_Reduction):
    def forward(self, a):
        shift = np.max(a, axis=self.axis, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)   # all -inf rows stay -inf, not NaN
        out = np.log(np.sum(np.exp(a - shift), axis=self.axis, keepdims=True)) + shift
        return out if self.keepdims else np.squeeze(out, axis=normalize_axes(self.axis, a.ndim, self.name))

    def backward(self, grad):
        x = self.parents[0]
        out = self.spread(self.output)
        return (self.spread(grad) * (x - out).exp(),)

    @property
    def name(self):
        return "logsumexp"
