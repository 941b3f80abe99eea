"""Matrix products with NumPy's matmul rules: 1-D operands, 2-D, and batches that broadcast."""
import numpy as np

from ..broadcast import unbroadcast
from ..function import Function


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
