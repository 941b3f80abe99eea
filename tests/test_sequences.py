"""Sequence layers: the recurrent layers' gradients (Hypothesis over batch, time, features, units), their
forward against a NumPy transcription of Keras's equations and against Keras 3's own numbers
(tests/data/keras_sequences.json, written by scripts/keras_sequence_reference.py), masks, initial
states, several outputs in a functional model, and the wrappers.  The layer table
(tests/test_layers.py) checks their shapes, configurations, files and parameter counts.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autodiff as ad
import nn
from nn import initializers, layers, models

KERAS = json.loads((Path(__file__).parent / "data" / "keras_sequences.json").read_text())


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_rnn(kind, x, weights, mask=None, go_backwards=False, reset_after=True, state=None):
    """Keras's equations step by step in NumPy: (outputs (batch, time, units), final states)."""
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    batch, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((batch, units)) if state is None else state[0]
    c = np.zeros((batch, units)) if state is None or len(state) < 2 else state[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs, previous = [], np.zeros((batch, units))
    for t in order:
        x_t = x[:, t]
        if kind == "SimpleRNN":
            new_h = np.tanh(x_t @ kernel + h @ recurrent + (0 if bias is None else bias))
            new_c = c
        elif kind == "LSTM":
            z = x_t @ kernel + h @ recurrent + (0 if bias is None else bias)
            i, f, g, o = np.split(z, 4, axis=-1)
            new_c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            new_h = sigmoid(o) * np.tanh(new_c)
        else:
            u = units
            if reset_after:
                b_in, b_rec = (np.zeros(3 * u), np.zeros(3 * u)) if bias is None else bias
                xz, xr, xh = np.split(x_t @ kernel + b_in, 3, axis=-1)
                rz, rr, rh = np.split(h @ recurrent + b_rec, 3, axis=-1)
                z, r = sigmoid(xz + rz), sigmoid(xr + rr)
                g = np.tanh(xh + r * rh)
            else:
                xz, xr, xh = np.split(x_t @ kernel + (0 if bias is None else bias), 3, axis=-1)
                z = sigmoid(xz + h @ recurrent[:, :u])
                r = sigmoid(xr + h @ recurrent[:, u:2 * u])
                g = np.tanh(xh + (r * h) @ recurrent[:, 2 * u:])
            new_h = z * h + (1 - z) * g
            new_c = c
        if mask is not None:
            keep = mask[:, t:t + 1]
            new_h, new_c = np.where(keep, new_h, h), np.where(keep, new_c, c)
            output = np.where(keep, new_h, previous)
        else:
            output = new_h
        h, c, previous = new_h, new_c, output
        outputs.append(output)
    return np.stack(outputs, axis=1), ([h, c] if kind == "LSTM" else [h])


def make(kind, units, **kwargs):
    return getattr(layers, kind)(units, **kwargs)


KINDS = ["SimpleRNN", "LSTM", "GRU"]


# ------------------------------------------------------------------ forward: NumPy and Keras
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_forward_follows_keras_equations_transcribed_in_numpy(kind, go_backwards, masked):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6, 4))
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 1]], bool) if masked else None
    layer = make(kind, 5, return_sequences=True, return_state=True, go_backwards=go_backwards, dtype="float64")
    layer.build((6, 4))
    weights = [rng.uniform(-0.7, 0.7, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    out, *states = layer(x, mask=mask)
    expected, expected_states = numpy_rnn(kind, x, weights, mask, go_backwards)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    for state, want in zip(states, expected_states):
        np.testing.assert_allclose(state.numpy(), want, rtol=1e-12, atol=1e-12)


def test_gru_reset_before_and_no_bias_follow_the_numpy_transcription():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 5, 3))
    for options in ({"reset_after": False}, {"use_bias": False}, {"reset_after": False, "use_bias": False}):
        layer = layers.GRU(4, return_sequences=True, dtype="float64", input_shape=(5, 3), **options)
        weights = [rng.uniform(-0.7, 0.7, w.shape) for w in layer.get_weights()]
        layer.set_weights(weights)
        expected, _ = numpy_rnn("GRU", x, weights, reset_after=options.get("reset_after", True))
        np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(KERAS["cases"]))
