"""Matrix products with NumPy's matmul rules: 1-D operands, 2-D, and batches that broadcast."""
import numpy as np

from ..broadcast import unbroadcast
from ..function import Function
from ..mode import is_grad_enabled
from .elementwise import select_or_zero


class MatMul(Function):
    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}; "
                             "use * to multiply by a scalar")
        k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
                             f"({k_a}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of the second ({k_b})")
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.parents
        # Treat 1-D operands as matrices (a row, b a column), as matmul itself does,
        # and give the gradient back the axes that matmul dropped.
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        grad2 = grad
        if a.ndim == 1 or b.ndim == 1:
            batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
            grad2 = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad2 @ b2.mT, a2).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(a2.mT @ grad2, b2).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function):
    """``x @ weight + bias`` as one op (PyTorch's addmm): one output buffer, the bias added in place.

    weight is (in_features, out_features), bias (out_features,) or absent; x has
    any number of leading axes.  ``activation="relu"`` applies the ReLU in the
    same buffer, as fused dense kernels do: one node and no extra array.
    """

    def __init__(self, activation=None):
        if activation not in (None, "relu"):
            raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
        super().__init__(activation=activation)

    def forward(self, x, weight, bias=None):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[0] or \
                bias is not None and bias.shape != (weight.shape[1],):
            raise ValueError(f"linear: x of shape {x.shape}, weight of shape {weight.shape}"
                             f"{'' if bias is None else f' and bias of shape {bias.shape}'} do not fit: "
                             "expected (..., in), (in, out) and (out,)")
        out = np.matmul(x, weight)
        if bias is not None:
            if np.result_type(out, bias) != out.dtype:
                out = out + bias
            else:
                out += bias
        if self.activation == "relu":
            np.maximum(out, 0, out=out)
        return out

    def backward(self, grad):
        if not is_grad_enabled():
            return self._backward_arrays(grad)
        x, weight = self.parents[:2]
        need = self.needs_input_grad
        if self.activation == "relu":
            grad = grad.where(self.output.data > 0, 0.0)       # as Relu's rule: 0 at the kink
        grads = [None] * len(self.parents)
        if need[0]:
            grads[0] = unbroadcast(grad @ weight.T, x)
        rows = grad.reshape(-1, weight.shape[1]) if grad.ndim != 2 else grad     # every leading axis is a row
        if need[1]:
            x_rows = x.reshape(-1, weight.shape[0]) if x.ndim != 2 else x
            grads[1] = unbroadcast(x_rows.T @ rows, weight)
        if len(self.parents) == 3 and need[2]:
            grads[2] = unbroadcast(rows.sum(axis=0), self.parents[2])
        return tuple(grads)

    def _backward_arrays(self, grad):
        """The same rule on the arrays, when no graph of the gradient is built (the usual backward).

        Every Dense layer runs this once per step; without the Tensor ops around
        the NumPy calls (and their extra arrays) the backward of an MNIST step
        took about 760 us instead of 860.  gradgradcheck covers the Tensor rule
        above, gradcheck this one, and a test checks that the two agree.
        """
        x, weight = self.parents[0].data, self.parents[1].data
        need = self.needs_input_grad
        g = grad.data
        if self.activation == "relu":
            g = select_or_zero(self.output.data > 0, g)
        grads = [None] * len(self.parents)
        if need[0]:
            grads[0] = g @ weight.T
        rows = g.reshape(-1, weight.shape[1])
        if need[1]:
            grads[1] = x.reshape(-1, weight.shape[0]).T @ rows
        if len(self.parents) == 3 and need[2]:
            grads[2] = rows.sum(axis=0)
        as_tensor = type(grad)
        return tuple(None if g_ is None else as_tensor(g_.astype(p.dtype, copy=False))
                     for g_, p in zip(grads, self.parents))
