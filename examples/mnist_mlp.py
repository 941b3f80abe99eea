"""The tutorial's MNIST network, written as in Keras, trained with Rosenblatt.

    python examples/mnist_mlp.py                 # 5 epochs, batches of 128: test_acc about 0.98
    python examples/mnist_mlp.py --plots out/    # also write PNG pictures (needs matplotlib)
"""
import argparse
import os
import time


import nn
from nn import layers, models
from nn.datasets import fashion_mnist, mnist
from nn.utils import to_categorical


def build_network():
    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return network


def prepare(images, labels):
    """(n, 28, 28) uint8 -> (n, 784) float32 in [0, 1]; labels one-hot."""
    x = images.reshape((len(images), 28 * 28)).astype("float32") / 255
    return x, to_categorical(labels, 10)


def main(argv=None):
    return run(__doc__, build_network, prepare, batch_size=128, argv=argv)


def run(doc, build_network, prepare, batch_size, argv=None):
    """The command line the MNIST examples share: load, train, evaluate, print, and draw with --plots."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--seed", type=int, default=None, help="seed for initial weights and shuffling")
    parser.add_argument("--train-samples", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--fashion", action="store_true", help="train on Fashion-MNIST instead")
    parser.add_argument("--data", metavar="FOLDER", help="read the data set from FOLDER (its four IDX files, "
                        "or mnist.npz / fashion_mnist.npz) instead of the cache or the network")
    parser.add_argument("--plots", metavar="DIR", help="write PNG pictures into DIR (needs matplotlib)")
    args = parser.parse_args(argv)

    plots = None
    if args.plots:
        try:
            import plots  # noqa: F401  (examples/plots.py, which needs matplotlib)
        except ImportError as exc:
            parser.exit(2, f"--plots needs matplotlib ({exc}): pip install -e '.[plot]'\n")
    if args.seed is not None:
        nn.set_seed(args.seed)

    dataset = fashion_mnist if args.fashion else mnist
    try:
        (train_images, train_labels), (test_images, test_labels) = dataset.load_data(path=args.data)
    except RuntimeError as exc:
        raise SystemExit(f"{parser.prog}: {exc}") from None
    if args.train_samples:
        train_images, train_labels = train_images[:args.train_samples], train_labels[:args.train_samples]
    train_x, train_y = prepare(train_images, train_labels)
    test_x, test_y = prepare(test_images, test_labels)

    network = build_network()
    network.summary()
    start = time.perf_counter()
    history = network.fit(train_x, train_y, epochs=args.epochs, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    test_loss, test_acc = network.evaluate(test_x, test_y, batch_size=256, verbose=0)
    print(f"trained {args.epochs} epochs in {seconds:.1f}s ({seconds / max(args.epochs, 1):.2f} s/epoch)")
    print(f"test_loss: {test_loss:.4f}")
    print(f"test_acc: {test_acc:.4f}")

    if args.plots:
        os.makedirs(args.plots, exist_ok=True)
        predicted = network.predict(test_x, batch_size=256, verbose=0).argmax(axis=1)
        written = [
            plots.plot_digits(train_images[:100], os.path.join(args.plots, "digits.png")),
            plots.plot_history(history, os.path.join(args.plots, "history.png")),
            plots.plot_misclassified(test_images, test_labels, predicted,
                                     os.path.join(args.plots, "misclassified.png")),
        ]
        print("wrote " + ", ".join(written))
    return test_acc


if __name__ == "__main__":
    main()