def test_outputs_equal_keras_3s_for_the_same_weights(name):
    case = KERAS["cases"][name]
    inputs = nn.Input(shape=(None,), dtype="int32")
    if case["class"] == "Bidirectional":
        layer = layers.Bidirectional(layers.LSTM(**case["arguments"]))
    else:
        layer = getattr(layers, case["class"])(**case["arguments"])
    model = nn.Model(inputs, layer(layers.Embedding(6, 3, mask_zero=case["mask_zero"])(inputs)))
    model.set_weights([np.asarray(w, np.float32) for w in case["weights"]])
    out = model(np.array(KERAS["ids"]))
    out = out if isinstance(out, list) else [out]
    assert len(out) == len(case["outputs"])
    for got, want in zip(out, case["outputs"]):
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_parameter_counts_equal_keras():
    model = nn.Sequential([nn.Input(shape=(None,), dtype="int32"), layers.Embedding(10000, 32), layers.LSTM(32)])
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [KERAS["counts"]["embedding_10000_32"], KERAS["counts"]["lstm_32"]] == [320_000, 8_320]
    lstm = model.layers[1]
    assert [w.shape for w in lstm.get_weights()] == [(32, 128), (32, 128), (128,)]
    assert [w.shape for w in layers.GRU(5, input_shape=(None, 3)).get_weights()] == [(3, 15), (5, 15), (2, 15)]
    assert [w.shape for w in layers.GRU(5, reset_after=False, input_shape=(None, 3)).get_weights()] == \
        [(3, 15), (5, 15), (15,)]


def test_initial_weights_as_keras_orthogonal_recurrent_kernel_and_unit_forget_bias():
    lstm = layers.LSTM(6, input_shape=(None, 4))
    u = lstm.recurrent_kernel.numpy()
    np.testing.assert_allclose(u @ u.T, np.eye(6), atol=1e-5)              # (6, 24): orthogonal rows
    np.testing.assert_array_equal(lstm.bias.numpy(), np.r_[np.zeros(6), np.ones(6), np.zeros(12)])
    assert not layers.LSTM(2, unit_forget_bias=False, input_shape=(None, 1)).bias.numpy().any()
    q = initializers.get("orthogonal")((7, 3))
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)


# ------------------------------------------------------------------ gradients
@st.composite
def recurrences(draw):
    return dict(kind=draw(st.sampled_from(KINDS)), batch=draw(st.integers(1, 3)), steps=draw(st.integers(1, 4)),
                features=draw(st.integers(1, 3)), units=draw(st.integers(1, 3)),
                go_backwards=draw(st.booleans()), sequences=draw(st.booleans()), masked=draw(st.booleans()),
                reset_after=draw(st.booleans()), seed=draw(st.integers(0, 2 ** 16)))


def runner(case):
    """The layer as a function of its input and weights, and those float64 values."""
    rng = np.random.default_rng(case["seed"])
    extra = {"reset_after": case["reset_after"]} if case["kind"] == "GRU" else {}
    layer = make(case["kind"], case["units"], return_sequences=case["sequences"], go_backwards=case["go_backwards"],
                 return_state=True, input_shape=(case["steps"], case["features"]), dtype="float64", **extra)
    mask = rng.random((case["batch"], case["steps"])) < 0.7 if case["masked"] else None
    names = [n for n, _ in layer.named_parameters()]
    values = [rng.standard_normal((case["batch"], case["steps"], case["features"]))]
    values += [rng.uniform(-1, 1, p.shape) for _, p in layer.named_parameters()]

    def run(x, *weights):
        for name, w in zip(names, weights):
            setattr(layer, name, w)
        out, *states = layer(x, mask=mask)
        return ad.concatenate([out.reshape(out.shape[0], -1)] + states, axis=-1)   # every output at once

    return run, values


@settings(max_examples=25, deadline=None)
@given(recurrences())
def test_gradients_of_inputs_and_weights_match_finite_differences(case):
    run, values = runner(case)
    ad.gradcheck(run, values)


@settings(max_examples=8, deadline=None)
@given(recurrences())
def test_second_order_gradients_match_finite_differences(case):
    run, values = runner(case)
    ad.gradgradcheck(run, values)


