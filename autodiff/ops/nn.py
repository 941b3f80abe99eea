"""Softmax and its relatives, computed stably through the log-sum-exp shift."""
from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import apply


@register("softmax")
class Softmax(Function):
    retain_output = True

    def __init__(self, axis=-1):
        super().__init__(axis=axis)

    def forward(self, a):
        check_axis(a, self.axis, self.name)
        if a.size == 0:
            return a.copy()                   # the softmax of nothing is nothing
        xp = backend.xp(a)
        e = xp.exp(a - xp.max(a, axis=self.axis, keepdims=True))
        e /= xp.sum(e, axis=self.axis, keepdims=True)
        return e

    def backward(self, grad, out):
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


def check_axis(a, axis, op):
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {a.shape}; "
                         f"{op} runs along an axis of classes, so it needs at least one dimension")


def log_softmax(a, axis):
    """log(softmax(a)) of an array, through the log-sum-exp shift."""
    xp = backend.xp(a)
    shifted = a - xp.max(a, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


@register("log_softmax")
class LogSoftmax(Function):
    retain_output = True

    def __init__(self, axis=-1):
        super().__init__(axis=axis)

    def forward(self, a):
        check_axis(a, self.axis, self.name)
        return log_softmax(a, self.axis) if a.size else a.copy()

    def backward(self, grad, out):
        return (grad - F.exp(out) * grad.sum(axis=self.axis, keepdims=True),)

    @property
    def name(self):
        return "log_softmax"


class SoftmaxCrossEntropy(Function):
    """-sum(targets * log_softmax(logits)) along ``axis`` for each row, then the rows' mean
    (``reduction="mean"``), sum (``"sum"``) or each row's loss (``"none"``), as PyTorch's
    ``cross_entropy`` with probability targets.

    One op, so that no probability is ever logged after it underflowed and the
    gradient reaching the logits is the classic ``(softmax * sum(targets) -
    targets)`` times each row's upstream gradient.  Targets are cast to the
    logits' dtype (labels computed in another dtype, as Keras casts them).
    """

    retain_inputs = (0, 1)

    def __init__(self, axis=-1, reduction="mean"):
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"softmax_cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        super().__init__(axis=axis, reduction=reduction)

    def forward(self, logits, targets):
        if logits.shape != targets.shape:
            raise ValueError(f"softmax_cross_entropy: logits of shape {logits.shape} and targets of shape "
                             f"{targets.shape} must have the same shape")
        check_axis(logits, self.axis, self.name)
        log_p = log_softmax(logits, self.axis) if logits.size else logits
        if self.reduction == "none":
            return -(targets * log_p).sum(axis=self.axis)
        scale = _per_row(logits.shape, self.axis) if self.reduction == "mean" else 1.0
        return (targets * log_p).sum(dtype=log_p.dtype) * -scale

    def backward(self, grad, logits, targets):
        # The log-probabilities again, from the retained logits (cheaper than keeping
        # them): arrays in a plain backward, a graph under create_graph.
        log_p = F.log_softmax(logits, self.axis)
        if self.reduction == "none":
            scale = F.expand_dims(grad, self.axis)           # each row's upstream gradient
        else:
            scale = grad * _per_row(self.shapes[0], self.axis) if self.reduction == "mean" else grad
        need = self.needs_input_grad
        return ((F.exp(log_p) * targets.sum(axis=self.axis, keepdims=True) - targets) * scale if need[0] else None,
                log_p * -scale if need[1] else None)

    @property
    def name(self):
        return "softmax_cross_entropy"


def _per_row(shape, axis):
    """1 / the number of distributions a (batch, ..., classes) array holds along ``axis``.

    No rows: the mean of nothing is NaN, as NumPy's mean and PyTorch's cross_entropy give.  No classes
    (rows of nothing): each row's sum is 0, and so is their mean.
    """
    rows = 1
    for i, n in enumerate(shape):
        if i != axis % len(shape):
            rows *= n
    return 1.0 / rows if rows else float("nan")


@register("softmax_cross_entropy", methods=())
def softmax_cross_entropy(logits, targets, axis=-1, reduction="mean"):
    """-sum(targets * log_softmax(logits)) along ``axis``: its mean over rows, its sum, or each row's
    (``reduction`` "mean", "sum", "none"); gradient (softmax - targets) / rows for the mean."""
    targets = F.astype(targets if hasattr(targets, "dtype") else backend.asarray(targets), logits.dtype)
    return apply(SoftmaxCrossEntropy(axis, reduction), logits, targets)
