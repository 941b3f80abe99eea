"""Rosenblatt's perceptron, as the tutorial teaches it, trained through nn.

One Dense(1) unit with a step activation and zero initial weights, SGD with
learning rate 0.1, batch size 1, no shuffling, 10 passes: exactly the classic
rule  w += rate * (label - output) * x.  Then OR and NAND, then XOR, which a
single perceptron cannot learn and a small sigmoid network can.

    python examples/perceptron.py
"""
import argparse

import numpy as np

import nn
from nn import layers, models, optimizers

INPUTS = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=np.float32)
GATES = {
    "AND": np.array([1, 0, 0, 0], dtype=np.float32),
    "OR": np.array([1, 1, 1, 0], dtype=np.float32),
    "NAND": np.array([0, 1, 1, 1], dtype=np.float32),
    "XOR": np.array([0, 1, 1, 0], dtype=np.float32),
}


def classic_perceptron(inputs, labels, rate=0.1, epochs=10):
    """The rule from 1958, written out by hand: the reference the nn route must match."""
    w, b = np.zeros(inputs.shape[1]), 0.0
    for _ in range(epochs):
        for x, label in zip(inputs, labels):
            output = 1.0 if x @ w + b > 0 else 0.0
            w = w + rate * (label - output) * x
            b = b + rate * (label - output)
    return w, b


def nn_perceptron(inputs, labels, rate=0.1, epochs=10):
    """The same perceptron as a Keras-style model: step activation, SGD, batch size 1."""
    model = models.Sequential([layers.Dense(1, activation="step", kernel_initializer="zeros",
                                            bias_initializer="zeros", input_shape=(inputs.shape[1],))])
    model.compile(optimizer=optimizers.SGD(learning_rate=rate), loss="half_squared_error",
                  metrics=["binary_accuracy"])
    model.fit(inputs, labels, batch_size=1, epochs=epochs, shuffle=False, verbose=0)
    return model


def xor_network(seed=0):
    """Two sigmoid layers learn what one threshold unit cannot."""
    nn.set_seed(seed)
    model = models.Sequential([layers.Dense(4, activation="sigmoid", input_shape=(2,)),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss="binary_crossentropy",
                  metrics=["binary_accuracy"])
    model.fit(INPUTS, GATES["XOR"], batch_size=4, epochs=300, verbose=0)
    return model


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    for gate in ("AND", "OR", "NAND", "XOR"):
        labels = GATES[gate]
        model = nn_perceptron(INPUTS, labels)
        dense = model.layers[0]
        outputs = model.predict(INPUTS, verbose=0).reshape(-1)
        print(f"{gate}: weights {[round(float(v), 4) for v in dense.kernel.data.reshape(-1)]}, "
              f"bias {round(float(dense.bias.data[0]), 4)}")
        for x, label, out in zip(INPUTS.astype(int), labels.astype(int), outputs.astype(int)):
            print(f"  {x[0]} {x[1]} -> {out}   (want {label})")
        correct = int((outputs == labels).sum())
        print(f"  {correct}/4 correct" + ("" if correct == 4 else ": no line separates XOR's ones from its zeros"))
    model = xor_network()
    predictions = model.predict(INPUTS, verbose=0).reshape(-1)
    print("XOR with a 2-4-1 sigmoid network:",
          ", ".join(f"{a}{b} -> {p:.3f}" for (a, b), p in zip(INPUTS.astype(int), predictions)))


if __name__ == "__main__":
    main()
