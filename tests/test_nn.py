"""nn: layers, activations, losses, optimizers, metrics and Sequential."""
import errno
import io
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import activations, initializers, layers, losses, metrics, models, optimizers
from nn.utils import to_categorical


def tutorial_network():
    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    return network


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("name", ["linear", "relu", "sigmoid", "tanh", "softmax"])
def test_activation_gradients(name):
    x = np.array([[-1.3, 0.4, 2.0], [0.7, -0.2, 1.1]])
    ad.gradcheck(activations.get(name), [x])
    ad.gradcheck(layers.Activation(name), [x])


def test_step_is_rosenblatts_threshold_with_a_straight_through_gradient():
    z = ad.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    out = activations.step(z)
    assert out.tolist() == [0.0, 0.0, 1.0]          # 1 if z > 0 else 0
    out.backward(np.array([0.5, -2.0, 3.0], dtype=np.float32))
    assert z.grad.tolist() == [0.5, -2.0, 3.0]


PROBS = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
ONE_HOT = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("loss,y_true,y_pred", [
    (losses.CategoricalCrossentropy(), ONE_HOT, PROBS),
    (losses.CategoricalCrossentropy(from_logits=True), ONE_HOT, np.log(PROBS) + 0.3),
    (losses.SparseCategoricalCrossentropy(), np.array([1, 0]), PROBS),
    (losses.SparseCategoricalCrossentropy(from_logits=True), np.array([[2], [0]]), np.log(PROBS)),
    (losses.BinaryCrossentropy(), np.array([[1.0], [0.0]]), np.array([[0.7], [0.2]])),
    (losses.BinaryCrossentropy(from_logits=True), np.array([1.0, 0.0]), np.array([[1.5], [-0.4]])),
    (losses.MeanSquaredError(), ONE_HOT, PROBS),
    (losses.HalfSquaredError(), ONE_HOT, PROBS),
], ids=lambda v: getattr(v, "name", "") if isinstance(v, losses.Loss) else "")
def test_loss_gradients(loss, y_true, y_pred):
    ad.gradcheck(lambda p: loss(y_true, p), [y_pred])


def test_losses_match_their_formulas_and_use_logits_after_a_softmax():
    cce = losses.get("categorical_crossentropy")
    expected = -np.mean(np.log([0.5, 0.6]))
    assert cce(ONE_HOT, PROBS).item() == pytest.approx(expected)
    assert losses.get("sparse_categorical_crossentropy")([1, 0], PROBS).item() == pytest.approx(expected)
    assert losses.get("mse")(ONE_HOT, PROBS).item() == pytest.approx(np.mean((ONE_HOT - PROBS) ** 2))
    bce = losses.get("binary_crossentropy")([[1.0], [0.0]], np.array([[0.7], [0.2]])).item()
    assert bce == pytest.approx(-np.mean([np.log(0.7), np.log(0.8)]))
    # After nn's softmax activation the loss is computed from the logits it
    # remembers: finite even where the softmax underflows to exactly 0.
    logits = ad.tensor([[0.0, 200.0]], requires_grad=True)
    loss = cce(np.array([[1.0, 0.0]]), activations.softmax(logits))
    assert loss.item() == pytest.approx(200.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad.data, [[-1.0, 1.0]], atol=1e-6)
    # A softmax that is not an activation (keras.ops.softmax) has no logits: the
    # probabilities are clipped before the log, as Keras does.
    assert cce(np.array([[1.0, 0.0]]), logits.softmax()).item() == pytest.approx(-np.log(1e-7), rel=1e-5)


