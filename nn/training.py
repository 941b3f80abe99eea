"""Keras's training API on any model: compile, fit, evaluate, predict (the loop, apart from the container)."""
import numpy as np

import autodiff as ad

from . import losses, metrics as metrics_module, optimizers
from .module import Module
from .progress import Progress


class History:
    """What ``fit`` returns: ``history.history["loss"]`` and friends, one value per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, values):
        self.epoch.append(epoch)
        for name, value in values:
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        return f"History({self.history})"


def _numbers(data, what, name):
    array = data.numpy() if isinstance(data, ad.Tensor) else np.asarray(data)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{what}: {name} must hold numbers, got dtype {array.dtype}"
                        + (" (missing values such as None?)" if array.dtype == object else ""))
    return array


class Model(Module):
    """A module trained Keras's way.  Subclasses define ``forward`` and ``build_for(x)``.

    The batches of ``fit``, ``evaluate`` and ``predict`` are host (NumPy)
    arrays sliced from the data set: the data pipeline is host-only by nature.
    """

    optimizer = loss = None
    metrics = ()

    def build_for(self, x):
        """Create the parameters for inputs like ``x`` (a host array with a batch axis)."""

    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = [metrics_module.get(m) for m in (metrics or [])]
        if self.parameters():
            self.optimizer.attach(self.parameters())

    def _check_compiled(self, what):
        if self.loss is None:
            raise RuntimeError(f"{what}: compile() the model first, e.g. "
                               "model.compile(optimizer='rmsprop', loss='categorical_crossentropy', "
                               "metrics=['accuracy'])")

    def _prepare(self, x, y=None, what="fit", batch_size=32):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"{what}: batch_size must be a positive integer, got {batch_size!r}")
        x = _numbers(x, what, "x")
        if x.dtype != np.float32:
            x = x.astype(np.float32)        # the model computes in float32, as Keras does
        if x.ndim < 2:
            raise ValueError(f"{what}: x has shape {x.shape}, but a model takes a batch of samples, "
                             f"(samples, features...): for one sample use x[None], for one feature x.reshape(-1, 1)")
        self._check_input_shape(x, what)
        if y is None:
            return x, None
        y = _numbers(y, what, "y")
        if y.dtype.kind == "f" and y.dtype != np.float32:
            y = y.astype(np.float32)
        if len(x) != len(y):
            raise ValueError(f"{what}: {len(x)} inputs but {len(y)} labels; they must have the same length")
        if not self.parameters():
            self.build_for(x)
            if self.optimizer is not None:
                self.optimizer.attach(self.parameters())
        return x, y

    input_shape = None        # the shape of one sample, once the model knows it

    def _check_input_shape(self, x, what):
        """A model that knows its input shape checks it: one sample without its batch axis is a common slip."""
        shape = self.input_shape
        if shape is not None and tuple(x.shape[1:]) != tuple(shape):
            one_sample = tuple(x.shape) == tuple(shape)
            raise ValueError(f"{what}: the model takes inputs of shape (batch, {', '.join(map(str, shape))}), got "
                             f"{x.shape}" + ("; that is one sample without its batch axis: pass x[None]"
                                             if one_sample else ""))

    def fit(self, x, y, batch_size=32, epochs=1, verbose="auto", validation_data=None, validation_split=0.0,
            shuffle=True):
        """Train for ``epochs`` passes over (x, y) in batches; returns a History."""
        self._check_compiled("fit")
        x, y = self._prepare(x, y, "fit", batch_size)
        if len(x) == 0:
            raise ValueError("fit: x holds no samples")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            split = int(len(x) * (1 - validation_split))      # Keras keeps the last samples
            if split == 0 or split == len(x):
                raise ValueError(f"fit: validation_split={validation_split} of {len(x)} samples leaves "
                                 f"{split} to train on and {len(x) - split} to validate; both need at least one")
            x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a pair (x_val, y_val), got "
                                 f"{type(validation_data).__name__} of {len(validation_data) if hasattr(validation_data, '__len__') else '?'} items")
            validation_data = self._prepare(*validation_data, what="fit (validation_data)")
            if len(validation_data[0]) == 0:
                raise ValueError("fit: validation_data holds no samples")
        history = History()
        n = len(x)
        steps = max(-(-n // batch_size), 1)
        self.train()
        for epoch in range(epochs):
            progress = Progress(steps, verbose)
            progress.epoch_header(epoch + 1, epochs)
            order = ad.backend.generator().permutation(n) if shuffle else None
            totals = np.zeros(1 + len(self.metrics))
            seen = 0
            for step in range(steps):
                rows = slice(step * batch_size, min((step + 1) * batch_size, n))
                xb, yb = (x[order[rows]], y[order[rows]]) if shuffle else (x[rows], y[rows])
                values = self.train_step(xb, yb)
                totals += np.array(values) * len(xb)
                seen += len(xb)
                progress.update(step + 1, self._named(totals / seen))
            logs = self._named(totals / seen)
            if validation_data is not None:
                val = self._evaluate(*validation_data, batch_size=batch_size)
                logs += [("val_" + name, value) for name, value in self._named(val)]
            progress.finish(logs)
            history.append(epoch, logs)
        self.eval()
        return history

    def train_step(self, x, y):
        """One optimizer step on a batch; returns [loss, *metrics] for it."""
        self.optimizer.zero_grad()
        out = self(x)
        loss = self.loss(y, out)
        loss.backward()
        self.optimizer.step()
        return [loss.item()] + [fn(y, out.numpy()) for _, fn in self.metrics]

    def _named(self, values):
        return [("loss", float(values[0]))] + [(name, float(v)) for (name, _), v in zip(self.metrics, values[1:])]

    @ad.no_grad()
    def _evaluate(self, x, y, batch_size):
        totals = np.zeros(1 + len(self.metrics))
        was_training = self.training
        self.eval()
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            out = self(xb)
            loss = self.loss(yb, out)
            totals += np.array([loss.item()] + [fn(yb, out.numpy()) for _, fn in self.metrics]) * len(xb)
        self.train(was_training)
        return totals / max(len(x), 1)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """``[loss, *metrics]`` over (x, y); a float when there are no metrics."""
        self._check_compiled("evaluate")
        x, y = self._prepare(x, y, "evaluate", batch_size)
        if len(x) == 0:
            raise ValueError("evaluate: x holds no samples")
        values = self._evaluate(x, y, batch_size)
        if verbose:
            print(" - ".join(f"{name}: {value:.4f}" for name, value in self._named(values)))
        return float(values[0]) if not self.metrics else [float(v) for v in values]

    @ad.no_grad()
    def predict(self, x, batch_size=32):
        """The model's outputs for ``x`` as a NumPy array."""
        x, _ = self._prepare(x, what="predict", batch_size=batch_size)
        was_training = self.training
        self.eval()
        outputs = [self(x[start:start + batch_size]).numpy() for start in range(0, max(len(x), 1), batch_size)]
        self.train(was_training)
        return np.concatenate(outputs)          # an empty x gives (0, outputs...), as Keras
