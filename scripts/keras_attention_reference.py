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
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data",
                        "keras_attention_reference.json")
    with open(path, "w") as f:
        json.dump(ref, f)
    print(f"wrote {path}: Keras {keras.__version__}, {len(ref['cases'])} cases")


if __name__ == "__main__":
    main()