def test_one_logits_path_every_route_gives_kerass_value():
    # Keras (TensorFlow backend): categorical cross-entropy of softmax([0, 200])
    # against [1, 0] is 200, computed from the logits.  Every route must agree,
    # grad mode on or off.
    x, y = np.array([[1.0]], dtype=np.float32), np.array([[1.0, 0.0]], dtype=np.float32)

    def model():
        m = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(1,))])
        m.layers[0].kernel.data[...] = [[0.0, 200.0]]
        m.compile(optimizer=optimizers.SGD(1e-9), loss="categorical_crossentropy", metrics=["accuracy"])
        return m

    loss_fn = losses.CategoricalCrossentropy()
    routes = {
        "evaluate": model().evaluate(x, y)[0],
        "fit": model().fit(x, y, epochs=1, verbose=0).history["loss"][0],
        "loop": loss_fn(y, model()(x)).item(),
        "hand-built": loss_fn(y, activations.softmax(ad.tensor([[0.0, 200.0]], requires_grad=True))).item(),
    }
    with ad.no_grad():
        routes["loop under no_grad"] = loss_fn(y, model()(x)).item()
        routes["hand-built under no_grad"] = loss_fn(y, activations.softmax(ad.tensor([[0.0, 200.0]]))).item()
    assert routes == {route: pytest.approx(200.0) for route in routes}
    # Metrics see the probabilities (softmax outputs), not the logits.
    seen = []
    m = model()
    m.compile(optimizer=optimizers.SGD(1e-9), loss="categorical_crossentropy",
              metrics=[lambda y_true, y_pred: seen.append(y_pred.copy()) or 0.0])
    m.evaluate(x, y)
    np.testing.assert_allclose(seen[0], [[0.0, 1.0]], atol=1e-6)


# ----------------------------------------------------------------- optimizers
def _three_steps(opt_factory, grads):
    w = nn.Parameter(np.array([0.5, -1.0, 2.0]))
    opt = opt_factory([w])
    for g in grads:
        w.grad = ad.tensor(g)
        opt.step()
    return w.data


GRADS = [np.array([0.1, -0.2, 0.3], dtype=np.float32), np.array([-0.4, 0.5, 0.05], dtype=np.float32),
         np.array([0.2, 0.2, -0.6], dtype=np.float32)]


def test_sgd_formulas():
    w = np.array([0.5, -1.0, 2.0])
    for g in GRADS:
        w = w - 0.01 * g
    np.testing.assert_allclose(_three_steps(lambda p: optimizers.SGD(p), GRADS), w, rtol=1e-6)
    for nesterov in (False, True):
        w, v = np.array([0.5, -1.0, 2.0]), np.zeros(3)
        for g in GRADS:
            v = 0.9 * v - 0.1 * g
            w = w + 0.9 * v - 0.1 * g if nesterov else w + v
        got = _three_steps(lambda p: optimizers.SGD(p, learning_rate=0.1, momentum=0.9, nesterov=nesterov), GRADS)
        np.testing.assert_allclose(got, w, rtol=1e-6)


def _keras_rmsprop(grads, centered=False, momentum=0.0, rho=0.9, lr=0.001, eps=1e-7):
    """Keras 3's RMSprop written out in float64, state as Keras keeps it."""
    w, v, a, m = np.array([0.5, -1.0, 2.0]), np.zeros(3), np.zeros(3), np.zeros(3)
    for g in grads:
        v = rho * v + (1 - rho) * g.astype(np.float64) ** 2
        if centered:
            a = rho * a + (1 - rho) * g
            denominator = v - a ** 2 + eps
        else:
            denominator = v + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum:
            m = momentum * m + increment
            w = w - m
        else:
            w = w - increment
    return w


@pytest.mark.parametrize("centered,momentum", [(False, 0.0), (True, 0.0), (False, 0.5), (True, 0.5)])
def test_rmsprop_formula(centered, momentum):
    got = _three_steps(lambda p: optimizers.RMSprop(p, centered=centered, momentum=momentum), GRADS)
    np.testing.assert_allclose(got, _keras_rmsprop(GRADS, centered, momentum), rtol=1e-5)


