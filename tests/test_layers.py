"""The layer table (as Keras's run_layer_test): one row per public layer, each checked the same way.

Every row: output shapes against ``compute_output_shape`` and ``output_shape``; gradcheck on the
inputs and every weight in float64; ``get_config``/``from_config`` and ``save``/``load_model``
round trips; ``count_params`` and ``summary()``'s totals.  A new layer is its class plus one row.
Checks that belong to one layer alone follow the table.
"""
import inspect
from dataclasses import dataclass, field

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import layers, models, saving


@dataclass
class Row:
    make: object                       # () -> a fresh layer
    shape: object                      # one sample's shape, or a list of them for a merge layer
    params: int                        # count_params() once built
    trainable: int = None              # trainable parameters, when some are not
    training: bool = True              # gradcheck in training mode (False: inference, e.g. Dropout's identity)
    ids: int = 0                       # > 0: the inputs are integer ids below it (Embedding): weights alone checked
    tol: dict = field(default_factory=dict)


ROWS = {
    "dense_tanh": Row(lambda: layers.Dense(3, activation="tanh"), (4,), 4 * 3 + 3),
    "dense_fused_relu": Row(lambda: layers.Dense(3, activation="relu"), (4,), 4 * 3 + 3),
    "dense_softmax_no_bias": Row(lambda: layers.Dense(3, activation="softmax", use_bias=False), (2, 4), 4 * 3),
    "activation": Row(lambda: layers.Activation("sigmoid"), (5,), 0),
    "activation_gelu_by_keras_name": Row(lambda: layers.Activation("gelu"), (5,), 0),
    "softmax_axis_1": Row(lambda: layers.Softmax(axis=1), (3, 4), 0),
    "flatten": Row(lambda: layers.Flatten(), (3, 4), 0),
    "dropout": Row(lambda: layers.Dropout(0.3, seed=1), (6,), 0, training=False),
    "concatenate": Row(lambda: layers.Concatenate(), [(3,), (2,)], 0),
    "add": Row(lambda: layers.Add(), [(3,), (3,)], 0),
    "conv2d_same_relu": Row(lambda: layers.Conv2D(2, 3, padding="same", activation="relu"), (5, 5, 3), 3 * 3 * 3 * 2 + 2),
    "conv2d_strided_grouped": Row(lambda: layers.Conv2D(4, (2, 3), strides=2, groups=2), (6, 7, 2), 2 * 3 * 1 * 4 + 4),
    "max_pooling2d": Row(lambda: layers.MaxPooling2D(2), (4, 4, 2), 0),
    "average_pooling2d_same": Row(lambda: layers.AveragePooling2D(2, padding="same"), (5, 5, 2), 0),
    "global_average_pooling2d": Row(lambda: layers.GlobalAveragePooling2D(), (4, 4, 3), 0),
    "zero_padding2d": Row(lambda: layers.ZeroPadding2D(((1, 0), (2, 1))), (3, 3, 2), 0),
    "reshape": Row(lambda: layers.Reshape((2, -1)), (3, 4), 0),
    "batch_normalization": Row(lambda: layers.BatchNormalization(), (4,), 4 * 4, trainable=2 * 4),
    "embedding": Row(lambda: layers.Embedding(5, 3), (4,), 5 * 3, ids=5),
    "embedding_mask_zero": Row(lambda: layers.Embedding(6, 2, mask_zero=True), (3, 2), 6 * 2, ids=6),
    "masking": Row(lambda: layers.Masking(0.5), (4, 3), 0),
    "position_embedding": Row(lambda: layers.PositionEmbedding(6), (4, 3), 6 * 3),
    "position_embedding_he_normal_full_length": Row(lambda: layers.PositionEmbedding(2, initializer="he_normal"),
                                                    (2, 5), 2 * 5),
    "simple_rnn_sequences": Row(lambda: layers.SimpleRNN(3, return_sequences=True), (4, 2), 2 * 3 + 3 * 3 + 3),
    "lstm": Row(lambda: layers.LSTM(3), (4, 2), 4 * (2 * 3 + 3 * 3 + 3)),
    "lstm_backwards_no_bias": Row(lambda: layers.LSTM(2, go_backwards=True, use_bias=False), (3, 2), 4 * (2 * 2 + 2 * 2)),
    "gru_sequences": Row(lambda: layers.GRU(3, return_sequences=True), (4, 2), 3 * (2 * 3 + 3 * 3 + 2 * 3)),
    "gru_reset_before": Row(lambda: layers.GRU(3, reset_after=False), (4, 2), 3 * (2 * 3 + 3 * 3 + 3)),
    "bidirectional_concat": Row(lambda: layers.Bidirectional(layers.LSTM(2, return_sequences=True)), (3, 2),
                                2 * 4 * (2 * 2 + 2 * 2 + 2)),
    "bidirectional_ave": Row(lambda: layers.Bidirectional(layers.GRU(2), merge_mode="ave"), (3, 2),
                             2 * 3 * (2 * 2 + 2 * 2 + 2 * 2)),
    "time_distributed": Row(lambda: layers.TimeDistributed(layers.Dense(3, activation="tanh")), (4, 2), 2 * 3 + 3),
    "conv1d_causal_dilated_tanh": Row(lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2, activation="tanh"),
                                      (6, 3), 3 * 3 * 2 + 2),
    "conv1d_same_strided_grouped": Row(lambda: layers.Conv1D(4, 2, strides=2, padding="same", groups=2), (5, 2),
                                       2 * 1 * 4 + 4),
    "max_pooling1d": Row(lambda: layers.MaxPooling1D(2), (5, 2), 0),
    "average_pooling1d_same": Row(lambda: layers.AveragePooling1D(3, strides=2, padding="same"), (5, 2), 0),
    "global_average_pooling1d": Row(lambda: layers.GlobalAveragePooling1D(), (4, 3), 0),
    "global_max_pooling1d_keepdims": Row(lambda: layers.GlobalMaxPooling1D(keepdims=True), (4, 3), 0),
    "layer_normalization": Row(lambda: layers.LayerNormalization(), (3, 4), 2 * 4),
    "layer_normalization_no_center": Row(lambda: layers.LayerNormalization(epsilon=0.1, center=False), (4,), 4),
    "multi_head_attention_cross": Row(lambda: layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=4),
                                      [(4, 3), (5, 2)], 3 * (2 * 3) + 2 * 3 + 2 * (2 * 3) + 2 * 3 + 2 * (2 * 2)
                                      + 2 * 2 + 2 * 2 * 4 + 4),
    "multi_head_attention_no_bias": Row(lambda: layers.MultiHeadAttention(2, 2, use_bias=False), [(3, 4), (3, 4)],
                                        3 * 4 * 2 * 2 + 2 * 2 * 4),
}
BATCH = 3


