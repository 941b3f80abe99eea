"""Pictures of computation graphs: what backpropagation walks through.

    python examples/render_graph.py out/          # writes SVG files into out/

(a) a sigmoid neuron with its values and gradients; (b) one training step of
the tutorial's 784-512-10 network, with each layer collapsed to a box and
expanded.  Needs Graphviz's `dot` (apt-get install graphviz, brew install graphviz).
"""
import argparse
import os

import numpy as np

import autodiff as ad
import nn
from nn import layers, losses, models


def neuron_graph():
    x = ad.tensor([1.0, 0.0], requires_grad=True, name="x")
    w = ad.tensor([0.1, 0.2], requires_grad=True, name="w")
    b = ad.tensor(-0.2, requires_grad=True, name="b")
    with ad.keep_values():                  # keep the intermediate values for the picture
        out = ((x * w).sum() + b).sigmoid()
    out.backward()
    return ad.draw_graph(out, show_data=True, show_grad=True, legend=True, title="a sigmoid neuron")


def mlp_step_graphs(batch_size=128, seed=0):
    """One RMSprop step's forward and backward on a random batch; (collapsed, expanded) graphs."""
    nn.set_seed(seed)
    network = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                                 layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(seed)
    images = rng.random((batch_size, 784), dtype=np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch_size)]
    loss = losses.CategoricalCrossentropy()(labels, network(images))
    loss.backward()
    names = dict(network.named_parameters())
    title = f"one training step of the 784-512-10 network (batch {batch_size})"
    return (ad.draw_graph(loss, show_grad=True, names=names, collapse=True, legend=True, title=title),
            ad.draw_graph(loss, show_grad=True, names=names, legend=True, title=title))


def convnet_step_graph(batch_size=64, seed=0):
    """One step of the book's convnet, each layer collapsed to a box."""
    from mnist_convnet import build_network

    nn.set_seed(seed)
    network = build_network()
    rng = np.random.default_rng(seed)
    images = rng.random((batch_size, 28, 28, 1), dtype=np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch_size)]
    loss = losses.CategoricalCrossentropy()(labels, network(images))
    loss.backward()
    title = f"one training step of the book's convnet (batch {batch_size})"
    return ad.draw_graph(loss, show_grad=True, names=dict(network.named_parameters()), collapse=True,
                         legend=True, title=title, rankdir="TB")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="where to write the SVG files")
    parser.add_argument("--format", default="svg", choices=["svg", "png", "pdf"])
    args = parser.parse_args(argv)
    os.makedirs(args.folder, exist_ok=True)
    collapsed, expanded = mlp_step_graphs()
    written = []
    for name, graph in (("neuron", neuron_graph()), ("mlp_step_collapsed", collapsed), ("mlp_step", expanded),
                        ("convnet_step_collapsed", convnet_step_graph())):
        written.append(graph.render(os.path.join(args.folder, name), format=args.format, cleanup=True))
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
