"""What a Keras user writes in the first chapters: callbacks, save/load_model, the functional API,
weights, modes, sample weights, more losses, optimizers and schedules."""
import copy
import io
import json
import os
import pickle
import threading
import zipfile

import numpy as np
import pytest

import nn
import autodiff as ad
from nn import callbacks, layers, losses, metrics, models, optimizers, schedules
from nn.utils import to_categorical


def synthetic(n=600, seed=0, features=8, classes=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = (x @ rng.standard_normal((features, classes))).argmax(axis=1)
    return x, to_categorical(y, classes)


def small_model(dropout=0.0, optimizer="adam"):
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dropout(dropout),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_model(seed=0):
    nn.utils.set_random_seed(seed)
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype(np.float32), to_categorical(rng.integers(0, 2, n), 2)


# ------------------------------------------------------------------ callbacks
def test_hooks_run_in_keras_order_with_logs():
    nn.set_seed(0)
    x, y = synthetic(64)
    seen = []
    hooks = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: seen.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: seen.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: seen.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: seen.append("train_end"))
    model = small_model()
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[hooks], validation_data=(x, y))
    assert seen == ["train_begin", "epoch_begin 0", "batch_end 0 ['accuracy', 'loss']", "batch_end 1 ['accuracy', 'loss']",
                    "epoch_end 0 ['accuracy', 'loss', 'val_accuracy', 'val_loss']", "epoch_begin 1",
                    "batch_end 0 ['accuracy', 'loss']", "batch_end 1 ['accuracy', 'loss']",
                    "epoch_end 1 ['accuracy', 'loss', 'val_accuracy', 'val_loss']", "train_end"]
    assert history is model.history and history.epoch == [0, 1] and len(history.history["val_loss"]) == 2
    with pytest.raises(TypeError, match="Callback objects"):
        model.fit(x, y, verbose=0, callbacks=[print])


