"""Element-wise ops.  Each forward sits beside its gradient rule.

Binary rules reduce their gradients with ``unbroadcast`` so broadcasting
inputs get gradients of their own shape and dtype.  Masks for piecewise rules
are computed from the forward values as constant arrays: the rule is then
exact for higher derivatives too, since such masks have derivative zero.
"""
import numpy as np

from ..broadcast import unbroadcast
from ..function import Function


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        a, b = self.parents
        return (unbroadcast(grad, a) if self.needs_input_grad[0] else None,
                unbroadcast(grad, b) if self.needs_input_grad[1] else None)


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        a, b = self.parents
        return (unbroadcast(grad, a) if self.needs_input_grad[0] else None,
                unbroadcast(-grad, b) if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.parents
        return (unbroadcast(grad * b, a) if self.needs_input_grad[0] else None,
                unbroadcast(grad * a, b) if self.needs_input_grad[1] else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        a, b = self.parents
        grad_b = None
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(-grad * self.output / b, b)     # d(a/b)/db = -(a/b)/b
        return (unbroadcast(grad / b, a) if self.needs_input_grad[0] else None, grad_b)


class Pow(Function):
    def forward(self, a, b):
        return a ** b

    def backward(self, grad):
        a, b = self.parents
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad * b * a ** (b - 1), a)
        if self.needs_input_grad[1]:
            # d(a**b)/db = a**b * log(a): defined for a > 0 only.
            grad_b = unbroadcast(grad * self.output * a.log(), b)
        return grad_a, grad_b


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Abs(Function):
    def forward(self, a):
        return np.abs(a)

    def backward(self, grad):
        # sign(0) = 0: the gradient of |x| at its kink is 0, as in PyTorch.
        return (grad * np.sign(self.parents[0].data),)


class Sqrt(Function):
    def forward(self, a):
        return np.sqrt(a)

    def backward(self, grad):
        # At 0 this is +inf (times the upstream gradient), as in PyTorch and JAX.
        return (grad * 0.5 / self.output,)


class Exp(Function):
    def forward(self, a):
        return np.exp(a)

    def backward(self, grad):
        return (grad * self.output,)


class Log(Function):
    def forward(self, a):
        return np.log(a)

    def backward(self, grad):
        return (grad / self.parents[0],)


class Relu(Function):
    def forward(self, a):
        return np.maximum(a, 0)

    def backward(self, grad):
        # At 0 the gradient is 0 (the unit is off), as in PyTorch and Keras.
        return (grad.where(self.output.data > 0, 0.0),)


class Sigmoid(Function):
    def forward(self, a):
        # 0.5 * (1 + tanh(x / 2)) equals 1 / (1 + exp(-x)) and never overflows.
        half = a.dtype.type(0.5) if a.dtype.kind == "f" else 0.5
        return half * (1 + np.tanh(half * a))

    def backward(self, grad):
        y = self.output
        return (grad * y * (1 - y),)


class Tanh(Function):
    def forward(self, a):
        return np.tanh(a)

    def backward(self, grad):
        y = self.output
        return (grad * (1 - y * y),)


def _share_of_ties(a, b, wins):
    """Weight of ``a`` in max/min(a, b): 1 where it wins, 1/2 at ties (as PyTorch splits them)."""
    dtype = np.result_type(a, b)
    return wins.astype(dtype) + (a == b).astype(dtype) * dtype.type(0.5)


class Maximum(Function):
    pick, wins = staticmethod(np.maximum), staticmethod(np.greater)

    def forward(self, a, b):
        if any(self.needs_input_grad):
            self.saved = _share_of_ties(a, b, self.wins(a, b))
        return self.pick(a, b)

    def backward(self, grad):
        a, b = self.parents
        share_a = self.saved
        return (unbroadcast(grad * share_a, a) if self.needs_input_grad[0] else None,
                unbroadcast(grad * (1 - share_a), b) if self.needs_input_grad[1] else None)


class Minimum(Maximum):
    """The mirror image of Maximum: same rule, the other winner."""

    pick, wins = staticmethod(np.minimum), staticmethod(np.less)


class Clip(Function):
    """clip(x, low, high) with constant bounds; the gradient passes where low <= x <= high."""

    def forward(self, a):
        return np.clip(a, self.low, self.high)

    def backward(self, grad):
        x = self.parents[0].data
        inside = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return (grad.where(inside, 0.0),)


def select_or_zero(condition, a):
    """``np.where(condition, a, 0)`` for a float array ``a`` of the condition's shape, faster.

    Selecting against zero (relu's and clip's gradients) as a product is
    several times faster than np.where, and the same whenever ``a`` is finite.
    """
    with np.errstate(invalid="ignore", over="ignore"):     # the check below handles inf and NaN
        out = np.multiply(a, condition)
        flat = out.reshape(-1)
        # An inf or NaN anywhere makes the sum of squares non-finite; BLAS's dot
        # finds it four times faster than np.sum.  (Squares of huge values can
        # overflow too: then np.where runs, which is only slower.)
        finite = np.isfinite(np.dot(flat, flat))
    return out if finite else np.where(condition, a, a.dtype.type(0))


class Where(Function):
    """where(condition, a, b) with a constant boolean condition.

    The rule selects (never multiplies by a mask), so a NaN or inf in the
    branch not taken cannot leak into the gradient of the branch taken.
    """

    def forward(self, a, b):
        if b.ndim == 0 and b == 0 and a.shape == self.condition.shape and a.dtype.kind == "f":
            return select_or_zero(self.condition, a)
        return np.where(self.condition, a, b)

    def backward(self, grad):
        a, b = self.parents
        return (unbroadcast(grad.where(self.condition, 0.0), a) if self.needs_input_grad[0] else None,
                unbroadcast(grad.where(~self.condition, 0.0), b) if self.needs_input_grad[1] else None)

    def label(self):
        return "where"


class Cast(Function):
    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, grad):
        return (grad.astype(self.parents[0].dtype),)

    def label(self):
        return f"astype({np.dtype(self.dtype).name})"
