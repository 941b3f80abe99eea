"""Bad, odd and hostile inputs: each test is one finding of the reliability review (issue 11).

No silent wrong answer, no lost weights, no crash without a message that says
what to do.  The dataset findings are in test_datasets.py.
"""
import copy
import errno
import pickle
import threading
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import activations, layers, losses, models, optimizers
from nn.utils import to_categorical


def leaf(values, dtype=np.float64):
    return ad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def small_model(seed=0):
    nn.set_seed(seed)
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def small_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype(np.float32), to_categorical(rng.integers(0, 2, n), 2)


# ------------------------------------------------------------------ lost data
def test_load_weights_that_cannot_become_float_changes_nothing(tmp_path):
    model = small_model()
    before = [p.numpy().copy() for p in model.parameters()]
    names = [name for name, _ in model.named_parameters()]
    bad = {name: p.numpy() for name, p in model.named_parameters()}
    bad[names[-1]] = np.full(bad[names[-1]].shape, 1e300)            # float64 that overflows float32
    np.savez(tmp_path / "overflow.npz", **bad)
    with pytest.raises(ValueError, match="too large for float32"):
        model.load_weights(tmp_path / "overflow.npz")
    bad[names[-1]] = np.full(bad[names[-1]].shape, 1 + 2j)
    np.savez(tmp_path / "complex.npz", **bad)
    with pytest.raises(ValueError, match="complex128.*not real numbers"):
        model.load_weights(tmp_path / "complex.npz")
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)                   # not one parameter was overwritten


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    model = small_model()
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
    restored = small_model()
    restored.load_weights(path)                                       # still loads


# --------------------------------------------------------------------- crashes
@pytest.mark.parametrize("other_dtype", [np.float64, np.int64])
def test_concatenate_and_stack_of_mixed_dtypes_give_each_input_its_own_gradient(other_dtype):
    a = leaf([1.0, 2.0], np.float32)
    b = ad.tensor(np.array([3, 4], dtype=other_dtype), requires_grad=other_dtype == np.float64)
    for join in (ad.concatenate, ad.stack):
        a.grad = b.grad = None
        out = join([a, b])
        (out * ad.tensor(np.arange(out.size, dtype=out.dtype).reshape(out.shape))).sum().backward()
        assert a.grad.dtype == np.float32 and a.grad.tolist() == [0.0, 1.0]
        if b.requires_grad:
            assert b.grad.dtype == np.float64 and b.grad.tolist() == [2.0, 3.0]