def inputs_for(row, rng):
    """float64 inputs of the row's shapes, away from ReLU's kink and max-pooling's ties (ids for an Embedding,
    repeated so that the gradient's scatter-add is exercised)."""
    shapes = row.shape if isinstance(row.shape, list) else [row.shape]
    if row.ids:
        return [rng.integers(0, row.ids, (BATCH,) + s) for s in shapes]
    return [rng.uniform(0.1, 1.0, (BATCH,) + s) * rng.choice([-1, 1], (BATCH,) + s) for s in shapes]


def set_weight(layer, path, value):
    """Set the weight at a dotted path (``forward_layer.kernel`` inside a Bidirectional)."""
    *owners, attr = path.split(".")
    for owner in owners:
        layer = getattr(layer, owner)
    setattr(layer, attr, value)


def float32(xs):
    """The inputs as a float32 model takes them: floats cast, ids kept."""
    return [x.astype(np.float32) if x.dtype.kind == "f" else x for x in xs]


def call(layer, xs, training=None):
    return layer(xs if layer.takes_several else xs[0], training=training)


def model_of(layer, row):
    """The layer in a model from nn.Input(s): Sequential for one input, Functional for a merge."""
    if isinstance(row.shape, list):
        inputs = [nn.Input(shape=s) for s in row.shape]
        return nn.Model(inputs, layer(inputs))
    return nn.Sequential([nn.Input(shape=row.shape, dtype="int32" if row.ids else "float32"), layer])


