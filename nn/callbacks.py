"""Keras's callbacks: objects ``fit`` calls at the start and end of training, epochs and batches.

``fit(..., callbacks=[EarlyStopping(patience=2), ModelCheckpoint("best.keras", save_best_only=True)])``.
The hooks, their arguments and the ``logs`` dictionaries are Keras's; a callback
stops training by setting ``self.model.stop_training = True``.
"""
import math
import os
import string

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN",
           "LambdaCallback", "ReduceLROnPlateau", "LearningRateScheduler"]


class Callback:
    """The base class: override the hooks you need (each receives ``logs``, a dict of numbers)."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        """Give the callback the model being trained (``fit`` does, through ``CallbackList``).

        Args:
            model: the model, kept as ``self.model``.
        """
        self.model = model

    def set_params(self, params):
        """Give the callback ``fit``'s settings.

        Args:
            params: a dict, kept as ``self.params``: ``epochs``, ``steps`` (batches per epoch),
                ``verbose`` and ``metrics`` (the names each epoch's logs hold).
        """
        self.params = params

    def on_train_begin(self, logs=None):
        """At the start of ``fit``.

        Args:
            logs: an empty dict (Keras passes one too).
        """

    def on_train_end(self, logs=None):
        """At the end of ``fit`` (also after a callback stopped it).

        Args:
            logs: an empty dict (Keras passes one too).
        """

    def on_epoch_begin(self, epoch, logs=None):
        """At the start of each epoch of ``fit``.

        Args:
            epoch: the epoch's index, from 0 (or ``fit``'s ``initial_epoch``).
            logs: an empty dict (Keras passes one too).
        """

    def on_epoch_end(self, epoch, logs=None):
        """At the end of each epoch of ``fit``: the hook most callbacks use.

        Args:
            epoch: the epoch's index, from 0 (or ``fit``'s ``initial_epoch``).
            logs: the epoch's means, ``{"loss": float, <metric>: float, ...}``, with ``val_`` entries
                when ``fit`` has validation data; a callback may add to it (``learning_rate``).
        """

    def on_train_batch_begin(self, batch, logs=None):
        """Before each training batch of ``fit``.

        Args:
            batch: the batch's index in the epoch, from 0.
            logs: an empty dict (Keras passes one too).
        """

    def on_train_batch_end(self, batch, logs=None):
        """After each training batch of ``fit``.

        Args:
            batch: the batch's index in the epoch, from 0.
            logs: the batch's values, ``{"loss": float, <metric>: float, ...}``.
        """

    def on_test_begin(self, logs=None):
        """At the start of an evaluation (Keras's hook).

        nn's ``evaluate`` takes no callbacks, so nn never calls it.

        Args:
            logs: a dict of numbers.
        """

    def on_test_end(self, logs=None):
        """At the end of an evaluation (Keras's hook).

        nn's ``evaluate`` takes no callbacks, so nn never calls it.

        Args:
            logs: a dict of numbers.
        """

    def on_test_batch_begin(self, batch, logs=None):
        """Before a batch of an evaluation (Keras's hook).

        nn's ``evaluate`` takes no callbacks, so nn never calls it.

        Args:
            batch: the batch's index, from 0.
            logs: a dict of numbers.
        """

    def on_test_batch_end(self, batch, logs=None):
        """After a batch of an evaluation (Keras's hook).

        nn's ``evaluate`` takes no callbacks, so nn never calls it.

        Args:
            batch: the batch's index, from 0.
            logs: a dict of numbers.
        """

    def on_predict_begin(self, logs=None):
        """At the start of a prediction (Keras's hook).

        nn's ``predict`` takes no callbacks, so nn never calls it.

        Args:
            logs: a dict of numbers.
        """

    def on_predict_end(self, logs=None):
        """At the end of a prediction (Keras's hook).

        nn's ``predict`` takes no callbacks, so nn never calls it.

        Args:
            logs: a dict of numbers.
        """

    def on_predict_batch_begin(self, batch, logs=None):
        """Before a batch of a prediction (Keras's hook).

        nn's ``predict`` takes no callbacks, so nn never calls it.

        Args:
            batch: the batch's index, from 0.
            logs: a dict of numbers.
        """

    def on_predict_batch_end(self, batch, logs=None):
        """After a batch of a prediction (Keras's hook).

        nn's ``predict`` takes no callbacks, so nn never calls it.

        Args:
            batch: the batch's index, from 0.
            logs: a dict of numbers.
        """


class CallbackList:
    """Calls a hook on every callback in order (what ``fit`` holds): ``callbacks.on_epoch_end(epoch, logs)``.

    Args:
        callbacks: an iterable of Callback objects, or None.
        model: the model, given to each callback (``set_model``).
        **params: ``fit``'s settings, given to each callback as a dict (``set_params``).

    Raises:
        TypeError: an element of ``callbacks`` that is not a Callback.
    """

    def __init__(self, callbacks, model, **params):
        callbacks = list(callbacks or [])
        for c in callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks: expected nn.callbacks.Callback objects, got {c!r:.80}")
        self.callbacks = callbacks
        for c in callbacks:
            c.set_model(model)
            c.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for c in self.callbacks:
                getattr(c, hook)(*args)
        return call


class History(Callback):
    """What ``fit`` returns (and keeps as ``model.history``): ``history.history["loss"]``, one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        return f"History({self.history})"


def _monitor_op(mode, monitor, who):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":      # as Keras: accuracies and AUCs grow, everything else shrinks
        name = monitor.removeprefix("val_")
        mode = "max" if name.endswith(("acc", "accuracy", "auc")) else "min"
    return mode


class _Monitoring(Callback):
    """Shared by the callbacks that watch one logged number and compare it with the best so far."""

    def __init__(self, monitor, mode, min_delta, who):
        super().__init__()
        self.monitor = monitor
        self.mode = _monitor_op(mode, monitor, who)
        self.min_delta = abs(min_delta)
        self.who = who

    def worst(self):
        """Where the best value starts, as in Keras: +inf when smaller is better, else -inf.  Every real
        value improves on it; NaN improves on nothing (every comparison with NaN is False)."""
        return math.inf if self.mode == "min" else -math.inf

    def improved(self, value, reference):
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def watched(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            available = ", ".join(sorted(logs or {})) or "none"
            print(f"{self.who}: the monitored metric {self.monitor!r} is not logged (logged: {available}); "
                  "pass validation_data (for val_ metrics) or monitor one of those")
        return value


class EarlyStopping(_Monitoring):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``restore_best_weights=True`` puts back the weights of the best epoch when it stops (as Keras, only
    when it stops early).  ``baseline``: training stops unless the value beats it within ``patience``.

    Args:
        monitor: the name of the logged number to watch (default ``"val_loss"``, which needs ``fit``'s
            validation data); when it is not logged, a line says so and the epoch is passed over.
        min_delta: the smallest change that counts as an improvement (its absolute value; default 0).
        patience: the epochs without improvement after which training stops (default 0).
        verbose: 0 (default) silent; 1 prints a line when it acts.
        mode: ``"min"`` (smaller is better), ``"max"``, or ``"auto"`` (default): ``"max"`` for names ending
            in acc, accuracy or auc, else ``"min"``; anything else raises ValueError.
        baseline: None (default), or a value the monitored number must beat within ``patience``.
        restore_best_weights: whether to put back the best epoch's weights when it stops (default False).
        start_from_epoch: the epochs to wait before watching (default 0), a warmup.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta, "EarlyStopping")
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.worst()
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        value = self.watched(logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()        # the first epoch's, in case none improves
        self.wait += 1
        if self.improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.improved(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class ModelCheckpoint(_Monitoring):
    """Save the model (``model.save``, a ``.keras`` file) or its weights (``save_weights_only=True``,
    a ``.weights.npz``, ``.weights.h5`` or ``.safetensors`` file) after every epoch, or only when
    ``monitor`` improved (``save_best_only``).

    ``filepath`` may hold Keras's fields: ``"ckpt-{epoch:02d}-{val_loss:.3f}.keras"``.

    Args:
        filepath: where to save, a str or path, ending in ``.keras`` (or, with ``save_weights_only``,
            ``.weights.npz``, ``.weights.h5`` or ``.safetensors``; else ValueError); its fields are
            ``epoch`` (from 1) and the logged names; missing folders are made.
        monitor: the logged number ``save_best_only`` watches (default ``"val_loss"``).
        verbose: 0 (default) silent; 1 prints a line per epoch.
        save_best_only: whether to save only when ``monitor`` improved on the best so far (default False).
        save_weights_only: whether to save the weights alone (``model.save_weights``) rather than the
            whole model (``model.save``; default False).
        mode: ``"min"`` (smaller is better), ``"max"``, or ``"auto"`` (default): ``"max"`` for names ending
            in acc, accuracy or auc, else ``"min"``; anything else raises ValueError.
        save_freq: ``"epoch"`` (the default and the only one: any other raises ValueError).
        initial_value_threshold: None (default), or the value the first save must improve on.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, 0, "ModelCheckpoint")
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint: save_freq={save_freq!r}: Rosenblatt saves once per epoch "
                             "(save_freq='epoch')")
        path = str(filepath)
        if save_weights_only and not path.endswith((".weights.npz", ".weights.h5", ".safetensors")):
            raise ValueError(f"ModelCheckpoint: with save_weights_only=True the file name must end in "
                             f"'.weights.npz', '.weights.h5' or '.safetensors' (the formats save_weights writes), "
                             f"got {path!r}")
        if not save_weights_only and not path.endswith(".keras"):
            raise ValueError(f"ModelCheckpoint: the file name must end in '.keras' (a whole model, "
                             f"as model.save writes), got {path!r}")
        self.filepath, self.verbose = path, verbose
        self.fields = _plain_fields(path)
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.best = self.worst() if initial_value_threshold is None else initial_value_threshold

    def on_train_begin(self, logs=None):
        logged = self.params.get("metrics")
        if logged is None:
            return
        missing = [field for field in self.fields if field not in {"epoch", "learning_rate", *logged}]
        if missing:
            raise ValueError(f"ModelCheckpoint: the file name {self.filepath!r} uses {{{missing[0]}}}, which this "
                             f"training does not log (it logs epoch, {', '.join(logged)})"
                             + ("; pass validation_data (or validation_split) for val_ values"
                                if missing[0].startswith("val_") else ""))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as exc:
            raise ValueError(f"ModelCheckpoint: the file name {self.filepath!r} uses {{{exc.args[0]}}}, which is not "
                             f"logged at epoch {epoch + 1} (logged: epoch, {', '.join(sorted(logs))})") from None
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)        # as Keras: the folder is made
        if self.save_best_only:
            value = self.watched(logs)
            if value is None:
                return
            if not self.improved(value, self.best):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {value:.5f}, "
                      f"saving model to {path}")
            self.best = value
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _plain_fields(path):
    """The names of the fields in a checkpoint's file name: plain names with format specs only
    (``{epoch:02d}``, ``{val_loss:.3f}``), never attributes, indices or conversions."""
    fields = []
    try:
        parts = list(string.Formatter().parse(path))
    except ValueError as exc:
        raise ValueError(f"ModelCheckpoint: the file name {path!r} is not a valid format string: {exc}") from None
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if not field.isidentifier() or conversion or "{" in (spec or ""):
            raise ValueError(f"ModelCheckpoint: the file name {path!r} holds the field {{{field}"
                             f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}: only plain "
                             "names with a format spec are allowed, such as {epoch:02d} or {val_loss:.3f}")
        fields.append(field)
    return fields


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Each function takes the hook's arguments (``epoch, logs``; ``batch, logs``; or ``logs``).

    Args:
        on_epoch_begin: None (default) or a function(epoch, logs).
        on_epoch_end: None or a function(epoch, logs).
        on_train_begin: None or a function(logs).
        on_train_end: None or a function(logs).
        on_train_batch_begin: None or a function(batch, logs).
        on_train_batch_end: None or a function(batch, logs).
        **more: functions for other hooks by name (``on_test_begin=...``); an unknown name raises
            TypeError.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **more):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **more)
        for name, function in hooks.items():
            if not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            if function is not None:
                setattr(self, name, function)


class ReduceLROnPlateau(_Monitoring):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    Each epoch's logs get the optimizer's ``learning_rate``, as in Keras.

    Args:
        monitor: the name of the logged number to watch (default ``"val_loss"``, which needs ``fit``'s
            validation data); when it is not logged, a line says so and the epoch is passed over.
        factor: what the rate is multiplied by, in (0, 1) (default 0.1; else ValueError).
        patience: the epochs without improvement before the rate falls (default 10).
        verbose: 0 (default) silent; 1 prints a line when it acts.
        mode: ``"min"`` (smaller is better), ``"max"``, or ``"auto"`` (default): ``"max"`` for names ending
            in acc, accuracy or auc, else ``"min"``; anything else raises ValueError.
        min_delta: the smallest change that counts as an improvement (default 1e-4).
        cooldown: the epochs to wait after a reduction before counting toward ``patience`` again
            (default 0).
        min_lr: the rate is never reduced below it (default 0.0).
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta, "ReduceLROnPlateau")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be between 0 and 1 (it shrinks the rate), got {factor}")
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr

    def on_train_begin(self, logs=None):
        self.wait = self.cooldown_counter = 0
        self.best = self.worst()

    def on_epoch_end(self, epoch, logs=None):
        value = self.watched(logs)
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.improved(value, self.best):
            self.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = self.model.optimizer.learning_rate
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, lr)`` (or ``schedule(epoch)``).

    Each epoch's logs get the optimizer's ``learning_rate``, as in Keras.

    Args:
        schedule: a function(epoch, lr) -> the new rate, epoch counted from 0 and lr the current rate
            (a function(epoch) works too); a rate that is not positive raises ValueError.
        verbose: 0 (default) silent; 1 prints the rate it sets.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        new = float(new)
        if not new > 0:
            raise ValueError(f"LearningRateScheduler: the schedule gave learning rate {new} at epoch {epoch}; "
                             "it must be positive")
        self.model.optimizer.learning_rate = new
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate
