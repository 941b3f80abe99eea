"""NumPy's element-wise math: trigonometry, logarithms and exponentials in other bases, rounding.

Each rule is written with ``autodiff.functional`` on the values it retains, so
it serves every order of derivative.  Rounding functions are piecewise
constant: their gradient is zero (as PyTorch's).
"""
import math

from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register


class Unary(Function):
    """An element-wise op of one input computed by the array module's function of the same name."""

    def forward(self, a):
        return getattr(backend.xp(a), self.name)(a)


@register("sin")
class Sin(Unary):
    """The sine, element-wise.

    Args:
        a: angles in radians: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * F.cos(a),)


@register("cos")
class Cos(Unary):
    """The cosine, element-wise.

    Args:
        a: angles in radians: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (-grad * F.sin(a),)


@register("tan")
class Tan(Unary):
    """The tangent, element-wise.

    Args:
        a: angles in radians: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_output = True

    def backward(self, grad, out):
        return (grad * (1 + out * out),)


@register("arcsin")
class Arcsin(Unary):
    """The inverse sine, element-wise, in radians in [-pi/2, pi/2].

    Args:
        a: a Tensor, an array or a number in [-1, 1] (outside: NaN).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / F.sqrt(1 - a * a),)


@register("arccos")
class Arccos(Unary):
    """The inverse cosine, element-wise, in radians in [0, pi].

    Args:
        a: a Tensor, an array or a number in [-1, 1] (outside: NaN).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (-grad / F.sqrt(1 - a * a),)


@register("arctan")
class Arctan(Unary):
    """The inverse tangent, element-wise, in radians in (-pi/2, pi/2).

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (1 + a * a),)


@register("sinh")
class Sinh(Unary):
    """The hyperbolic sine, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * F.cosh(a),)


@register("cosh")
class Cosh(Unary):
    """The hyperbolic cosine, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * F.sinh(a),)


@register("arctanh")
class Arctanh(Unary):
    """The inverse hyperbolic tangent, element-wise.

    Args:
        a: a Tensor, an array or a number in (-1, 1) (±1 give ±inf, outside NaN).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (1 - a * a),)


@register("log1p")
class Log1p(Unary):
    """``log(1 + a)``, element-wise, exact for tiny ``a``.

    Args:
        a: a Tensor, an array or a number, greater than -1.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (1 + a),)


@register("expm1")
class Expm1(Unary):
    """``exp(a) - 1``, element-wise, exact for tiny ``a``.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_output = True

    def backward(self, grad, out):
        return (grad * (out + 1),)


@register("log2")
class Log2(Unary):
    """The base-2 logarithm, element-wise.

    Args:
        a: a Tensor, an array or a number; 0 gives -inf, negative values NaN.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (a * math.log(2)),)


@register("log10")
class Log10(Unary):
    """The base-10 logarithm, element-wise.

    Args:
        a: a Tensor, an array or a number; 0 gives -inf, negative values NaN.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (a * math.log(10)),)


@register("exp2")
class Exp2(Unary):
    """``2 ** a``, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_output = True

    def backward(self, grad, out):
        return (grad * out * math.log(2),)


@register("square")
class Square(Unary):
    """``a * a``, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * 2 * a,)


@register("reciprocal")
class Reciprocal(Function):
    """``1 / a``, element-wise (0 gives inf).

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype, integers give float64.
    """

    retain_output = True

    def forward(self, a):
        return 1 / a if a.dtype.kind == "f" else 1.0 / a

    def backward(self, grad, out):
        return (-grad * out * out,)


class Rounding(Unary):
    """Piecewise constant: the gradient is zero everywhere (PyTorch's convention at the jumps too)."""

    def backward(self, grad):
        return (grad * 0,)


@register("floor")
class Floor(Rounding):
    """The largest integer not greater than each value (as floats for a floating input).

    Piecewise constant: its gradient is zero everywhere, as PyTorch's.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    pass


@register("ceil")
class Ceil(Rounding):
    """The smallest integer not less than each value (as floats for a floating input).

    Piecewise constant: its gradient is zero everywhere, as PyTorch's.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    pass


@register("round")
class Round(Rounding):
    """Each value rounded to ``decimals`` places, half to even (as NumPy's round; also ``round(t)``).

    Piecewise constant: its gradient is zero everywhere, as PyTorch's.

    Args:
        a: a Tensor, an array or a number.
        decimals: how many decimal places to keep (default 0; negative: round to tens, hundreds, ...).

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    def __init__(self, decimals=0):
        super().__init__(decimals=decimals)

    def forward(self, a):
        return backend.xp(a).round(a, self.decimals)


@register("arctan2")
class Arctan2(Function):
    """The angle of the point (b, a) from the x axis, ``arctan(a / b)`` aware of the quadrant, element-wise.

    Args:
        a: the y coordinates: a Tensor, an array or a number.
        b: the x coordinates, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape, in radians in [-pi, pi].
    """

    retain_inputs = (0, 1)

    def forward(self, a, b):
        return backend.xp(a).arctan2(a, b)

    def backward(self, grad, a, b):
        scale = grad / (a * a + b * b)
        need = self.needs_input_grad
        return (self.unbroadcast(scale * b, 0) if need[0] else None,
                self.unbroadcast(-scale * a, 1) if need[1] else None)


@register("hypot")
class Hypot(Function):
    """``sqrt(a**2 + b**2)``, element-wise, without overflow.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    retain_inputs = (0, 1)
    retain_output = True

    def forward(self, a, b):
        return backend.xp(a).hypot(a, b)

    def backward(self, grad, a, b, out):
        need = self.needs_input_grad
        return (self.unbroadcast(grad * a / out, 0) if need[0] else None,
                self.unbroadcast(grad * b / out, 1) if need[1] else None)


@register("mod", methods=("mod", "__mod__"), reflected=("__rmod__",))
class Mod(Function):
    """The remainder ``a - floor(a / b) * b``, element-wise, with the sign of ``b`` (also the ``%`` operator).

    NumPy's and PyTorch's remainder; gradients as PyTorch's: 1 for ``a``, ``-floor(a / b)`` for ``b``.

    Args:
        a: the dividend: a Tensor, an array or a number.
        b: the divisor, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    retain_inputs = (0, 1)

    def forward(self, a, b):
        return backend.xp(a).mod(a, b)

    def backward(self, grad, a, b):
        need = self.needs_input_grad
        return (self.unbroadcast(grad, 0) if need[0] else None,
                self.unbroadcast(-grad * F.floor(a / b), 1) if need[1] else None)


@register("floor_divide", methods=("floor_divide", "__floordiv__"), reflected=("__rfloordiv__",))
class FloorDivide(Function):
    """``floor(a / b)``, element-wise (also the ``//`` operator); piecewise constant, so zero gradients.

    Args:
        a: the dividend: a Tensor, an array or a number.
        b: the divisor, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    def forward(self, a, b):
        return backend.xp(a).floor_divide(a, b)

    def backward(self, grad):
        need = self.needs_input_grad
        return (self.unbroadcast(grad * 0, 0) if need[0] else None,
                self.unbroadcast(grad * 0, 1) if need[1] else None)
