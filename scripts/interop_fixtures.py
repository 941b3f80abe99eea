"""Write the weight files tests/test_weights_formats.py reads, made by real Keras 3 and PyTorch.

Run with Keras 3, h5py and PyTorch installed, e.g.
    KERAS_BACKEND=torch python scripts/interop_fixtures.py
It writes, under tests/data/:
    keras_sequential.weights.h5, keras_functional.weights.h5   Keras 3's model.save_weights
    keras_outputs.npz       the inputs and Keras's predictions for both models
    torch_state.safetensors a torch.nn.Sequential's state_dict, by safetensors.torch.save_file
    torch_outputs.npz       that network's input (NCHW) and output
    numpy.safetensors       a Dense model's weights under nn's names, by safetensors.numpy.save_file
                            (float64 and float16 tensors: nn converts them to its float32)
The tests need none of these packages.  The models are small and their weights random, the
BatchNormalization statistics included, so that every weight shows in the outputs.
"""
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data")


def randomize(model, rng):
    """Random weights (positive where a variance is expected), so that each one matters."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if "variance" in v.path
                           else rng.normal(0, 0.5, w.shape).astype(np.float32)
                           for w, v in zip(weights, layer.weights)])


def keras_models():
    """The two architectures tests/test_weights_formats.py builds again in nn."""
    import keras
    from keras import layers

    sequential = keras.Sequential([
        keras.Input((8, 8, 3)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(6, 3, padding="same", name="second_conv"),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(5, activation="tanh"),
        layers.Dense(3, name="logits"),
    ], name="convnet")
    inputs = keras.Input((6,))
    right = layers.Dense(4, name="right")(inputs)
    shallow = layers.Dense(4, activation="relu", name="shallow")(inputs)
    deep = layers.Dense(4)(shallow)
    # Keras numbers the layers' groups by depth (shallow: dense, deep: dense_1, right: dense_2), not in
    # the order a walk from the output meets them (right first)
    merged = layers.Concatenate()([right, layers.Add()([shallow, deep])])
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(5), layers.BatchNormalization()], name="block")
    outputs = layers.Dense(2, name="head")(inner(merged))
    functional = keras.Model(inputs, outputs, name="graph")
    return sequential, functional


def torch_model():
    import torch

    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(6, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))


def main():
    import keras
    import safetensors.numpy
    import safetensors.torch
    import torch

    rng = np.random.default_rng(23)
    sequential, functional = keras_models()
    randomize(sequential, rng)
    randomize(functional, rng)
    randomize(functional.get_layer("block"), rng)
    x_seq = rng.normal(size=(5, 8, 8, 3)).astype(np.float32)
    x_fun = rng.normal(size=(5, 6)).astype(np.float32)
    sequential.save_weights(os.path.join(DATA, "keras_sequential.weights.h5"))
    functional.save_weights(os.path.join(DATA, "keras_functional.weights.h5"))
    np.savez(os.path.join(DATA, "keras_outputs.npz"), keras=np.array(keras.__version__),
             x_sequential=x_seq, y_sequential=keras.ops.convert_to_numpy(sequential.predict(x_seq, verbose=0)),
             x_functional=x_fun, y_functional=keras.ops.convert_to_numpy(functional.predict(x_fun, verbose=0)))

    torch.manual_seed(23)
    net = torch_model()
    with torch.no_grad():               # moving statistics that are not the initial zeros and ones
        net[1].running_mean.normal_()
        net[1].running_var.uniform_(0.5, 1.5)
    net.eval()
    x = torch.randn(5, 3, 8, 8)
    with torch.no_grad():
        y = net(x)
    safetensors.torch.save_file(net.state_dict(), os.path.join(DATA, "torch_state.safetensors"))
    np.savez(os.path.join(DATA, "torch_outputs.npz"), torch=np.array(torch.__version__), x=x.numpy(), y=y.numpy())

    safetensors.numpy.save_file({"layers.0.kernel": rng.normal(size=(3, 4)),            # float64
                                 "layers.0.bias": rng.normal(size=4).astype(np.float16),
                                 "layers.1.kernel": rng.normal(size=(4, 2)).astype(np.float32),
                                 "layers.1.bias": np.array([1.5, -2.0], np.float32)},
                                os.path.join(DATA, "numpy.safetensors"), metadata={"written_by": "safetensors.numpy"})
    print("wrote the Keras and PyTorch fixtures to", DATA)


if __name__ == "__main__":
    main()
