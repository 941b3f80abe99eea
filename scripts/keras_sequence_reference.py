"""Write tests/data/keras_sequences.json: Keras 3's own outputs of its recurrent layers.

Run with Keras 3 installed (any backend), e.g.
    KERAS_BACKEND=torch python scripts/keras_sequence_reference.py
The tests (tests/test_sequences.py) read the file and need no Keras.  Every case stores
its ids, the weights (in Keras's get_weights order) and the outputs, so that nn's layers
are given the same weights and compared number for number.
"""
import json
import os

import numpy as np

CASES = [   # (name, class, arguments); each runs on Embedding(6, 3, mask_zero=...) of the same ids
    ("lstm", "LSTM", {"units": 4, "return_sequences": True, "return_state": True}),
    ("lstm_masked", "LSTM", {"units": 4, "return_sequences": True, "return_state": True}),
    ("lstm_backwards_masked", "LSTM", {"units": 4, "return_sequences": True, "return_state": True,
                                       "go_backwards": True}),
    ("gru_masked", "GRU", {"units": 4, "return_sequences": True, "return_state": True}),
    ("gru_reset_before", "GRU", {"units": 4, "return_sequences": True, "reset_after": False}),
    ("simple_rnn_masked", "SimpleRNN", {"units": 4, "return_sequences": True, "return_state": True}),
    ("bidirectional_lstm_masked", "Bidirectional", {"units": 3, "return_sequences": True}),
    ("lstm_last_output", "LSTM", {"units": 4}),
]


def main():
    import keras
    from keras import layers

    rng = np.random.default_rng(25)
    ids = np.array([[1, 2, 3, 4, 5], [3, 1, 4, 0, 0], [0, 2, 5, 1, 0]], dtype=np.int32)   # padding at both ends
    ref = {"keras": keras.__version__, "ids": ids.tolist(), "cases": {},
           "counts": {"embedding_10000_32": None, "lstm_32": None}}
    for name, kind, args in CASES:
        masked = "masked" in name
        inputs = keras.Input(shape=(None,), dtype="int32")
        embedding = layers.Embedding(6, 3, mask_zero=masked)
        if kind == "Bidirectional":
            layer = layers.Bidirectional(layers.LSTM(**args))
        else:
            layer = getattr(layers, kind)(**args)
        outputs = layer(embedding(inputs))
        model = keras.Model(inputs, outputs)
        weights = [rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in model.get_weights()]
        model.set_weights(weights)
        out = model(ids)
        out = out if isinstance(out, (list, tuple)) else [out]
        ref["cases"][name] = {"class": kind, "arguments": args, "mask_zero": masked,
                              "weights": [w.tolist() for w in weights],
                              "outputs": [keras.ops.convert_to_numpy(o).tolist() for o in out]}
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), layers.Embedding(10000, 32), layers.LSTM(32)])
    ref["counts"] = {"embedding_10000_32": model.layers[0].count_params(), "lstm_32": model.layers[1].count_params()}
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data",
                        "keras_sequences.json")
    with open(path, "w") as f:
        json.dump(ref, f)
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
