"""The book's small convnet on MNIST, written as in Keras, trained with Rosenblatt.

    python examples/mnist_convnet.py                 # 5 epochs, batches of 64: test_acc about 0.99
    python examples/mnist_convnet.py --fashion       # Fashion-MNIST instead
    python examples/mnist_convnet.py --plots out/    # also write PNG pictures (needs matplotlib)
"""
from mnist_mlp import run
from nn import layers, models
from nn.utils import to_categorical


def build_network():
    network = models.Sequential()
    network.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    network.add(layers.MaxPooling2D((2, 2)))
    network.add(layers.Conv2D(64, (3, 3), activation="relu"))
    network.add(layers.MaxPooling2D((2, 2)))
    network.add(layers.Conv2D(64, (3, 3), activation="relu"))
    network.add(layers.Flatten())
    network.add(layers.Dense(64, activation="relu"))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return network


def prepare(images, labels):
    """(n, 28, 28) uint8 -> (n, 28, 28, 1) float32 in [0, 1]; labels one-hot."""
    x = images.reshape((len(images), 28, 28, 1)).astype("float32") / 255
    return x, to_categorical(labels, 10)


def main(argv=None):
    return run(__doc__, build_network, prepare, batch_size=64, argv=argv)


if __name__ == "__main__":
    main()
