"""Losses by name and as objects: ``loss(y_true, y_pred, sample_weight=None)`` -> a Tensor.

Each loss defines ``per_sample`` (the loss of each sample, the last axis
reduced); ``sample_weight`` weights each sample's loss, and ``reduction`` (Keras
3's argument) says what comes back: ``"sum_over_batch_size"`` (the default: the
weighted sum divided by the number of samples; ``"mean"``, PyTorch's name, is
the same), ``"sum"``, ``"mean_with_sample_weight"`` (divided by the weights'
sum) or ``"none"``/``None`` (the per-sample losses).  ``compute`` is the one
path every call takes, so a loss with and without ``sample_weight`` and under
every reduction is one computation.

Keras semantics (with its default TensorFlow backend): probabilities are
clipped to [1e-7, 1 - 1e-7] before a log, except when the prediction comes
from nn's softmax or sigmoid activation: cross-entropy then computes from the
logits that activation remembers (``nn.activations.logits_of``, Keras's
``_keras_logits``): exact, and the same value whatever the route (fit,
evaluate, a loop of your own) and whether grad mode is on or off.
Categorical cross-entropy of softmax([0, 200]) against [1, 0] is 200, as in
Keras; the clipped log would say 16.118.
"""
import autodiff as ad
from autodiff.extend import backend

from .activations import logits_of

xp = backend.xp

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


def _tensor(x, like=None):
    if isinstance(x, ad.Tensor):
        return x
    array = backend.asarray(x)
    if like is not None and array.dtype.kind in "fiub" and array.dtype != like.dtype and like.dtype.kind == "f":
        array = array.astype(like.dtype)
    return ad.as_tensor(array)


def _standard_reduction(reduction, where):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    return {"mean": "sum_over_batch_size", None: "none"}.get(reduction, reduction)