def test_gradient_of_an_initial_state_and_the_recurrent_dropout_path():
    rng = np.random.default_rng(3)
    lstm = layers.LSTM(3, input_shape=(4, 2), dtype="float64", dropout=0.3, recurrent_dropout=0.4, seed=1)
    x = rng.standard_normal((2, 4, 2))

    def run(x, h, c):
        lstm.rng = np.random.default_rng(7)             # the same dropout masks at every evaluation
        return lstm(x, initial_state=[h, c], training=True)

    ad.gradcheck(run, [x, rng.standard_normal((2, 3)), rng.standard_normal((2, 3))])


# ------------------------------------------------------------------ the fused step, ad.lstm_cell
def lstm_cell_by_ops(x, state, kernel):
    """ad.lstm_cell's result written with the element-wise ops (the LSTM layer's general path)."""
    z = x + state[0] @ kernel
    i, f, g, o = ad.split(z, 4, axis=-1)
    i, f, g, o = ad.sigmoid(i), ad.sigmoid(f), ad.tanh(g), ad.sigmoid(o)
    c = f * state[1] + i * g
    return ad.stack([o * ad.tanh(c), c, i, f, g, o])


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(0, 3), units=st.integers(1, 3), broadcast_x=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_lstm_cell_equals_its_ops_and_its_gradients_match_finite_differences(batch, units, broadcast_x, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4 * units,) if broadcast_x else (batch, 4 * units)) * 2
    state, kernel = rng.standard_normal((2, batch, units)), rng.standard_normal((units, 4 * units))
    np.testing.assert_allclose(ad.lstm_cell(x, ad.tensor(state), kernel).numpy(),
                               lstm_cell_by_ops(ad.tensor(x), ad.tensor(state), ad.tensor(kernel)).numpy(),
                               rtol=1e-12, atol=1e-14)
    if batch:
        ad.gradcheck(ad.lstm_cell, [x, state, kernel])
        ad.gradgradcheck(ad.lstm_cell, [x, state, kernel])


def test_lstm_cell_in_float32_and_refusing_wrong_shapes():
    rng = np.random.default_rng(4)
    x, state = rng.standard_normal((5, 12)).astype(np.float32), rng.standard_normal((2, 5, 3)).astype(np.float32)
    kernel = ad.tensor(rng.standard_normal((3, 12)).astype(np.float32), requires_grad=True)
    out = ad.lstm_cell(x, state, kernel)
    assert out.shape == (6, 5, 3) and out.dtype == np.float32
    expected = lstm_cell_by_ops(ad.tensor(x), ad.tensor(state), kernel.detach()).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=4 * np.finfo(np.float32).eps)
    out[:2].sum().backward()
    assert kernel.grad.dtype == np.float32 and kernel.grad.shape == (3, 12)
    with pytest.raises(ValueError, match=r"lstm_cell: expected x \(batch, 4 \* units\).*got x \(5, 12\), "
                                         r"state \(5, 3\) and recurrent_kernel \(3, 12\)"):
        ad.lstm_cell(x, state[0], kernel)


