"""Seconds per MNIST epoch of the book's convnet: Rosenblatt against a hand-written NumPy im2col
program (and PyTorch on the CPU when installed).

    python benchmarks/convnet_epoch.py            # full MNIST, 3 epochs each, interleaved
    python benchmarks/convnet_epoch.py --quick    # a slice of the data, for a smoke test

conv(32, 3x3, relu) - maxpool 2 - conv(64, 3x3, relu) - maxpool 2 - conv(64, 3x3, relu) -
flatten - dense(64, relu) - dense(10, softmax), RMSprop (Keras defaults), categorical
cross-entropy, batches of 64, float32, the same initial weights and batches for all,
taking turns every 20 batches (as benchmarks/mnist_epoch.py).  Reported: the median
over epochs after the first, the ratio to the NumPy reference, and the peak memory
each allocates while training (tracemalloc, a separate pass).
"""
import argparse
import os
import platform
import statistics
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
sys.path.insert(0, HERE)

import nn  # noqa: E402
from mnist_epoch import batches_of, blas_info, peak_memory, take_turns  # noqa: E402

LR, RHO, EPS = 0.001, 0.9, 1e-7
SHAPES = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (3, 3, 64, 64), (64,), (576, 64), (64,), (64, 10), (10,)]


def initial_weights(seed):
    """Glorot-uniform kernels (Keras's fans: receptive field times channels) and zero biases."""
    rng = np.random.default_rng(seed)
    weights = []
    for shape in SHAPES:
        if len(shape) == 1:
            weights.append(np.zeros(shape, np.float32))
            continue
        receptive = int(np.prod(shape[:-2]))
        limit = np.sqrt(6 / ((shape[-2] + shape[-1]) * receptive))
        weights.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    return weights


def patches(x):
    """im2col of a 3x3 valid convolution: (N*Ho*Wo, 9*C), rows in (kh, kw, C) order."""
    n, h, w, c = x.shape
    view = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))       # (N, Ho, Wo, C, 3, 3)
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(n * (h - 2) * (w - 2), 9 * c)


def col2im(cols, shape):
    """The adjoint of patches: each patch's gradient added back at its 9 positions."""
    n, h, w, c = shape
    ho, wo = h - 2, w - 2
    cols = cols.reshape(n, ho, wo, 3, 3, c)
    out = np.zeros(shape, np.float32)
    for i in range(3):
        for j in range(3):
            out[:, i:i + ho, j:j + wo] += cols[:, :, :, i, j]
    return out


