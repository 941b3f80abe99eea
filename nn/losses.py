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
    """The base of every loss: subclasses define ``per_sample(y_true, y_pred)`` (or ``compute``)."""

    name = "loss"
    reduction = "sum_over_batch_size"      # for subclasses of your own that skip Loss.__init__

    def __init__(self, reduction="sum_over_batch_size", name=None):
        self.reduction = _standard_reduction(reduction, type(self).__name__)
        self.name = name or type(self).name

    def __call__(self, y_true, y_pred, sample_weight=None):
        if isinstance(y_true, ad.Tensor) and y_true.requires_grad and not (
                isinstance(y_pred, ad.Tensor) and y_pred.requires_grad):
            raise ValueError(f"{self.name}: the labels require grad and the predictions do not: the arguments look "
                             "swapped. Losses take Keras's order, loss(y_true, y_pred) (PyTorch's is "
                             "loss(input, target))")
        y_pred = _tensor(y_pred)
        y_true = _tensor(y_true, like=y_pred)
        return self.compute(y_true, y_pred, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        """The per-sample losses, unreduced and unweighted (Keras's ``Loss.call``)."""
        return self.compute(_tensor(y_true, like=_tensor(y_pred)), _tensor(y_pred), None, "none")

    def compute(self, y_true, y_pred, sample_weight, reduction):
        """The losses of ``per_sample``, weighted and reduced."""
        losses = self.per_sample(y_true, y_pred)
        return self.reduce(losses, self._sample_weights(sample_weight, losses.shape, losses), reduction)

    def per_sample(self, y_true, y_pred):
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
        """Labels shaped like the predictions: (batch,) labels fit (batch, 1) outputs, as in Keras."""
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(y_true.shape + (1,))
        self.check_same_shape(y_true, y_pred)
        return y_true.astype(y_pred.dtype)

    def check_same_shape(self, y_true, y_pred, hint=""):
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
        """The constructor's arguments (Keras): ``type(loss)(**loss.get_config())`` is the same loss."""
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
    """-sum(y_true * log(y_pred)) over classes for each sample; labels one-hot."""

    name = "categorical_crossentropy"
    HINT = ": give one-hot labels (nn.utils.to_categorical), or use sparse_categorical_crossentropy for integer labels"

    def targets(self, y_true, logits):
        self.check_same_shape(y_true, logits, hint=self.HINT)
        return y_true.data.astype(logits.dtype, copy=False)

    def per_sample(self, y_true, y_pred):
        """From probabilities (no logits known): the log of the clipped probabilities, as Keras."""
        self.check_same_shape(y_true, y_pred, hint=self.HINT)
        return -(y_true.astype(y_pred.dtype) * y_pred.clip(EPSILON, 1 - EPSILON).log()).sum(axis=-1)


class SparseCategoricalCrossentropy(_Crossentropy):
    """Categorical cross-entropy with integer class labels of shape (batch,) or (batch, 1)."""

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
    """-(y log p + (1 - y) log(1 - p)) averaged over the last axis for each sample."""

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
    """mean((y_true - y_pred) ** 2) over the last axis, then over the batch."""

    name = "mean_squared_error"

    def per_sample(self, y_true, y_pred):
        diff = y_pred - self.align(y_true, y_pred)
        return (diff * diff).mean(axis=-1)


class HalfSquaredError(Loss):
    """0.5 * sum((y_true - y_pred) ** 2) over the last axis, averaged over the batch.

    Its gradient is exactly ``y_pred - y_true``: with a step activation and batch
    size 1, SGD on it is Rosenblatt's rule ``w += rate * (label - output) * x``.
    """

    name = "half_squared_error"

    def per_sample(self, y_true, y_pred):
        diff = y_pred - self.align(y_true, y_pred)
        return (diff * diff).sum(axis=-1) * 0.5


class MeanAbsoluteError(Loss):
    """mean(|y_true - y_pred|) over the last axis, then over the batch."""

    name = "mean_absolute_error"

    def per_sample(self, y_true, y_pred):
        return (y_pred - self.align(y_true, y_pred)).abs().mean(axis=-1)


class MeanAbsolutePercentageError(Loss):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis (Keras)."""

    name = "mean_absolute_percentage_error"

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred)
        return ((y_pred - y).abs() / ad.maximum(y.abs(), EPSILON)).mean(axis=-1) * 100


class Huber(Loss):
    """0.5 d**2 where |d| <= delta, else delta * (|d| - 0.5 delta), d = y_pred - y_true, averaged over the
    last axis (Keras's Huber; ``delta=1.0``)."""

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
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1] (Keras)."""

    name = "kl_divergence"

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred).clip(EPSILON, 1)
        return (y * (y / y_pred.clip(EPSILON, 1)).log()).sum(axis=-1)


class Hinge(Loss):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels 0/1 become -1/1 (Keras)."""

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

categorical_crossentropy = CategoricalCrossentropy()
sparse_categorical_crossentropy = SparseCategoricalCrossentropy()
binary_crossentropy = BinaryCrossentropy()
mean_squared_error = mse = MeanSquaredError()
half_squared_error = HalfSquaredError()
mean_absolute_error = mae = MeanAbsoluteError()
mean_absolute_percentage_error = mape = MeanAbsolutePercentageError()
huber = Huber()
kl_divergence = kld = KLDivergence()
hinge = Hinge()


def get(identifier):
    """A loss from a name, a Loss object, or any callable(y_true, y_pred) -> scalar Tensor."""
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            raise ValueError(f"unknown loss {identifier!r}; expected one of {sorted(LOSSES)}")
        return LOSSES[identifier]()
    if callable(identifier):
        return identifier
    raise TypeError(f"a loss must be a name or a callable, got {identifier!r}")