@pytest.mark.parametrize("fused", [None, False])             # the C kernel where it applies, and NumPy
@pytest.mark.parametrize("centered,rho", [(False, 0.9), (True, 0.9), (False, 0.0), (False, 0.99)])
def test_rmsprop_matches_keras_over_many_steps_with_zero_and_tiny_gradients(centered, rho, fused):
    # RMSprop keeps (v + epsilon) / (1 - rho) rather than v: long runs, gradients
    # that vanish for hundreds of steps (v decays towards 0) and tiny ones near
    # epsilon must still give Keras's numbers.
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=3).astype(np.float32) * scale
             for scale in [1.0] * 20 + [0.0] * 300 + [1e-4] * 50 + [3.0] * 5 + [0.0] * 100]
    got = _three_steps(lambda p: optimizers.RMSprop(p, rho=rho, centered=centered, fused=fused), grads)
    np.testing.assert_allclose(got, _keras_rmsprop(grads, centered, rho=rho), rtol=1e-4)


@pytest.mark.parametrize("make", [lambda p, fused: optimizers.RMSprop(p, learning_rate=0.01, rho=0.8, fused=fused),
                                  lambda p, fused: optimizers.Adam(p, learning_rate=0.01, fused=fused)],
                         ids=["rmsprop", "adam"])
def test_fused_kernels_give_numpys_bits(make):
    # scripts/test installs with a C compiler, so the kernels must be there.
    assert optimizers.fused_available(), "nn._kernels was not built: reinstall with a C compiler (bash scripts/test)"
    rng = np.random.default_rng(1)
    start = rng.normal(size=(37, 29)).astype(np.float32)       # odd sizes: the vector loops' tails
    grads = [rng.normal(size=start.shape).astype(np.float32) * np.float32(0.0 if 20 <= step < 40 else 10.0 ** -(step % 7))
             for step in range(60)]
    results = []
    for fused in (True, False):
        w = nn.Parameter(start.copy())
        opt = make([w], fused)
        for g in grads:
            w.grad = ad.tensor(g)
            opt.step()
        state = opt.state[0]                # state is kept by position in params
        assert ("scratch" in state) == (not fused)          # the kernel needs no scratch buffer
        results.append([w.data] + [a for name, a in state.items() if name != "scratch"])
    fused_arrays, numpy_arrays = results
    assert not np.array_equal(fused_arrays[0], start) and len(fused_arrays) > 1
    for a, b in zip(fused_arrays, numpy_arrays):
        np.testing.assert_array_equal(a, b)


def test_rmsprop_uses_the_kernel_only_where_it_applies():
    w32, w64 = nn.Parameter(np.ones((3, 2))), nn.Parameter(np.ones(3), dtype=np.float64)
    opt = optimizers.RMSprop([w32, w64])
    g32 = np.full((3, 2), 0.5, np.float32)
    assert opt._fuses(w32.data, g32)
    assert not opt._fuses(w64.data, np.ones(3))                       # float64: NumPy
    assert not opt._fuses(w32.data, np.asfortranarray(g32))           # not C-contiguous
    assert not optimizers.RMSprop([w32], momentum=0.5)._fuses(w32.data, g32)
    assert not optimizers.RMSprop([w32], fused=False)._fuses(w32.data, g32)
    with pytest.raises(TypeError, match="fused=True.*float32"):
        optimizers.RMSprop([w64], fused=True)._fuses(w64.data, np.ones(3))
    with pytest.raises(ValueError, match="plain update only"):
        optimizers.RMSprop(centered=True, fused=True)
    assert optimizers.Adam([w32])._fuses(w32.data, g32) and not optimizers.Adam([w64])._fuses(w64.data, np.ones(3))
    w64.grad = ad.tensor(np.full(3, 0.5))
    opt.step()                                                         # the float64 one goes through NumPy
    assert w64.dtype == np.float64 and (w64.data < 1).all()


