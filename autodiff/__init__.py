"""autodiff: reverse-mode automatic differentiation on arrays.

    import autodiff as ad
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x @ x.T).relu().sum()
    y.backward()
    x.grad

``__all__`` is the user's surface: tensors, their constructors, every op, grad
modes, checks and drawings.  It names no submodule and leaves out the ops that
share a name with a Python builtin (``sum max min abs round all any pow``), so
``from autodiff import *`` never shadows them: write ``ad.sum``, ``ad.max``.
What an op author needs (``Function``, ``register``, ``unbroadcast``, the
array backend) is gathered in ``autodiff.extend``.

Every op is a function here and a method of Tensor (``ad.exp(t)``, ``t.exp()``),
and NumPy's function of the same name runs it on Tensors (``np.exp(t)``).  Its
inputs may be Tensors, arrays or numbers: a number takes the Tensor's dtype (a
Python float never promotes float32), inputs broadcast as in NumPy, and the
result is a Tensor, recorded for backward when an input requires grad.  Floating
inputs keep their dtype; element-wise math on integers follows NumPy (``exp``
of int64 gives float64).  Given no Tensor at all, an op with a gradient rule
computes on the arrays and returns an array: gradient rules run on them so.
"""
import builtins as _builtins

from . import backend, functional, ops  # noqa: F401  (importing ops declares every op: ad.exp, ad.sum, ...)
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .backend import keep_heap_slack
from .engine import grad
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .mode import enable_grad, is_grad_enabled, keep_values, name_scope, no_grad, set_grad_enabled
from .registry import OPS as _OPS
from .tensor import DEFAULT_FLOAT, Tensor, arange, as_tensor, full, ones, ones_like, rand, randn, seed, tensor, zeros, zeros_like
from .viz import draw_graph
from . import extend  # noqa: E402,F401  (after the ops: it gathers from them)
from . import onnx  # noqa: E402,F401  (ad.onnx.export; the onnx package is imported when it runs)

_INTERNAL = {"sqrt_of_sum_of_squares"}       # an op other ops' rules call (norm's), not one users call

__all__ = (["AnomalyError", "DEFAULT_FLOAT", "Function", "GradcheckError", "Tensor", "arange", "as_tensor",
            "detect_anomaly", "draw_graph", "enable_grad", "full", "grad", "gradcheck", "gradgradcheck",
            "is_anomaly_enabled", "is_grad_enabled", "keep_heap_slack", "keep_values", "name_scope", "no_grad",
            "ones", "ones_like", "rand", "randn", "seed", "set_detect_anomaly", "set_grad_enabled", "tensor",
            "zeros", "zeros_like"]
           + [name for name, op in _OPS.items()
              if op.export and name not in _INTERNAL and not hasattr(_builtins, name)])
