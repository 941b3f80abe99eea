"""Matrix products with NumPy's matmul rules: 1-D operands, 2-D, and batches that broadcast."""
from .. import backend
from .. import functional as F
from ..function import Function, unbroadcast
from ..registry import register


@register("matmul", methods=("matmul", "__matmul__"), reflected=("__rmatmul__",))
class MatMul(Function):
    retain_inputs = (0, 1)

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}; "
                             "use * to multiply by a scalar")
        k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
                             f"({k_a}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of the second ({k_b})")
        return backend.xp(a).matmul(a, b)

    def backward(self, grad, a, b):
        # Treat 1-D operands as matrices (a row, b a column), as matmul itself does,
        # and give the gradient back the axes that matmul dropped.
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        if a.ndim == 1 or b.ndim == 1:
            batch = backend.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
            grad = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        need = self.needs_input_grad
        grad_a = grad_b = None
        if need[0]:
            grad_a = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape, self.dtypes[0]).reshape(self.shapes[0])
        if need[1]:
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape, self.dtypes[1]).reshape(self.shapes[1])
        return grad_a, grad_b


@register("linear")
class Linear(Function):
    """``x @ weight + bias`` as one op (PyTorch's addmm): one output buffer, the bias added in place.

    weight is (in_features, out_features), bias (out_features,) or absent; x has
    any number of leading axes.  ``activation="relu"`` applies the ReLU in the
    same buffer, as fused dense kernels do: one node and no extra array.
    """

    retain_inputs = (0, 1)

    def __init__(self, activation=None):
        if activation not in (None, "relu"):
            raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
        super().__init__(activation=activation)
        self.retain_output = activation == "relu"

    def forward(self, x, weight, bias=None):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[0] or \
                bias is not None and bias.shape != (weight.shape[1],):
            raise ValueError(f"linear: x of shape {x.shape}, weight of shape {weight.shape}"
                             f"{'' if bias is None else f' and bias of shape {bias.shape}'} do not fit: "
                             "expected (..., in), (in, out) and (out,)")
        xp = backend.xp(x)
        out = xp.matmul(x, weight)
        if bias is not None:
            if backend.result_type(out, bias) != out.dtype:
                out = out + bias
            else:
                out += bias
        if self.activation == "relu":
            xp.maximum(out, 0, out=out)
        return out

    def backward(self, grad, x, weight, *out):
        if self.activation == "relu":
            grad = F.where(out[0] > 0, grad, 0)       # as Relu's rule: 0 at the kink
        need = self.needs_input_grad
        n_in, n_out = weight.shape
        rows = grad.reshape(-1, n_out)                 # every leading axis is a row
        grads = [None] * len(self.shapes)
        if need[0]:
            grads[0] = self.unbroadcast(grad @ weight.T, 0)
        if need[1]:
            grads[1] = self.unbroadcast(x.reshape(-1, n_in).T @ rows, 1)
        if len(self.shapes) == 3 and need[2]:
            grads[2] = self.unbroadcast(rows.sum(axis=0), 2)
        return tuple(grads)


@register("dot")
def dot(a, b):
    """NumPy's dot: a product for scalars, matmul up to 2-D, else a sum over the last axis
    of ``a`` and the second-to-last of ``b``."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return a @ b
    k = a.shape[-1]
    if b.shape[-2 if b.ndim > 1 else 0] != k:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned: {k} (last axis of the first) "
                         f"!= {b.shape[-2 if b.ndim > 1 else 0]} (second-to-last axis of the second)")
    if b.ndim == 1:
        return a @ b
    # Move b's contracted axis to the front and flatten the rest: one matrix product.
    rest = b.shape[:-2] + b.shape[-1:]
    b_axes = (b.ndim - 2,) + tuple(range(b.ndim - 2)) + (b.ndim - 1,)
    b_matrix = b.transpose(b_axes).reshape(k, -1)
    return (a.reshape(-1, k) @ b_matrix).reshape(a.shape[:-1] + rest)
