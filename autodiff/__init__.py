"""autodiff: reverse-mode automatic differentiation on NumPy arrays.

    import autodiff as ad
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x @ x.T).relu().sum()
    y.backward()
    x.grad
"""
from .function import Function
from .mode import enable_grad, is_grad_enabled, name_scope, current_scope, no_grad, set_grad_enabled
from .tensor import (DEFAULT_FLOAT, Tensor, arange, full, grad, ones, ones_like, rand, randn, seed,
                     tensor, zeros, zeros_like)
from .functional import (abs, add, broadcast_to, clip, concatenate, divide, dot, exp, expand_dims, flatten, log,
                         linear, log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum, multiply, negative, power,
                         relu, reshape, sigmoid, softmax, softmax_cross_entropy, sqrt, squeeze, stack, subtract, sum,
                         tanh, transpose, where)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .viz import draw_graph

__all__ = [name for name in dir() if not name.startswith("_")]
