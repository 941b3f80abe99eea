"""Activation functions beyond relu, sigmoid and tanh, with PyTorch's names and defaults.

Primitives (softplus, leaky_relu, elu, relu6, erf) have forwards that stay
exact in both tails and rules written with ``autodiff.functional``; the rest
are compositions of ops, so their gradients of every order come from the
rules of their parts.  ``nn.activations`` gives them Keras's defaults.
"""
import math

from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import apply

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _floating(a):
    """The dtype of a float result from ``a``: its own when floating, else float64 (NumPy's for exp)."""
    return a.dtype if a.dtype.kind == "f" else backend.float64


@register("softplus")
class Softplus(Function):
    """``log(1 + exp(a))``, element-wise, exact in both tails (NumPy's ``logaddexp(0, a)``).

    A smooth relu; its gradient is ``sigmoid(a)``.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype, integers give float64.
    """

    retain_inputs = (0,)

    def forward(self, a):
        a = a.astype(_floating(a), copy=False)      # integers in float64 first (NumPy's exp of int8 is float16)
        return backend.xp(a).logaddexp(0, a)

    def backward(self, grad, a):
        return (grad * F.sigmoid(a),)


@register("log_sigmoid")
def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, element-wise, exact in both tails.

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape with values <= 0; a floating input keeps its dtype.
    """
    return -F.softplus(-x)


@register("leaky_relu")
class LeakyRelu(Function):
    """``a`` where ``a > 0``, else ``negative_slope * a``, element-wise (PyTorch's leaky_relu).

    The gradient at 0 is the slope, as PyTorch's.

    Args:
        a: a Tensor, an array or a number.
        negative_slope: the slope left of 0 (PyTorch's default 0.01; Keras's LeakyReLU uses 0.3).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype.
    """

    def __init__(self, negative_slope=0.01):
        super().__init__(negative_slope=negative_slope)

    def forward(self, a):
        self.saved = positive = a > 0
        return backend.where(positive, a, a * self.negative_slope)

    def backward(self, grad):
        return (F.where(self.saved, grad, grad * self.negative_slope),)


@register("elu")
class Elu(Function):
    """``a`` where ``a > 0``, else ``alpha * (exp(a) - 1)``, element-wise.

    The gradient at 0 is ``alpha``, PyTorch's value.

    Args:
        a: a Tensor, an array or a number.
        alpha: the scale of the negative side, which tends to ``-alpha`` (default 1.0).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype, integers give float64.
    """

    retain_output = True

    def __init__(self, alpha=1.0):
        super().__init__(alpha=alpha)

    def forward(self, a):
        a = a.astype(_floating(a), copy=False)      # integers in float64 first (NumPy's exp of int8 is float16)
        positive = a > 0
        self.saved = (positive, a < 0)
        with backend.errstate(over="ignore"):               # exp of large x is not taken
            negative = self.alpha * backend.xp(a).expm1(backend.xp(a).minimum(a, 0))
        return backend.where(positive, a, negative.astype(a.dtype, copy=False))

    def backward(self, grad, out):
        # alpha * exp(x) = out + alpha left of 0.  At 0 the gradient is alpha and, through the second
        # mask, the second derivative 0: PyTorch's values at every order.
        positive, negative = self.saved
        return (F.where(positive, grad, grad * (F.where(negative, out, 0) + self.alpha)),)


@register("selu")
def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al.

    ``alpha`` = 1.6732632423543772, ``scale`` = 1.0507009873554805, as PyTorch's and Keras's selu.

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return F.elu(x, SELU_ALPHA) * SELU_SCALE


@register("relu6")
class Relu6(Function):
    """``min(max(a, 0), 6)``, element-wise; the gradient is 1 strictly between 0 and 6, else 0.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    def forward(self, a):
        self.saved = (a > 0) & (a < 6)
        return backend.xp(a).clip(a, 0, 6).astype(a.dtype, copy=False)

    def backward(self, grad):
        return (F.where(self.saved, grad, 0),)


@register("hard_sigmoid")
def hard_sigmoid(x):
    """``relu6(x + 3) / 6``, element-wise: a piecewise linear sigmoid (PyTorch's hardsigmoid, Keras 3's hard_sigmoid).

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape with values in [0, 1]; a floating input keeps its dtype.
    """
    return F.relu6(x + 3.0) * (1.0 / 6.0)


@register("hard_swish")
def hard_swish(x):
    """``x * hard_sigmoid(x)``, element-wise (PyTorch's hardswish).

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return x * hard_sigmoid(x)


@register("silu")
def silu(x):
    """``x * sigmoid(x)``, element-wise (also called swish).

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return x * F.sigmoid(x)


@register("swish")
def swish(x):
    """``x * sigmoid(x)``, element-wise: the same function as ``silu``.

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return silu(x)


@register("mish")
def mish(x):
    """``x * tanh(softplus(x))``, element-wise.

    Args:
        x: a Tensor, an array or a number.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.
    """
    return x * F.tanh(F.softplus(x))


@register("erf")
class Erf(Function):
    """The error function ``2 / sqrt(pi) * integral of exp(-t**2) from 0 to a``, element-wise.

    Exact; on NumPy, which has no erf, computed value by value.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape with values in [-1, 1]; a floating input keeps its dtype.
    """

    retain_inputs = (0,)

    def forward(self, a):
        return backend.erf(a)

    def backward(self, grad, a):
        return (grad * (2 / math.sqrt(math.pi)) * F.exp(-a * a),)


class GeluTanh(Function):
    """0.5 x (1 + tanh(k (x + c x^3))) as one node: a transformer's MLP runs it on its widest
    activations, where a composite records nine.  The rule is written with ops, so any order follows."""

    retain_inputs = (0,)
    K, C = math.sqrt(2 / math.pi), 0.044715

    def forward(self, x):
        xp = backend.xp(x)
        x = xp.asarray(x, dtype=xp.result_type(x, 1.0))      # integers in floats first (int8 * int8 overflows)
        t = xp.asarray(x * x)                                # k (x + c x^3) in one buffer (0-d too)
        t *= self.K * self.C
        t += self.K
        t *= x
        xp.tanh(t, out=t)
        t += 1.0
        t *= x
        t *= 0.5
        return t

    def backward(self, grad, x):
        x2 = x * x
        t = F.tanh(x * (self.K + self.K * self.C * x2))
        slope = 0.5 * (1.0 + t) + (0.5 * self.K) * x * (1.0 - t * t) * (1.0 + 3 * self.C * x2)
        return (grad * slope,)


@register("gelu")
def gelu(x, approximate="none"):
    """``x * Phi(x)``, element-wise, Phi the standard normal CDF (the Gaussian error linear unit).

    Args:
        x: a Tensor, an array or a number.
        approximate: ``"none"`` (the default): the exact formula, through ``erf``; ``"tanh"``: the tanh
            approximation ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x**3)))``, as PyTorch's and
            Keras's ``approximate=True``, recorded as one op.

    Returns:
        A Tensor of ``x``'s shape; a floating input keeps its dtype.

    Raises:
        ValueError: for any other ``approximate``.
    """
    if approximate == "tanh":
        return apply(GeluTanh(), x)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1.0 + F.erf(x * (1 / math.sqrt(2))))