class Scripted(callbacks.Callback):
    """Replaces the logged validation loss by a script, so a callback's decisions can be checked exactly."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_early_stopping_waits_patience_epochs_and_restores_the_best_weights(capsys):
    nn.set_seed(0)
    x, y = synthetic(64)
    model = small_model()
    weights_at = {}
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: weights_at.__setitem__(epoch, model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=10, batch_size=64, verbose=0,
                        callbacks=[Scripted([1.0, 0.5, 0.6, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]), record, stop])
    assert len(history.history["loss"]) == 4             # best at epoch 1, two epochs without improvement
    assert stop.stopped_epoch == 3 and stop.best == 0.5
    for restored, best in zip(model.get_weights(), weights_at[1]):
        np.testing.assert_array_equal(restored, best)
    assert "Epoch 4: early stopping" in capsys.readouterr().out
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.2)
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[Scripted([1.0, 0.85, 0.7, 0.1] + [0.0] * 6), stop])
    assert len(history.history["loss"]) == 2             # 1.0 -> 0.85 is not an improvement of 0.2


def test_model_checkpoint_saves_only_improvements_and_fills_the_file_name(tmp_path, capsys):
    nn.set_seed(0)
    x, y = synthetic(64)
    model = small_model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    save = callbacks.ModelCheckpoint(pattern, monitor="val_loss", save_best_only=True, verbose=1)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[Scripted([0.9, 0.5, 0.7, 0.4]), save], validation_data=(x, y))
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01-0.90.keras", "ckpt-02-0.50.keras", "ckpt-04-0.40.keras"]
    assert "Epoch 3: val_loss did not improve from 0.50000" in capsys.readouterr().out
    weights = callbacks.ModelCheckpoint(str(tmp_path / "w.weights.npz"), save_weights_only=True)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[weights])
    fresh = small_model()
    fresh.load_weights(str(tmp_path / "w.weights.npz"))
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="'.weights.npz', '.weights.h5' or '.safetensors'"):
        callbacks.ModelCheckpoint("model.h5", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in '.keras'"):
        callbacks.ModelCheckpoint("model.h5")


def test_a_nan_monitored_value_never_improves(tmp_path):
    """As Keras: the best value starts from +/-inf, so a NaN first epoch is not the best forever."""
    nn.set_seed(0)
    x, y = synthetic(64)
    model = small_model()
    weights_at = {}
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: weights_at.__setitem__(epoch, model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=64, verbose=0,
                        callbacks=[Scripted([float("nan"), 0.9, 0.5, 0.6, 0.7, 0.8]), record, stop])
    assert len(history.history["loss"]) == 4 and stop.best == 0.5 and stop.best_epoch == 2
    for restored, best in zip(model.get_weights(), weights_at[2]):
        np.testing.assert_array_equal(restored, best)
    save = callbacks.ModelCheckpoint(str(tmp_path / "ck-{epoch}.keras"), save_best_only=True)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[Scripted([float("nan"), 0.9, float("nan")]), save])
    assert sorted(os.listdir(tmp_path)) == ["ck-2.keras"]
    model = small_model(optimizer=optimizers.SGD(learning_rate=0.1))
    plateau = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[Scripted([float("nan"), 0.9, 0.8, 0.7]), plateau])
    assert model.optimizer.learning_rate == pytest.approx(0.1) and plateau.best == 0.7
    model.fit(x, y, epochs=3, verbose=0, callbacks=[Scripted([0.9, float("nan"), float("nan")]), plateau])
    assert model.optimizer.learning_rate == pytest.approx(0.05)          # NaN twice: no improvement, rate halved


def test_model_checkpoint_makes_its_folder_and_checks_its_fields_before_training(tmp_path):
    x, y = synthetic(64)
    model = small_model()
    seen = []
    spy = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    nested = tmp_path / "runs" / "a" / "ck-{epoch:02d}-{loss:.2f}.keras"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(nested))])
    assert [p.name[:6] for p in (tmp_path / "runs" / "a").iterdir()] == ["ck-01-"]
    save = callbacks.ModelCheckpoint(str(tmp_path / "ck-{val_loss:.3f}.keras"))
    with pytest.raises(ValueError, match=r"uses \{val_loss\}, which this training does not log .*pass validation_data"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[save, spy])
    assert seen == []                                               # refused before the first epoch
    model.fit(x, y, epochs=1, verbose=0, callbacks=[save], validation_data=(x, y))
    for bad in ("ck-{epoch.__class__}.keras", "ck-{epoch[0]}.keras", "ck-{epoch!r}.keras", "ck-{epoch:{loss}}.keras",
                "ck-{}.keras", "ck-{0}.keras"):
        with pytest.raises(ValueError, match="only plain names with a format spec"):
            callbacks.ModelCheckpoint(str(tmp_path / bad))
    with pytest.raises(ValueError, match="not a valid format string"):
        callbacks.ModelCheckpoint(str(tmp_path / "ck-{epoch.keras"))


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    """A run that diverges by itself (data with NaN is refused by fit, see below)."""
    x, _ = synthetic(96)
    y = x.sum(axis=1, keepdims=True)
    model = models.Sequential([layers.Dense(1, input_shape=(8,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=1e18), loss="mse")
    seen = []
    watch = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    with np.errstate(all="ignore"):                              # it overflows: that is the point
        history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
                            callbacks=[callbacks.TerminateOnNaN(), watch])
    assert len(history.history["loss"]) == 1 and not np.isfinite(seen[-1]) and np.isfinite(seen[:-1]).all()
    assert f"Batch {len(seen) - 1}: Invalid loss, terminating training" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["x", "y", "sample_weight", "val_x"])
def test_fit_and_evaluate_refuse_non_finite_data_naming_the_array_and_position(where):
    x, y = synthetic(64)
    weights, val = np.ones(64, np.float32), (x.copy(), y.copy())
    {"x": x, "y": y, "sample_weight": weights[:, None], "val_x": val[0]}[where][5, 0] = np.nan
    model = small_model()
    before = model.get_weights()
    name = {"val_x": "x", "sample_weight": "sample_weight"}.get(where, where)
    with pytest.raises(ValueError, match=rf"fit( \(validation_data\))?: {name} holds 1 non-finite value \(the first, "
                                         rf"nan, at {name}\[5(, 0)?\]\)"):
        model.fit(x, y, sample_weight=weights, validation_data=val, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    if where in ("x", "y"):
        with pytest.raises(ValueError, match=rf"evaluate: {where} holds 1 non-finite value"):
            model.evaluate(x, y, verbose=0)
    huge = np.full((4, 8), 3e38, np.float32)                  # finite values whose sum overflows: accepted
    nn.training._check_finite(huge, "fit", "x")


def test_learning_rate_callbacks_change_the_optimizers_rate():
    x, y = synthetic(64)
    model = small_model(optimizer=optimizers.SGD(learning_rate=0.1))
    rates = []
    watch = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: rates.append(model.optimizer.learning_rate))
    history = model.fit(x, y, epochs=3, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5), watch])
    assert rates == pytest.approx([0.05, 0.025, 0.0125])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    model = small_model(optimizer=optimizers.SGD(learning_rate=0.1))
    plateau = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.03)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[Scripted([1.0, 1.0, 1.0, 0.5, 0.5]), plateau])
    assert model.optimizer.learning_rate == pytest.approx(0.03)     # 0.1 -> 0.05 -> 0.03 (the floor)


# ------------------------------------------------------------------ save / load_model
def test_save_and_load_model_keeps_everything_and_training_resumes_exactly(tmp_path):
    x, y = synthetic(128)
    nn.set_seed(1)
    straight = small_model(optimizer=optimizers.Adam(learning_rate=0.01))
    nn.set_seed(1)
    stopped = small_model(optimizer=optimizers.Adam(learning_rate=0.01))
    straight.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    stopped.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    path = str(tmp_path / "model.keras")
    stopped.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), stopped.predict(x, verbose=0))
    assert loaded.optimizer.iterations == 8 and type(loaded.optimizer) is optimizers.Adam
    assert [name for name, _ in loaded.metrics] == ["accuracy"] and type(loaded.loss).__name__ == "CategoricalCrossentropy"
    loaded.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)              # optimizer state and step count came back too
    assert models.load_model(path, compile=False).loss is None


def test_a_functional_two_branch_model_trains_saves_and_loads(tmp_path, capsys):
    nn.set_seed(0)
    x, y = synthetic(600)
    inputs = nn.Input(shape=(8,))
    wide = layers.Dense(32, activation="relu")(inputs)
    narrow = layers.Dense(8, activation="tanh")(inputs)
    outputs = layers.Dense(3, activation="softmax")(layers.concatenate([wide, narrow]))
    model = nn.Model(inputs, outputs)
    assert isinstance(model, nn.Functional)
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense", "Concatenate", "Dense"]
    assert model.get_layer(model.layers[2].name) is model.layers[2] and model.get_layer(index=-1) is model.layers[3]
    model.summary()
    table = capsys.readouterr().out
    assert "Connected to" in table and "concatenate" in table and "(None, 40)" in table
    assert "Total params: 483" in table                         # 8*32+32 + 8*8+8 + 40*3+3
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.95
    path = str(tmp_path / "functional.keras")
    model.save(path)
    loaded = models.load_model(path)
    assert isinstance(loaded, nn.Functional)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    shared = layers.Dense(4)                                     # a layer called twice shares its weights
    a, b = nn.Input(shape=(4,)), nn.Input(shape=(4,))
    twice = nn.Model([a, b], layers.add([shared(a), shared(b)]))
    assert twice.count_params() == 20
    ones = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(twice([ones, ones]).numpy(), 2 * shared(ones).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="an Input that is not among the model's inputs"):
        nn.Model(a, layers.add([shared(a), shared(b)]))
    twice.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="this model has 2 inputs and 1 outputs"):
        twice.fit(ones, ones, verbose=0)


def hostile(tmp_path, path, change):
    """A copy of a saved model with one member changed by ``change(name, data) -> data``."""
    out = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(out, "w") as w:
        for name in z.namelist():
            data = change(name, z.read(name))
            if data is not None:
                w.writestr(name, data)
    return str(out)


def config_with(edit):
    """A member rewrite for hostile(): config.json with ``edit`` applied, the other members as they were."""
    def change(name, data):
        if name != "config.json":
            return data
        config = json.loads(data)
        edit(config)
        return json.dumps(config).encode()
    return change


def test_load_model_refuses_hostile_or_foreign_files(tmp_path):
    model = small_model()
    path = str(tmp_path / "m.keras")
    model.save(path)

    pickled = io.BytesIO()
    np.save(pickled, np.array([object()], dtype=object), allow_pickle=True)
    cases = {
        "unknown layer 'system'": config_with(lambda c: c["model"]["config"]["layers"][0].update({"class": "system"})),
        "takes no arguments \\['command'\\]": config_with(
            lambda c: c["model"]["config"]["layers"][0]["config"].update({"command": "rm -rf /"})),
        "unknown optimizer": config_with(lambda c: c["compile"]["optimizer"].update({"class": "eval"})),
        "config.json is not JSON": lambda name, data: b"\x80not json" if name == "config.json" else data,
        "not a NumPy archive without pickles": lambda name, data: (
            _zip_of({"layers.0.kernel.npy": pickled.getvalue()}) if name == "model.weights.npz" else data),
        "asks for 16 weights for 'bias' \\(16,\\), more than the 0 the file still holds": lambda name, data: (
            _npz({"layers.0.kernel": np.zeros((8, 16))}) if name == "model.weights.npz" else data),
        "does not match this model": lambda name, data: (
            _npz({"layers.0.kernel": np.zeros((8, 16)), "layers.0.bias": np.zeros(16), "layers.2.kernel": np.zeros(48),
                  "other": np.zeros(3)}) if name == "model.weights.npz" else data),
        "expected \\['config.json'": lambda name, data: None if name == "optimizer.npz" else data,
        "version 1": config_with(lambda c: c.update({"version": 1})),
        "asks for 1,000,000,000,016 weights for 'kernel'": config_with(        # refused before it is allocated
            lambda c: c["model"]["config"]["layers"][0]["config"].update({"units": 10 ** 12 // 8 + 2})),
    }
    for message, change in cases.items():
        with pytest.raises(ValueError, match=message):
            models.load_model(hostile(tmp_path, path, change))
    (tmp_path / "text.keras").write_text("hello")
    with pytest.raises(ValueError, match="not a model file written by model.save"):
        models.load_model(str(tmp_path / "text.keras"))


def _npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _zip_of(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_a_declared_oversized_member_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from nn import saving
    model = small_model()
    path = str(tmp_path / "m.keras")
    model.save(path)
    monkeypatch.setattr(saving, "ARRAYS_LIMIT", 100)
    with pytest.raises(ValueError, match="model.weights.npz declares .* more than the 100"):
        models.load_model(path)


def _weights_member_with(path, write_extra):
    """The weights member of a saved model rewritten by ``write_extra(zipfile)`` after its own arrays."""
    with zipfile.ZipFile(path) as z:
        stored = dict(np.load(io.BytesIO(z.read("model.weights.npz"))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for key, array in stored.items():
            with inner.open(key + ".npy", "w") as member:
                np.lib.format.write_array(member, array)
        write_extra(inner)
    return buffer.getvalue()


def _peak_of(call):
    import tracemalloc
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("kind", ["extra array", "inflates past its header"])
def test_load_model_reads_headers_before_data_so_a_small_file_cannot_cost_gigabytes(tmp_path, kind):
    model = small_model()
    path = str(tmp_path / "m.keras")
    model.save(path)
    size = 128 << 20                                              # zeros: a small file on disk

    def extra(inner):
        with inner.open("extra.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                          "shape": (size // 4,)})
            for _ in range(size >> 20):
                member.write(bytes(1 << 20))

    def trailing(inner):                                          # the last array's data runs on past its header
        with inner.open("zz.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, np.zeros(3, np.float32))
            for _ in range(size >> 20):
                member.write(bytes(1 << 20))

    weights = _weights_member_with(path, extra if kind == "extra array" else trailing)
    bad = str(tmp_path / "small.keras")
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as w:
        for name in z.namelist():
            w.writestr(name, weights if name == "model.weights.npz" else z.read(name))
    del weights
    assert os.path.getsize(bad) < 1 << 20                         # under a megabyte on disk
    message = ("unexpected \\['extra'\\]" if kind == "extra array"
               else "'zz' inflates to .* more than its header declares")
    errors = []

    def load():
        with pytest.raises(nn.saving.ModelFileError, match=message) as info:
            models.load_model(bad)
        errors.append(info.value)
    peak = _peak_of(load)
    assert bad in str(errors[0]) and peak < 48 << 20, f"peak {peak / 1e6:.0f} MB for a {size >> 20} MB array"


@pytest.mark.parametrize("key, value, message", [
    ("iterations", np.array("1e400"), r"'iterations' holds <U5 values, not plain numbers"),
    ("iterations", np.array(-3), r"'iterations' is -3, not a step count"),
    ("iterations", np.array(2.5), r"'iterations' is 2.5, not a whole number"),
    ("0.m", np.full((8, 16), 1e300), r"'0.m' holds values that are not finite \(or too large for float32\)"),
    ("0.m", np.full((8, 16), "1e400"), r"'0.m' holds <U5 values, not plain numbers"),
    ("0.m", np.zeros((8, 16), dtype=[("a", "<f4")]), r"'0.m' holds \[\('a', '<f4'\)\] values, not plain"),
    ("0.m", np.zeros((16, 8)), r"'0.m' has shape \(16, 8\), expected \(8, 16\)"),
    ("9.m", np.zeros(3), r"'9.m' is not one Adam keeps"),
    ("odd key", np.zeros(3), r"'odd key' is not one Adam keeps"),
])
def test_optimizer_state_from_a_file_is_checked_as_weights_are(tmp_path, key, value, message):
    nn.set_seed(0)
    x, y = synthetic(32)
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)

    def change(name, data):
        if name != "optimizer.npz":
            return data
        arrays = dict(np.load(io.BytesIO(data)))
        arrays[key] = value
        return _npz(arrays)
    with pytest.raises(nn.saving.ModelFileError, match=f"{tmp_path}.*optimizer.npz.* {message}"):
        models.load_model(hostile(tmp_path, path, change))
    assert models.load_model(path).optimizer.iterations == 1


def test_every_failure_to_read_a_model_file_is_a_model_file_error_naming_it(tmp_path):
    model = models.Sequential([layers.Conv2D(2, 3, input_shape=(5, 5, 1))])
    model.compile(optimizer="sgd", loss="mse")
    path = str(tmp_path / "m.keras")
    model.save(path)

    def first_layer(config):
        return config["model"]["config"]["layers"][0]

    def corrupt_crc(name, data):
        return data if name != "model.weights.npz" else data[:-200] + bytes([data[-200] ^ 0xFF]) + data[-199:]

    cases = {
        "nests deeper": lambda name, data: b"[" * 100000 + b"]" * 100000 if name == "config.json" else data,
        "unknown layer \\['Conv2D'\\]": config_with(lambda c: first_layer(c).update({"class": ["Conv2D"]})),
        "unknown layer \\{": config_with(lambda c: first_layer(c).update({"class": {"a": 1}})),
        "groups must be a positive integer": config_with(lambda c: first_layer(c)["config"].update({"groups": 0})),
        "(Bad CRC|CRC)": corrupt_crc,
        "compile settings": config_with(lambda c: c.update({"compile": [1]})),
        "TypeError": config_with(lambda c: c["compile"].update({"loss": 3})),
    }
    for message, change in cases.items():
        bad = hostile(tmp_path, path, change)
        with pytest.raises(nn.saving.ModelFileError, match=message) as info:
            models.load_model(bad)
        assert bad in str(info.value), (message, str(info.value))


def test_save_is_whole_or_nothing_and_refuses_what_it_cannot_write(tmp_path, monkeypatch):
    model = small_model()
    path = str(tmp_path / "m.keras")
    model.save(path)
    before = open(path, "rb").read()
    monkeypatch.setattr(np, "savez", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before and os.listdir(tmp_path) == ["m.keras"]
    def relu(t):                                   # a look-alike of nn's relu is not saved as "relu"
        return t * 2

    for activation in (lambda t: t * 2, relu):
        custom = models.Sequential([layers.Dense(2, activation=activation, input_shape=(3,))])
        with pytest.raises(ValueError, match="cannot be written to a file: give it by name"):
            custom.save(str(tmp_path / "c.keras"))

    class Net(nn.Model):
        def forward(self, x):
            return x
    with pytest.raises(ValueError, match="a subclass with its own forward"):
        models.Sequential.save(Net(), str(tmp_path / "n.keras"))


def test_custom_losses_and_metrics_load_with_custom_objects(tmp_path):
    def doubled_mse(y_true, y_pred):
        return losses.mse(y_true, y_pred) * 2

    model = models.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=doubled_mse)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(ValueError, match="custom_objects=\\{'doubled_mse'"):
        models.load_model(path)
    assert models.load_model(path, custom_objects={"doubled_mse": doubled_mse}).loss is doubled_mse


# ------------------------------------------------------------------ weights, layers, modes
def test_get_set_weights_get_layer_and_calling_in_either_mode():
    nn.set_seed(0)
    model = small_model(dropout=0.5)
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(8, 16), (16,), (16, 3), (3,)]
    weights[0][...] = 0                                  # copies: the model is untouched
    assert model.get_weights()[0].any()
    model.set_weights(weights)
    assert not model.get_weights()[0].any()
    with pytest.raises(ValueError, match="has 4 weight arrays, got 3"):
        model.set_weights(weights[:3])
    with pytest.raises(ValueError, match="has shape \\(16, 3\\) in the model but \\(3, 16\\)"):
        model.set_weights(weights[:2] + [weights[2].T, weights[3]])
    assert not model.get_weights()[0].any()              # a refused list writes nothing
    assert model.get_layer("dropout" if model.layers[1].name == "dropout" else model.layers[1].name) is model.layers[1]
    assert model.get_layer(index=-1) is model.layers[2]
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.get_layer("nope")

    nn.set_seed(0)
    model = small_model(dropout=0.5)
    x, y = synthetic(64)
    inference = model.predict(x, verbose=0)               # batches of 32: BLAS may round apart from 64 rows
    close = dict(rtol=0, atol=32 * np.finfo(np.float32).eps)   # sums of 8 and 16 products of values near 1
    np.testing.assert_allclose(model(x, training=False).numpy(), inference, **close)
    assert not np.array_equal(model(x, training=True).numpy(), inference)
    assert model.training and model.layers[1].training       # the call's mode did not stick
    model.fit(x, y, epochs=1, verbose=0)
    assert model.training                                     # fit leaves the mode it found
    model.eval()
    model.fit(x, y, epochs=1, verbose=0)
    assert not model.training
    np.testing.assert_allclose(model(x).numpy(), model.predict(x, verbose=0), **close)


def test_the_training_mode_is_each_threads_own_business():
    """fit in one thread, predict in another, on one model: each sees its own mode, and the mode
    train()/eval() set is untouched by both."""
    import threading
    nn.set_seed(0)
    model = small_model(dropout=0.5)
    x, y = synthetic(64)
    model.eval()
    inside, barrier = {}, threading.Barrier(2)

    def in_mode(name, training):
        with model.mode(training):
            barrier.wait()                                   # both blocks are open at once
            inside[name] = (model.training, model.layers[1].training)
            barrier.wait()

    threads = [threading.Thread(target=in_mode, args=(name, mode)) for name, mode in (("a", True), ("b", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inside == {"a": (True, True), "b": (False, False)} and not model.training

    dropout_seen, done = [], threading.Event()
    spy = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: dropout_seen.append(model.layers[1].training))
    trainer = threading.Thread(target=lambda: (model.fit(x, y, epochs=20, batch_size=8, verbose=0, callbacks=[spy]),
                                               done.set()))
    trainer.start()
    predictions = 0
    while not done.is_set():                                 # predict on the same model meanwhile
        assert model.predict(x, verbose=0).shape == (64, 3)
        with model.mode(False):
            assert not model.layers[1].training
        predictions += 1
    trainer.join()
    assert predictions > 0
    assert all(dropout_seen) and len(dropout_seen) == 160 and not model.training     # fit trained; eval() kept


def test_evaluate_prints_by_default_and_returns_a_dict_on_request(capsys):
    x, y = synthetic(64)
    model = small_model()
    values = model.evaluate(x, y)
    shown = capsys.readouterr().out
    assert f"accuracy: {values[1]:.4f}" in shown and f"loss: {values[0]:.4f}" in shown
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": values[0], "accuracy": values[1]}
    assert capsys.readouterr().out == ""
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.predict(x)
    assert "2/2" in capsys.readouterr().out


# ------------------------------------------------------------------ sample and class weights
def test_sample_weight_weights_each_samples_loss_as_keras():
    rng = np.random.default_rng(0)
    y_true = to_categorical(rng.integers(0, 3, 5), 3)
    logits = rng.standard_normal((5, 3)).astype(np.float32)
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    per_sample = -np.log((probabilities * y_true).sum(1))
    w = np.array([1, 0, 2, 0.5, 0], np.float32)
    out = nn.activations.softmax(nn.layers.as_tensor(logits))
    loss = losses.CategoricalCrossentropy()
    assert loss(y_true, out, sample_weight=w).item() == pytest.approx((per_sample * w).sum() / 5, rel=1e-5)
    assert loss(y_true, out, sample_weight=np.ones(5)).item() == pytest.approx(loss(y_true, out).item(), rel=1e-6)
    with pytest.raises(ValueError, match="one weight per sample"):
        loss(y_true, out, sample_weight=np.ones(4))


def test_zero_weighted_samples_do_not_move_the_model_and_class_weight_matches_sample_weight():
    x, y = synthetic(64)
    nn.set_seed(0)
    a = small_model(optimizer="sgd")
    nn.set_seed(0)
    b = small_model(optimizer="sgd")
    keep = np.arange(64) < 32
    a.fit(x, y, batch_size=64, epochs=1, verbose=0, sample_weight=keep.astype(np.float32) * 2)
    b.fit(x[keep], y[keep], batch_size=32, epochs=1, verbose=0)          # the same mean over the kept half
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)
    nn.set_seed(0)
    c = small_model(optimizer="sgd")
    nn.set_seed(0)
    d = small_model(optimizer="sgd")
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    c.fit(x, y, epochs=1, verbose=0, shuffle=False, class_weight=class_weight)
    d.fit(x, y, epochs=1, verbose=0, shuffle=False, sample_weight=np.array([class_weight[k] for k in y.argmax(1)]))
    for wc, wd in zip(c.get_weights(), d.get_weights()):
        np.testing.assert_array_equal(wc, wd)
    with pytest.raises(ValueError, match="no weight for classes \\[2\\]"):
        c.fit(x, y, verbose=0, class_weight={0: 1.0, 1: 1.0})


@pytest.mark.parametrize("key", [-1, 3, 1.0, "1", True, None])
def test_class_weight_keys_must_be_class_indices_in_range(key):
    x, y = synthetic(32)
    model = small_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=f"class_weight key {key!r} is not a class index: .*up to 2 "
                                         r"\(y holds 3 classes\)"):
        model.fit(x, y, verbose=0, class_weight={key: 100.0, 0: 1.0, 1: 1.0, 2: 1.0})
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    sparse = small_model()
    sparse.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    if key != 3:                                                        # any index >= 0 may name a class here
        with pytest.raises(ValueError, match="is not a class index"):
            sparse.fit(x, y.argmax(1), verbose=0, class_weight={key: 100.0, 0: 1.0, 1: 1.0, 2: 1.0})


def test_shape_errors_speak_of_the_users_arrays_and_say_what_to_do():
    model = models.Sequential([layers.Conv2D(4, 3, input_shape=(28, 28, 1)), layers.Flatten(),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = np.zeros((256, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match=r"labels of shape \(256,\) do not fit predictions of shape \(256, 3\): "
                                         r"give one-hot labels"):
        model.fit(x, np.arange(256) % 3, verbose=0)
    with pytest.raises(ValueError, match=r"labels of shape \(256,\)"):
        model.evaluate(x, np.arange(256) % 3, verbose=0)
    with pytest.raises(ValueError, match=r"got \(256, 28, 28\); the images have no channel axis: add one with "
                                         r"x\[\.\.\., None\]"):
        model.fit(x[..., 0], np.eye(3)[np.arange(256) % 3], verbose=0)
    with pytest.raises(ValueError, match=r"got \(256, 1, 28, 28\); the images look channels first .*"
                                         r"x.transpose\(0, 2, 3, 1\)"):
        model.predict(x.transpose(0, 3, 1, 2), verbose=0)


# ------------------------------------------------------------------ losses, metrics
def test_more_losses_and_metrics_follow_kerass_formulas():
    rng = np.random.default_rng(1)
    t = rng.random((6, 4)).astype(np.float32)
    p = rng.random((6, 4)).astype(np.float32) + 0.05
    d = p - t
    ht = rng.integers(0, 2, (6, 4)).astype(np.float32)
    expected = {
        "mae": np.abs(d).mean(),
        "mape": 100 * (np.abs(d) / np.maximum(np.abs(t), 1e-7)).mean(),
        "huber": np.where(np.abs(d) <= 1, 0.5 * d ** 2, np.abs(d) - 0.5).mean(),
        "kld": (np.clip(t, 1e-7, 1) * np.log(np.clip(t, 1e-7, 1) / np.clip(p, 1e-7, 1))).sum(1).mean(),
    }
    for name, value in expected.items():
        assert losses.get(name)(t, p).item() == pytest.approx(value, rel=1e-5), name
    assert losses.get("hinge")(ht, p).item() == pytest.approx(np.maximum(1 - (2 * ht - 1) * p, 0).mean(), rel=1e-5)
    assert losses.Huber(delta=0.1)(t, p).item() == pytest.approx(
        np.where(np.abs(d) <= 0.1, 0.5 * d ** 2, 0.1 * (np.abs(d) - 0.05)).mean(), rel=1e-5)
    assert metrics.get("mae")[1](t, p) == pytest.approx(expected["mae"], rel=1e-6)
    assert metrics.get("mse")[1](t, p) == pytest.approx((d ** 2).mean(), rel=1e-5)
    assert metrics.get("mape")[1](t, p) == pytest.approx(expected["mape"], rel=1e-5)
    assert metrics.get("kld")[1](t, p) == pytest.approx(expected["kld"], rel=1e-5)
    assert metrics.get("hinge")[1](ht, p) == pytest.approx(losses.get("hinge")(ht, p).item(), rel=1e-5)
    x = rng.standard_normal((200, 3)).astype(np.float32)
    target = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss="mae", metrics=["mae", "mse"])
    history = model.fit(x, target, epochs=40, verbose=0)
    assert history.history["mae"][-1] < 0.1 and set(history.history) == {"loss", "mae", "mse"}


# ------------------------------------------------------------------ optimizers and schedules
def keras_reference(name, w, grads, lr=0.01, **options):
    """Keras 3's update formulas in float64, written out independently of nn.optimizers."""
    w = w.astype(np.float64).copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w) + (options.get("initial_accumulator_value", 0.1) if name == "adagrad" else 0)
    u_product = 1.0
    b1, b2, eps = 0.9, 0.999, 1e-7
    for step, g in enumerate(grads):
        g = g.astype(np.float64)
        t = step + 1
        if options.get("weight_decay"):
            w = w - w * options["weight_decay"] * lr
        if name == "adagrad":
            v = v + g * g
            w = w - lr * g / np.sqrt(v + eps)
        elif name == "adamw":
            m = m + (g - m) * (1 - b1)
            v = v + (g * g - v) * (1 - b2)
            alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            w = w - alpha * m / (np.sqrt(v) + eps)
        elif name == "nadam":
            u_t = b1 * (1 - 0.5 * 0.96 ** t)
            u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product = u_product * u_t
            m = m + (g - m) * (1 - b1)
            v = v + (g * g - v) * (1 - b2)
            m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
            w = w - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w


