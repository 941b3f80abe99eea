"""Write tests/data/keras_attention_reference.json: Keras 3's own outputs of LayerNormalization and
MultiHeadAttention for given inputs and weights.

Run with Keras 3 installed (any backend), e.g.
    KERAS_BACKEND=torch python scripts/keras_attention_reference.py
The tests (tests/test_attention.py) read the file and need no Keras; inputs and weights (in the
layers' get_weights() order) are written beside the outputs.
"""
import json
import os

import numpy as np


def numbers(x):
    import keras
    return np.asarray(keras.ops.convert_to_numpy(x)).tolist()


def main():
    import keras
    from keras import layers

    rng = np.random.default_rng(25)
    ref = {"keras": keras.__version__, "cases": []}

    def case(name, layer, inputs, options, call=None):
        layer(*inputs, **options) if call is None else call()          # built
        weights = [rng.uniform(-1, 1, tuple(w.shape)).astype(np.float32) for w in layer.weights]
        layer.set_weights(weights)
        out = layer(*inputs, **options)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        ref["cases"].append({"name": name, "config": {k: v for k, v in layer.get_config().items()
                                                      if k in ("axis", "epsilon", "center", "scale", "num_heads",
                                                               "key_dim", "value_dim", "use_bias", "output_shape")},
                             "inputs": [numbers(x) for x in inputs], "options": {k: numbers(v) if hasattr(v, "shape")
                                                                                 else v for k, v in options.items()},
                             "weights": [w.tolist() for w in weights], "weight_paths": [w.path for w in layer.weights],
                             "outputs": [numbers(o) for o in outs]})

    x = rng.standard_normal((3, 5, 6)).astype(np.float32) * 2 + 1
    case("layer_norm", layers.LayerNormalization(), [x], {})
    case("layer_norm_epsilon_no_center", layers.LayerNormalization(epsilon=0.1, center=False), [x], {})
    q = rng.standard_normal((2, 4, 6)).astype(np.float32)
    v = rng.standard_normal((2, 5, 3)).astype(np.float32)
    k = rng.standard_normal((2, 5, 7)).astype(np.float32)
    case("mha_self_causal_scores", layers.MultiHeadAttention(2, 3), [q, q],
         {"use_causal_mask": True, "return_attention_scores": True})
    case("mha_cross_value_dim_output_shape", layers.MultiHeadAttention(3, 2, value_dim=4, output_shape=5), [q, v], {})
    mask = rng.random((2, 4, 5)) > 0.4
    mask[0, 1] = False                                    # a query with nothing to attend to
    case("mha_key_mask_no_bias", layers.MultiHeadAttention(2, 4, use_bias=False), [q, v, k],
         {"attention_mask": mask, "return_attention_scores": True})
    ref["masked"] = masked_cases()
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data",
                        "keras_attention_reference.json")
    with open(path, "w") as f:
        json.dump(ref, f)
    print(f"wrote {path}: Keras {keras.__version__}, {len(ref['cases'])} cases, {len(ref['masked'])} masked ones")


def masked_cases():
    """Keras's masks reaching MultiHeadAttention: Embedding(mask_zero=True) outputs as query, value
    (and key), their masks ANDed into the attention mask.  For each case: the ids, the embeddings'
    and the attention layer's weights, and Keras's outputs from two routes that differ only where a
    query has nothing to attend to: ``output`` (the plain call, which runs the backend's fused
    attention: there such a query's scores are all equal, so it averages every value) and
    ``scores_output`` with ``scores`` (return_attention_scores=True, through the masked Softmax
    layer: such a query's weights are 0, so its output is the output bias).  ``output_mask`` is the
    mask the output carries (the query's).  Self-attention cases run as a functional model
    (Input -> Embedding -> MHA); the cross-attention case on arrays, with an attention_mask too."""
    import keras
    from keras import layers

    rng = np.random.default_rng(2525)
    cases = []

    def case(name, mha_args, ids, vocab=10, features=6, options=None, functional=True):
        options = dict(options or {})
        embeddings = [layers.Embedding(vocab, features, mask_zero=True) for _ in ids]
        mha = layers.MultiHeadAttention(**mha_args)
        if functional:                                  # one Input -> Embedding -> mha(x, x)
            inp = keras.Input(shape=(None,), dtype="int32")
            x = embeddings[0](inp)
            model = keras.Model(inp, mha(x, x, **options))
        else:
            mha(*[e(i) for e, i in zip(embeddings, ids)], **options)       # built
        weights = {"embeddings": [], "mha": []}
        for e in embeddings:
            e.set_weights([rng.uniform(-1, 1, (vocab, features)).astype(np.float32)])
            weights["embeddings"].append(e.get_weights()[0].tolist())
        mha.set_weights([rng.uniform(-1, 1, tuple(w.shape)).astype(np.float32) for w in mha.weights])
        weights["mha"] = [w.tolist() for w in mha.get_weights()]
        def embedded():       # new tensors each call: Keras's mha takes the masks off the tensors it reads
            xs = [e(i) for e, i in zip(embeddings, ids)]
            return xs * 2 if len(xs) == 1 else xs             # self-attention: mha(x, x)

        out = model(ids[0]) if functional else mha(*embedded(), **options)
        scores_out, scores = mha(*embedded(), return_attention_scores=True, **options)
        cases.append({"name": name, "functional": functional, "mha": mha_args,
                      "options": {k: numbers(v) if hasattr(v, "shape") else v for k, v in options.items()},
                      "ids": [i.tolist() for i in ids], "weights": weights,
                      "output": numbers(out), "output_mask": numbers(out._keras_mask),
                      "scores_output": numbers(scores_out), "scores": numbers(scores)})

    ids = np.array([[3, 1, 4, 1, 0, 0], [0, 0, 0, 0, 0, 0], [2, 7, 0, 8, 2, 8]], np.int32)   # padding, all, a gap
    case("self_attention_mask_zero", {"num_heads": 2, "key_dim": 4}, [ids])
    leading = np.array([[0, 0, 5, 9, 2, 6], [5, 3, 5, 0, 0, 0]], np.int32)    # causal: the first steps see nothing
    case("causal_self_attention_mask_zero", {"num_heads": 3, "key_dim": 2}, [leading],
         options={"use_causal_mask": True})
    query = np.array([[1, 2, 3, 0], [0, 4, 4, 4]], np.int32)
    value = np.array([[5, 6, 0, 7, 8], [9, 9, 9, 9, 0]], np.int32)
    key = np.array([[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], np.int32)
    attention_mask = rng.random((2, 4, 5)) > 0.3
    case("cross_attention_query_value_key_masks", {"num_heads": 2, "key_dim": 3, "value_dim": 2, "output_shape": 5},
         [query, value, key], functional=False, options={"attention_mask": attention_mask})
    return cases


if __name__ == "__main__":
    main()
