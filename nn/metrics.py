"""Metrics by name: functions of NumPy arrays (labels, predictions) -> mean over the batch.

The accuracies count on the host; the regression metrics are the losses of the
same name (nn.losses), computed without a graph.  They are not differentiated: Tensors
among their arguments are read as their values (``t.numpy()``), so a metric of a
recorded result works (NumPy's implicit conversion refuses tensors that require grad).
"""
import numpy as np

import autodiff as ad

from . import losses


def _values(*arrays):
    return [a.numpy() if isinstance(a, ad.Tensor) else a for a in arrays]


def categorical_accuracy(y_true, y_pred):
    """The fraction of rows whose largest prediction is at the one-hot target's 1.

    Args:
        y_true: one-hot targets (batch, classes).
        y_pred: scores or probabilities (batch, classes).

    Returns:
        A float in [0, 1].
    """
    y_true, y_pred = _values(y_true, y_pred)
    return float(np.mean(np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    """The fraction of rows whose largest prediction is at the integer label.

    Args:
        y_true: integer labels (batch,) or (batch, 1).
        y_pred: scores or probabilities (batch, classes).

    Returns:
        A float in [0, 1].
    """
    y_true, y_pred = _values(y_true, y_pred)
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    return float(np.mean(labels.astype(np.int64) == np.argmax(y_pred, axis=-1)))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """The fraction of predictions on the target's side of ``threshold``.

    Args:
        y_true: 0/1 targets, the predictions' shape (or without their last axis of 1).
        y_pred: probabilities.
        threshold: a prediction above it counts as 1.

    Returns:
        A float in [0, 1].
    """
    y_true, y_pred = _values(y_true, y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return float(np.mean((y_pred > threshold) == (y_true > 0.5)))


def accuracy(y_true, y_pred):
    """Keras's ``"accuracy"``: categorical, sparse or binary accuracy, chosen from the shapes.

    Predictions with a last axis of more than one class are categorical: one-hot targets of their
    shape use ``categorical_accuracy``, other targets are integer labels (``sparse_categorical_accuracy``);
    a single output per sample is ``binary_accuracy`` at the 0.5 threshold.

    Args:
        y_true: one-hot targets (batch, classes), integer labels (batch,) or (batch, 1), or 0/1 targets.
        y_pred: scores or probabilities, (batch, classes) or (batch, 1); arrays or Tensors.

    Returns:
        A float in [0, 1].
    """
    y_true, y_pred = _values(y_true, y_pred)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim >= 1 and y_pred.shape[-1] > 1:
        if y_true.shape == y_pred.shape:
            return categorical_accuracy(y_true, y_pred)
        return sparse_categorical_accuracy(y_true, y_pred)
    return binary_accuracy(y_true, y_pred)


def _from_loss(loss, y_true, y_pred):
    """A loss's own arithmetic as a metric: its mean over the batch as a float, no graph recorded
    (Keras's MeanSquaredError metric and loss are one formula)."""
    with ad.no_grad():
        return float(loss(*map(np.asarray, _values(y_true, y_pred))).item())


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|), as ``nn.losses.mean_absolute_error`` computes it (Keras's metric).

    Args:
        y_true: targets of ``y_pred``'s shape (batch, ..., d), or (batch,) for predictions (batch, 1).
        y_pred: predictions, an array or Tensor.

    Returns:
        A float: the mean over the batch.
    """
    return _from_loss(losses.mean_absolute_error, y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred) ** 2), as ``nn.losses.mean_squared_error`` computes it (Keras's metric).

    Args:
        y_true: targets of ``y_pred``'s shape (batch, ..., d), or (batch,) for predictions (batch, 1).
        y_pred: predictions, an array or Tensor.

    Returns:
        A float: the mean over the batch.
    """
    return _from_loss(losses.mean_squared_error, y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7)), as ``nn.losses.mean_absolute_percentage_error``.

    Args:
        y_true: targets of ``y_pred``'s shape (batch, ..., d), or (batch,) for predictions (batch, 1).
        y_pred: predictions, an array or Tensor.

    Returns:
        A float: the mean over the batch, in percent.
    """
    return _from_loss(losses.mean_absolute_percentage_error, y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)) over the last axis, as ``nn.losses.kl_divergence`` computes it.

    Args:
        y_true: target probabilities (batch, ..., d).
        y_pred: predicted probabilities of the same shape, an array or Tensor.

    Returns:
        A float: the mean over the batch.
    """
    return _from_loss(losses.kl_divergence, y_true, y_pred)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)), labels 0/1 read as -1/1, as ``nn.losses.hinge`` computes it.

    Args:
        y_true: -1/1 (or 0/1) labels of ``y_pred``'s shape, or (batch,) for predictions (batch, 1).
        y_pred: scores, an array or Tensor.

    Returns:
        A float: the mean over the batch.
    """
    return _from_loss(losses.hinge, y_true, y_pred)


def root_mean_squared_error(y_true, y_pred):
    """The square root of ``mean_squared_error``, as Keras's metric.

    Args:
        y_true: targets of ``y_pred``'s shape (batch, ..., d), or (batch,) for predictions (batch, 1).
        y_pred: predictions, an array or Tensor.

    Returns:
        A float.
    """
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


METRICS = {
    "accuracy": accuracy, "acc": accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "binary_accuracy": binary_accuracy,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "root_mean_squared_error": root_mean_squared_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mean_absolute_percentage_error,
    "kl_divergence": kl_divergence, "kld": kl_divergence, "hinge": hinge,
}


def get(identifier):
    """``(name, function)`` for a metric name or a callable(y_true, y_pred) -> float.

    Args:
        identifier: a metric's name (``"accuracy"`` or ``"acc"``, ``"mae"``, ...: the keys of
            ``METRICS``) or any callable(y_true, y_pred) -> float.

    Returns:
        A pair ``(name, function)``: the name the logs use (``"acc"`` becomes ``"accuracy"``; a
        callable's ``__name__``).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
        TypeError: neither a name nor a callable.
    """
    if isinstance(identifier, str):
        if identifier not in METRICS:
            raise ValueError(f"unknown metric {identifier!r}; expected one of {sorted(METRICS)}")
        return ("accuracy" if identifier == "acc" else identifier), METRICS[identifier]
    if callable(identifier):
        return getattr(identifier, "__name__", type(identifier).__name__), identifier
    raise TypeError(f"a metric must be a name or a callable, got {identifier!r}")
