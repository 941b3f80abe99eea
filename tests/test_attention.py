"""Attention and the layers of sequence models around it: ad.scaled_dot_product_attention (against a
direct NumPy transcription, gradients first and second order in float64, fully masked rows),
LayerNormalization and MultiHeadAttention against Keras 3's own numbers (tests/data/
keras_attention_reference.json, written by scripts/keras_attention_reference.py), MultiHeadAttention
in functional models, and Conv1D's causal padding.  The layer table (tests/test_layers.py) checks
every layer's shapes, gradients, configuration, saving and parameter counts.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import layers, models

REF = json.loads((Path(__file__).parent / "data" / "keras_attention_reference.json").read_text())
CASES = {case["name"]: case for case in REF["cases"]}


def numpy_attention(q, k, v, mask=None, scale=None):
    """softmax(q k^T * scale) v with masked keys left out; a row with no key allowed gives 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None and mask.dtype != bool:
        scores = scores + mask
        mask = None
    allowed = np.ones(scores.shape, bool) if mask is None else np.broadcast_to(mask, scores.shape)
    e = np.where(allowed, np.exp(scores - np.where(allowed, scores, -np.inf).max(-1, keepdims=True,
                                                                                   initial=-np.inf)), 0)
    with np.errstate(invalid="ignore"):
        weights = np.nan_to_num(e / e.sum(-1, keepdims=True))
    return weights @ v


SHAPES = [((4, 3), (5, 3), (5, 2)),                       # no batch axis
          ((2, 4, 3), (2, 6, 3), (2, 6, 5)),
          ((2, 3, 4, 3), (1, 3, 5, 3), (2, 1, 5, 2))]      # batch axes broadcast


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("masking", ["none", "causal", "boolean", "float", "scale"])
def test_sdpa_values_and_gradients_first_and_second_order(shapes, masking):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in shapes)
    length, source = shapes[0][-2], shapes[1][-2]
    options, mask = {}, None
    if masking == "causal":
        options, mask = {"is_causal": True}, np.tril(np.ones((length, source), bool))
    elif masking == "boolean":
        mask = rng.random((length, source)) > 0.4
        mask[1] = False                                   # a query with nothing to attend to
        options = {"attn_mask": mask}
    elif masking == "float":
        mask = rng.standard_normal((length, source))
        options = {"attn_mask": mask}
    elif masking == "scale":
        options = {"scale": 0.7}
    out = ad.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v), **options)
    assert out.dtype == np.float64 and out.shape == np.broadcast_shapes(q.shape[:-1], v.shape[:-2] + (1,))[:-1] + (
        length, v.shape[-1])
    np.testing.assert_allclose(out.numpy(), numpy_attention(q, k, v, mask, options.get("scale")), rtol=1e-12,
                               atol=1e-12)

    def f(q, k, v):
        return ad.scaled_dot_product_attention(q, k, v, **options)

    ad.gradcheck(f, [q, k, v])
    ad.gradgradcheck(f, [q, k, v])


def test_sdpa_fully_masked_rows_give_zero_output_and_zero_gradient_never_nan():
    rng = np.random.default_rng(1)
    q, k, v = (ad.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
               for s in [(2, 3, 4), (2, 5, 4), (2, 5, 6)])
    mask = np.ones((3, 5), bool)
    mask[2] = False
    out = ad.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert out.dtype == np.float32 and np.all(np.isfinite(out.numpy()))
    np.testing.assert_array_equal(out.numpy()[:, 2], 0)
    (out * ad.tensor(rng.standard_normal(out.shape).astype(np.float32))).sum().backward()
    for t in (q, k, v):
        assert t.grad.dtype == np.float32 and np.all(np.isfinite(t.grad.numpy()))
    np.testing.assert_array_equal(q.grad.numpy()[:, 2], 0)           # the masked query's gradient
    # A key no query may attend to gets no gradient either.
    mask = np.ones((3, 5), bool)
    mask[:, 4] = False
    k.grad = v.grad = None
    ad.scaled_dot_product_attention(q, k, v, attn_mask=ad.tensor(mask)).sum().backward()
    np.testing.assert_array_equal(k.grad.numpy()[:, 4], 0)
    np.testing.assert_array_equal(v.grad.numpy()[:, 4], 0)