@pytest.mark.parametrize("name,make", [
    ("adagrad", lambda p: optimizers.Adagrad(p, learning_rate=0.01)),
    ("adamw", lambda p: optimizers.AdamW(p, learning_rate=0.01, weight_decay=0.004)),
    ("nadam", lambda p: optimizers.Nadam(p, learning_rate=0.01)),
])
def test_new_optimizers_follow_kerass_update_rules(name, make):
    rng = np.random.default_rng(2)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) * (10.0 ** rng.integers(-3, 2)) for _ in range(30)]
    p = nn.Parameter(start, dtype=np.float64)
    opt = make([p])
    for g in grads:
        p.grad = nn.layers.ad.as_tensor(g)
        opt.step()
    expected = keras_reference(name, start, grads, weight_decay=0.004 if name == "adamw" else None)
    np.testing.assert_allclose(p.data, expected, rtol=1e-10, atol=1e-12)


def test_pytorch_argument_names_and_weight_decay():
    p = [nn.Parameter(np.ones(3))]
    torch_style = optimizers.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6)
    assert (torch_style.learning_rate, torch_style.beta_1, torch_style.beta_2, torch_style.epsilon) == (0.02, 0.8, 0.99, 1e-6)
    assert optimizers.RMSprop(p, lr=0.01, alpha=0.95).rho == 0.95
    assert optimizers.SGD(p, lr=0.1, momentum=0.9).momentum == 0.9
    with pytest.raises(TypeError, match="give learning_rate= or PyTorch's lr=, not both"):
        optimizers.SGD(p, lr=0.1, learning_rate=0.1)
    w = nn.Parameter(np.full(2, 4.0))
    opt = optimizers.SGD([w], learning_rate=0.5, weight_decay=0.1)
    w.grad = nn.layers.ad.as_tensor(np.zeros(2))
    opt.step()
    np.testing.assert_allclose(w.data, [4.0 * (1 - 0.05)] * 2)          # decoupled: w -= lr * wd * w
    with pytest.raises(ValueError, match="has no parameters yet.*input_shape"):
        optimizers.Adam(models.Sequential([layers.Dense(3)]).parameters())