def op_names(t):
    """The class names of every node t's graph holds."""
    names, stack, seen = set(), [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or isinstance(node, ad.Tensor):
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack.extend(node.parents)
    return names


@pytest.mark.parametrize("masked", [False, True])
def test_the_fused_lstm_step_equals_the_general_one_in_values_and_gradients(masked):
    """Keras's activations take ad.lstm_cell; any other callable the ops: the same numbers."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    mask = rng.random((3, 6)) < 0.7 if masked else None
    initial = [rng.standard_normal((3, 5)).astype(np.float32) for _ in range(2)]
    results = []
    for activation in ["tanh", lambda v: v.tanh()]:
        lstm = layers.LSTM(5, activation=activation, return_sequences=True, return_state=True, input_shape=(6, 4))
        lstm.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in lstm.get_weights()]
                         if not results else results[0][-1])
        inputs = ad.tensor(x, requires_grad=True)
        h0, c0 = (ad.tensor(s, requires_grad=True) for s in initial)
        out, h, c = lstm(inputs, initial_state=[h0, c0], mask=mask)
        assert ("LSTMCell" in op_names(h)) == (activation == "tanh")
        (out.sum() + (h * h).sum() + (c * 3.0).sum()).backward()
        results.append([out.numpy(), h.numpy(), c.numpy(), inputs.grad.numpy(), h0.grad.numpy(), c0.grad.numpy()]
                       + [p.grad.numpy() for p in lstm.parameters()] + [lstm.get_weights()])
    fused, general = results
    for a, b in zip(fused[:-1], general[:-1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ masks, states, dropout
def test_a_mask_carries_the_state_over_padded_steps():
    rng = np.random.default_rng(0)
    gru = layers.GRU(4, return_sequences=True, return_state=True, input_shape=(None, 3))
    x = rng.standard_normal((1, 3, 3)).astype(np.float32)
    padded = np.concatenate([x, np.zeros((1, 2, 3), np.float32)], axis=1)        # two padded steps at the end
    out, h = gru(layers.Masking()(padded))
    short, short_h = gru(x)
    np.testing.assert_allclose(h.numpy(), short_h.numpy(), rtol=1e-6)
    np.testing.assert_allclose(out.numpy()[:, 3:], np.repeat(short_h.numpy()[:, None], 2, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(layers.get_mask(out), [[True, True, True, False, False]])   # passed on


def test_embedding_mask_reaches_the_lstm_in_a_sequential_model():
    model = nn.Sequential([nn.Input(shape=(None,), dtype="int32"), layers.Embedding(8, 3, mask_zero=True),
                           layers.LSTM(5)])
    ids = np.array([[3, 4, 5, 0, 0, 0]])
    np.testing.assert_allclose(model(ids).numpy(), model(ids[:, :3]).numpy(), rtol=1e-6)


def test_initial_state_as_a_call_argument_and_in_a_list():
    rng = np.random.default_rng(1)
    lstm = layers.LSTM(3, input_shape=(4, 2))
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    h, c = (rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2))
    weights = [w.astype(np.float64) for w in lstm.get_weights()]
    expected, _ = numpy_rnn("LSTM", x.astype(np.float64), weights, state=[h, c])
    np.testing.assert_allclose(lstm(x, initial_state=[h, c]).numpy(), expected[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lstm([x, h, c]).numpy(), expected[:, -1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="lstm.*initial_state takes 2 tensor"):
        lstm(x, initial_state=[h])
    with pytest.raises(ValueError, match="initial state must have shape \\(2, 3\\)"):
        lstm(x, initial_state=[h[:1], c[:1]])


def test_dropout_in_training_only_with_one_mask_per_sequence():
    x = np.ones((64, 5, 4), np.float32)
    layer = layers.SimpleRNN(4, activation="linear", dropout=0.5, return_sequences=True, seed=0, input_shape=(5, 4))
    layer.set_weights([np.eye(4), np.zeros((4, 4)), np.zeros(4)])          # output_t = dropped x_t
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    a, b = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert set(np.unique(a)) == {0.0, 2.0} and 0.35 < (a == 0).mean() < 0.65
    np.testing.assert_array_equal(a, np.repeat(a[:, :1], 5, axis=1))      # the same mask at every step
    assert not np.array_equal(a, b)                                         # a new mask each call
    with pytest.raises(ValueError, match="LSTM: dropout must be in \\[0, 1\\)"):
        layers.LSTM(2, dropout=1.0)


def test_several_outputs_from_one_call_in_a_functional_model_saved_and_loaded(tmp_path):
    inputs = nn.Input(shape=(None, 3))
    out, h, c = layers.LSTM(4, return_state=True, return_sequences=True)(inputs)
    decoded = layers.GRU(4)(out, initial_state=h)
    model = nn.Model(inputs, [decoded, h, c])
    assert [s.shape for s in model.outputs] == [(None, 4), (None, 4), (None, 4)]
    x = np.random.default_rng(2).standard_normal((2, 5, 3)).astype(np.float32)
    got = model(x)
    lstm_out, lstm_h, lstm_c = model.layers[0](x)
    np.testing.assert_array_equal(got[1].numpy(), lstm_h.numpy())
    np.testing.assert_array_equal(got[0].numpy(), model.layers[1](lstm_out, initial_state=[lstm_h]).numpy())
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = models.load_model(path)
    for a, b in zip(loaded(x), got):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[0].count("(LSTM)") == 1 and "[(None, None, 4), (None, 4), (None, 4)]" in lines[0]
    assert f"Total params: {model.count_params():,}" in lines[0]


def test_a_recurrent_layer_trains_on_a_sequence_task():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 5, (256, 6))
    y = (x[:, 0] <= 2).astype(np.float32)[:, None]           # the first id, remembered over five more steps
    for kind in ("GRU", "LSTM"):
        nn.set_seed(0)
        model = nn.Sequential([nn.Input(shape=(None,), dtype="int32"), layers.Embedding(5, 8),
                               getattr(layers, kind)(16), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=nn.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
        assert history.history["accuracy"][-1] > 0.95, kind


# ------------------------------------------------------------------ wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_a_forward_run_and_a_time_reversed_backward_run(merge_mode):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 3))
    wrapper = layers.Bidirectional(layers.SimpleRNN(4, return_sequences=True, dtype="float64"),
                                   merge_mode=merge_mode, input_shape=(5, 3))
    assert wrapper.forward_layer.name.startswith("forward_") and wrapper.backward_layer.go_backwards
    weights = [rng.uniform(-0.7, 0.7, w.shape) for w in wrapper.get_weights()]
    wrapper.set_weights(weights)
    forward, _ = numpy_rnn("SimpleRNN", x, weights[:3])
    backward, _ = numpy_rnn("SimpleRNN", x, weights[3:], go_backwards=True)
    backward = backward[:, ::-1]
    expected = {"concat": np.concatenate([forward, backward], -1), "sum": forward + backward,
                "mul": forward * backward, "ave": (forward + backward) / 2, None: [forward, backward]}[merge_mode]
    out = wrapper(x)
    for got, want in zip(out if merge_mode is None else [out], expected if merge_mode is None else [expected]):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    shape = wrapper.compute_output_shape((5, 3))
    assert (shape == [(5, 4), (5, 4)]) if merge_mode is None else shape == ((5, 8) if merge_mode == "concat" else (5, 4))


def test_bidirectional_return_state_gives_both_directions_states():
    wrapper = layers.Bidirectional(layers.LSTM(2, return_state=True), input_shape=(3, 2))
    out, fh, fc, bh, bc = wrapper(np.ones((4, 3, 2), np.float32))
    assert out.shape == (4, 4) and all(s.shape == (4, 2) for s in (fh, fc, bh, bc))
    np.testing.assert_array_equal(out.numpy(), np.concatenate([fh.numpy(), bh.numpy()], -1))
    with pytest.raises(TypeError, match="Bidirectional: layer must be a recurrent layer"):
        layers.Bidirectional(layers.Dense(2))


def test_time_distributed_applies_one_layer_to_every_step():
    dense = layers.Dense(3)
    wrapper = layers.TimeDistributed(dense, input_shape=(4, 2))
    x = np.random.default_rng(0).standard_normal((5, 4, 2)).astype(np.float32)
    out = wrapper(x)
    assert out.shape == (5, 4, 3) and wrapper.count_params() == 9
    for t in range(4):
        np.testing.assert_allclose(out.numpy()[:, t], dense(x[:, t]).numpy(), rtol=1e-6)


def test_recurrent_layers_refuse_what_they_cannot_run():
    with pytest.raises(ValueError, match="LSTM: units must be a positive integer"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="lstm.*takes sequences of shape \\(batch, time, features\\)"):
        layers.LSTM(2, name="lstm_x")(np.ones((2, 3), np.float32))
    lstm = layers.LSTM(2, input_shape=(None, 3))
    with pytest.raises(ValueError, match="expected inputs of shape \\(batch, time, 3\\), got \\(2, 4, 5\\)"):
        lstm(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="the mask must have shape \\(batch, time\\) = \\(2, 4\\)"):
        lstm(np.ones((2, 4, 3), np.float32), mask=np.ones((2, 3), bool))
