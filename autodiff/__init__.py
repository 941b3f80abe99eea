"""autodiff: reverse-mode automatic differentiation on arrays.

    import autodiff as ad
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x @ x.T).relu().sum()
    y.backward()
    x.grad
"""
from . import backend, functional, ops  # noqa: F401  (importing ops declares every op: ad.exp, ad.sum, ...)
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import grad
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .mode import current_scope, enable_grad, is_grad_enabled, keep_values, name_scope, no_grad, set_grad_enabled
from .tensor import (DEFAULT_FLOAT, Tensor, apply, arange, as_tensor, full, ones, ones_like, rand, randn, seed, tensor, zeros,
                     zeros_like)
from .viz import draw_graph

__all__ = [name for name in dir() if not name.startswith("_")]