def test_learning_rate_schedules_as_keras_and_pytorch_define_them():
    assert schedules.ExponentialDecay(0.1, 10, 0.5)(20) == pytest.approx(0.025)
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    cosine = schedules.CosineDecay(1.0, 100, alpha=0.1)
    assert [cosine(s) for s in (0, 50, 100, 200)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    warm = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=5)
    assert [warm(s) for s in (0, 5, 15)] == pytest.approx([0.0, 1.0, 0.0])
    piecewise = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(s) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    p = nn.Parameter(np.zeros(1))
    opt = optimizers.SGD([p], learning_rate=schedules.PiecewiseConstantDecay([1], [1.0, 0.5]))
    moved = []
    for _ in range(3):
        before = p.data.copy()
        p.grad = nn.layers.ad.as_tensor(np.ones(1))
        opt.step()
        moved.append(float(before[0] - p.data[0]))
    assert moved == [1.0, 1.0, 0.5]                     # steps 0 and 1 at 1.0, then 0.5 (Keras's step count)
    with pytest.raises(TypeError, match="cannot be set"):
        opt.learning_rate = 0.1
    sgd = optimizers.SGD([p], lr=1.0)
    steps = schedules.StepLR(sgd, step_size=2, gamma=0.1)
    rates = []
    for _ in range(5):
        steps.step()
        rates.append(sgd.learning_rate)
    assert rates == pytest.approx([1.0, 0.1, 0.1, 0.01, 0.01])
    annealing = schedules.CosineAnnealingLR(optimizers.SGD([p], lr=1.0), T_max=4)
    assert [annealing.step() or annealing.get_last_lr()[0] for _ in range(4)] == pytest.approx([0.8535534, 0.5, 0.1464466, 0.0])
    exponential = schedules.ExponentialLR(optimizers.SGD([p], lr=1.0), gamma=0.5)
    exponential.step()
    assert exponential.get_last_lr() == [0.5]