def test_rmsprop_rejects_settings_that_divide_by_zero():
    with pytest.raises(ValueError, match="rho must be in"):
        optimizers.RMSprop(rho=1.0)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        optimizers.RMSprop(epsilon=0)


def test_adam_formula():
    w, m, v = np.array([0.5, -1.0, 2.0]), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g ** 2
        alpha = 0.001 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        w = w - alpha * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(_three_steps(lambda p: optimizers.Adam(p), GRADS), w, rtol=1e-5)


def test_optimizers_update_in_place_in_the_parameter_dtype():
    for name in ("sgd", "rmsprop", "adam"):
        w = nn.Parameter(np.ones(4))
        buffer = w.data
        opt = optimizers.get(name).attach([w])
        w.grad = ad.tensor(np.full(4, 0.5, dtype=np.float32))
        opt.step()
        assert w.data is buffer and w.data.dtype == np.float32 and (w.data < 1).all()
        assert w.grad.tolist() == [0.5] * 4          # the gradient itself is left alone


@pytest.mark.parametrize("make", [lambda: optimizers.SGD(momentum=0.9, nesterov=True), lambda: optimizers.RMSprop(
    centered=True, momentum=0.5), optimizers.Adam, optimizers.AdamW, optimizers.Adagrad, optimizers.Nadam])
def test_optimizer_state_dict_resumes_exactly_and_a_bad_state_changes_nothing(make):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(5)]

    def steps(opt, w, gs):
        for g in gs:
            w.grad = ad.tensor(g)
            opt.step()

    w = nn.Parameter(np.ones((2, 3)))
    opt = make().attach([w])
    steps(opt, w, grads[:3])
    state = opt.state_dict()
    assert "0.scratch" not in state and int(state["iterations"]) == 3
    assert ("u_product" in state) == isinstance(opt, optimizers.Nadam)
    twin = nn.Parameter(w.numpy())
    resumed = make().attach([twin])
    resumed.load_state_dict(state)
    steps(opt, w, grads[3:])
    steps(resumed, twin, grads[3:])
    np.testing.assert_array_equal(twin.numpy(), w.numpy())          # the same arithmetic, step for step
    fresh = make().attach([nn.Parameter(np.ones((2, 3)))])
    for bad in ({**state, "0.extra": np.zeros((2, 3), np.float32)}, {**state, "iterations": np.array(-1)},
                {**state, "iterations": np.array(2.5)},
                {k: (v[:1] if k.startswith("0.") else v) for k, v in state.items()}, {**state, "7.m": state.get("0.m")},
                {k: (np.full_like(v, np.inf) if k.startswith("0.") else v) for k, v in state.items()},
                {k: (v.astype(str) if k.startswith("0.") else v) for k, v in state.items()},
                *([{**state, "u_product": np.array(1.5)}] if "u_product" in state else [])):
        with pytest.raises(ValueError, match="load_state_dict"):
            fresh.load_state_dict(bad)
        assert fresh.state == {} and fresh.iterations == 0            # refused whole


def test_keras_defaults():
    assert optimizers.SGD().learning_rate == 0.01
    r = optimizers.RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered) == (0.001, 0.9, 0.0, 1e-7, False)
    a = optimizers.Adam()
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert optimizers.RMSprop(0.01).learning_rate == 0.01


# -------------------------------------------------------------------- metrics
def test_accuracy_picks_the_right_kind_from_shapes():
    probs = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert metrics.accuracy(np.array([[0, 1], [0, 1], [0, 1]]), probs) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.array([1, 0, 0]), probs) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.array([[1], [0], [0]]), probs) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.array([1, 0, 0]), np.array([[0.7], [0.4], [0.6]])) == pytest.approx(2 / 3)