def maxpool(x):
    """2x2 max pooling (valid) and the mask of where each maximum came from."""
    n, h, w, c = x.shape
    crop = x[:, :h // 2 * 2, :w // 2 * 2]
    windows = crop.reshape(n, h // 2, 2, w // 2, 2, c)
    out = windows.max(axis=(2, 4))
    mask = windows == out[:, :, None, :, None]
    return out, mask


def maxpool_back(grad, mask, shape):
    n, h, w, c = shape
    out = np.zeros(shape, np.float32)
    spread = mask * grad[:, :, None, :, None]
    out[:, :h // 2 * 2, :w // 2 * 2] = spread.reshape(n, h // 2 * 2, w // 2 * 2, c)
    return out


class NumpyReference:
    """The convnet's forward, backward and Keras's RMSprop written directly in NumPy (im2col + GEMM)."""

    name = "NumPy reference"

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]
        self.velocity = [np.zeros_like(w) for w in weights]

    def forward(self, x):
        k1, b1, k2, b2, k3, b3, w4, b4, w5, b5 = self.params
        n = len(x)
        p1 = patches(x)
        a1 = np.maximum(p1 @ k1.reshape(-1, 32) + b1, 0).reshape(n, 26, 26, 32)
        m1, mask1 = maxpool(a1)
        p2 = patches(m1)
        a2 = np.maximum(p2 @ k2.reshape(-1, 64) + b2, 0).reshape(n, 11, 11, 64)
        m2, mask2 = maxpool(a2)
        p3 = patches(m2)
        a3 = np.maximum(p3 @ k3.reshape(-1, 64) + b3, 0)
        flat = a3.reshape(n, 576)
        h4 = np.maximum(flat @ w4 + b4, 0)
        logits = h4 @ w5 + b5
        return logits, (p1, a1, mask1, m1, p2, a2, mask2, m2, p3, a3, flat, h4)

    def train_batches(self, x, y, batches):
        total = 0.0
        for rows in batches:
            xb, yb = x[rows], y[rows]
            logits, (p1, a1, mask1, m1, p2, a2, mask2, m2, p3, a3, flat, h4) = self.forward(xb)
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            total += float(-(yb * log_p).sum())
            n = np.float32(len(rows))
            k1, b1, k2, b2, k3, b3, w4, b4, w5, b5 = self.params
            d_logits = (np.exp(log_p) - yb) / n
            g_w5, g_b5 = h4.T @ d_logits, d_logits.sum(axis=0)
            d_h4 = (d_logits @ w5.T) * (h4 > 0)
            g_w4, g_b4 = flat.T @ d_h4, d_h4.sum(axis=0)
            d3 = (d_h4 @ w4.T).reshape(a3.shape) * (a3 > 0)
            g_k3, g_b3 = (p3.T @ d3).reshape(k3.shape), d3.sum(axis=0)
            d_m2 = col2im(d3 @ k3.reshape(-1, 64).T, m2.shape)
            d2 = maxpool_back(d_m2, mask2, a2.shape).reshape(-1, 64) * (a2.reshape(-1, 64) > 0)
            g_k2, g_b2 = (p2.T @ d2).reshape(k2.shape), d2.sum(axis=0)
            d_m1 = col2im(d2 @ k2.reshape(-1, 64).T, m1.shape)
            d1 = maxpool_back(d_m1, mask1, a1.shape).reshape(-1, 32) * (a1.reshape(-1, 32) > 0)
            g_k1, g_b1 = (p1.T @ d1).reshape(k1.shape), d1.sum(axis=0)
            grads = [g_k1, g_b1, g_k2, g_b2, g_k3, g_b3, g_w4, g_b4, g_w5, g_b5]
            for w, v, g in zip(self.params, self.velocity, grads):       # Keras's RMSprop
                v *= RHO
                v += (1 - RHO) * np.square(g)
                w -= LR * g / np.sqrt(v + EPS)
        return total

    def accuracy(self, x, labels):
        hits = 0
        for start in range(0, len(x), 500):
            hits += int((self.forward(x[start:start + 500])[0].argmax(1) == labels[start:start + 500]).sum())
        return hits / len(x)


class Rosenblatt:
    name = "Rosenblatt"

    def __init__(self, weights):
        from mnist_convnet import build_network

        self.model = build_network()
        for p, w in zip(self.model.parameters(), weights):
            p.data[...] = w

    def train_batches(self, x, y, batches):
        return sum(self.model.train_step(x[rows], y[rows])[0] * len(rows) for rows in batches)

    def accuracy(self, x, labels):
        return float((self.model.predict(x, batch_size=500, verbose=0).argmax(1) == labels).mean())


class Torch:
    """The same network in PyTorch on the CPU (channels first, as PyTorch computes)."""

    name = "PyTorch"

    def __init__(self, weights):
        import torch

        self.torch = torch
        k1, b1, k2, b2, k3, b3, w4, b4, w5, b5 = weights
        convs = [torch.tensor(k.transpose(3, 2, 0, 1).copy()) for k in (k1, k2, k3)]      # (F, C, kh, kw)
        # Keras flattens (3, 3, 64) channels last; PyTorch flattens (64, 3, 3): reorder w4's rows to match.
        w4_first = w4.reshape(3, 3, 64, 64).transpose(2, 0, 1, 3).reshape(576, 64)
        self.w = [t.requires_grad_() for t in convs + [torch.tensor(b) for b in (b1, b2, b3)]
                  + [torch.tensor(w4_first), torch.tensor(b4), torch.tensor(w5), torch.tensor(b5)]]
        self.opt = torch.optim.RMSprop(self.w, lr=LR, alpha=RHO, eps=EPS)

    def forward(self, x):
        f = self.torch.nn.functional
        c1, c2, c3, b1, b2, b3, w4, b4, w5, b5 = self.w
        h = f.max_pool2d(f.relu(f.conv2d(x, c1, b1)), 2)
        h = f.max_pool2d(f.relu(f.conv2d(h, c2, b2)), 2)
        h = f.relu(f.conv2d(h, c3, b3)).flatten(1)
        return f.relu(h @ w4 + b4) @ w5 + b5

    def train_batches(self, x, y, batches):
        torch = self.torch
        xt, yt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y)
        total = 0.0
        for rows in batches:
            rows = torch.from_numpy(rows)
            loss = torch.nn.functional.cross_entropy(self.forward(xt[rows]), yt[rows])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item() * len(rows)
        return total

    def accuracy(self, x, labels):
        with self.torch.no_grad():
            out = self.forward(self.torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
            return float((out.argmax(1).numpy() == labels).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="1,280 training images and 2 epochs")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--segment", type=int, default=20, help="batches each implementation runs in its turn")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown (docs/benchmarks/)")
    args = parser.parse_args(argv)
    if args.markdown:
        import bench_markdown
        return bench_markdown.rerun(main, argv, args.markdown, "benchmarks/convnet_epoch.py")

    from mnist_convnet import prepare
    from nn.datasets import mnist

    (train_images, train_labels), (test_images, test_labels) = mnist.load_data(verbose=False)
    if args.quick:
        train_images, train_labels, args.epochs = train_images[:1280], train_labels[:1280], 2
        test_images, test_labels = test_images[:1000], test_labels[:1000]
    x, y = prepare(train_images, train_labels)
    test_x, _ = prepare(test_images, test_labels)

    weights = initial_weights(0)
    nn.set_seed(0)
    impls = [NumpyReference(weights), Rosenblatt(weights)]
    labels = {"NumPy reference": y, "Rosenblatt": y}
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(len(os.sched_getaffinity(0)))      # the cores this process may use
            impls.append(Torch(weights))
            labels["PyTorch"] = train_labels.astype(np.int64)
        except ImportError:
            pass
    rng = np.random.default_rng(0)
    times, losses = take_turns(impls, x, labels, args.epochs, args.batch_size, args.segment, rng)

    memory_batches = batches_of(rng.permutation(len(x))[:64 * 20], args.batch_size)
    memory = {impl.name: peak_memory(impl, x, labels[impl.name], memory_batches) for impl in impls
              if impl.name != "PyTorch"}

    print(f"convnet epoch benchmark: {len(x)} images, batch {args.batch_size}, {args.epochs} epochs each, "
          f"taking turns every {args.segment} batches; median of epochs 2-{args.epochs}")
    print(f"machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores; numpy {np.__version__}; "
          f"BLAS: {blas_info()}")
    reference = statistics.median(times[NumpyReference.name][1:])
    print()
    print("| implementation | s/epoch | x NumPy reference | peak MiB while training | x NumPy | final loss | "
          "test acc |")
    print("|---|---|---|---|---|---|---|")
    for impl in impls:
        median = statistics.median(times[impl.name][1:])
        peak = "n/a | n/a" if impl.name == "PyTorch" else \
            f"{memory[impl.name] / 2**20:.1f} | {memory[impl.name] / memory[NumpyReference.name]:.2f}"
        print(f"| {impl.name} | {median:.2f} | {median / reference:.2f} | {peak} | {losses[impl.name][-1]:.4f} | "
              f"{impl.accuracy(test_x, test_labels):.4f} |")
    print()
    print("per-epoch seconds: " + "; ".join(f"{k}: {', '.join(f'{t:.2f}' for t in v)}" for k, v in times.items()))
    return {"ratios": {name: statistics.median(t[1:]) / reference for name, t in times.items()},
            "losses": {name: v[-1] for name, v in losses.items()}}


if __name__ == "__main__":
    main()
