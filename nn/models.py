"""Sequential: a stack of layers with Keras's compile / fit / evaluate / predict / summary."""
import numpy as np

import autodiff as ad

from . import activations, losses, metrics as metrics_module, optimizers, random
from .layers import Dense, Layer, as_tensor
from .module import Module
from .progress import Progress


_ARGMAX_METRICS = {metrics_module.accuracy, metrics_module.categorical_accuracy,
                   metrics_module.sparse_categorical_accuracy}


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


class Sequential(Module):
    def __init__(self, layers=None, name=None):
        self.name = name or "sequential"
        self.layers = []
        self.optimizer = self.loss = None
        self.metrics = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer (nn.layers.Dense, ...), got {layer!r:.80}")
        self.layers.append(layer)
        self._build_chain()          # builds the new layer when the shapes before it are known

    def _build_chain(self):
        """Build every layer whose input shape is known from the one before."""
        shape = None
        for layer in self.layers:
            if not layer.built:
                if shape is None:
                    return
                layer.build(shape)
            shape = layer.compute_output_shape(layer.input_shape)

    @property
    def built(self):
        return bool(self.layers) and all(layer.built for layer in self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __call__(self, x):
        return self.forward(as_tensor(x))

    # ------------------------------------------------------------ Keras API
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = [metrics_module.get(m) for m in (metrics or [])]
        if self.built:
            self.optimizer.attach(self.parameters())

    def _fused_logits_loss(self):
        """The loss computes from the last layer's logits when it is a softmax cross-entropy.

        Stabler and cheaper than log(softmax): the gradient is (p - y) / batch.
        """
        last = self.layers[-1] if self.layers else None
        if isinstance(last, Dense) and last.activation is activations.softmax and \
                isinstance(self.loss, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy)) and \
                not self.loss.from_logits:
            return last
        return None

    def _outputs_and_loss(self, x, y):
        """Predictions (as an array) and the loss Tensor for one batch."""
        fused = self._fused_logits_loss()
        if fused is None:
            out = self.forward(x)
            return out, self.loss(y, out)
        for layer in self.layers[:-1]:
            x = layer(x)
        with ad.name_scope(fused.name):
            fused.check_features(x)
            logits = fused.pre_activation(x)
        loss = self.loss.from_logits_call(y, logits)
        if all(fn in _ARGMAX_METRICS for _, fn in self.metrics):
            return logits, loss          # argmax of the logits is argmax of the softmax
        with ad.no_grad():
            return logits.softmax(), loss

    def _check_compiled(self, what):
        if self.loss is None:
            raise RuntimeError(f"{what}: compile() the model first, e.g. "
                               "model.compile(optimizer='rmsprop', loss='categorical_crossentropy', "
                               "metrics=['accuracy'])")

    def _prepare(self, x, y=None, what="fit"):
        x = x.data if isinstance(x, ad.Tensor) else np.asarray(x)
        if x.dtype != np.float32 and x.dtype.kind in "fiub":
            x = x.astype(np.float32)        # the model computes in float32, as Keras does
        if y is None:
            return x, None
        y = y.data if isinstance(y, ad.Tensor) else np.asarray(y)
        if y.dtype.kind == "f" and y.dtype != np.float32:
            y = y.astype(np.float32)
        if len(x) != len(y):
            raise ValueError(f"{what}: {len(x)} inputs but {len(y)} labels; they must have the same length")
        if not self.built:
            self.layers[0].build(x.shape[1:])
            self._build_chain()
            if self.optimizer is not None:
                self.optimizer.attach(self.parameters())
        return x, y

    def fit(self, x, y, batch_size=32, epochs=1, verbose="auto", validation_data=None, validation_split=0.0,
            shuffle=True):
        """Train for ``epochs`` passes over (x, y) in batches; returns a History."""
        self._check_compiled("fit")
        x, y = self._prepare(x, y, "fit")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            split = int(len(x) * (1 - validation_split))      # Keras keeps the last samples
            x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
        if validation_data is not None:
            validation_data = self._prepare(*validation_data[:2], what="fit (validation_data)")
        history = History()
        n = len(x)
        steps = max(-(-n // batch_size), 1)
        self.train()
        for epoch in range(epochs):
            progress = Progress(steps, verbose)
            progress.epoch_header(epoch + 1, epochs)
            order = random.generator().permutation(n) if shuffle else None
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
        out, loss = self._outputs_and_loss(x, y)
        loss.backward()
        self.optimizer.step()
        return [loss.item()] + [fn(y, out.data) for _, fn in self.metrics]

    def _named(self, values):
        return [("loss", float(values[0]))] + [(name, float(v)) for (name, _), v in zip(self.metrics, values[1:])]

    @ad.no_grad()
    def _evaluate(self, x, y, batch_size):
        totals = np.zeros(1 + len(self.metrics))
        was_training = self.training
        self.eval()
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            out, loss = self._outputs_and_loss(xb, yb)
            totals += np.array([loss.item()] + [fn(yb, out.data) for _, fn in self.metrics]) * len(xb)
        self.train(was_training)
        return totals / max(len(x), 1)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """``[loss, *metrics]`` over (x, y); a float when there are no metrics."""
        self._check_compiled("evaluate")
        x, y = self._prepare(x, y, "evaluate")
        values = self._evaluate(x, y, batch_size)
        if verbose:
            print(" - ".join(f"{name}: {value:.4f}" for name, value in self._named(values)))
        return float(values[0]) if not self.metrics else [float(v) for v in values]

    @ad.no_grad()
    def predict(self, x, batch_size=32):
        """The model's outputs for ``x`` as a NumPy array."""
        x, _ = self._prepare(x, what="predict")
        was_training = self.training
        self.eval()
        outputs = [self.forward(ad.tensor(x[start:start + batch_size])).data
                   for start in range(0, len(x), batch_size)]
        self.train(was_training)
        return np.concatenate(outputs) if outputs else np.zeros((0,))

    def summary(self, print_fn=print):
        """Print each layer with its output shape and parameter count, then the totals."""
        if not self.built:
            raise ValueError("summary: the model is not built yet: give the first layer input_shape=..., "
                             "or call the model on data first")
        rows = [("Layer (type)", "Output Shape", "Param #")]
        shape = None
        for layer in self.layers:
            shape = layer.compute_output_shape(layer.input_shape)
            rows.append((f"{layer.name} ({type(layer).__name__})", str((None,) + tuple(shape)),
                         f"{layer.count_params():,}"))
        widths = [max(len(r[i]) for r in rows) + 4 for i in range(3)]
        rule = "=" * sum(widths)
        lines = [f'Model: "{self.name}"', rule]
        for i, row in enumerate(rows):
            lines.append("".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            lines.append(rule if i == 0 else "-" * sum(widths) if i < len(rows) - 1 else rule)
        total = self.count_params()
        lines += [f"Total params: {total:,}", f"Trainable params: {total:,}", "Non-trainable params: 0"]
        print_fn("\n".join(lines))
        return total