def test_metrics_read_a_recorded_results_values():
    # NumPy's implicit conversion refuses a tensor that requires grad while recording; metrics are
    # never differentiated, so they take the values themselves, as Keras's metrics take tensors.
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    x, labels = np.eye(4, dtype=np.float32)[:3], np.array([0, 1, 2])
    probs = model(x)
    assert probs.requires_grad
    expected = float(np.mean(probs.numpy().argmax(1) == labels))
    for name in ("accuracy", "sparse_categorical_accuracy"):
        assert metrics.get(name)[1](labels, probs) == expected
    assert metrics.get("mse")[1](to_categorical(labels), probs) == pytest.approx(
        np.mean((probs.numpy() - np.eye(3)) ** 2), rel=1e-6)
    with pytest.raises(TypeError, match="requires grad"):
        np.asarray(probs)


def test_to_categorical_like_keras():
    np.testing.assert_array_equal(to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    assert to_categorical([[1], [0]], num_classes=4).shape == (2, 4)
    assert to_categorical(np.array([1.0, 2.0])).dtype == np.float32
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 2])
    with pytest.raises(ValueError, match="too large for num_classes=3"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="whole numbers"):
        to_categorical([0.5, 1.0])


# ----------------------------------------------------------------- initializers
def test_initializers_are_seeded_and_have_keras_scales():
    for name in initializers.INITIALIZERS:
        a = initializers.get(name, seed=5)((300, 200))
        b = initializers.get(name, seed=5)((300, 200))
        assert a.dtype == np.float32 and a.shape == (300, 200)
        np.testing.assert_array_equal(a, b)
    limit = np.sqrt(6 / 500)
    g = initializers.get("glorot_uniform", seed=1)((300, 200))
    assert g.max() <= limit and g.min() >= -limit and g.max() > 0.95 * limit
    assert initializers.get("he_normal", seed=1)((300, 200)).std() == pytest.approx(np.sqrt(2 / 300), rel=0.05)
    assert initializers.get("glorot_normal", seed=1)((300, 200)).std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)
    nn.set_seed(11)
    first = layers.Dense(3, input_shape=(4,)).kernel.data
    nn.set_seed(11)
    np.testing.assert_array_equal(first, layers.Dense(3, input_shape=(4,)).kernel.data)


# ------------------------------------------------------------------ Sequential
def test_summary_counts_the_tutorials_407050_parameters():
    out = []
    assert tutorial_network().summary(print_fn=out.append) == 407_050
    text = out[0]
    assert "(None, 512)" in text and "401,920" in text and "5,130" in text and "Total params: 407,050" in text