# ------------------------------------------------------------------ Keras calls on layers and models
def test_a_sequential_starts_from_an_input_as_kerass_examples_do():
    model = nn.Sequential([nn.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
                           layers.Dense(3, activation="softmax")])
    assert model.built and model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 3)
    assert model.count_params() == 475 == model.summary(print_fn=lambda text: None)     # Keras's count
    assert [layer.output_shape for layer in model.layers] == [(None, 6, 6, 4), (None, 144), (None, 3)]
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((10, 8, 8, 1)).astype(np.float32)
    model.fit(x, to_categorical(np.arange(10) % 3, 3), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="takes inputs of shape \\(batch, 8, 8, 1\\)"):
        model.predict(x[:, :4], verbose=0)
    with pytest.raises(ValueError, match="an Input\\(...\\) may only come first"):
        nn.Sequential([layers.Dense(2, input_shape=(3,)), nn.Input(shape=(2,))])
    with pytest.raises(ValueError, match="was built for inputs of shape \\(None, 5\\).*gives \\(None, 4\\)"):
        nn.Sequential([nn.Input(shape=(4,)), layers.Dense(2, input_shape=(5,))])


def test_a_model_is_a_layer_of_another_model():
    nn.utils.set_random_seed(0)
    inner = nn.Sequential([nn.Input(shape=(4,)), layers.Dense(3, activation="tanh")])
    outer = nn.Sequential([inner, layers.Dense(2, activation="softmax")])
    assert outer.output_shape == (None, 2) and outer.count_params() == 15 + 8 and len(outer.weights) == 4
    x = np.random.default_rng(1).random((5, 4)).astype(np.float32)
    np.testing.assert_allclose(outer(x).numpy(), outer.layers[1](inner(x)).numpy(), rtol=1e-6)
    lines = []
    outer.summary(print_fn=lines.append)
    assert "sequential (Sequential)    (None, 3)       15" in lines[0]
    outer.compile(optimizer="sgd", loss="categorical_crossentropy")
    before = inner.get_weights()[0]
    outer.fit(x, to_categorical([0, 1, 0, 1, 1], 2), epochs=2, verbose=0)
    assert not np.array_equal(inner.get_weights()[0], before)           # the inner model's weights train too
    inputs = nn.Input(shape=(4,))                                        # in a functional graph as well
    graph = nn.Model(inputs, layers.Dense(1)(inner(inputs)))
    assert graph.output_shape == (None, 1) and graph.count_params() == 15 + 4