def test_grad_mode_is_per_thread_and_no_grad_is_reentrant():
    @ad.no_grad()
    def countdown(n):
        return countdown(n - 1) if n else ad.is_grad_enabled()

    assert countdown(3) is False and ad.is_grad_enabled()
    manager = ad.no_grad()
    with manager:
        with manager:
            pass
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def inference():
        with ad.no_grad(), ad.name_scope("other_thread"):
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=inference)
    thread.start()
    inside.wait(5)
    x = leaf([1.0, 2.0])
    y = (x * x).sum()                  # this thread still records, outside the other's scope
    seen["records"], seen["scope"] = y.requires_grad, y.scope
    y.backward()
    release.set()
    thread.join()
    assert seen == {"records": True, "scope": None} and x.grad.tolist() == [2.0, 4.0]

    model, (xs, ys) = small_model(), small_data()
    threads = [threading.Thread(target=model.predict, args=(xs,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ad.is_grad_enabled()
    model.fit(xs, ys, epochs=1, verbose=0)        # fit still records after threads predicted


# ------------------------------------------------------- silent wrong results
def test_repeated_indices_written_as_tuples_accumulate():
    x = leaf(np.arange(6.0).reshape(2, 3))
    x[:, (1, 1, 1)].sum().backward()
    assert x.grad.tolist() == [[0, 3, 0], [0, 3, 0]]
    x.grad = None
    x[((0, 0),)].sum().backward()
    assert x.grad.tolist() == [[2, 2, 2], [0, 0, 0]]
    assert x[[]].shape == (0, 3)                      # NumPy accepts an empty list


def test_powers_at_zero_have_pytorchs_gradients_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = leaf([0.0, 2.0])
        (x ** 0).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]
        b = leaf([0.0, 1.5])
        (ad.tensor([0.0, 0.0]) ** b).sum().backward()
        assert b.grad.tolist() == [0.0, 0.0]
        z = leaf([[1.0, 2.0, 3.0]])
        (z.log_softmax() ** 0).sum().backward()
        assert np.isfinite(z.grad.data).all()


def test_clip_bounds_and_list_axes_are_consistent():
    x = ad.tensor([0.5, 3.0])
    assert x.clip(np.float64(0.0), np.float64(1.0)).dtype == np.float32
    t = ad.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(t.logsumexp(axis=[0, 1]).data, t.logsumexp(axis=(0, 1)).data)
    np.testing.assert_allclose(t.sum(axis=[0]).data, [3.0, 5.0, 7.0])


def test_batch_sizes_and_data_that_make_no_sense_are_refused():
    model, (x, y) = small_model(), small_data()
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
    model, (x, y) = small_model(), small_data()
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
    y_hat = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        copy.deepcopy(y_hat)


def test_loss_arguments_in_pytorchs_order_are_refused():
    logits = leaf([[0.2, 0.8]], np.float32)
    with pytest.raises(ValueError, match=r"swapped.*loss\(y_true, y_pred\)"):
        losses.CategoricalCrossentropy()(activations.softmax(logits), np.array([[0.0, 1.0]], np.float32))


def test_predict_expects_a_batch():
    model = small_model()
    x, _ = small_data()
    with pytest.raises(ValueError, match=r"x\[None\]"):
        model.predict(x[0])
    image_model = models.Sequential([layers.Flatten(input_shape=(2, 3)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"one sample without its batch axis: pass x\[None\]"):
        image_model.predict(np.zeros((2, 3)))
    assert image_model.predict(np.zeros((1, 2, 3))).shape == (1, 2)


def test_a_list_of_tensors_that_require_grad_is_not_silently_cut_off():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="ad.stack"):
        ad.tensor([x[0], x[1]])
    ad.stack([x[0], x[1]]).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_shapes_must_be_integers_and_complex_numbers_are_refused():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="reshape: a shape is made of integers"):
        x.reshape(2.5)
    with pytest.raises(TypeError, match="complex128"):
        (x * 1).backward(np.array([1 + 1j, 1]))
    with pytest.raises(TypeError, match="complex128: take the real part"):
        ad.tensor([1 + 2j])


# ----------------------------------------------------------- unclear errors
def test_unclear_errors_now_say_what_to_do(tmp_path):
    model, (x, y) = small_model(), small_data()
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
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert isinstance(np.sum(t), ad.Tensor) and np.sum(t).item() == 10.0     # NumPy's functions call t.sum
    np.testing.assert_allclose(np.mean(t, axis=0).data, [2.0, 3.0])
    scalar = ad.tensor(1.0)
    for call, op in ((lambda: scalar.mT, "mT"), (lambda: scalar.swapaxes(0, 1), "swapaxes"),
                     (lambda: scalar.softmax(), "softmax"), (lambda: ad.softmax_cross_entropy(scalar, scalar),
                                                            "softmax_cross_entropy")):
        with pytest.raises(ValueError, match=f"{op}: .*(at least|out of range)"):
            call()
    assert ad.tensor(np.zeros(0)).softmax().shape == (0,) and ad.tensor(np.zeros(0)).logsumexp().item() == -np.inf
    (g1, g2) = ad.grad((t * t).sum(), [t, t])
    np.testing.assert_array_equal(g1.data, g2.data)
    with pytest.raises(ValueError, match=r"input_shape must be a tuple .*input_shape=\(784,\)"):
        layers.Dense(10, input_shape=784)
    unflattened = models.Sequential([layers.Dense(10, activation="softmax", input_shape=(28, 28))])
    unflattened.compile(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"need a Flatten\(\) layer"):
        unflattened.fit(np.zeros((4, 28, 28)), to_categorical([1, 2, 3, 4], 10), verbose=0)


# ------------------------------------------------------------- anomaly mode
def test_anomaly_mode_names_the_op_its_inputs_and_the_line_that_made_it():
    x = leaf([1.0, 0.0])
    assert not ad.is_anomaly_enabled()
    with ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError, match=r"log produced NaN or inf .*\(2,\) float64.*test_reliability.py"):
            with np.errstate(divide="ignore"):
                x.log()
        y = x.sqrt()                                              # finite forward, infinite gradient at 0
        with pytest.raises(ad.AnomalyError, match=r"sqrt returned NaN or inf in the gradient.*y = x.sqrt\(\)"):
            with np.errstate(divide="ignore"):
                y.sum().backward()
    assert not ad.is_anomaly_enabled()
    with np.errstate(divide="ignore", invalid="ignore"):
        nan = (x.log() * 0).sum()                                  # off: NaN propagates honestly
        assert np.isnan(nan.item())
    ad.set_detect_anomaly(True)
    try:
        with pytest.raises(ad.AnomalyError):
            with np.errstate(divide="ignore"):
                x.log()
    finally:
        ad.set_detect_anomaly(False)