def test_sdpa_float32_stays_float32_and_causal_ignores_the_future():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 6, 4)).astype(np.float32)
    out = ad.scaled_dot_product_attention(ad.tensor(x), ad.tensor(x), ad.tensor(x), is_causal=True).numpy()
    later = x.copy()
    later[:, 4:] += 10
    changed = ad.scaled_dot_product_attention(ad.tensor(later), ad.tensor(later), ad.tensor(later),
                                              is_causal=True).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(changed[:, :4], out[:, :4], rtol=1e-6, atol=1e-6)
    assert not np.allclose(changed[:, 4:], out[:, 4:])


def test_sdpa_dropout_drops_weights_and_rescales_the_rest():
    rng = np.random.default_rng(3)
    q, k, v = (ad.tensor(rng.standard_normal((8, 6, 4))) for _ in range(3))
    ad.seed(0)
    _, plain = ad.scaled_dot_product_attention(q, k, v, return_weights=True)
    _, dropped = ad.scaled_dot_product_attention(q, k, v, dropout_p=0.5, return_weights=True)
    kept = dropped.numpy() != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(dropped.numpy()[kept], plain.numpy()[kept] * 2, rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda q: ad.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True),
     "not both"),
    (lambda q: ad.scaled_dot_product_attention(q, q[..., :2], q), "same last size"),
    (lambda q: ad.scaled_dot_product_attention(q, q, q[:, :2]), "same length"),
    (lambda q: ad.scaled_dot_product_attention(q, q, q, dropout_p=1.0), "dropout_p"),
])
def test_sdpa_refuses_what_does_not_fit_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call(ad.tensor(np.ones((2, 3, 4))))


# ------------------------------------------------------------------ against Keras 3's numbers
def _keras_layer(case):
    config = dict(case["config"])
    if case["name"].startswith("layer_norm"):
        config["axis"] = config["axis"][0]
        return layers.LayerNormalization(**config)
    config["output_shape"] = config["output_shape"][0] if config["output_shape"] else None
    return layers.MultiHeadAttention(**config)


@pytest.mark.parametrize("name", list(CASES))
def test_forward_equals_keras_with_the_same_weights(name):
    case = CASES[name]
    layer = _keras_layer(case)
    inputs = [np.asarray(x, np.float32) for x in case["inputs"]]
    options = dict(case["options"])
    if "attention_mask" in options:
        options["attention_mask"] = np.asarray(options["attention_mask"], bool)
    layer(*inputs, **options)
    assert [w.name for w in layer.weights] == [path.split("/", 1)[1] for path in case["weight_paths"]]   # Keras's
    layer.set_weights([np.asarray(w, np.float32) for w in case["weights"]])
    outs = layer(*inputs, **options)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    assert len(outs) == len(case["outputs"])
    for out, expected in zip(outs, case["outputs"]):
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_multi_head_attention_parameter_count_is_keras():
    mha = layers.MultiHeadAttention(num_heads=4, key_dim=16)
    mha(np.zeros((1, 10, 64), np.float32), np.zeros((1, 10, 64), np.float32))
    assert mha.count_params() == 3 * (64 * 4 * 16 + 4 * 16) + 4 * 16 * 64 + 64       # Keras: 16,640
    assert [tuple(w.shape) for w in mha.weights] == [(64, 4, 16), (4, 16)] * 3 + [(4, 16, 64), (64,)]


# ------------------------------------------------------------------ Keras's masks reaching attention
MASKED = {case["name"]: case for case in REF["masked"]}


def _masked_case(case, functional):
    """The case's Embedding(mask_zero=True) layers and MultiHeadAttention with Keras's weights, and a
    function of the ids giving the attention's output: a functional model (Input -> Embedding -> mha(x, x))
    or the layers called on arrays."""
    embeddings = [layers.Embedding(len(w), len(w[0]), mask_zero=True) for w in case["weights"]["embeddings"]]
    mha = layers.MultiHeadAttention(**case["mha"])
    options = dict(case["options"])
    if "attention_mask" in options:
        options["attention_mask"] = np.asarray(options["attention_mask"], bool)
    if functional:
        ids = nn.Input(shape=(None,), dtype="int32")
        x = embeddings[0](ids)
        model = nn.Model(ids, mha(x, x, **options))

        def run(ids, **extra):
            return model(ids[0]) if not extra else mha(*[embeddings[0](ids[0])] * 2, **options, **extra)
    else:
        def run(ids, **extra):
            xs = [e(i) for e, i in zip(embeddings, ids)]
            return mha(*(xs * 2 if len(xs) == 1 else xs), **options, **extra)
    ids = [np.asarray(i, np.int32) for i in case["ids"]]
    run(ids)                                                    # built
    for layer, w in zip(embeddings, case["weights"]["embeddings"]):
        layer.set_weights([np.asarray(w, np.float32)])
    mha.set_weights([np.asarray(w, np.float32) for w in case["weights"]["mha"]])
    return ids, mha, run