def synthetic(n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = (x @ rng.standard_normal((8, 3))).argmax(axis=1)
    return x, y


def test_fit_drives_a_synthetic_problem_to_high_accuracy():
    nn.set_seed(0)
    x, y = synthetic()
    model = models.Sequential([layers.Dense(32, activation="relu", input_shape=(8,)),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(y), epochs=30, batch_size=32, verbose=0, validation_split=0.2)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 30
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    loss, acc = model.evaluate(x, to_categorical(y))
    assert acc > 0.95
    probs = model.predict(x)
    assert probs.shape == (600, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert (probs.argmax(1) == y).mean() == pytest.approx(acc)


def test_sparse_labels_and_no_metrics_give_a_float():
    nn.set_seed(1)
    x, y = synthetic()
    model = models.Sequential([layers.Dense(3, activation="softmax")])     # built on first fit
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, verbose=0, validation_data=(x[:100], y[:100]))
    loss = model.evaluate(x, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(losses.SparseCategoricalCrossentropy()(y, model(x)).item(), rel=1e-5)


def test_pytorch_style_loop():
    nn.set_seed(2)
    x, y = synthetic()
    network = models.Sequential([layers.Dense(16, activation="tanh", input_shape=(8,)), layers.Dense(3)])
    opt = optimizers.RMSprop(network.parameters(), learning_rate=0.01)
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    first = None
    assert network(x.astype(np.float64)).dtype == np.float32     # layers compute in float32, as in Keras
    for _ in range(100):
        out = network(x)
        assert isinstance(out, ad.Tensor)
        loss = loss_fn(y, out)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < first / 3


def test_save_and_load_weights_round_trip_and_mismatch(tmp_path):
    a = tutorial_network()
    path = tmp_path / "w.npz"
    a.save_weights(path)
    b = tutorial_network()
    b.load_weights(path)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        np.testing.assert_array_equal(pa.data, pb.data)
    assert [n for n, _ in a.named_parameters()] == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel",
                                                    "layers.1.bias"]
    other = models.Sequential([layers.Dense(256, activation="relu", input_shape=(784,)), layers.Dense(10)])
    before = other.layers[1].kernel.data.copy()
    with pytest.raises(ValueError, match=r"'layers.0.kernel' has shape \(784, 256\) in the model but \(784, 512\)"):
        other.load_weights(path)
    np.testing.assert_array_equal(other.layers[1].kernel.data, before)   # nothing half-loaded


def test_an_npz_weights_file_is_refused_from_its_headers_before_any_data(tmp_path):
    import tracemalloc
    import zipfile

    model = tiny_network()
    before = [p.numpy().copy() for p in model.parameters()]
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:                       # right names; one declares 400 GB
        for name, p in model.named_parameters():
            shape = (100_000, 1_000_000) if name == "layers.0.kernel" else p.shape
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": shape})
            archive.writestr(name + ".npy", header.getvalue() + p.numpy().tobytes())
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"'layers.0.kernel' has shape \(3, 4\) in the model but \(100000"):
            model.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_progress_is_one_plain_line_per_epoch_off_a_terminal_and_silent_at_zero(capsys):
    x, y = synthetic(100)
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose="auto")
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("4/4 - ") and "loss: " in lines[1] and "accuracy: " in lines[1]
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_bar_on_a_terminal():
    from nn.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = Progress(10, verbose="auto", stream=stream, interval=0)
    for step in range(1, 11):
        bar.update(step, [("loss", 0.5)])
    bar.finish([("loss", 0.5)])
    text = stream.getvalue()
    assert text.count("\r") >= 10 and "[==============================]" in text and text.endswith("\n")


# --------------------------------------------------------------------- errors
def test_bad_input_errors_name_what_was_given_and_expected():
    x, y = synthetic(50)
    model = tutorial_network()
    with pytest.raises(RuntimeError, match=r"compile\(\) the model first"):
        model.fit(x, y)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(ValueError, match=r"fit: the model takes inputs of shape \(batch, 784\), got \(50, 8\)"):
        model.fit(x, to_categorical(y, 10), verbose=0)
    with pytest.raises(ValueError, match=r"dense.*expected inputs with 784 features.*got shape \(32, 8\)"):
        model(x[:32])
    with pytest.raises(ValueError, match=r"labels of shape \(50,\) do not fit predictions of shape \(50, 10\).*"
                                         "to_categorical"):
        model.fit(np.zeros((50, 784)), y, verbose=0)
    with pytest.raises(ValueError, match="50 inputs but 49 labels"):
        model.fit(np.zeros((50, 784)), to_categorical(y, 10)[:49], verbose=0)
    for bad in [lambda: layers.Dense(3, activation="sparsemax"), lambda: losses.get("poisson"),
                lambda: optimizers.get("lion"), lambda: metrics.get("auc"),
                lambda: initializers.get("lecun_normal")]:
        with pytest.raises(ValueError, match="unknown .* expected one of"):
            bad()


