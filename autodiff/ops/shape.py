"""Ops that move elements around without changing them: their gradients move them back."""
import numpy as np

from ..broadcast import unbroadcast
from ..function import Function


class Reshape(Function):
    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, grad):
        return (grad.reshape(self.parents[0].shape),)


class Transpose(Function):
    def forward(self, a):
        return a.transpose(self.axes)

    def backward(self, grad):
        return (grad.transpose(tuple(np.argsort(self.axes))) if self.axes is not None else grad.transpose(),)


class BroadcastTo(Function):
    name = "broadcast_to"

    def forward(self, a):
        return np.broadcast_to(a, self.shape)

    def backward(self, grad):
        return (unbroadcast(grad, self.parents[0]),)


class Concatenate(Function):
    def forward(self, *arrays):
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, grad):
        grads, start = [], 0
        axis = self.axis % grad.ndim
        for x, needed in zip(self.parents, self.needs_input_grad):
            stop = start + x.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(grad[index] if needed else None)
            start = stop
        return tuple(grads)


def has_integer_array(index):
    """True when NumPy indexing with ``index`` may pick one element several times."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) and np.asarray(p).dtype.kind in "iu" for p in parts)


class GetItem(Function):
    def forward(self, a):
        return a[self.index]

    def backward(self, grad):
        return (grad.apply(Unindex(shape=self.parents[0].shape, index=self.index)),)

    def label(self):
        return f"getitem[{_index_text(self.index)}]"


class Unindex(Function):
    """The adjoint of ``x[index]``: a zero tensor of ``shape`` with ``grad`` added at ``index``.

    Repeated integer indices accumulate (``np.add.at``); slices and masks pick
    each element at most once, so a plain assignment is enough and much faster.
    """

    def forward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        if has_integer_array(self.index):
            np.add.at(out, self.index, grad)
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
        elif isinstance(p, np.ndarray):
            text.append(f"<{p.dtype.name} array {p.shape}>")
        else:
            text.append(str(p))
    return ", ".join(text)