def _attends(case, ids):
    """(batch, T): whether each query step has a key it may attend to, from the ids' padding (0), the
    causal mask and the attention mask."""
    query, value = ids[0] != 0, ids[min(1, len(ids) - 1)] != 0
    allowed = query[:, :, None] & value[:, None, :]
    if len(ids) == 3:
        allowed &= (ids[2] != 0)[:, None, :]
    if case["options"].get("use_causal_mask"):
        allowed &= np.tri(query.shape[1], value.shape[1], dtype=bool)
    if "attention_mask" in case["options"]:
        allowed &= np.asarray(case["options"]["attention_mask"], bool)
    return allowed.any(-1)


@pytest.mark.parametrize("name, functional", [(name, False) for name in MASKED] +
                         [(name, True) for name, case in MASKED.items() if case["functional"]])   # not attention_mask
def test_masks_of_embedding_mask_zero_reach_attention_with_kerass_numbers(name, functional):
    """Keras 3 builds the attention mask from the inputs' masks (query (batch, T) -> (batch, T, 1), value
    and key (batch, S) -> (batch, 1, S), ANDed with attention_mask and the causal mask); the output carries
    the query's mask.  Where a query has nothing to attend to, Keras's two routes differ: its masked
    Softmax (return_attention_scores=True) gives weights 0 and so the output bias, which nn gives
    always; its plain call runs torch's fused attention, where that query averages every value.
    Everywhere else the two agree, and nn agrees with both."""
    case = MASKED[name]
    ids, mha, run = _masked_case(case, functional)
    out = run(ids)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(layers.get_mask(out), np.asarray(case["output_mask"], bool))
    np.testing.assert_allclose(out.numpy(), np.asarray(case["scores_output"]), rtol=1e-5, atol=1e-5)
    attends = _attends(case, ids)
    assert attends.any() and not attends.all()                 # the case has rows of both kinds
    np.testing.assert_allclose(out.numpy()[attends], np.asarray(case["output"])[attends], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out.numpy()[~attends], np.broadcast_to(mha.output_bias.numpy(),
                                                                        out.numpy()[~attends].shape))
    scored, scores = run(ids, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy(), np.asarray(case["scores"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(scored.numpy(), out.numpy())
    np.testing.assert_array_equal(scores.numpy().sum(-1)[:, 0] == 0, ~attends)
    out.sum().backward()                                       # nothing to attend to is no NaN
    assert all(np.isfinite(p.grad.numpy()).all() for p in mha.parameters())


def test_attention_masks_given_to_the_call_and_their_gradients_in_float64():
    """query_mask, value_mask and key_mask as call arguments (Keras's), taking the place of the inputs' own;
    a fully masked query row keeps gradients finite: gradcheck through masked attention in float64."""
    rng = np.random.default_rng(7)
    query, value = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 2))
    query_mask = np.array([[True, False, True], [False, False, False]])
    value_mask = np.array([[True, True, False, True, False], [True, False, True, True, True]])
    key_mask = np.array([[True, True, True, False, True], [True, True, True, True, False]])
    mha = layers.MultiHeadAttention(2, 3, dtype="float64")
    out, scores = mha(query, value, value, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                      return_attention_scores=True)
    allowed = query_mask[:, None, :, None] & value_mask[:, None, None] & key_mask[:, None, None]
    assert np.all(scores.numpy()[~np.broadcast_to(allowed, scores.shape)] == 0)
    np.testing.assert_allclose(scores.numpy().sum(-1), np.broadcast_to(allowed.any(-1), (2, 2, 3)), rtol=1e-12)
    np.testing.assert_array_equal(layers.get_mask(out), query_mask)
    masked_value = layers.set_mask(ad.tensor(value), value_mask)           # the value's own mask is read...
    np.testing.assert_array_equal(mha(query, masked_value, query_mask=query_mask, key_mask=key_mask).numpy(),
                                  out.numpy())
    np.testing.assert_array_equal(mha(query, masked_value, value_mask=np.ones((2, 5), bool), query_mask=query_mask,
                                      key_mask=key_mask).numpy(),            # ...unless one is given
                                  mha(query, value, query_mask=query_mask, key_mask=key_mask).numpy())
    ad.gradcheck(lambda q, v: mha(q, v, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask),
                 [query, value])
    with pytest.raises(ValueError, match="value_mask must have shape \\(batch, steps\\) = \\(2, 5\\), got \\(2, 3\\)"):
        mha(query, value, value_mask=np.ones((2, 3), bool))


def test_masked_attention_in_a_functional_model_trains_and_saves(tmp_path):
    """Input(shape=(None,), int32) -> Embedding(mask_zero=True) -> mha(x, x) -> LSTM: the padding reaches
    the attention and, through the output's mask, the LSTM; padded steps change nothing."""
    ids = nn.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(12, 8, mask_zero=True)(ids)
    model = nn.Model(ids, layers.Dense(1)(layers.LSTM(4)(layers.MultiHeadAttention(2, 4)(x, x))))
    data = np.random.default_rng(8).integers(1, 12, (4, 5)).astype(np.int32)
    data[:2, 3:] = 0
    out = model(data).numpy()
    padded = np.concatenate([data, np.zeros((4, 3), np.int32)], axis=1)    # more padding: the same outputs
    np.testing.assert_allclose(model(padded).numpy(), out, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(data, np.ones((4, 1)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    model.save(str(tmp_path / "m.keras"))
    loaded = models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_array_equal(loaded(padded).numpy(), model(padded).numpy())


def test_padding_reaches_attention_through_token_plus_position_embeddings():
    """Add ANDs its inputs' masks (Keras's merge layers), so Embedding(mask_zero=True) + PositionEmbedding
    keeps the padding: the attention ignores padded keys and its output carries the mask."""
    ids = nn.Input(shape=(None,), dtype="int32")
    tokens = layers.Embedding(10, 8, mask_zero=True)(ids)
    x = layers.Add()([tokens, layers.PositionEmbedding(12)(tokens)])
    model = nn.Model(ids, layers.MultiHeadAttention(2, 4)(x, x))
    data = np.array([[4, 2, 7, 0, 0], [3, 3, 3, 3, 1]], np.int32)
    out = model(data)
    np.testing.assert_array_equal(layers.get_mask(out), data != 0)
    longer = np.concatenate([data, np.zeros((2, 4), np.int32)], axis=1)
    np.testing.assert_allclose(model(longer).numpy()[:, :5][data != 0], out.numpy()[data != 0], rtol=1e-5, atol=1e-6)
    other = data.copy()
    other[0, 3:] = [5, 6]                                      # what stood at the padded steps is attended to now
    assert not np.allclose(model(other).numpy()[0, :3], out.numpy()[0, :3])
    a = layers.set_mask(ad.tensor(np.ones((1, 3, 2))), np.array([[True, True, False]]))
    b = ad.tensor(np.ones((1, 3, 2)))
    np.testing.assert_array_equal(layers.get_mask(layers.Add()([a, b])), [[True, True, False]])
    assert layers.get_mask(layers.Add()([b, b])) is None


def test_padding_reaches_every_block_of_a_pre_norm_encoder():
    """Dense, Activation, Dropout and LayerNormalization pass their input's mask on (Keras's supports_masking),
    so a stack of pre-norm blocks (LN -> attention -> Add, LN -> MLP -> Add) sees the padding in every block."""
    ids = nn.Input(shape=(None,), dtype="int32")
    tokens = layers.Embedding(10, 8, mask_zero=True)(ids)
    x = layers.Add()([tokens, layers.PositionEmbedding(12)(tokens)])
    for _ in range(2):
        h = layers.LayerNormalization()(x)
        x = layers.Add()([x, layers.MultiHeadAttention(2, 4)(h, h)])
        h = layers.Dense(16, activation="relu")(layers.LayerNormalization()(x))
        x = layers.Add()([x, layers.Dropout(0.1)(layers.Activation("tanh")(layers.Dense(8)(h)))])
    model = nn.Model(ids, x)
    data = np.array([[4, 2, 7, 0, 0, 0], [3, 3, 3, 3, 1, 9]], np.int32)
    out = model(data, training=False)
    np.testing.assert_array_equal(layers.get_mask(out), data != 0)
    np.testing.assert_array_equal(layers.get_mask(model(data, training=True)), data != 0)   # Dropout at work too
    longer = np.concatenate([data, np.zeros((2, 3), np.int32)], axis=1)
    np.testing.assert_allclose(model(longer, training=False).numpy()[:, :6][data != 0], out.numpy()[data != 0],
                               rtol=1e-5, atol=1e-5)
    mask = np.array([[True, False, True]])
    masked = layers.set_mask(ad.tensor(np.ones((1, 3, 4), np.float32)), mask)
    for layer in (layers.Dense(2), layers.Activation("tanh"), layers.Dropout(0.5), layers.LayerNormalization()):
        for training in (False, True):
            np.testing.assert_array_equal(layers.get_mask(layer(masked, training=training)), mask)
    assert layers.get_mask(layers.Flatten()(masked)) is None    # a layer that may change the steps drops it


# ------------------------------------------------------------------ in functional models
def test_causal_self_attention_in_a_functional_model_saves_and_loads_its_call(tmp_path):
    x = nn.Input(shape=(6, 8))
    h = layers.MultiHeadAttention(2, 4)(x, x, use_causal_mask=True)
    model = nn.Model(x, layers.LayerNormalization()(layers.Add()([x, h])))
    data = np.random.default_rng(4).standard_normal((3, 6, 8)).astype(np.float32)
    out = model(data).numpy()
    later = data.copy()
    later[:, 3:] += 5
    np.testing.assert_allclose(model(later).numpy()[:, :3], out[:, :3], rtol=1e-5, atol=1e-5)   # causal
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded(data).numpy(), out)             # use_causal_mask came back too
    np.testing.assert_allclose(loaded(later).numpy()[:, :3], out[:, :3], rtol=1e-5, atol=1e-5)


def test_cross_attention_of_two_inputs_in_a_functional_model_trains():
    query, value = nn.Input(shape=(4, 3)), nn.Input(shape=(7, 5))
    out = layers.MultiHeadAttention(2, 3, output_shape=2)(query, value)
    model = nn.Model([query, value], out)
    assert model(([np.ones((2, 4, 3)), np.ones((2, 7, 5))])).shape == (2, 4, 2)
    assert [type(layer).__name__ for layer in model.layers] == ["MultiHeadAttention"]
    q, v = ad.tensor(np.ones((2, 4, 3), np.float32)), ad.tensor(np.ones((2, 7, 5), np.float32))
    model([q, v]).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_multi_head_attention_refuses_what_it_cannot_record():
    x = nn.Input(shape=(4, 3))
    with pytest.raises(ValueError, match="attention_mask cannot be recorded"):
        layers.MultiHeadAttention(2, 3)(x, x, attention_mask=np.ones((1, 4, 4), bool))
    with pytest.raises(ValueError, match="query_mask cannot be recorded.*Embedding\\(mask_zero=True\\)"):
        layers.MultiHeadAttention(2, 3)(x, x, query_mask=np.ones((1, 4), bool))
    with pytest.raises(ValueError, match="return_attention_scores cannot be recorded"):
        layers.MultiHeadAttention(2, 3)(x, x, return_attention_scores=True)
    with pytest.raises(TypeError, match="mha\\(x, x\\)"):
        layers.MultiHeadAttention(2, 3)(np.ones((1, 4, 3)))


# ------------------------------------------------------------------ Conv1D
def test_conv1d_causal_is_a_left_padded_convolution_that_ignores_the_future():
    rng = np.random.default_rng(5)
    conv = layers.Conv1D(3, 3, padding="causal", dilation_rate=2)
    x = rng.standard_normal((2, 7, 2)).astype(np.float32)
    out = conv(x).numpy()
    kernel, bias = conv.get_weights()
    padded = np.pad(x, ((0, 0), (4, 0), (0, 0)))
    expected = sum(padded[:, 2 * i:2 * i + 7] @ kernel[i] for i in range(3)) + bias
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    later = x.copy()
    later[:, 5:] = 9
    np.testing.assert_array_equal(conv(later).numpy()[:, :5], out[:, :5])
