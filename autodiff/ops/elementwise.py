"""Element-wise ops.  Each forward sits beside its one gradient rule.

Binary rules reduce their gradients with ``self.unbroadcast`` so broadcasting
inputs get gradients of their own shape and dtype.  Masks for piecewise rules
are constants computed from the forward values: the rule is then exact for
higher derivatives too, since such masks have derivative zero.
"""
from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import apply


@register("add", methods=("__add__",), reflected=("__radd__",))
class Add(Function):
    """``a + b``, element-wise (also the ``+`` operator).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number; ``a`` and ``b`` broadcast against each other (a number
            takes the Tensor's dtype, so it never promotes float32).

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        need = self.needs_input_grad
        return (self.unbroadcast(grad, 0) if need[0] else None,
                self.unbroadcast(grad, 1) if need[1] else None)


@register("subtract", methods=("__sub__",), reflected=("__rsub__",))
class Sub(Function):
    """``a - b``, element-wise (also the ``-`` operator; NumPy's name ``subtract``).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number; ``a`` and ``b`` broadcast against each other (a number
            takes the Tensor's dtype, so it never promotes float32).

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        need = self.needs_input_grad
        return (self.unbroadcast(grad, 0) if need[0] else None,
                self.unbroadcast(-grad, 1) if need[1] else None)


@register("multiply", methods=("__mul__",), reflected=("__rmul__",))
class Mul(Function):
    """``a * b``, element-wise (also the ``*`` operator).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number; ``a`` and ``b`` broadcast against each other (a number
            takes the Tensor's dtype, so it never promotes float32).

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    retain_inputs = (0, 1)

    def forward(self, a, b):
        return a * b

    def backward(self, grad, a, b):
        need = self.needs_input_grad
        return (self.unbroadcast(grad * b, 0) if need[0] else None,
                self.unbroadcast(grad * a, 1) if need[1] else None)


@register("divide", methods=("__truediv__",), reflected=("__rtruediv__",))
class Div(Function):
    """``a / b``, true division, element-wise (also the ``/`` operator).

    Integers divide to floats, as in NumPy (float64 for two integer tensors).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number; ``a`` and ``b`` broadcast against each other (a number
            takes the Tensor's dtype, so it never promotes float32).

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    retain_inputs = (1,)
    retain_output = True

    def forward(self, a, b):
        return a / b

    def backward(self, grad, b, out):
        need = self.needs_input_grad
        return (self.unbroadcast(grad / b, 0) if need[0] else None,
                self.unbroadcast(-grad * out / b, 1) if need[1] else None)     # d(a/b)/db = -(a/b)/b


@register("power", methods=("__pow__",), reflected=("__rpow__",))
class Pow(Function):
    """``a ** b``, element-wise (also the ``**`` operator; ``Tensor.pow``).

    The gradient in ``a`` is 0 where ``b`` is 0, and the gradient in ``b`` is 0 where ``a`` is 0 and
    ``b >= 0`` (PyTorch's values), never NaN there.

    Args:
        a: the base: a Tensor, an array or a number.
        b: the exponent: a Tensor, an array or a number, broadcasting against ``a``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    retain_inputs = (0, 1)
    retain_output = True

    def forward(self, a, b):
        return a ** b

    def backward(self, grad, a, b, out):
        # d(a**b)/da is 0 where b is a constant 0 (x**0 is 1 everywhere: 0 whatever the upstream
        # gradient, even NaN, as PyTorch's rule selects), and at a == b == 0 when b is differentiated
        # too (0 * 0**-1 would be NaN; elsewhere the derivative in b of b * a**(b-1) must stay exact).
        # d(a**b)/db = a**b * log(a) is 0 where a == 0 and b >= 0: PyTorch's values.  Where the mask
        # holds the base is replaced by 1 inside the rule, so every higher order is 0 there (not 0 * inf).
        need = self.needs_input_grad
        grad_a = grad_b = None
        with backend.errstate(divide="ignore", invalid="ignore"):
            if need[0]:
                zero = (b == 0) & (a == 0) if need[1] else b == 0
                grad_a = self.unbroadcast(F.where(zero, 0, grad * b * F.where(zero, 1, a) ** (b - 1)), 0)
            if need[1]:
                grad_b = self.unbroadcast(F.where((a == 0) & (b >= 0), 0, grad * out * F.log(a)), 1)
        return grad_a, grad_b


@register("negative", methods=("__neg__",))
class Neg(Function):
    """``-a``, element-wise (also the unary ``-`` operator).

    Args:
        a: a Tensor, an array or a number (not boolean).

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


@register("sign")
class Sign(Function):
    """The sign of each value: -1, 0 or 1; piecewise constant, so its gradient is zero.

    Args:
        a: a Tensor, an array or a number (not boolean).

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    def forward(self, a):
        return backend.xp(a).sign(a)

    def backward(self, grad):
        return (grad * 0,)


@register("abs", methods=("abs", "__abs__"))
class Abs(Function):
    """``|a|``, element-wise (also the builtin ``abs(t)``); the gradient at 0 is 0, as in PyTorch.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    retain_inputs = (0,)

    def forward(self, a):
        return backend.xp(a).abs(a)

    def backward(self, grad, a):
        # sign(0) = 0: the gradient of |x| at its kink is 0, as in PyTorch.
        return (grad * F.sign(a),)


@register("sqrt")
class Sqrt(Function):
    """The square root, element-wise; its gradient at 0 is +inf, as in PyTorch and JAX.

    Args:
        a: a Tensor, an array or a number; negative values give NaN.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_output = True

    def forward(self, a):
        return backend.xp(a).sqrt(a)

    def backward(self, grad, out):
        # At 0 this is +inf (times the upstream gradient), as in PyTorch and JAX.
        return (grad * 0.5 / out,)


@register("exp")
class Exp(Function):
    """``e ** a``, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_output = True

    def forward(self, a):
        return backend.xp(a).exp(a)

    def backward(self, grad, out):
        return (grad * out,)


@register("log")
class Log(Function):
    """The natural logarithm, element-wise.

    Args:
        a: a Tensor, an array or a number; 0 gives -inf and negative values NaN.

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype (integers give float64, as NumPy).
    """

    retain_inputs = (0,)

    def forward(self, a):
        return backend.xp(a).log(a)

    def backward(self, grad, a):
        return (grad / a,)


@register("relu")
class Relu(Function):
    """``max(a, 0)``, element-wise; the gradient at 0 is 0 (the unit is off), as in PyTorch and Keras.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape and dtype.
    """

    retain_output = True

    def forward(self, a):
        return backend.relu(a)

    def backward(self, grad, out):
        # At 0 the gradient is 0 (the unit is off), as in PyTorch and Keras.
        return (F.where(out > 0, grad, 0),)


@register("sigmoid")
class Sigmoid(Function):
    """The logistic function ``1 / (1 + exp(-a))``, element-wise, exact in both tails (never overflows).

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape with values in [0, 1]; a floating input keeps its dtype.
    """

    retain_output = True

    def forward(self, a):
        # 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with e = exp(-|x|): never
        # overflows, and exact in both tails (sigmoid(-40) is 4.25e-18, not 1 - (1 - tiny)).
        xp = backend.xp(a)
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1, e) / (1 + e)

    def backward(self, grad, out):
        return (grad * out * (1 - out),)


@register("tanh")
class Tanh(Function):
    """The hyperbolic tangent, element-wise.

    Args:
        a: a Tensor, an array or a number.

    Returns:
        A Tensor of ``a``'s shape with values in [-1, 1]; a floating input keeps its dtype.
    """

    retain_output = True

    def forward(self, a):
        return backend.xp(a).tanh(a)

    def backward(self, grad, out):
        return (grad * (1 - out * out),)


@register("maximum")
class Maximum(Function):
    """The larger of ``a`` and ``b``, element-wise (NaN wins, as in NumPy; ``fmax`` ignores it).

    At ties each side gets half the gradient, as PyTorch splits them; the side that lost gets exactly 0.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number; ``a`` and ``b`` broadcast against each other (a number
            takes the Tensor's dtype, so it never promotes float32).

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    pick, wins = "maximum", "greater"

    def forward(self, a, b):
        xp = backend.xp(a)
        if any(self.needs_input_grad):
            dtype = backend.result_type(a, b)
            self.saved = getattr(xp, self.wins)(a, b).astype(dtype) + (a == b).astype(dtype) * dtype.type(0.5)
        return getattr(xp, self.pick)(a, b)

    def backward(self, grad):
        # The side that lost gets exactly 0 (selected, not multiplied by 0): an inf or NaN upstream
        # gradient stays on the winner's side, as in PyTorch.
        share_a, need = self.saved, self.needs_input_grad
        return (self.unbroadcast(F.where(share_a == 0, 0, grad * share_a), 0) if need[0] else None,
                self.unbroadcast(F.where(share_a == 1, 0, grad * (1 - share_a)), 1) if need[1] else None)


@register("minimum")
class Minimum(Maximum):
    """The smaller of ``a`` and ``b``, element-wise: the mirror image of ``maximum`` (ties share the gradient).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number; ``a`` and ``b`` broadcast against each other (a number
            takes the Tensor's dtype, so it never promotes float32).

    Returns:
        A Tensor of the inputs' broadcast shape.
    """

    pick, wins = "minimum", "less"


@register("clip")
class Clip(Function):
    """``a`` limited to [min, max], element-wise; the gradient passes where ``min <= a <= max``, else 0.

    Args:
        a: a Tensor, an array or a number.
        min: the lower bound, a number (a constant: it gets no gradient); None: no lower bound.
        max: the upper bound, likewise; one of ``min`` and ``max`` must be given.
        a_min: NumPy's name of ``min`` (``np.clip(t, a_min=0)``); it wins when both are given.
        a_max: NumPy's name of ``max``.

    Returns:
        A Tensor of ``a``'s shape and dtype (the bounds are taken in ``a``'s dtype).

    Raises:
        ValueError: when neither bound is given.
    """

    def __init__(self, min=None, max=None, a_min=None, a_max=None):
        # a_min and a_max: NumPy's names (np.clip(x, a_min=0) works on arrays, so it works here too).
        min, max = (b if a is None else a for a, b in ((a_min, min), (a_max, max)))
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        super().__init__(min=min, max=max)

    def forward(self, a):
        xp = backend.xp(a)
        if any(self.needs_input_grad):
            inside = xp.ones(a.shape, dtype=bool)
            if self.min is not None:
                inside &= a >= self.min
            if self.max is not None:
                inside &= a <= self.max
            self.saved = inside
        # Bounds in the tensor's dtype: a NumPy float64 bound must not promote float32.
        low, high = (None if v is None else backend.asarray(v, dtype=a.dtype) for v in (self.min, self.max))
        return xp.clip(a, low, high)

    def backward(self, grad):
        return (F.where(self.saved, grad, 0),)


@register("where", methods=())
class Where(Function):
    """``a`` where ``condition`` holds, else ``b`` (NumPy's three-argument where).

    The rule selects (never multiplies by a mask), so a NaN or inf in the branch not taken cannot
    leak into the gradient of the branch taken.

    Args:
        condition: a boolean Tensor or array (compare first: ``x > 0``); it gets no gradient.
        a: the values where ``condition`` is true: a Tensor, an array or a number.
        b: the values elsewhere; ``condition``, ``a`` and ``b`` broadcast together.

    Returns:
        A Tensor of the three inputs' broadcast shape.

    Raises:
        TypeError: when ``condition`` is not boolean.
    """

    retain_inputs = (0,)

    def forward(self, condition, a, b):
        if condition.dtype != bool:
            raise TypeError(f"where: the condition must be boolean, got {condition.dtype}; compare first, e.g. x > 0")
        return backend.where(condition, a, b)

    def backward(self, grad, condition):
        need = self.needs_input_grad
        return (None,
                self.unbroadcast(F.where(condition, grad, 0), 1) if need[1] else None,
                self.unbroadcast(F.where(condition, 0, grad), 2) if need[2] else None)


@register("where", methods=("where",), export=False)
def tensor_where(self, condition, other):
    """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``Tensor.where``).

    Args:
        condition: a boolean Tensor or array, broadcasting against ``self`` and ``other``.
        other: the values where ``condition`` is false: a Tensor, an array or a number.

    Returns:
        A Tensor of the broadcast shape: ``ad.where(condition, self, other)``.
    """
    return F.where(condition, self, other)


class Cast(Function):
    def __init__(self, dtype):
        super().__init__(dtype=backend.dtype(dtype))

    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, grad):
        return (grad.astype(self.dtypes[0]),)

    def label(self):
        return f"astype({self.dtype.name})"


@register("astype")
def astype(x, dtype):
    """``x`` converted to ``dtype``; gradients come back in ``x``'s own dtype.

    Args:
        x: a Tensor.
        dtype: the dtype wanted: a NumPy dtype or its name (``np.float64``, ``"float32"``, ``bool``).

    Returns:
        ``x`` itself when it already has ``dtype``, else a new Tensor of ``x``'s shape in ``dtype``.
    """
    return x if x.dtype == backend.dtype(dtype) else apply(Cast(dtype), x)


@register("float", export=False)
def to_float(x):
    """``x`` in the default float dtype, float32, as PyTorch's ``Tensor.float()``.

    Args:
        x: a Tensor.

    Returns:
        ``x`` itself when it is float32 already, else a float32 Tensor of its shape.
    """
    return astype(x, backend.float32)


@register("clone", export=False)
def clone(x):
    """A copy of ``x`` with its own buffer (PyTorch's ``clone``); gradients flow through it.

    Args:
        x: a Tensor.

    Returns:
        A new Tensor of ``x``'s shape and dtype.
    """
    return apply(Cast(x.dtype), x)
