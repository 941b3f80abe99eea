"""Softmax and its relatives, computed stably through the log-sum-exp shift."""
import numpy as np

from ..function import Function
from ..mode import is_grad_enabled


def _log_softmax(a, axis):
    shifted = a - np.max(a, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class Softmax(Function):
    def forward(self, a):
        e = np.exp(a - np.max(a, axis=self.axis, keepdims=True))
        e /= np.sum(e, axis=self.axis, keepdims=True)
        return e

    def backward(self, grad):
        y = self.output
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def forward(self, a):
        return _log_softmax(a, self.axis)

    def backward(self, grad):
        return (grad - self.output.exp() * grad.sum(axis=self.axis, keepdims=True),)

    @property
    def name(self):
        return "log_softmax"


class SoftmaxCrossEntropy(Function):
    """Mean over the batch of -sum(targets * log_softmax(logits)) along ``axis``.

    Fused so that the forward needs one log-sum-exp and the gradient is the
    classic ``(softmax(logits) * sum(targets) - targets) / batch``: no log of a
    probability that underflowed, no division by a softmax.
    """

    def forward(self, logits, targets):
        log_p = _log_softmax(logits, self.axis)
        self.saved = log_p
        return -np.sum(targets * log_p, dtype=log_p.dtype) / log_p.dtype.type(_rows(logits, self.axis))

    def backward(self, grad):
        logits, targets = self.parents
        scale = grad * (1.0 / _rows(logits.data, self.axis))
        # When no graph of the gradient is being built (create_graph=False), the
        # forward's log-probabilities serve as they are: plain arrays, no new ops.
        graph = is_grad_enabled()
        grad_logits = grad_targets = None
        if self.needs_input_grad[0]:
            # Targets that need no gradient are constants: plain arrays.
            t = targets if targets.requires_grad else targets.data
            total = t.sum(axis=self.axis, keepdims=True)           # 1 per row for one-hot labels
            probs = logits.softmax(axis=self.axis) if graph else np.exp(self.saved)
            grad_logits = (probs * total - t) * scale
        if self.needs_input_grad[1]:
            log_p = logits.log_softmax(axis=self.axis) if graph else self.saved
            grad_targets = log_p * -scale
        return grad_logits, grad_targets

    @property
    def name(self):
        return "softmax_cross_entropy"


def _rows(array, axis):
    """How many distributions a (batch, ..., classes) array holds along ``axis``."""
    return max(array.size // max(array.shape[axis], 1), 1)
