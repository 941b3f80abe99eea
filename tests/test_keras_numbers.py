"""nn's activations, the Softmax and Activation layers and every loss reduction against Keras 3's own numbers.

The numbers come from tests/data/keras_reference.json, written by scripts/keras_reference.py with real
Keras 3 (the inputs are in the file beside the outputs); these tests need no Keras.
"""
import json
import weakref
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import activations, layers, losses, models, optimizers

REF = json.loads((Path(__file__).parent / "data" / "keras_reference.json").read_text())
X = np.array(REF["x"], np.float32)
CLOSE = dict(rtol=2e-6 * 25, atol=2e-6)          # float32 rounding of a few ops, summed over at most 25 values


@pytest.mark.parametrize("name", sorted(REF["activations"]))
def test_activations_by_their_keras_names_give_kerass_numbers(name):
    expected = np.array(REF["activations"][name], np.float32)
    np.testing.assert_allclose(activations.get(name)(ad.tensor(X)).numpy(), expected, **CLOSE)
    out = layers.Activation(name)(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, **CLOSE)


def test_activation_options_keep_kerass_defaults_and_names():
    np.testing.assert_allclose(activations.gelu(ad.tensor(X), approximate=True).numpy(), REF["gelu_tanh"], **CLOSE)
    # keras_hub's name for it, which a saved model can hold
    np.testing.assert_allclose(layers.Activation("gelu_approximate")(X).numpy(), REF["gelu_tanh"], **CLOSE)
    assert activations.name_of(activations.gelu_approximate) == "gelu_approximate"
    np.testing.assert_allclose(activations.glu(ad.tensor(X[:, :4])).numpy(), REF["glu"], **CLOSE)
    x = ad.tensor([-2.0, 1.0])
    assert activations.leaky_relu(x).tolist() == pytest.approx([-0.4, 1.0])        # Keras's slope, 0.2
    assert ad.leaky_relu(x).tolist() == pytest.approx([-0.02, 1.0])                # PyTorch's, 0.01
    assert activations.relu(ad.tensor([-2.0, 1.0, 9.0]), negative_slope=0.5, max_value=6.0).tolist() == [-1.0, 1.0, 6.0]
    assert activations.get("swish") is activations.get("silu")
    assert activations.get("hard_swish") is activations.get("hard_silu")
    with pytest.raises(ValueError, match="glu: .* even size"):
        activations.glu(ad.tensor(np.ones((2, 3))))


# Points away from every kink (0, +-1, +-3, 6) so central differences see a smooth function.
SMOOTH = np.linspace(-5.1, 5.3, 12).reshape(3, 4) + 0.0137


@pytest.mark.parametrize("name", sorted(set(activations.ACTIVATIONS) - {"step"}))
def test_every_activation_has_checked_gradients(name):
    fn = activations.get(name)
    ad.gradcheck(fn, [SMOOTH])
    ad.gradcheck(layers.Activation(name), [SMOOTH])


def test_softmax_layer_is_kerass_and_its_output_remembers_its_logits():
    np.testing.assert_allclose(layers.Softmax()(X).numpy(), REF["activations"]["softmax"], **CLOSE)
    cube = np.random.default_rng(0).standard_normal((2, 3, 4))
    by_axis = layers.Softmax(axis=1)(cube).numpy()
    np.testing.assert_allclose(by_axis, np.exp(cube) / np.exp(cube).sum(axis=1, keepdims=True), rtol=1e-6)
    ad.gradcheck(layers.Softmax(axis=1), [cube])
    assert layers.Softmax(axis=1).get_config()["axis"] == 1
    # Categorical cross-entropy of softmax([0, 200]) against [1, 0] is 200 (Keras), through the layer too.
    x, y = np.array([[1.0]], np.float32), np.array([[1.0, 0.0]], np.float32)
    model = models.Sequential([layers.Dense(2, use_bias=False, input_shape=(1,)), layers.Softmax()])
    model.layers[0].kernel.data[...] = [[0.0, 200.0]]
    model.compile(optimizer=optimizers.SGD(1e-9), loss="categorical_crossentropy")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(200.0)
    assert losses.CategoricalCrossentropy()(y, model(x)).item() == pytest.approx(200.0)


def test_softmax_layer_saves_and_loads(tmp_path):
    model = models.Sequential([layers.Dense(3, input_shape=(2,)), layers.Softmax(axis=-1), layers.Activation("gelu")])
    model.compile(loss="mse")
    model.save(tmp_path / "m.keras")
    again = models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [type(l).__name__ for l in again.layers] == ["Dense", "Softmax", "Activation"]


# ------------------------------------------------------------------ logits
def test_logits_are_nns_business_and_go_with_their_output():
    assert not hasattr(ad.tensor([1.0]), "logits")
    z = ad.tensor([[0.0, 1.0]])
    out = activations.softmax(z)
    assert activations.logits_of(out) is z
    assert activations.logits_of(z.softmax()) is None            # a softmax that is not the activation
    assert activations.logits_of(activations.softmax(ad.tensor(np.ones((2, 3))), axis=0)) is None
    before = len(activations._logits)
    outputs = [activations.sigmoid(ad.tensor([float(i)])) for i in range(50)]
    assert len(activations._logits) == before + 50
    last = weakref.ref(outputs[-1])
    del outputs
    assert last() is None and len(activations._logits) == before        # no output kept alive, no entry left

