"""Softmax and its relatives, computed stably through the log-sum-exp shift."""
import math

from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import Tensor, apply


@register("softmax")
class Softmax(Function):
    """``exp(a) / sum(exp(a))`` along ``axis``, computed stably (shifted by the maximum).

    Args:
        a: a Tensor or an array with at least 1 dimension (logits).
        axis: the axis of classes, along which the values sum to 1 (default -1, the last).

    Returns:
        A Tensor of ``a``'s shape; a floating input keeps its dtype.

    Raises:
        ValueError: when ``axis`` is out of range.
    """

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
    """``log(softmax(a))`` along ``axis``, through the log-sum-exp shift (never the log of an underflowed 0).

    Args:
        a: a Tensor or an array with at least 1 dimension (logits).
        axis: the axis of classes (default -1, the last).

    Returns:
        A Tensor of ``a``'s shape with values <= 0; a floating input keeps its dtype.

    Raises:
        ValueError: when ``axis`` is out of range.
    """

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
    """The cross-entropy of ``softmax(logits)`` against probability ``targets``, as one op.

    ``-sum(targets * log_softmax(logits))`` along ``axis`` for each row, as PyTorch's ``cross_entropy``
    with probability targets: no probability is ever logged after it underflowed, and the gradient
    reaching the logits is ``softmax * sum(targets) - targets`` (divided by the rows for the mean).

    Args:
        logits: a Tensor of shape (..., classes) (``axis`` holding the classes).
        targets: a Tensor, an array or a list of the same shape: probabilities (one-hot labels, or
            smoothed); cast to the logits' dtype.
        axis: the axis of classes (default -1).
        reduction: ``"mean"`` (the default: the mean over rows), ``"sum"`` or ``"none"`` (each row's loss).

    Returns:
        A 0-d Tensor for ``"mean"`` and ``"sum"``; for ``"none"``, a Tensor of the logits' shape without ``axis``.

    Raises:
        ValueError: when the shapes differ, or for another ``reduction``.
    """
    targets = F.astype(targets if hasattr(targets, "dtype") else backend.asarray(targets), logits.dtype)
    return apply(SoftmaxCrossEntropy(axis, reduction), logits, targets)


@register("scaled_dot_product_attention", methods=())
def scaled_dot_product_attention(query, key, value, attn_mask=None, is_causal=False, dropout_p=0.0, scale=None,
                                 *, return_weights=False):
    """Attention: ``softmax(query @ key^T * scale + mask) @ value`` (PyTorch's scaled_dot_product_attention).

    A query whose every key is masked gets weights of 0, so an output of 0 and a gradient of 0, never
    NaN.  A composite of matmul, where and softmax, so every order of gradient follows.

    Args:
        query: a Tensor of shape (..., L, E): L queries of E features.
        key: a Tensor of shape (..., S, E): S keys.
        value: a Tensor of shape (..., S, Ev).
        attn_mask: None (the default), or a mask broadcastable to (..., L, S): boolean, True where a
            query may attend to a key (as PyTorch), or floats added to the scores.
        is_causal: mask so that query i attends to keys 0..i (not together with ``attn_mask``).
        dropout_p: the probability of dropping each weight, applied whenever it is above 0 (as
            PyTorch's function; pass 0.0 at inference).  Default 0.0.
        scale: the scores' factor; None (the default): ``1 / sqrt(E)``.
        return_weights: also return the attention weights.

    Returns:
        A Tensor of shape (..., L, Ev); with ``return_weights``, the tuple (output, weights), the weights
            of shape (..., L, S).

    Raises:
        ValueError: when the shapes do not fit, both ``attn_mask`` and ``is_causal`` are given, or
            ``dropout_p`` is not in [0, 1).
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention: {name} must be (..., length, features), got shape "
                             f"{tuple(t.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key {tuple(key.shape)} and "
                         f"value {tuple(value.shape)} do not fit: query and key need the same last size, key and "
                         "value the same length (axis -2)")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both (as PyTorch); "
                         "combine them yourself: mask & tril(ones((L, S), bool))")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1), got {dropout_p!r}")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = F.matmul(query, F.swapaxes(key, -1, -2)) * scale
    dtype = scores.dtype
    if is_causal:
        attn_mask = backend.triangle((length, source), 0, lower=True)
    allowed = None
    if attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) and attn_mask.dtype == bool else attn_mask
        mask = mask if hasattr(mask, "dtype") else backend.asarray(mask)
        if mask.dtype == bool:
            allowed = mask
            lowest = backend.asarray(backend.finfo(dtype).min / 2, dtype=dtype)     # finite: exp gives 0, not NaN
            scores = F.where(allowed, scores, lowest)
        else:
            scores = scores + F.astype(mask, dtype)
    weights = F.softmax(scores, axis=-1)
    if allowed is not None and not allowed.any(axis=-1).all():
        # A row with no key allowed is uniform above and 0 here; where every row has a key, the
        # masked weights are exactly 0 already (exp of the fill underflows), so no product is needed.
        weights = weights * backend.asarray(allowed, dtype=dtype)
    if dropout_p > 0.0:
        keep = backend.generator().random(weights.shape) >= dropout_p
        weights = weights * (keep.astype(dtype) / dtype.type(1.0 - dropout_p))
    out = F.matmul(weights, value)
    return (out, weights) if return_weights else out


class LayerNorm(Function):
    """(x - mean) / sqrt(var + eps) over the last ``ndim`` axes, as one node (``layer_norm``'s core).

    Written with ops it is eight nodes and as many passes over the activations,
    and a transformer runs it before every block.  The rule is PyTorch's: it
    reads the output (the normalized values) and the input, from which it
    computes 1 / std again, so every order follows.
    """

    retain_inputs = (0,)
    retain_output = True

    def __init__(self, ndim, eps=1e-5):
        super().__init__(ndim=ndim, eps=eps)

    def forward(self, x):
        axes = tuple(range(x.ndim - self.ndim, x.ndim))
        xp = backend.xp(x)
        centered = x - xp.mean(x, axis=axes, keepdims=True)
        variance = xp.mean(centered * centered, axis=axes, keepdims=True)
        centered *= (variance + self.eps) ** -0.5
        return centered

    def backward(self, grad, x, out):
        axes = tuple(range(len(self.shapes[0]) - self.ndim, len(self.shapes[0])))
        centered = x - F.mean(x, axis=axes, keepdims=True)
        inverse_std = (F.mean(centered * centered, axis=axes, keepdims=True) + self.eps) ** -0.5
        return (inverse_std * (grad - F.mean(grad, axis=axes, keepdims=True)
                               - out * F.mean(grad * out, axis=axes, keepdims=True)),)

    @property
    def name(self):
        return "layer_norm"


@register("layer_norm", methods=())
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """PyTorch's ``layer_norm``: each sample normalised over its last axes, then scaled and shifted.

    Args:
        input: a Tensor (or array) whose trailing axes have ``normalized_shape``.
        normalized_shape: the shape of the trailing axes to normalise over (an int for one axis).
        weight: multiplies the normalized values, shape ``normalized_shape`` (None: 1).
        bias: added after, shape ``normalized_shape`` (None: 0).
        eps: added to the variance (the biased one, dividing by n) before its square root.

    Returns:
        A Tensor of ``input``'s shape and dtype: ``(x - mean) / sqrt(var + eps) * weight + bias``.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the trailing axes of the input, whose "
                         f"shape is {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have the normalized shape {shape}, got {tuple(t.shape)}")
    out = apply(LayerNorm(len(shape), eps), input)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
