"""Write tests/data/keras_reference.json: Keras 3's own numbers for nn's activations and loss reductions.

Run with Keras 3 installed (any backend), e.g.
    KERAS_BACKEND=torch python scripts/keras_reference.py
The tests (tests/test_keras_numbers.py) read the file and need no Keras; the
inputs are written beside the outputs, so the file says what was computed.
"""
import json
import os

import numpy as np


def main():
    import keras
    from keras import activations, losses

    x = np.linspace(-6.0, 6.0, 25).astype(np.float32).reshape(5, 5)
    ref = {"keras": keras.__version__, "x": x.tolist(), "activations": {}, "losses": []}
    for name in ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu", "selu", "celu", "gelu",
                 "silu", "swish", "softplus", "softsign", "mish", "relu6", "hard_sigmoid", "hard_silu", "hard_swish",
                 "hard_tanh", "log_sigmoid", "exponential", "tanh_shrink", "squareplus", "linear"]:
        ref["activations"][name] = keras.ops.convert_to_numpy(activations.get(name)(x)).tolist()
    ref["gelu_tanh"] = keras.ops.convert_to_numpy(activations.gelu(x, approximate=True)).tolist()
    ref["glu"] = keras.ops.convert_to_numpy(activations.glu(x[:, :4])).tolist()

    rng = np.random.default_rng(21)
    logits = rng.standard_normal((6, 4)).astype(np.float32) * 3
    labels = rng.integers(0, 4, 6)
    one_hot = np.eye(4, dtype=np.float32)[labels]
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    binary = rng.integers(0, 2, (6, 3)).astype(np.float32)
    z = rng.standard_normal((6, 3)).astype(np.float32) * 2
    targets = rng.random((6, 3)).astype(np.float32)
    predictions = rng.random((6, 3)).astype(np.float32) + 0.05
    weights = np.array([1.0, 0.0, 2.0, 0.5, 3.0, 1.0], np.float32)
    cases = {
        "CategoricalCrossentropy": ({"from_logits": True}, one_hot, logits),
        "CategoricalCrossentropy/probabilities": ({}, one_hot, probabilities),
        "SparseCategoricalCrossentropy": ({"from_logits": True}, labels, logits),
        "BinaryCrossentropy": ({"from_logits": True}, binary, z),
        "MeanSquaredError": ({}, targets, predictions),
        "MeanAbsoluteError": ({}, targets, predictions),
        "MeanAbsolutePercentageError": ({}, targets, predictions),
        "Huber": ({}, targets, predictions),
        "KLDivergence": ({}, targets, predictions),
        "Hinge": ({}, binary, z),
    }
    ref["sample_weight"] = weights.tolist()
    ref["cases"] = {case: {"class": case.split("/")[0], "options": options, "y_true": np.asarray(y_true).tolist(),
                           "y_pred": np.asarray(y_pred).tolist()} for case, (options, y_true, y_pred) in cases.items()}
    for case, (options, y_true, y_pred) in cases.items():
        for reduction in ["sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"]:
            for weighted in (False, True):
                loss = getattr(losses, case.split("/")[0])(reduction=reduction, **options)
                value = loss(y_true, y_pred, sample_weight=weights if weighted else None)
                ref["losses"].append({"case": case, "reduction": reduction, "weighted": weighted,
                                      "value": np.asarray(keras.ops.convert_to_numpy(value)).tolist()})
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data",
                        "keras_reference.json")
    with open(path, "w") as f:
        json.dump(ref, f)
    print(f"wrote {path}: Keras {keras.__version__}, {len(ref['activations'])} activations, {len(ref['losses'])} losses")


if __name__ == "__main__":
    main()