class Loss:
    """The base of every loss: ``loss(y_true, y_pred, sample_weight=None)`` weighs and reduces the
    losses of ``per_sample`` (Keras's ``keras.losses.Loss``).

    A loss of your own subclasses it and defines ``per_sample(y_true, y_pred)`` (or ``compute``).
    Calling a loss with labels that require grad and predictions that do not raises ValueError:
    the order is Keras's, ``(y_true, y_pred)``, not PyTorch's ``(input, target)``.

    Args:
        reduction: what a call returns from the per-sample losses: ``"sum_over_batch_size"`` (the
            default; PyTorch's ``"mean"`` is the same) their weighted sum divided by their number;
            ``"sum"`` the weighted sum; ``"mean_with_sample_weight"`` the weighted sum divided by the
            weights' sum; ``"none"`` or None the weighted per-sample losses. Any other value raises
            ValueError.
        name: the loss's name in messages and ``get_config`` (default: the class's, e.g.
            ``"mean_squared_error"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor of
        the predictions' dtype, or under ``reduction="none"`` the per-sample losses, shape
        (batch, d0, ..., dN-1) for predictions (batch, d0, ..., dN).
    """

    name = "loss"
    reduction = "sum_over_batch_size"      # for subclasses of your own that skip Loss.__init__

    def __init__(self, reduction="sum_over_batch_size", name=None):
        self.reduction = _standard_reduction(reduction, type(self).__name__)
        self.name = name or type(self).name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss of predictions against targets, weighted and reduced as ``reduction`` says.

        Args:
            y_true: the targets, a Tensor or array: of ``y_pred``'s shape, or (batch,) for predictions
                (batch, 1); integer labels (batch, ...) for the sparse cross-entropy. Arrays take the
                predictions' float dtype.
            y_pred: the predictions, a Tensor (the model's output) or array, shape (batch, d0, ..., dN).
            sample_weight: None (every sample weighs 1), or one weight per sample, an array or Tensor of
                shape (batch,) (or a leading part of the per-sample losses' shape).

        Returns:
            A scalar Tensor of the predictions' dtype; under ``reduction="none"`` the weighted
            per-sample losses, shape (batch, d0, ..., dN-1).

        Raises:
            ValueError: shapes that do not fit (the message says which and what to change), or labels
                that require grad while the predictions do not (the arguments look swapped).
        """
        if isinstance(y_true, ad.Tensor) and y_true.requires_grad and not (
                isinstance(y_pred, ad.Tensor) and y_pred.requires_grad):
            raise ValueError(f"{self.name}: the labels require grad and the predictions do not: the arguments look "
                             "swapped. Losses take Keras's order, loss(y_true, y_pred) (PyTorch's is "
                             "loss(input, target))")
        y_pred = _tensor(y_pred)
        y_true = _tensor(y_true, like=y_pred)
        return self.compute(y_true, y_pred, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        """The per-sample losses, unreduced and unweighted (Keras's ``Loss.call``).

        Args:
            y_true: the targets, a Tensor or array (shape as the loss's class says).
            y_pred: the predictions, a Tensor or array of shape (batch, d0, ..., dN).

        Returns:
            A Tensor of the per-sample losses, shape (batch, d0, ..., dN-1), the predictions' dtype.
        """
        return self.compute(_tensor(y_true, like=_tensor(y_pred)), _tensor(y_pred), None, "none")

    def compute(self, y_true, y_pred, sample_weight, reduction):
        """The losses of ``per_sample``, weighted and reduced: the one path every call takes.

        Args:
            y_true: the targets, a Tensor (``__call__`` has converted arrays to the predictions' dtype).
            y_pred: the predictions, a Tensor of shape (batch, d0, ..., dN).
            sample_weight: None, or one weight per sample (shape (batch,)).
            reduction: one of the standard reductions (``"sum_over_batch_size"``, ``"sum"``,
                ``"mean_with_sample_weight"``, ``"none"``), as ``Loss``'s argument says.

        Returns:
            A scalar Tensor, or the weighted per-sample losses (batch, d0, ..., dN-1) for ``"none"``.
        """
        losses = self.per_sample(y_true, y_pred)
        return self.reduce(losses, self._sample_weights(sample_weight, losses.shape, losses), reduction)

    def per_sample(self, y_true, y_pred):
        """The loss of each sample, the last axis reduced: what a subclass defines.

        Args:
            y_true: the targets, a Tensor.
            y_pred: the predictions, a Tensor of shape (batch, d0, ..., dN).

        Returns:
            A Tensor of shape (batch, d0, ..., dN-1).
        """
        raise NotImplementedError(f"{type(self).__name__} must define per_sample(y_true, y_pred)")

    def _sample_weights(self, sample_weight, shape, like):
        """``sample_weight`` shaped to broadcast over per-sample losses of ``shape`` (None stays None)."""
        if sample_weight is None:
            return None
        weights = _tensor(sample_weight, like=like)
        if weights.ndim > len(shape) or tuple(weights.shape) != tuple(shape[:weights.ndim]):
            raise ValueError(f"{self.name}: sample_weight of shape {tuple(weights.shape)} does not fit the "
                             f"{tuple(shape)} per-sample losses: give one weight per sample")
        return weights.reshape(tuple(weights.shape) + (1,) * (len(shape) - weights.ndim))

    @staticmethod
    def reduce(losses, weights, reduction):
        """Keras's reduction of (weighted) per-sample losses; an empty batch gives 0 (``divide_no_nan``)."""
        if weights is not None:
            losses = losses * weights
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        return total * Loss._scale(losses.size, weights, reduction)

    @staticmethod
    def _scale(count, weights, reduction):
        """What the sum of ``count`` weighted losses is multiplied by: 1 / count, or 1 / the weights' sum
        (``"mean_with_sample_weight"``, Keras's divisor); 0 for nothing to divide by (``divide_no_nan``)."""
        divisor = float(weights.sum().item()) if reduction == "mean_with_sample_weight" and weights is not None else count
        return 1.0 / divisor if divisor else 0.0

    def align(self, y_true, y_pred):
        """Labels shaped like the predictions: (batch,) labels fit (batch, 1) outputs, as in Keras.

        Args:
            y_true: the targets, a Tensor of the predictions' shape or without their last axis of 1.
            y_pred: the predictions, a Tensor.

        Returns:
            ``y_true`` as a Tensor of ``y_pred``'s shape and dtype.

        Raises:
            ValueError: the shapes differ otherwise (the message says what to change in the model).
        """
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(y_true.shape + (1,))
        self.check_same_shape(y_true, y_pred)
        return y_true.astype(y_pred.dtype)

    def check_same_shape(self, y_true, y_pred, hint=""):
        """Raise ValueError unless ``y_true`` and ``y_pred`` have one shape, saying what likely went wrong.

        Args:
            y_true: the targets, a Tensor.
            y_pred: the predictions, a Tensor.
            hint: text added to the message (replaced by a more precise one when the last axes or the
                number of axes differ).
        """
        if (y_true.ndim == y_pred.ndim >= 2 and y_true.shape[:-1] == y_pred.shape[:-1]
                and y_true.shape[-1] != y_pred.shape[-1]):
            hint = (f": the model's last layer gives {y_pred.shape[-1]} values per sample but the labels have "
                    f"{y_true.shape[-1]} (classes, for one-hot labels); give the last layer {y_true.shape[-1]} units")
        elif y_true.shape != y_pred.shape and y_pred.ndim > max(y_true.ndim, 2):
            hint = (f": the predictions have more axes than the labels; does the model need a Flatten() layer "
                    f"before its Dense layers (inputs of shape {y_pred.shape[1:-1]} reach them unflattened)?")
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: labels of shape {y_true.shape} do not fit predictions of shape "
                             f"{y_pred.shape}{hint}")

    def get_config(self):
        """The constructor's arguments (Keras): ``type(loss)(**loss.get_config())`` is the same loss.

        Returns:
            A dict, e.g. ``{"reduction": "sum_over_batch_size", "name": "mean_squared_error"}``.
        """
        return dict(vars(self))

    def __repr__(self):
        shown = {k: v for k, v in vars(self).items() if k != "name" and v not in (False, "sum_over_batch_size")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class _Crossentropy(Loss):
    """Softmax cross-entropy over the last axis: from the logits when there are any, one op for every
    reduction and sample weighting (the weights scale the targets, as the loss is linear in them)."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name)
        self.from_logits = from_logits

    def compute(self, y_true, y_pred, sample_weight, reduction):
        logits = y_pred if self.from_logits else logits_of(y_pred)
        if logits is None:
            return super().compute(y_true, y_pred, sample_weight, reduction)
        targets = self.targets(y_true, logits)
        weights = self._sample_weights(sample_weight, logits.shape[:-1], logits)
        if weights is not None:
            targets = targets * weights.reshape(tuple(weights.shape) + (1,)).data
        if reduction == "sum_over_batch_size" or reduction == "mean_with_sample_weight" and weights is None:
            return ad.softmax_cross_entropy(logits, targets)           # the mean over rows, in the op
        if reduction == "mean_with_sample_weight":
            rows = logits.size // max(logits.shape[-1], 1)
            return ad.softmax_cross_entropy(logits, targets, reduction="sum") * self._scale(rows, weights, reduction)
        return ad.softmax_cross_entropy(logits, targets, reduction=reduction)


class CategoricalCrossentropy(_Crossentropy):
    """-sum(y_true * log(y_pred)) over classes for each sample; labels one-hot (Keras's).

    Without logits, probabilities are clipped to [1e-7, 1 - 1e-7] before the log, as Keras does.
    ``y_true``: one-hot (or soft) targets of ``y_pred``'s shape, (batch, ..., classes).

    Args:
        from_logits: whether ``y_pred`` holds logits (scores before the softmax) rather than
            probabilities. With False (the default), predictions made by nn's softmax activation are
            still computed from the logits it remembers (``nn.activations.logits_of``): exact, no
            clipping.
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"categorical_crossentropy"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.

    Raises:
        ValueError: on a call, targets whose shape is not the predictions' (integer labels want
            ``SparseCategoricalCrossentropy``).
    """

    name = "categorical_crossentropy"
    HINT = ": give one-hot labels (nn.utils.to_categorical), or use sparse_categorical_crossentropy for integer labels"

    def targets(self, y_true, logits):
        """The targets as an array of the logits' shape and dtype (the one-hot labels, checked).

        Args:
            y_true: one-hot targets, a Tensor of the logits' shape.
            logits: the scores, a Tensor (batch, ..., classes).

        Returns:
            An array of the logits' shape and dtype.
        """
        self.check_same_shape(y_true, logits, hint=self.HINT)
        return y_true.data.astype(logits.dtype, copy=False)

    def per_sample(self, y_true, y_pred):
        """From probabilities (no logits known): the log of the clipped probabilities, as Keras."""
        self.check_same_shape(y_true, y_pred, hint=self.HINT)
        return -(y_true.astype(y_pred.dtype) * y_pred.clip(EPSILON, 1 - EPSILON).log()).sum(axis=-1)


class SparseCategoricalCrossentropy(_Crossentropy):
    """Categorical cross-entropy with integer class labels (Keras's): -log(y_pred[label]) per sample.

    ``y_true``: integer labels in 0..classes-1, shape (batch, ...) or (batch, ..., 1), for predictions
    (batch, ..., classes); whole floats are accepted, NaN, fractions and labels out of range raise
    ValueError.

    Args:
        from_logits: whether ``y_pred`` holds logits (scores before the softmax) rather than
            probabilities. With False (the default), predictions made by nn's softmax activation are
            still computed from the logits it remembers (``nn.activations.logits_of``): exact, no
            clipping.
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"sparse_categorical_crossentropy"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "sparse_categorical_crossentropy"

    def _labels(self, y_true, y_pred):
        labels = y_true.data
        if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
            labels = labels.reshape(labels.shape[:-1])
        if labels.shape != y_pred.shape[:-1]:
            raise ValueError(f"{self.name}: labels of shape {y_true.shape} do not fit predictions of shape "
                             f"{y_pred.shape}: expected integer labels of shape {y_pred.shape[:-1]}")
        if labels.dtype.kind == "f":
            whole = xp(labels).isfinite(labels) & (labels == xp(labels).round(labels))
            if not whole.all():
                raise ValueError(f"{self.name}: labels must be whole class numbers, got values such as "
                                 f"{labels[~whole][:3].tolist()} (NaN or fractions)")
            labels = labels.astype(int)
        elif labels.dtype.kind not in "iub":
            raise ValueError(f"{self.name}: labels must be integer class numbers, got dtype {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= y_pred.shape[-1]):
            raise ValueError(f"{self.name}: labels must be in 0..{y_pred.shape[-1] - 1}, got "
                             f"{int(labels.min())}..{int(labels.max())}")
        return labels

    def targets(self, y_true, logits):
        """The labels as one-hot targets of the logits' shape and dtype (the labels checked).

        Args:
            y_true: integer labels, a Tensor (batch, ...) or (batch, ..., 1).
            logits: the scores, a Tensor (batch, ..., classes).

        Returns:
            An array of the logits' shape and dtype, one 1 per row.
        """
        labels = self._labels(y_true, logits)
        one_hot = xp(labels).zeros(logits.shape, dtype=logits.dtype)
        xp(labels).put_along_axis(one_hot, labels[..., None].astype(int), 1, axis=-1)
        return one_hot

    def per_sample(self, y_true, y_pred):
        """From probabilities (no logits known): the log of the clipped probability of each label, as Keras."""
        labels = self._labels(y_true, y_pred)
        picked = y_pred[(*xp(labels).indices(labels.shape), labels)]
        return -picked.clip(EPSILON, 1 - EPSILON).log()


class BinaryCrossentropy(Loss):
    """-(y log p + (1 - y) log(1 - p)) averaged over the last axis for each sample (Keras's).

    Without logits, probabilities are clipped to [1e-7, 1 - 1e-7] before the logs, as Keras does.
    ``y_true``: 0/1 (or soft) targets of ``y_pred``'s shape, (batch, ..., d), or (batch,) for
    predictions (batch, 1).

    Args:
        from_logits: whether ``y_pred`` holds logits (scores before the sigmoid) rather than
            probabilities. With False (the default), predictions made by nn's sigmoid activation are
            still computed from the logits it remembers (``nn.activations.logits_of``): exact, no
            clipping.
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"binary_crossentropy"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name)
        self.from_logits = from_logits

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred)
        logits = y_pred if self.from_logits else logits_of(y_pred)
        if logits is not None:
            per_element = ad.softplus(logits) - logits * y        # -log sigmoid(z) * y - log(1 - sigmoid(z)) * (1 - y)
        else:
            p = y_pred.clip(EPSILON, 1 - EPSILON)
            per_element = -(y * p.log() + (1 - y) * (1 - p).log())
        return per_element.mean(axis=-1)


class MeanSquaredError(Loss):
    """mean((y_true - y_pred) ** 2) over the last axis, then over the batch.

    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"mean_squared_error"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "mean_squared_error"

    def per_sample(self, y_true, y_pred):
        diff = y_pred - self.align(y_true, y_pred)
        return (diff * diff).mean(axis=-1)


class HalfSquaredError(Loss):
    """0.5 * sum((y_true - y_pred) ** 2) over the last axis, averaged over the batch.

    Its gradient is exactly ``y_pred - y_true``: with a step activation and batch
    size 1, SGD on it is Rosenblatt's rule ``w += rate * (label - output) * x``.
    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"half_squared_error"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "half_squared_error"

    def per_sample(self, y_true, y_pred):
        diff = y_pred - self.align(y_true, y_pred)
        return (diff * diff).sum(axis=-1) * 0.5


class MeanAbsoluteError(Loss):
    """mean(|y_true - y_pred|) over the last axis, then over the batch.

    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"mean_absolute_error"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "mean_absolute_error"

    def per_sample(self, y_true, y_pred):
        return (y_pred - self.align(y_true, y_pred)).abs().mean(axis=-1)


class MeanAbsolutePercentageError(Loss):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis (Keras).

    ``epsilon`` is 1e-7, so a zero target does not divide by zero.

    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"mean_absolute_percentage_error"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "mean_absolute_percentage_error"

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred)
        return ((y_pred - y).abs() / ad.maximum(y.abs(), EPSILON)).mean(axis=-1) * 100


class Huber(Loss):
    """0.5 d**2 where |d| <= delta, else delta * (|d| - 0.5 delta), d = y_pred - y_true, averaged over the
    last axis (Keras's Huber).

    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        delta: where the loss turns from quadratic to linear; positive (default 1.0), else ValueError.
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"huber_loss"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "huber_loss"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None):
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, got {delta}")
        super().__init__(reduction, name)
        self.delta = float(delta)

    def per_sample(self, y_true, y_pred):
        d = (y_pred - self.align(y_true, y_pred)).abs()
        quadratic = ad.minimum(d, self.delta)          # the part of |d| inside the quadratic zone
        return (quadratic * quadratic * 0.5 + (d - quadratic) * self.delta).mean(axis=-1)


class KLDivergence(Loss):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1] (Keras).

    Both are distributions over the last axis (a softmax's output and target probabilities).

    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"kl_divergence"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "kl_divergence"

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred).clip(EPSILON, 1)
        return (y * (y / y_pred.clip(EPSILON, 1)).log()).sum(axis=-1)


class Hinge(Loss):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels 0/1 become -1/1 (Keras).

    Labels are -1/1, or 0/1 (converted); predictions are scores, not probabilities.

    ``y_true`` has ``y_pred``'s shape (batch, ..., d), or is (batch,) for predictions (batch, 1).

    Args:
        reduction: how the per-sample losses are reduced: ``"sum_over_batch_size"`` (default, their
            mean), ``"sum"``, ``"mean_with_sample_weight"`` or ``"none"`` (see ``Loss``).
        name: the loss's name (default: ``"hinge"``).

    Returns:
        Called as ``loss(y_true, y_pred, sample_weight=None)``: a scalar Tensor, or under
        ``reduction="none"`` the per-sample losses, the predictions' shape without its last axis.
    """

    name = "hinge"

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred)
        values = y.data
        if ((values == 0) | (values == 1)).all():
            y = y * 2 - 1
        return (1 - y * y_pred).relu().mean(axis=-1)


LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "huber": Huber,
    "huber_loss": Huber,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "hinge": Hinge,
    "half_squared_error": HalfSquaredError,
}

# The function forms (Keras's ``keras.losses.mean_squared_error``, ...): each is its class with the
# defaults, so it is a Loss (``.call``, ``get_config``); the string under each is its docstring in the
# API reference (an attribute docstring), ``Loss.__call__`` documents the call.
categorical_crossentropy = CategoricalCrossentropy()
"""``CategoricalCrossentropy()`` as a function: ``categorical_crossentropy(y_true, y_pred)``.

Args:
    y_true: one-hot targets of ``y_pred``'s shape, (batch, ..., classes).
    y_pred: probabilities (a softmax's output), a Tensor or array (batch, ..., classes).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``categorical_crossentropy.call(y_true, y_pred)`` gives them.
"""

sparse_categorical_crossentropy = SparseCategoricalCrossentropy()
"""``SparseCategoricalCrossentropy()`` as a function: integer labels against probabilities.

Args:
    y_true: integer labels in 0..classes-1, (batch, ...) or (batch, ..., 1).
    y_pred: probabilities (a softmax's output), a Tensor or array (batch, ..., classes).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``sparse_categorical_crossentropy.call(y_true, y_pred)`` gives them.
"""

binary_crossentropy = BinaryCrossentropy()
"""``BinaryCrossentropy()`` as a function: 0/1 targets against probabilities.

Args:
    y_true: 0/1 targets of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: probabilities (a sigmoid's output), a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``binary_crossentropy.call(y_true, y_pred)`` gives them.
"""

mean_squared_error = mse = MeanSquaredError()
"""``MeanSquaredError()`` as a function (``mse`` is the same object).

Args:
    y_true: targets of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: predictions, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``mse.call(y_true, y_pred)`` gives them.
"""

half_squared_error = HalfSquaredError()
"""``HalfSquaredError()`` as a function: the perceptron rule's loss.

Args:
    y_true: targets of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: predictions, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. The per-sample losses, shape (batch, ...), come
    from ``half_squared_error.call(y_true, y_pred)``.
"""

mean_absolute_error = mae = MeanAbsoluteError()
"""``MeanAbsoluteError()`` as a function (``mae`` is the same object).

Args:
    y_true: targets of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: predictions, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``mae.call(y_true, y_pred)`` gives them.
"""

mean_absolute_percentage_error = mape = MeanAbsolutePercentageError()
"""``MeanAbsolutePercentageError()`` as a function (``mape`` is the same object).

Args:
    y_true: targets of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: predictions, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``mape.call(y_true, y_pred)`` gives them.
"""

huber = Huber()
"""``Huber()`` (``delta=1.0``) as a function.

Args:
    y_true: targets of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: predictions, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``huber.call(y_true, y_pred)`` gives them.
"""

kl_divergence = kld = KLDivergence()
"""``KLDivergence()`` as a function (``kld`` is the same object).

Args:
    y_true: target probabilities of ``y_pred``'s shape, (batch, ..., d).
    y_pred: predicted probabilities, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``kld.call(y_true, y_pred)`` gives them.
"""

hinge = Hinge()
"""``Hinge()`` as a function.

Args:
    y_true: -1/1 (or 0/1) labels of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
    y_pred: scores, a Tensor or array (batch, ..., d).
    sample_weight: None, or one weight per sample, shape (batch,).

Returns:
    A scalar Tensor, the mean of the per-sample losses. Keras's function returns the per-sample
    losses, shape (batch, ...): ``hinge.call(y_true, y_pred)`` gives them.
"""



def get(identifier):
    """A loss from a name, a Loss object, or any callable(y_true, y_pred) -> scalar Tensor (Keras's
    ``keras.losses.get``).

    Args:
        identifier: a loss's name (``"mse"``, ``"categorical_crossentropy"``, ...: the keys of
            ``LOSSES``), a Loss object or any callable.

    Returns:
        A new Loss object with its defaults for a name; a callable is returned as it is.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
        TypeError: neither a name nor a callable.
    """
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            raise ValueError(f"unknown loss {identifier!r}; expected one of {sorted(LOSSES)}")
        return LOSSES[identifier]()
    if callable(identifier):
        return identifier
    raise TypeError(f"a loss must be a name or a callable, got {identifier!r}")