def test_keeping_every_steps_loss_keeps_no_activations():
    # The PyTorch habit losses.append(loss) must not keep each step's activations:
    # once backward has run, a node holds only its place in the graph.
    import gc
    import tracemalloc
    nn.set_seed(0)
    model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(256,)),
                               layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    opt = optimizers.RMSprop(model.parameters())
    loss_fn = losses.CategoricalCrossentropy()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 256)).astype(np.float32)
    y = to_categorical(rng.integers(0, 10, 256), 10)
    kept = []

    def step():
        loss = loss_fn(y, model(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        kept.append(loss)

    tracemalloc.start()
    step()                      # optimizer state and gradients exist from here on
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(200):
        step()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 50e6, f"200 kept losses hold {grown / 1e6:.1f} MB"
    assert grown < 2e6          # a few kilobytes of node bookkeeping a step; one kept activation would be 100 MB


# ------------------------------------------------------------------ weights files and losses: bad input
def tiny_network():
    return models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])


def test_load_weights_that_cannot_become_float_changes_nothing(tmp_path):
    model = tiny_network()
    before = [p.numpy().copy() for p in model.parameters()]
    names = [name for name, _ in model.named_parameters()]
    bad = {name: p.numpy() for name, p in model.named_parameters()}
    bad[names[-1]] = np.full(bad[names[-1]].shape, 1e300)            # float64 that overflows float32
    np.savez(tmp_path / "overflow.npz", **bad)
    with pytest.raises(ValueError, match="too large for float32"):
        model.load_weights(tmp_path / "overflow.npz")
    bad[names[-1]] = np.full(bad[names[-1]].shape, 1 + 2j)
    np.savez(tmp_path / "complex.npz", **bad)
    with pytest.raises(ValueError, match="complex128 values, not plain numbers"):      # refused from its header
        model.load_weights(tmp_path / "complex.npz")
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)                   # not one parameter was overwritten


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    model = tiny_network()
    path = tmp_path / "model.weights.npz"
    model.save_weights(path)
    old = path.read_bytes()
    for p in model.parameters():
        p.data += 1
    real_savez = np.savez

    def full_disk(f, **arrays):
        f.write(b"half a file")
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError, match="File too large"):
        model.save_weights(path)
    monkeypatch.setattr(np, "savez", real_savez)
    assert path.read_bytes() == old and [f.name for f in tmp_path.iterdir()] == ["model.weights.npz"]
    restored = tiny_network()
    restored.load_weights(path)                                       # still loads


