"""Softmax and its relatives, computed stably through the log-sum-exp shift."""
from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register


@register("softmax")
class Softmax(Function):
    retain_output = True

    def __init__(self, axis=-1):
        super().__init__(axis=axis)

    def forward(self, a):
        xp = backend.xp(a)
        e = xp.exp(a - xp.max(a, axis=self.axis, keepdims=True))
        e /= xp.sum(e, axis=self.axis, keepdims=True)
        return e

    def backward(self, grad, out):
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


@register("log_softmax")
class LogSoftmax(Function):
    retain_output = True

    def __init__(self, axis=-1):
        super().__init__(axis=axis)

    def forward(self, a):
        xp = backend.xp(a)
        shifted = a - xp.max(a, axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, grad, out):
        return (grad - F.exp(out) * grad.sum(axis=self.axis, keepdims=True),)

    @property
    def name(self):
        return "log_softmax"


@register("softmax_cross_entropy")
def softmax_cross_entropy(logits, targets, axis=-1):
    """Mean over rows of -sum(targets * log_softmax(logits)) along ``axis``.

    Through log_softmax, so no probability is ever logged after it underflowed;
    the gradient that reaches the logits is ``(softmax * sum(targets) - targets) / rows``.
    Targets are cast to the logits' dtype (labels computed in another dtype, as Keras casts them).
    """
    if logits.shape != targets.shape:
        raise ValueError(f"softmax_cross_entropy: logits of shape {logits.shape} and targets of shape "
                         f"{targets.shape} must have the same shape")
    if logits.ndim == 0:
        raise ValueError("softmax_cross_entropy: logits need a class axis; got a 0-d tensor")
    if targets.dtype != logits.dtype:
        targets = F.astype(targets, logits.dtype)
    rows = max(logits.size // max(logits.shape[axis], 1), 1)
    return (targets * F.log_softmax(logits, axis)).sum() * (-1.0 / rows)