def test_the_table_covers_every_public_layer():
    public = {cls for name, cls in vars(layers).items() if isinstance(cls, type) and issubclass(cls, layers.Layer)
              and not name.startswith("_") and cls is not layers.Layer}
    assert public == set(saving.LAYERS.values())          # what a file may name is what the table checks
    assert {type(row.make()) for row in ROWS.values()} == public


@pytest.mark.parametrize("name", list(ROWS))
def test_output_shapes_follow_compute_output_shape(name):
    row = ROWS[name]
    layer = row.make()
    xs = inputs_for(row, np.random.default_rng(0))
    out = call(layer, float32(xs))
    assert layer.built and out.dtype == np.float32
    assert out.shape == (BATCH,) + tuple(layer.compute_output_shape(row.shape))
    assert layer.output_shape == (None,) + out.shape[1:]
    assert layer.input_shape == ([(None,) + s for s in row.shape] if isinstance(row.shape, list)
                                 else (None,) + row.shape)


@pytest.mark.parametrize("name", list(ROWS))
def test_gradients_of_inputs_and_weights(name):
    row = ROWS[name]
    layer = row.make()
    rng = np.random.default_rng(1)
    xs = inputs_for(row, rng)
    call(layer, float32(xs))          # built
    names = [n for n, _ in layer.named_parameters()]
    weights = [rng.uniform(0.5, 1.5, p.shape) for _, p in layer.named_parameters()]

    if row.ids:                                               # ids have no gradient: the weights alone
        def run(*args):
            for attr, w in zip(names, args):
                set_weight(layer, attr, w)
            return call(layer, xs, training=row.training)

        ad.gradcheck(run, weights, **row.tol)
        return

    def run(*args):
        for attr, w in zip(names, args[len(xs):]):
            set_weight(layer, attr, w)
        return call(layer, list(args[:len(xs)]), training=row.training)

    ad.gradcheck(run, xs + weights, **row.tol)