def test_model_config_json_and_file_round_trips_keep_nested_models(tmp_path):
    inner = nn.Sequential([nn.Input(shape=(4,)), layers.Dense(3, activation="relu")], name="body")
    outer = nn.Sequential([inner, layers.Dropout(0.2), layers.Dense(2)])
    inputs = nn.Input(shape=(4,))
    graph = nn.Model(inputs, layers.Dense(1)(layers.concatenate([outer(inputs), inputs])))
    x = np.random.default_rng(2).random((3, 4)).astype(np.float32)
    for model in (outer, graph):
        clone = type(model).from_config(model.get_config())
        assert clone.get_config() == model.get_config() and clone.count_params() == model.count_params()
        again = nn.models.model_from_json(model.to_json())
        assert type(again) is type(model) and again.to_json() == model.to_json()
        assert not np.array_equal(again.get_weights()[0], model.get_weights()[0])       # new weights: JSON has none
        again.set_weights(model.get_weights())
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
        model.save(str(tmp_path / "m.keras"))
        loaded = models.load_model(str(tmp_path / "m.keras"))
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(outer.layers[0]) is nn.Sequential and outer.layers[0].name == "body"
    with pytest.raises(ValueError, match="model_from_json: the JSON does not describe a model: unknown layer 'os'"):
        nn.models.model_from_json('{"class": "Sequential", "config": {"layers": [{"class": "os", "config": {}}]}}')


