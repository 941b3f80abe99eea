"""Losses by name and as objects: ``loss(y_true, y_pred)`` -> scalar Tensor, averaged over the batch.

``loss(y_true, y_pred, sample_weight=w)`` weights each sample's loss and divides
by the batch size, as Keras's default reduction ("sum_over_batch_size").  Each
loss defines ``per_sample`` (the loss of each sample, the last axis reduced);
``call`` is its mean, or a faster route to the same number.

Keras semantics (with its default TensorFlow backend): probabilities are
clipped to [1e-7, 1 - 1e-7] before a log, except when the prediction comes
from nn's softmax or sigmoid activation.  Such a tensor remembers its logits
(``.logits``, Keras's ``_keras_logits``) and cross-entropy computes from them:
exact, and the same value whatever the route (fit, evaluate, a loop of your
own) and whether grad mode is on or off.  Categorical cross-entropy of
softmax([0, 200]) against [1, 0] is 200, as in Keras; the clipped log would
say 16.118.
"""
import autodiff as ad

xp = ad.backend.xp

EPSILON = 1e-7


def _tensor(x, like=None):
    if isinstance(x, ad.Tensor):
        return x
    array = ad.backend.asarray(x)
    if like is not None and array.dtype.kind in "fiub" and array.dtype != like.dtype and like.dtype.kind == "f":
        array = array.astype(like.dtype)
    return ad.as_tensor(array)


class Loss:
    name = "loss"

    def __call__(self, y_true, y_pred, sample_weight=None):
        if isinstance(y_true, ad.Tensor) and y_true.requires_grad and not (
                isinstance(y_pred, ad.Tensor) and y_pred.requires_grad):
            raise ValueError(f"{self.name}: the labels require grad and the predictions do not: the arguments look "
                             "swapped. Losses take Keras's order, loss(y_true, y_pred) (PyTorch's is "
                             "loss(input, target))")
        y_pred = _tensor(y_pred)
        y_true = _tensor(y_true, like=y_pred)
        if sample_weight is None:
            return self.call(y_true, y_pred)
        losses = self.per_sample(y_true, y_pred)
        weights = _tensor(sample_weight, like=losses)
        if weights.ndim > losses.ndim or tuple(weights.shape) != tuple(losses.shape[:weights.ndim]):
            raise ValueError(f"{self.name}: sample_weight of shape {tuple(weights.shape)} does not fit the "
                             f"{tuple(losses.shape)} per-sample losses: give one weight per sample")
        weights = weights.reshape(tuple(weights.shape) + (1,) * (losses.ndim - weights.ndim))
        return (losses * weights).sum() / max(losses.size, 1)

    def call(self, y_true, y_pred):
        return self.per_sample(y_true, y_pred).mean()

    def per_sample(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define per_sample(y_true, y_pred)")

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

    def __repr__(self):
        return f"{type(self).__name__}()"


class CategoricalCrossentropy(Loss):
    """-sum(y_true * log(y_pred)) over classes, averaged over the batch; labels one-hot."""

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    HINT = ": give one-hot labels (nn.utils.to_categorical), or use sparse_categorical_crossentropy for integer labels"

    def call(self, y_true, y_pred):
        logits = y_pred if self.from_logits else y_pred.logits
        if logits is not None:
            return self.from_logits_call(y_true, logits)
        return self.per_sample(y_true, y_pred).mean()

    def from_logits_call(self, y_true, logits):
        y_true = _tensor(y_true, like=logits)
        self.check_same_shape(y_true, logits, hint=self.HINT)
        return ad.softmax_cross_entropy(logits, y_true.astype(logits.dtype))      # one op, its mean

    def per_sample(self, y_true, y_pred):
        logits = y_pred if self.from_logits else y_pred.logits
        if logits is not None:
            self.check_same_shape(y_true, logits, hint=self.HINT)
            return -(y_true.astype(logits.dtype) * logits.log_softmax(axis=-1)).sum(axis=-1)
        self.check_same_shape(y_true, y_pred, hint=self.HINT)
        return -(y_true.astype(y_pred.dtype) * y_pred.clip(EPSILON, 1 - EPSILON).log()).sum(axis=-1)


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer class labels of shape (batch,) or (batch, 1)."""

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

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

    def call(self, y_true, y_pred):
        logits = y_pred if self.from_logits else y_pred.logits
        if logits is not None:
            return self.from_logits_call(y_true, logits)
        return self.per_sample(y_true, y_pred).mean()

    def _one_hot(self, labels, logits):
        labels = self._labels(_tensor(labels), logits)
        one_hot = xp(labels).zeros(logits.shape, dtype=logits.dtype)
        xp(labels).put_along_axis(one_hot, labels[..., None].astype(int), 1, axis=-1)
        return one_hot

    def from_logits_call(self, labels, logits):
        return ad.softmax_cross_entropy(logits, self._one_hot(labels, logits))

    def per_sample(self, y_true, y_pred):
        logits = y_pred if self.from_logits else y_pred.logits
        if logits is not None:
            return -(self._one_hot(y_true, logits) * logits.log_softmax(axis=-1)).sum(axis=-1)
        labels = self._labels(y_true, y_pred)
        picked = y_pred[(*xp(labels).indices(labels.shape), labels)]
        return -picked.clip(EPSILON, 1 - EPSILON).log()


class BinaryCrossentropy(Loss):
    """-(y log p + (1 - y) log(1 - p)) averaged over the last axis and the batch."""

    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def per_sample(self, y_true, y_pred):
        y = self.align(y_true, y_pred)
        logits = y_pred if self.from_logits else y_pred.logits
        if logits is not None:
            # max(z, 0) - z*y + log(1 + exp(-|z|)): never overflows.
            per_element = logits.relu() - logits * y + ((-logits.abs()).exp() + 1).log()
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

    def __init__(self, delta=1.0):
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, got {delta}")
        self.delta = float(delta)

    def per_sample(self, y_true, y_pred):
        d = (y_pred - self.align(y_true, y_pred)).abs()
        quadratic = ad.minimum(d, self.delta)          # the part of |d| inside the quadratic zone
        return (quadratic * quadratic * 0.5 + (d - quadratic) * self.delta).mean(axis=-1)

    def __repr__(self):
        return f"Huber(delta={self.delta})"


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