def randomized(layer, seed=2):
    """Weights set to values no initializer gives, so that a round trip that drops them fails."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("name", list(ROWS))
def test_config_round_trip(name):
    row = ROWS[name]
    layer = randomized(model_of(row.make(), row).layers[-1])
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    if not clone.built:
        clone.build(row.shape)
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]
    clone.set_weights(layer.get_weights())
    xs = float32(inputs_for(row, np.random.default_rng(3)))
    np.testing.assert_array_equal(call(clone, xs, training=False).numpy(), call(layer, xs, training=False).numpy())


@pytest.mark.parametrize("name", list(ROWS))
def test_save_and_load_model_round_trip(name, tmp_path):
    row = ROWS[name]
    model = model_of(row.make(), row)
    randomized(model.layers[-1])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = models.load_model(path)
    assert type(loaded) is type(model)
    assert saving.serialize(loaded.layers[-1], "layer") == saving.serialize(model.layers[-1], "layer")   # as JSON
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    xs = float32(inputs_for(row, np.random.default_rng(4)))
    feed = xs if isinstance(row.shape, list) else xs[0]
    np.testing.assert_array_equal(loaded(feed, training=False).numpy(), model(feed, training=False).numpy())


@pytest.mark.parametrize("name", list(ROWS))
def test_parameter_counts_and_summary(name):
    row = ROWS[name]
    model = model_of(row.make(), row)
    layer = model.layers[-1]
    trainable = row.params if row.trainable is None else row.trainable
    assert layer.count_params() == row.params
    assert sum(w.size for w in layer.trainable_weights) == trainable
    assert sum(w.size for w in layer.non_trainable_weights) == row.params - trainable
    assert [id(w) for w in layer.weights] == [id(w) for w in layer.trainable_weights + layer.non_trainable_weights]
    lines = []
    assert model.summary(print_fn=lines.append) == row.params
    assert f"Total params: {row.params:,}" in lines[0] and f"Trainable params: {trainable:,}" in lines[0]
    assert f"{layer.name} ({type(layer).__name__})" in lines[0] and str(layer.output_shape) in lines[0]


@pytest.mark.parametrize("name", list(ROWS))
def test_input_shape_builds_the_layer_when_made(name):
    row = ROWS[name]
    layer = row.make()
    if "input_shape" not in inspect.signature(type(layer).__init__).parameters:
        assert layer.takes_several                          # merge layers learn their shapes from their inputs
        return
    made = type(layer)(**{**layer.get_config(), "name": None, "input_shape": row.shape})
    assert made.built and made.count_params() == row.params
    assert made.output_shape == (None,) + tuple(layer.compute_output_shape(row.shape))


# ------------------------------------------------------------------ one layer's own checks
def test_every_weight_is_declared_through_add_weight():
    """add_weight is the one place a weight is born: the only Parameter(...) call in layers.py is its own."""
    import ast
    tree = ast.parse(inspect.getsource(layers))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Parameter"]
    add_weight = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "add_weight")
    assert len(calls) == 1 and calls[0] in list(ast.walk(add_weight))


def test_add_weight_names_initializes_and_respects_the_files_budget():
    class Scale(layers.Layer):
        def build(self, input_shape):
            super().build(input_shape)
            self.scale = self.add_weight("scale", input_shape[-1:], "ones")
            self.count = self.add_weight("count", (), "zeros", trainable=False, dtype=np.float64)

        def forward(self, x):
            return x * self.scale

    layer = Scale(input_shape=(3,), name="scaler")
    assert layer.built and layer.scale.name == "scale"
    assert layer.scale.scope == "scaler" and layer.scale.dtype == np.float32 and layer.scale.trainable
    assert layer.count.dtype == np.float64 and not layer.count.trainable
    assert [w.shape for w in layer.weights] == [(3,), ()]
    with layers.weight_budget(3):
        Scale(input_shape=(2,))                                # 2 + 1 weights: just fits
    with pytest.raises(ValueError, match="asks for 4 weights for 'scale' \\(4,\\), more than the 3"):
        with layers.weight_budget(3):
            Scale(input_shape=(4,))
    Scale(input_shape=(100,))                                  # outside a load, no budget


def test_integer_inputs_stay_integers_only_for_layers_that_take_ids():
    x = np.arange(6).reshape(2, 3)
    assert layers.Dense(2)(x).dtype == np.float32               # cast: a Dense computes in float32
    assert layers.Flatten()(x.astype(np.float64)).dtype == np.float32

    class Ids(layers.Layer):
        takes_integers = True

        def forward(self, x):
            return x

    assert Ids()(x).dtype == x.dtype                            # an Embedding will see its ids


def test_embedding_gathers_rows_and_its_gradient_adds_repeated_ids():
    layer = layers.Embedding(4, 2, input_shape=(3,))
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    layer.set_weights([table])
    ids = np.array([[1, 1, 3], [0, 1, 2]], dtype=np.int32)
    out = layer(ids)
    np.testing.assert_array_equal(out.numpy(), table[ids])
    out.sum().backward()
    np.testing.assert_array_equal(layer.embeddings.grad.numpy(), [[1, 1], [3, 3], [1, 1], [1, 1]])   # id 1 thrice
    np.testing.assert_array_equal(layer(ids.astype(np.float32)).numpy(), table[ids])     # float ids cast, as Keras
    with pytest.raises(ValueError, match="embedding.*ids must be in \\[0, 4\\).*from 0 to 4"):
        layer(np.array([[0, 4, 1]]))
    assert layers.get_mask(out) is None
    masked = layers.Embedding(4, 2, mask_zero=True)(ids)
    np.testing.assert_array_equal(layers.get_mask(masked), ids != 0)
    w = layers.Embedding(3, 5, input_shape=(2,)).embeddings.numpy()
    assert np.abs(w).max() <= 0.05 and w.std() > 0.01                  # Keras's "uniform": U(-0.05, 0.05)


def test_integer_sequences_of_any_length_through_a_functional_model_and_fit():
    inputs = nn.Input(shape=(None,), dtype="int32")
    outputs = layers.Dense(1)(layers.Embedding(10, 4)(inputs))
    model = nn.Model(inputs, outputs)
    assert model.input_shape == (None, None) and model.output_shape == (None, None, 1)
    for length in (3, 7):
        assert model(np.ones((2, length), dtype=np.int64)).shape == (2, length, 1)
    model.compile(optimizer="adam", loss="mse")
    ids = np.random.default_rng(0).integers(0, 10, (16, 5))
    history = model.fit(ids, np.ones((16, 5, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    clone = nn.Functional.from_config(model.get_config())
    assert clone.inputs[0].dtype == "int32" and clone.input_shape == (None, None)


def test_layers_take_keras_dtype_argument_for_their_weights_and_inputs():
    layer = layers.Embedding(5, 2, dtype="float64")
    assert layer(np.array([[1, 2]])).dtype == np.float64 and layer.embeddings.dtype == np.float64
    assert layers.Masking(dtype="float64")(np.ones((1, 2, 2))).dtype == np.float64
    with pytest.raises(ValueError, match="dtype must be a float type"):
        layers.Masking(dtype="int32")


def test_masking_zeroes_and_masks_the_steps_equal_to_mask_value():
    x = np.array([[[1.0, 0.0], [0.0, 0.0], [2.0, 3.0]]], dtype=np.float32)
    out = layers.Masking()(x)
    np.testing.assert_array_equal(layers.get_mask(out), [[True, False, True]])
    np.testing.assert_array_equal(out.numpy(), x)


def test_position_embedding_gives_rows_from_start_index_broadcast_over_the_batch():
    layer = layers.PositionEmbedding(5, input_shape=(3, 2))
    assert [w.name for w in layer.weights] == ["embeddings"] and layer.position_embeddings.shape == (5, 2)
    table = np.arange(10, dtype=np.float32).reshape(5, 2)
    layer.set_weights([table])
    x = np.random.default_rng(0).standard_normal((4, 3, 2)).astype(np.float32)
    out = layer(x)
    assert out.shape == x.shape and out.dtype == np.float32 and layers.get_mask(out) is None
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(table[:3], x.shape))     # the values of x unread
    np.testing.assert_array_equal(layer(np.zeros((1, 2, 2)), start_index=3).numpy(), table[None, 3:5])
    np.testing.assert_array_equal(layer(x[:, :1], start_index=np.int64(4)).numpy(),
                                  np.broadcast_to(table[4:], (4, 1, 2)))
    out.sum().backward()                       # each position's row gets the gradient of the whole batch
    np.testing.assert_array_equal(layer.position_embeddings.grad.numpy(), [[4, 4]] * 3 + [[0, 0]] * 2)
    with pytest.raises(ValueError, match="position_embedding.*6 steps is longer than its sequence_length of 5"):
        layer(np.zeros((1, 6, 2)))
    with pytest.raises(ValueError, match="3 steps from start_index 3 needs 6 positions, more than its "
                                         "sequence_length of 5"):
        layer(x, start_index=3)
    for bad in (-1, 1.5, True, [1]):
        with pytest.raises(ValueError, match="start_index must be a non-negative integer"):
            layer(x, start_index=bad)
    with pytest.raises(ValueError, match="longer than its sequence_length of 4"):
        layers.PositionEmbedding(4, input_shape=(7, 2))
    with pytest.raises(ValueError, match="sequence_length must be a positive integer"):
        layers.PositionEmbedding(0)


def test_position_embedding_start_index_is_recorded_in_a_functional_model_and_saved(tmp_path):
    ids = nn.Input(shape=(None,), dtype="int32")
    tokens = layers.Embedding(9, 4)(ids)
    model = nn.Model(ids, layers.Add()([tokens, layers.PositionEmbedding(8)(tokens, start_index=2)]))
    data = np.random.default_rng(1).integers(0, 9, (3, 5)).astype(np.int32)
    table, positions = model.layers[0].embeddings.numpy(), model.layers[1].position_embeddings.numpy()
    np.testing.assert_allclose(model(data).numpy(), table[data] + positions[2:7], rtol=1e-6)
    model.save(str(tmp_path / "m.keras"))
    loaded = models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_array_equal(loaded(data).numpy(), model(data).numpy())
    with pytest.raises(ValueError, match="7 steps from start_index 2 needs 9 positions"):
        loaded(np.ones((1, 7), np.int32))


def test_layer_weights_get_and_set_as_keras():
    layer = layers.Dense(2)
    assert layer.weights == [] and layer.get_weights() == [] and not layer.built
    with pytest.raises(AttributeError, match="not built yet"):
        layer.output_shape
    layer.build((3,))
    assert [w.shape for w in layer.get_weights()] == [(3, 2), (2,)] and layer.count_params() == 8
    with pytest.raises(ValueError, match="dense.* has 2 weight arrays, got 1"):
        layer.set_weights([np.zeros((3, 2))])
    layer.set_weights([np.ones((3, 2)), np.full(2, 0.5)])
    np.testing.assert_array_equal(layer(np.ones((1, 3))).numpy(), [[3.5, 3.5]])


def test_dense_kernel_gradients_for_each_activation():
    rng = np.random.default_rng(1)
    for activation in ["linear", "relu", "sigmoid", "tanh", "softmax"]:
        layer = layers.Dense(3, activation=activation, input_shape=(4,))

        def run(x, kernel, bias):
            layer.kernel, layer.bias = kernel, bias
            return layer(x)

        x = rng.standard_normal((5, 4)) + 0.05         # keep relu away from exact zeros
        ad.gradcheck(run, [x, rng.standard_normal((4, 3)), rng.standard_normal(3)])


def test_dropout_masks_are_new_each_call_reproducible_from_the_seed_and_off_in_inference():
    drop = layers.Dropout(0.5, seed=3)
    ones = np.ones((200, 50), dtype=np.float32)
    out = drop(ones).data
    assert set(np.unique(out)) == {0.0, 2.0} and 0.4 < (out == 0).mean() < 0.6
    assert not np.array_equal(drop(ones).data, out)          # a new mask on every call
    np.testing.assert_array_equal(layers.Dropout(0.5, seed=3)(ones).data, out)   # reproducible from the seed
    drop.eval()
    np.testing.assert_array_equal(drop(ones).data, ones)


def test_batch_normalization_uses_batch_statistics_in_training_and_moving_ones_in_inference():
    nn.set_seed(0)
    model = models.Sequential([layers.Reshape((4, 4, 1), input_shape=(16,)), layers.ZeroPadding2D(1),
                               layers.Conv2D(3, 3, padding="same", activation="relu"), layers.BatchNormalization(),
                               layers.AveragePooling2D(), layers.GlobalAveragePooling2D()])
    lines = []
    model.summary(print_fn=lines.append)
    assert "(None, 6, 6, 1)" in lines[0] and "(None, 3, 3, 3)" in lines[0] and "Non-trainable params: 6" in lines[0]
    bn = model.layers[3]
    x = np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32) * 3 + 1
    model.train()
    features = model.layers[2](model.layers[1](model.layers[0](x)))
    normalised = bn(features).data
    np.testing.assert_allclose(normalised.mean(axis=(0, 1, 2)), 0, atol=1e-5)         # the batch's statistics
    batch_mean = features.data.mean(axis=(0, 1, 2))
    np.testing.assert_allclose(bn.moving_mean.data, 0.01 * batch_mean, rtol=1e-5)      # momentum 0.99
    model.eval()
    inference = bn(features).data                                                       # the moving statistics
    expected = (features.data - bn.moving_mean.data) / np.sqrt(bn.moving_variance.data + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-5, atol=1e-5)
    ad.gradcheck(lambda t: layers.BatchNormalization(input_shape=(3,))(t), [x[:, :3].astype(np.float64)])


def test_layers_record_their_ops_in_a_name_scope():
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
                               layers.Dense(2, name="out")])
    y = model(np.ones((2, 3), dtype=np.float32))
    assert y.grad_fn.scope == "out"
    assert model.layers[0].kernel.scope == "hidden"
    assert "cluster_hidden" in ad.draw_graph(y).source
