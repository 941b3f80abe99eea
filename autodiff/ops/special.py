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
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * F.cos(a),)


@register("cos")
class Cos(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (-grad * F.sin(a),)


@register("tan")
class Tan(Unary):
    retain_output = True

    def backward(self, grad, out):
        return (grad * (1 + out * out),)


@register("arcsin")
class Arcsin(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / F.sqrt(1 - a * a),)


@register("arccos")
class Arccos(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (-grad / F.sqrt(1 - a * a),)


@register("arctan")
class Arctan(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (1 + a * a),)


@register("sinh")
class Sinh(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * F.cosh(a),)


@register("cosh")
class Cosh(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * F.sinh(a),)


@register("arctanh")
class Arctanh(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (1 - a * a),)


@register("log1p")
class Log1p(Unary):
    """log(1 + x), exact for tiny x."""

    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (1 + a),)


@register("expm1")
class Expm1(Unary):
    """exp(x) - 1, exact for tiny x."""

    retain_output = True

    def backward(self, grad, out):
        return (grad * (out + 1),)


@register("log2")
class Log2(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (a * math.log(2)),)


@register("log10")
class Log10(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad / (a * math.log(10)),)


@register("exp2")
class Exp2(Unary):
    retain_output = True

    def backward(self, grad, out):
        return (grad * out * math.log(2),)


@register("square")
class Square(Unary):
    retain_inputs = (0,)

    def backward(self, grad, a):
        return (grad * 2 * a,)


@register("reciprocal")
class Reciprocal(Function):
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
    pass


@register("ceil")
class Ceil(Rounding):
    pass


@register("round")
class Round(Rounding):
    """Round half to even, as NumPy (``decimals`` places)."""

    def __init__(self, decimals=0):
        super().__init__(decimals=decimals)

    def forward(self, a):
        return backend.xp(a).round(a, self.decimals)


@register("arctan2")
class Arctan2(Function):
    """The angle of (b, a): arctan2(a, b), quadrant-aware."""

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
    """sqrt(a**2 + b**2) without overflow."""

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
    """a - floor(a / b) * b, the sign of b (NumPy's and PyTorch's remainder).

    Gradients as PyTorch: 1 for a, -floor(a / b) for b.
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
    """floor(a / b): piecewise constant, so zero gradients (as PyTorch)."""

    def forward(self, a, b):
        return backend.xp(a).floor_divide(a, b)

    def backward(self, grad):
        need = self.needs_input_grad
        return (self.unbroadcast(grad * 0, 0) if need[0] else None,
                self.unbroadcast(grad * 0, 1) if need[1] else None)
