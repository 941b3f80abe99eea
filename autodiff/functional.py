"""NumPy-named functions over Tensors: ``ad.maximum(a, b)``, ``ad.concatenate([...])``, ...

Each is a thin call of a Tensor method or a composition of them.  They live
apart from tensor.py because their names (sum, max, abs) shadow Python's.
"""

from . import ops
from .tensor import Tensor


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# NumPy-named functions, each a thin call of a Tensor method.
def add(a, b): return _as_tensor(a) + b
def subtract(a, b): return _as_tensor(a) - b
def multiply(a, b): return _as_tensor(a) * b
def divide(a, b): return _as_tensor(a) / b
def power(a, b): return _as_tensor(a) ** b
def negative(a): return -_as_tensor(a)
def abs(a): return _as_tensor(a).abs()
def sqrt(a): return _as_tensor(a).sqrt()
def exp(a): return _as_tensor(a).exp()
def log(a): return _as_tensor(a).log()
def maximum(a, b): return _binary_function(a, b, Tensor.maximum)
def minimum(a, b): return _binary_function(a, b, Tensor.minimum)
def clip(a, a_min=None, a_max=None): return _as_tensor(a).clip(a_min, a_max)
def relu(x): return _as_tensor(x).relu()
def sigmoid(x): return _as_tensor(x).sigmoid()
def tanh(x): return _as_tensor(x).tanh()
def softmax(x, axis=-1): return _as_tensor(x).softmax(axis)
def log_softmax(x, axis=-1): return _as_tensor(x).log_softmax(axis)
def logsumexp(x, axis=None, keepdims=False): return _as_tensor(x).logsumexp(axis, keepdims)
def matmul(a, b): return _as_tensor(a) @ b
def sum(x, axis=None, keepdims=False): return _as_tensor(x).sum(axis, keepdims)
def mean(x, axis=None, keepdims=False): return _as_tensor(x).mean(axis, keepdims)
def max(x, axis=None, keepdims=False): return _as_tensor(x).max(axis, keepdims)
def min(x, axis=None, keepdims=False): return _as_tensor(x).min(axis, keepdims)
def reshape(x, *shape): return _as_tensor(x).reshape(*shape)
def transpose(x, axes=None): return _as_tensor(x).transpose(axes) if axes is not None else _as_tensor(x).transpose()
def flatten(x, start_dim=0, end_dim=-1): return _as_tensor(x).flatten(start_dim, end_dim)
def expand_dims(x, axis): return _as_tensor(x).expand_dims(axis)
def squeeze(x, axis=None): return _as_tensor(x).squeeze(axis)
def broadcast_to(x, shape): return _as_tensor(x).broadcast_to(shape)


def _binary_function(a, b, method):
    """A NumPy-style function of two operands where either may be the Tensor."""
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a = b._operand(a)
    return method(_as_tensor(a), b)


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` holds, else of ``b``; gradients select, never mask."""
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a = b._operand(a)
    return _as_tensor(a).where(condition, b)


def dot(a, b):
    """NumPy's dot: a product for scalars, matmul up to 2-D, else a sum over the last axis
    of ``a`` and the second-to-last of ``b``."""
    a, b = _as_tensor(a), _as_tensor(b)
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


def linear(x, weight, bias=None, activation=None):
    """``x @ weight + bias`` in one op, as a dense layer computes it: weight (in, out), bias (out,).

    ``activation="relu"`` fuses the ReLU into the same op and buffer.
    """
    fn = ops.Linear(activation)
    x = _as_tensor(x)
    return x.apply(fn, weight) if bias is None else x.apply(fn, weight, bias)


def concatenate(tensors, axis=0):
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated; use stack")
    ax = axis % ndim
    for t in tensors[1:]:
        if t.ndim != ndim or t.shape[:ax] + t.shape[ax + 1:] != tensors[0].shape[:ax] + tensors[0].shape[ax + 1:]:
            raise ValueError(f"concatenate: shapes {[x.shape for x in tensors]} must match on every axis but {axis}")
    return tensors[0].apply(ops.Concatenate(axis=ax), *tensors[1:])


def stack(tensors, axis=0):
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {[t.shape for t in tensors]}")
    return concatenate([t.expand_dims(axis) for t in tensors], axis=axis % (tensors[0].ndim + 1))


def softmax_cross_entropy(logits, targets, axis=-1):
    """Mean over rows of -sum(targets * log_softmax(logits)); gradient (softmax - targets) / rows."""
    logits, targets = _as_tensor(logits), _as_tensor(targets)
    if logits.shape != targets.shape:
        raise ValueError(f"softmax_cross_entropy: logits of shape {logits.shape} and targets of shape "
                         f"{targets.shape} must have the same shape")
    if targets.dtype != logits.dtype:          # labels computed in another dtype (Keras casts them too)
        targets = targets.astype(logits.dtype)
    return logits.apply(ops.SoftmaxCrossEntropy(axis=axis), targets)