def test_loss_arguments_in_pytorchs_order_are_refused():
    logits = ad.tensor(np.array([[0.2, 0.8]], np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"swapped.*loss\(y_true, y_pred\)"):
        losses.CategoricalCrossentropy()(activations.softmax(logits), np.array([[0.0, 1.0]], np.float32))


def _saved_weights_model():
    model = nn.Sequential([nn.layers.Dense(2, input_shape=(3,))])
    return model


def test_saving_respects_the_umask_and_keeps_an_existing_files_mode(tmp_path):
    model = _saved_weights_model()
    old = os.umask(0o077)
    try:
        model.save_weights(tmp_path / "private.weights.npz")
        model.save(tmp_path / "private.keras")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "private.weights.npz").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "private.keras").st_mode) == 0o600
    os.chmod(tmp_path / "private.keras", 0o640)
    old = os.umask(0o022)
    try:
        model.save(tmp_path / "private.keras")                      # re-saved: its own mode is kept
        model.save_weights(tmp_path / "shared.weights.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "private.keras").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "shared.weights.npz").st_mode) == 0o644


def test_a_killed_save_leaves_no_temporary_behind_the_next_save(tmp_path):
    path = tmp_path / "model.weights.npz"
    script = ("import os, sys; from nn.module import write_atomically\n"
              "def write(f):\n    f.write(b'half a model'); f.flush(); os.kill(os.getpid(), 9)\n"
              "write_atomically(sys.argv[1], write)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for _ in range(3):          # each killed save removes the one before it: they never accumulate
        killed = subprocess.run([sys.executable, "-c", script, str(path)], env=env)
        assert killed.returncode == -9
        assert len([p for p in tmp_path.iterdir() if p.name.endswith(".rosenblatt-tmp")]) == 1
    mine = tmp_path / f".model.weights.npz.{os.getpid()}-00000000.rosenblatt-tmp"     # a live process's: kept
    mine.write_bytes(b"in progress")
    _saved_weights_model().save_weights(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "model.weights.npz"]


def test_saving_through_a_symlink_writes_the_file_it_points_to(tmp_path):
    first, second = _saved_weights_model(), _saved_weights_model()
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "real.weights.npz"
    first.save_weights(target)
    link = tmp_path / "latest.weights.npz"
    link.symlink_to(target)
    second.save_weights(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    loaded = _saved_weights_model()
    loaded.load_weights(target)
    for a, b in zip(loaded.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["real.weights.npz"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])      # the fused kernels too
def test_a_graph_kept_across_an_optimizer_step_refuses_a_second_backward(optimizer):
    w = nn.Parameter(np.array([1.0, 2.0], np.float32))
    opt = optimizers.get(optimizer).attach([w])
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    assert w.grad.numpy().tolist() == [2.0, 4.0]
    opt.step()
    with pytest.raises(RuntimeError, match=r"changed in place since \(version 0 -> 1\)"):
        loss.backward()                                  # PyTorch refuses here too; never [0, 0]


def test_set_weights_and_moving_statistics_write_through_the_versioned_writer():
    model = nn.Sequential([layers.Dense(2, input_shape=(3,)), layers.BatchNormalization()])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    kernel = model.layers[0].kernel
    loss = model(x).sum()
    before = kernel.version
    model.set_weights(model.get_weights())
    assert kernel.version == before + 1
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    bn = model.layers[1]
    version = bn.moving_mean.version
    with model.mode(training=True):
        model(x)
    assert bn.moving_mean.version == version + 1 and bn.moving_variance.version >= 1


def test_a_loss_whose_labels_have_more_classes_than_the_last_layer_says_so():
    y_true, y_pred = np.eye(10, dtype=np.float32)[:4], ad.tensor(np.full((4, 3), 1 / 3, np.float32))
    with pytest.raises(ValueError, match=r"the model's last layer gives 3 values per sample but the labels have 10 "
                                         r"\(classes, for one-hot labels\); give the last layer 10 units"):
        losses.get("categorical_crossentropy")(y_true, y_pred)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy for integer labels"):
        losses.get("categorical_crossentropy")(np.arange(4), y_pred)       # integer labels: that hint stays


def test_an_optimizer_step_without_any_gradient_says_why():
    w = nn.Parameter(np.ones(2, np.float32))
    with pytest.raises(ValueError, match=r"SGD.step: no parameter has a gradient \(every .grad is None\): "
                                         r"backward\(\) has not run"):
        optimizers.SGD().attach([w]).step()


def test_the_header_first_npz_reader_reads_what_numpy_wrote_and_refuses_what_does_not_add_up():
    from nn import npyfile
    arrays = {"f": np.asfortranarray(np.arange(12.0).reshape(3, 4)), "empty": np.zeros((0, 3), np.float32),
              "scalar": np.float32(5), "flags": np.array([True, False])}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    seen = []
    got = npyfile.read_npz(io.BytesIO(buffer.getvalue()), "x.npz", lambda headers: seen.append(sorted(headers)))
    assert seen == [sorted(arrays)]
    for key, want in arrays.items():
        assert got[key].dtype == np.asarray(want).dtype and got[key].shape == np.shape(want)
        np.testing.assert_array_equal(got[key], want)
    with pytest.raises(npyfile.NpyError, match="x.npz: 'o' holds object values, not plain numbers"):
        pickled = io.BytesIO()
        np.savez(pickled, o=np.array([None], dtype=object))
        npyfile.read_npz(io.BytesIO(pickled.getvalue()), "x.npz")
    with pytest.raises(npyfile.NpyError, match="x.npz is not an .npz archive"):
        npyfile.read_npz(io.BytesIO(b"not a zip"), "x.npz")