def test_sequential_indexes_like_a_list_as_pytorchs():
    model = small_model()
    assert model[0] is model.layers[0] and model[-1] is model.layers[2] and len(model) == 3
    assert list(model) == model.layers and [type(layer).__name__ for layer in model] == ["Dense", "Dropout", "Dense"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head.layers == model.layers[:2] and head.output_shape == (None, 16)


def test_metrics_names_and_batch_size_none_as_keras():
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    assert model.metrics_names == []
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy", "mae"])
    assert model.metrics_names == ["loss", "accuracy", "mae"]
    x, y = synthetic(70)
    assert list(model.evaluate(x, y, verbose=0, return_dict=True)) == model.metrics_names
    batches = []
    model.fit(x, y, batch_size=None, epochs=1, verbose=0,
              callbacks=[callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))])
    assert len(batches) == 3                                             # 70 samples in batches of 32
    assert model.predict(x, batch_size=None, verbose=0).shape == (70, 3)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=None, verbose=0),
                               model.evaluate(x, y, batch_size=32, verbose=0), rtol=1e-6)


def test_import_nn_alone_gives_the_submodules_and_set_random_seed():
    import subprocess
    import sys
    code = ("import nn\n"
            "assert all(hasattr(nn, m) for m in ('datasets', 'utils', 'callbacks', 'losses', 'optimizers', 'models'))\n"
            "nn.datasets.mnist.load_data, nn.models.model_from_json, nn.callbacks.EarlyStopping\n"
            "nn.utils.set_random_seed(3); a = nn.layers.Dense(2, input_shape=(3,)).get_weights()[0]\n"
            "nn.utils.set_random_seed(3); b = nn.layers.Dense(2, input_shape=(3,)).get_weights()[0]\n"
            "assert (a == b).all(); print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_loading_builds_in_linear_time_and_a_files_layer_count_is_capped(tmp_path, monkeypatch):
    from nn import saving
    n = 20_000
    model = nn.Sequential([layers.Flatten(input_shape=(2, 3))] + [layers.Flatten() for _ in range(n - 1)] +
                          [layers.Dense(1)])
    path = str(tmp_path / "deep.keras")
    model.save(path)
    calls = []
    shape_rule = layers.Flatten.compute_output_shape
    monkeypatch.setattr(layers.Flatten, "compute_output_shape", lambda self, s: calls.append(1) or shape_rule(self, s))
    loaded = models.load_model(path)
    assert len(loaded) == n + 1 and loaded.output_shape == (None, 1)
    assert len(calls) <= 2 * n                     # each layer's shape worked out a bounded number of times
    monkeypatch.setattr(saving, "MAX_LAYERS", n)
    with pytest.raises(ValueError, match=f"describes more than {n:,} layers, the most a model file may hold"):
        models.load_model(path)


# ------------------------------------------------------------------ bad input to fit, evaluate, predict
def test_predict_in_threads_leaves_grad_mode_on_for_fit():
    model, (xs, ys) = tiny_model(), tiny_data()
    threads = [threading.Thread(target=model.predict, args=(xs,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ad.is_grad_enabled()
    model.fit(xs, ys, epochs=1, verbose=0)        # fit still records after threads predicted


def test_batch_sizes_and_data_that_make_no_sense_are_refused():
    model, (x, y) = tiny_model(), tiny_data()
    for bad in (0, -1, 2.5, True):
        for call in (lambda: model.fit(x, y, batch_size=bad, verbose=0), lambda: model.evaluate(x, y, batch_size=bad),
                     lambda: model.predict(x, batch_size=bad)):
            with pytest.raises(ValueError, match="batch_size must be a positive integer"):
                call()
    with pytest.raises(TypeError, match="x must hold numbers, got dtype object .*None"):
        model.fit(np.array([[None] * 3] * 20), y, verbose=0)
    with pytest.raises(ValueError, match="x holds no samples"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="validation_split=0.99 of 20 samples leaves 0 to train"):
        model.fit(x, y, validation_split=0.99, verbose=0)
    assert model.predict(x[:0]).shape == (0, 2)


def test_deepcopy_and_pickle_keep_each_parameters_optimizer_state():
    model, (x, y) = tiny_model(), tiny_data()
    model.fit(x, y, epochs=2, verbose=0)
    copies = [copy.deepcopy(model), pickle.loads(pickle.dumps(model))]
    steps = []
    for m in [model] + copies:
        assert len(m.optimizer.state) == len(m.parameters()) == 4
        before = [p.numpy().copy() for p in m.parameters()]
        m.train_step(x, y)
        steps.append([p.numpy() - b for p, b in zip(m.parameters(), before)])
    for other in steps[1:]:
        for a, b in zip(steps[0], other):
            np.testing.assert_array_equal(a, b)              # the copies take exactly the original's step
    y_hat = ad.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        copy.deepcopy(y_hat)


def test_predict_expects_a_batch():
    model = tiny_model()
    x, _ = tiny_data()
    with pytest.raises(ValueError, match=r"x\[None\]"):
        model.predict(x[0])
    image_model = models.Sequential([layers.Flatten(input_shape=(2, 3)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"one sample without its batch axis: pass x\[None\]"):
        image_model.predict(np.zeros((2, 3)))
    assert image_model.predict(np.zeros((1, 2, 3))).shape == (1, 2)


def test_unclear_errors_of_models_say_what_to_do(tmp_path):
    model, (x, y) = tiny_model(), tiny_data()
    with pytest.raises(ValueError, match=r"x has shape \(20,\).*reshape\(-1, 1\)"):
        model.fit(x[:, 0], y, verbose=0)
    empty = models.Sequential()
    empty.compile(loss="mse")
    with pytest.raises(ValueError, match="no layers yet; add some"):
        empty.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data must be a pair \(x_val, y_val\)"):
        model.fit(x, y, validation_data=(x,), verbose=0)
    with pytest.raises(ValueError, match=r"labels must be whole class numbers.*nan"):
        losses.SparseCategoricalCrossentropy()(np.array([0.0, np.nan]), np.full((2, 3), 1 / 3, np.float32))
    with pytest.raises(ValueError, match=r"beta_1 must be in \[0, 1\)"):
        optimizers.Adam(beta_1=1)
    w = nn.Parameter(np.ones(3))
    w.data.flags.writeable = False
    w.grad = ad.tensor(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="read-only"):
        optimizers.RMSprop([w]).step()
    np.save(tmp_path / "one.npy", np.ones(3))
    (tmp_path / "notes.txt").write_text("not weights")
    for path in (tmp_path / "one.npy", tmp_path / "notes.txt"):
        with pytest.raises(ValueError, match="not a weights file written by save_weights"):
            model.load_weights(path)
    with pytest.raises(ValueError, match=r"input_shape must be a tuple .*input_shape=\(784,\)"):
        layers.Dense(10, input_shape=784)
    unflattened = models.Sequential([layers.Dense(10, activation="softmax", input_shape=(28, 28))])
    unflattened.compile(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"need a Flatten\(\) layer"):
        unflattened.fit(np.zeros((4, 28, 28)), to_categorical([1, 2, 3, 4], 10), verbose=0)


def test_a_subclassed_model_whose_layers_build_on_first_call_fits_evaluates_and_exports(tmp_path):
    class Net(nn.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden, self.out = layers.Dense(8, activation="relu"), layers.Dense(1)

        def forward(self, x):
            return self.out(self.hidden(x))

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    nn.set_seed(0)
    model = Net()
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="mse")
    assert model.parameters() == []                      # nothing built before the first batch, as Keras
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert len(model.parameters()) == 4 and history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(history.history["loss"][-1], rel=0.5)
    model.export(str(tmp_path / "net.onnx"), input_signature=(3,), verbose=False)
    import onnxruntime                                   # the onnx extra, installed by scripts/test
    session = onnxruntime.InferenceSession(str(tmp_path / "net.onnx"))
    np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: x})[0], model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="input shape is unknown"):
        Net().export(str(tmp_path / "unknown.onnx"), verbose=False)