def test_binary_crossentropy_from_logits_is_softplus_minus_zy_and_never_overflows():
    z = ad.tensor([[100.0], [-100.0], [0.5]], dtype=np.float64, requires_grad=True)
    y = np.array([[0.0], [1.0], [1.0]])
    loss = losses.BinaryCrossentropy(from_logits=True, reduction="none")(y, z)
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, np.log1p(np.exp(-0.5))], rtol=1e-12)
    after_sigmoid = losses.BinaryCrossentropy(reduction="none")(y, activations.sigmoid(z))
    np.testing.assert_allclose(after_sigmoid.numpy(), loss.numpy(), rtol=1e-12)
    ad.gradcheck(lambda t: losses.BinaryCrossentropy(from_logits=True)(y, t), [z.data])


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize("row", REF["losses"], ids=lambda r: f"{r['case']}-{r['reduction']}-{'w' if r['weighted'] else ''}")
def test_every_loss_and_reduction_gives_kerass_number(row):
    case = REF["cases"][row["case"]]
    loss = getattr(losses, case["class"])(reduction=row["reduction"], **case["options"])
    y_pred = np.array(case["y_pred"], np.float32)
    routes = [y_pred]
    if row["case"] == "CategoricalCrossentropy/probabilities":      # and from nn's softmax: the logits path
        routes.append(activations.softmax(ad.tensor(np.log(y_pred))))
    weights = np.array(REF["sample_weight"], np.float32) if row["weighted"] else None
    expected = np.array(row["value"], np.float32)
    for y_pred in routes:
        value = loss(np.array(case["y_true"]), y_pred, sample_weight=weights)
        assert value.shape == expected.shape and value.dtype == np.float32
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_pytorchs_mean_is_the_default_and_a_wrong_reduction_is_refused():
    y, p = np.eye(3, dtype=np.float32), np.full((3, 3), 0.25, np.float32)
    assert losses.MeanSquaredError(reduction="mean")(y, p).item() == losses.MeanSquaredError()(y, p).item()
    assert losses.MeanSquaredError(reduction=None)(y, p).shape == (3,)
    assert losses.MeanSquaredError().call(y, p).shape == (3,)                   # Keras's call: unreduced
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.MeanSquaredError(reduction="avg")
    assert losses.MeanSquaredError(reduction="sum")(np.zeros((0, 3)), np.zeros((0, 3))).item() == 0.0
    assert losses.MeanSquaredError()(np.zeros((0, 3)), np.zeros((0, 3))).item() == 0.0   # divide_no_nan


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_reductions_have_checked_gradients(reduction):
    rng = np.random.default_rng(3)
    logits, targets = rng.standard_normal((4, 3)), rng.random((4, 3))
    fn = lambda z, t: ad.softmax_cross_entropy(z, t, reduction=reduction)      # noqa: E731
    ad.gradcheck(fn, [logits, targets])
    ad.gradgradcheck(fn, [logits, targets])
    rows = -(targets * (logits - np.log(np.exp(logits).sum(1, keepdims=True)))).sum(1)
    expected = {"mean": rows.mean(), "sum": rows.sum(), "none": rows}[reduction]
    np.testing.assert_allclose(fn(ad.tensor(logits), targets).numpy(), expected, rtol=1e-12)


def test_sample_weighted_and_unweighted_cross_entropy_are_one_computation():
    """With logits, every weighting and reduction runs the one fused op (its gradient is p - y)."""
    z = ad.tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    y = np.eye(3)[[0, 2, 1, 1, 0]]
    loss = losses.CategoricalCrossentropy(from_logits=True)
    for value in (loss(y, z), loss(y, z, sample_weight=np.ones(5)), loss.call(y, z),
                  losses.CategoricalCrossentropy(from_logits=True, reduction="sum")(y, z, sample_weight=np.ones(5))):
        assert value.grad_fn.name == "softmax_cross_entropy"
    np.testing.assert_allclose(loss(y, z, sample_weight=np.ones(5)).item(), loss(y, z).item(), rtol=1e-6)


def test_a_reduction_given_through_compile_trains_as_keras():
    """A "sum" loss's gradient is the batch size times the mean's: one SGD step agrees with lr times batch."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)

    def trained(loss, lr):
        nn.set_seed(0)
        model = models.Sequential([layers.Dense(1, input_shape=(3,))])
        model.compile(optimizer=optimizers.SGD(lr), loss=loss)
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return model.get_weights()

    for a, b in zip(trained(losses.MeanSquaredError(reduction="sum"), 0.01),
                    trained(losses.MeanSquaredError(reduction="mean"), 0.08)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="reduction"):
        models.Sequential([layers.Dense(1, input_shape=(3,))]).compile(
            loss=losses.MeanSquaredError(reduction="batch"))


def test_a_loss_with_a_reduction_saves_and_loads(tmp_path):
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(loss=losses.CategoricalCrossentropy(reduction="sum"))
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.loss.reduction == "sum" and type(loaded.loss) is losses.CategoricalCrossentropy


def test_metrics_are_the_losses_arithmetic():
    rng = np.random.default_rng(4)
    t, p = rng.random((6, 3)).astype(np.float32), rng.random((6, 3)).astype(np.float32) + 0.05
    for name in ["mae", "mse", "mape", "kld", "hinge"]:
        assert nn.metrics.get(name)[1](t, p) == losses.get(name)(t, p).item()


def test_a_loss_of_your_own_needs_only_per_sample():
    class Quartic(losses.Loss):
        def per_sample(self, y_true, y_pred):
            return ((y_pred - y_true) ** 4).mean(axis=-1)

    y, p = np.zeros((2, 2), np.float32), np.array([[1.0, 2.0], [0.0, 1.0]], np.float32)
    assert Quartic()(y, p).item() == pytest.approx((8.5 + 0.5) / 2)
    assert Quartic(reduction="sum")(y, p, sample_weight=[1.0, 2.0]).item() == pytest.approx(8.5 + 1.0)
