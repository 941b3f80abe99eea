"""Ops that move elements around without changing them: their gradients move them back."""
import math

from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import apply, index_arg, shape_arg


@register("reshape")
class Reshape(Function):
    def __init__(self, *shape):
        super().__init__(shape=shape_arg(shape, self.name))

    def forward(self, a):
        try:
            return a.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                             f"into {self.shape}") from None

    def backward(self, grad):
        return (grad.reshape(self.shapes[0]),)


@register("transpose")
class Transpose(Function):
    """Permute the axes (reverse them when none are given)."""

    def __init__(self, *args, axes=None):
        if args and args != (None,):
            axes = args
        super().__init__(axes=shape_arg(axes, "transpose") if axes is not None else None)

    def forward(self, a):
        axes = self.axes if self.axes is not None else tuple(range(a.ndim))[::-1]
        if len(axes) != a.ndim or sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes "
                             f"of a tensor of shape {a.shape}")
        self.order = tuple(ax % a.ndim for ax in axes)
        return a.transpose(self.order)

    def backward(self, grad):
        inverse = [0] * len(self.order)
        for position, axis in enumerate(self.order):
            inverse[axis] = position
        return (grad.transpose(inverse),)


@register("T", prop=True, export=False)
def matrix_transpose(x):
    return F.transpose(x)


@register("swapaxes")
def swapaxes(x, axis1, axis2):
    if not (-x.ndim <= axis1 < x.ndim and -x.ndim <= axis2 < x.ndim):
        raise ValueError(f"swapaxes: axes {axis1} and {axis2} are out of range for a tensor of shape {x.shape}")
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return F.transpose(x, axes)


@register("mT", prop=True, export=False)
def matrix_transpose_last(x):
    """The last two axes swapped (a batch of matrices transposed)."""
    if x.ndim < 2:
        raise ValueError(f"mT: needs at least 2 dimensions, got a tensor of shape {x.shape}")
    return swapaxes(x, -1, -2)


@register("broadcast_to")
class BroadcastTo(Function):
    def __init__(self, *shape):
        super().__init__(shape=shape_arg(shape, self.name))

    def forward(self, a):
        if len(self.shape) < a.ndim:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {self.shape}: "
                             "the tensor is larger than the target")
        try:
            return backend.xp(a).broadcast_to(a, self.shape)
        except ValueError as exc:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {self.shape}: {exc}") from None

    def backward(self, grad):
        return (self.unbroadcast(grad, 0),)


@register("flatten")
def flatten(x, start_dim=0, end_dim=-1):
    """Join axes start_dim..end_dim into one (all of them by default, like NumPy's flatten)."""
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


@register("expand_dims")
def expand_dims(x, axis):
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


@register("squeeze")
def squeeze(x, axis=None):
    if axis is None:
        return x.reshape(tuple(n for n in x.shape if n != 1))
    axes = {a % max(x.ndim, 1) for a in ((axis,) if isinstance(axis, int) else axis)}
    if any(x.shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not equal to one "
                         f"(axis {axis}, tensor of shape {x.shape})")
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


@register("concatenate")
class Concatenate(Function):
    def __init__(self, axis=0):
        super().__init__(axis=axis)

    def forward(self, *arrays):
        if not arrays:
            raise ValueError("concatenate: needs at least one tensor")
        if arrays[0].ndim == 0:
            raise ValueError("concatenate: 0-d tensors cannot be concatenated; use stack")
        return backend.xp(arrays[0]).concatenate(arrays, axis=self.axis)

    def backward(self, grad):
        grads, start = [], 0
        axis = self.axis % grad.ndim
        for i, shape in enumerate(self.shapes):
            stop = start + shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(self.unbroadcast(grad[index], i) if self.needs_input_grad[i] else None)
            start = stop
        return tuple(grads)


@register("stack")
def stack(tensors, axis=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {[t.shape for t in tensors]}")
    axis = axis % (len(tensors[0].shape) + 1)
    return F.concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def has_integer_array(index):
    """True when NumPy indexing with ``index`` may pick one element several times."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(backend.is_array(p) and p.dtype.kind in "iu" for p in parts)


@register("getitem", methods=("__getitem__",), export=False)
class GetItem(Function):
    def __init__(self, index):
        super().__init__(index=index_arg(index))

    def forward(self, a):
        return a[self.index]

    def backward(self, grad):
        return (apply(Unindex(self.shapes[0], self.index), grad),)

    def label(self):
        return f"getitem[{_index_text(self.index)}]"


class Unindex(Function):
    """The adjoint of ``x[index]``: a zero tensor of ``shape`` with ``grad`` added at ``index``.

    Repeated integer indices accumulate (scatter-add); slices and masks pick
    each element at most once, so a plain assignment is enough and much faster.
    """

    def __init__(self, shape, index):
        super().__init__(shape=shape, index=index)

    def forward(self, grad):
        out = backend.xp(grad).zeros(self.shape, dtype=grad.dtype)
        if has_integer_array(self.index):
            backend.scatter_add(out, self.index, grad)
        else:
            out[self.index] = grad
        return out

    def backward(self, grad):
        return (grad[self.index],)

    def label(self):
        return f"unindex[{_index_text(self.index)}]"


def _index_text(index):
    parts = index if isinstance(index, tuple) else (index,)
    text = []
    for p in parts:
        if isinstance(p, slice):
            text.append(":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":") or ":")
        elif p is Ellipsis:
            text.append("...")
        elif p is None:
            text.append("None")
        elif backend.is_array(p):
            text.append(f"<{p.dtype.name} array {p.shape}>")
        else:
            text.append(str(p))
    return ", ".join(text)
