"""Seconds per MNIST epoch: Rosenblatt against a hand-written NumPy program (and PyTorch when installed).

    python benchmarks/mnist_epoch.py            # full MNIST, 5 epochs each, interleaved
    python benchmarks/mnist_epoch.py --quick    # a slice of the data, for a smoke test

All implementations train the tutorial's 784-512(relu)-10(softmax) network
with RMSprop (Keras defaults) and categorical cross-entropy, batches of 128,
float32, on the same data in the same shuffled order, taking turns every 20
batches so that a noisy machine slows them alike.  Rosenblatt runs twice when
RMSprop's fused C kernel was built: as compiled by default (with the kernel)
and with the update in NumPy alone.  Reported: the median over
epochs after the first (warm-up), the ratio to the NumPy reference, and the
peak memory each allocates while training one epoch (tracemalloc, measured in
a separate pass because tracing slows Python code).
"""
import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))

import nn  # noqa: E402
from nn import layers, models, optimizers  # noqa: E402

LR, RHO, EPS = 0.001, 0.9, 1e-7


def _no_clock():
    return 0.0


def initial_weights(seed):
    rng = np.random.default_rng(seed)
    limit1, limit2 = np.sqrt(6 / (784 + 512)), np.sqrt(6 / (512 + 10))
    return [rng.uniform(-limit1, limit1, (784, 512)).astype(np.float32), np.zeros(512, np.float32),
            rng.uniform(-limit2, limit2, (512, 10)).astype(np.float32), np.zeros(10, np.float32)]


class NumpyReference:
    """Forward, backward and Keras's RMSprop written directly in NumPy, as a careful programmer would."""

    name = "NumPy reference"

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]
        self.velocity = [np.zeros_like(w) for w in weights]

    def train_batches(self, x, y, batches, phases=None):
        """Train on ``batches``; return the summed loss.  ``phases``: a float array of 4
        that the seconds spent gathering, forward, backward and updating are added to."""
        clock = time.perf_counter if phases is not None else _no_clock
        w1, b1, w2, b2 = self.params
        total = 0.0
        for rows in batches:
            t0 = clock()
            xb, yb = x[rows], y[rows]
            n = len(rows)
            t1 = clock()
            h = xb @ w1
            h += b1
            np.maximum(h, 0, out=h)
            z = h @ w2
            z += b2
            z -= z.max(axis=1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            total += -float(np.sum(yb * log_p))
            t2 = clock()
            dz = (np.exp(log_p) - yb) / np.float32(n)
            dw2, db2 = h.T @ dz, dz.sum(axis=0)
            dh = dz @ w2.T
            dh *= h > 0
            dw1, db1 = xb.T @ dh, dh.sum(axis=0)
            grads = (dw1, db1, dw2, db2)
            t3 = clock()
            for w, g, v in zip(self.params, grads, self.velocity):
                v *= RHO
                v += (1 - RHO) * g * g
                w -= LR * g / np.sqrt(v + EPS)
            if phases is not None:
                phases += (t1 - t0, t2 - t1, t3 - t2, clock() - t3)
        return total

    def accuracy(self, x, labels):
        w1, b1, w2, b2 = self.params
        return float(((np.maximum(x @ w1 + b1, 0) @ w2 + b2).argmax(1) == labels).mean())


class Rosenblatt:
    name = "Rosenblatt"
    optimizer = "rmsprop"          # as the tutorial compiles it: the fused C update when it was built

    def __init__(self, weights):
        self.model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                                        layers.Dense(10, activation="softmax")])
        for p, w in zip(self.model.parameters(), weights):
            p.data[...] = w
        self.model.compile(optimizer=self.optimizer, loss="categorical_crossentropy")

    def train_batches(self, x, y, batches, phases=None):
        if phases is not None:
            return self._train_in_phases(x, y, batches, phases)
        total = 0.0
        for rows in batches:
            total += self.model.train_step(x[rows], y[rows])[0] * len(rows)
        return total

    def _train_in_phases(self, x, y, batches, phases):
        """``Sequential.train_step`` taken apart, to time its phases as the reference's."""
        model, total = self.model, 0.0
        for rows in batches:
            t0 = time.perf_counter()
            xb, yb = x[rows], y[rows]
            t1 = time.perf_counter()
            model.optimizer.zero_grad()
            loss = model.loss(yb, model(xb))
            total += loss.item() * len(rows)
            t2 = time.perf_counter()
            loss.backward()
            t3 = time.perf_counter()
            model.optimizer.step()
            phases += (t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3)
        return total

    def accuracy(self, x, labels):
        return float((self.model.predict(x, batch_size=1024, verbose=0).argmax(1) == labels).mean())


class RosenblattNumpyOptimizer(Rosenblatt):
    """Rosenblatt with RMSprop's update in NumPy alone, as it runs where no C compiler built the kernel."""

    name = "Rosenblatt, NumPy RMSprop"

    @property
    def optimizer(self):
        return optimizers.RMSprop(fused=False)


class Torch:
    name = "PyTorch"

    def __init__(self, weights):
        import torch

        self.torch = torch
        self.w = [torch.tensor(w, requires_grad=True) for w in weights]
        self.opt = torch.optim.RMSprop(self.w, lr=LR, alpha=RHO, eps=EPS)   # eps outside the sqrt: close enough

    def train_batches(self, x, y, batches):
        torch, (w1, b1, w2, b2) = self.torch, self.w
        total = 0.0
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for rows in batches:
            rows = torch.from_numpy(rows)
            logits = torch.relu(xt[rows] @ w1 + b1) @ w2 + b2
            loss = torch.nn.functional.cross_entropy(logits, yt[rows])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item() * len(rows)
        return total

    def accuracy(self, x, labels):
        with self.torch.no_grad():
            w1, b1, w2, b2 = self.w
            out = self.torch.relu(self.torch.from_numpy(x) @ w1 + b1) @ w2 + b2
            return float((out.argmax(1).numpy() == labels).mean())


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            return ", ".join(f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads, "
                             f"{p.get('architecture')})" for p in pools)
    except ImportError:
        pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):          # NumPy before 1.26 only prints its config
        return f"unknown (OPENBLAS_NUM_THREADS={threads})"
    return f"{config.get('name')} {config.get('version')} (OPENBLAS_NUM_THREADS={threads})"


def batches_of(order, batch_size):
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def peak_memory(impl, x, y, batches):
    """Bytes allocated at the peak of one epoch, beyond what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    impl.train_batches(x, y, batches)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak


def take_turns(impls, x, labels, epochs, batch_size, segment, rng):
    """Train every implementation for ``epochs`` on the same shuffled batches; seconds and mean loss per epoch.

    Each epoch is cut into segments of batches, and the implementations take
    turns segment by segment: a slow spell of this shared machine then hits
    them alike instead of whichever epoch it fell on.  The order rotates, so
    none always follows another (whose threads may still be spinning).
    """
    times = {impl.name: [] for impl in impls}
    losses = {impl.name: [] for impl in impls}
    for epoch in range(epochs):
        batches = batches_of(rng.permutation(len(x)), batch_size)
        spent, total = dict.fromkeys(times, 0.0), dict.fromkeys(times, 0.0)
        for turn, start_batch in enumerate(range(0, len(batches), segment)):
            shift = turn % len(impls)
            for impl in impls[shift:] + impls[:shift]:
                start = time.perf_counter()
                total[impl.name] += impl.train_batches(x, labels[impl.name], batches[start_batch:start_batch + segment])
                spent[impl.name] += time.perf_counter() - start
        for name in times:
            times[name].append(spent[name])
            losses[name].append(total[name] / len(x))
    return times, losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="6,000 training images and 2 epochs")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--segment", type=int, default=20, help="batches each implementation runs in its turn")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown (docs/benchmarks/)")
    args = parser.parse_args(argv)
    if args.markdown:
        import bench_markdown
        return bench_markdown.rerun(main, argv, args.markdown, "benchmarks/mnist_epoch.py")

    from mnist_mlp import prepare
    from nn.datasets import mnist

    (train_images, train_labels), (test_images, test_labels) = mnist.load_data(verbose=False)
    if args.quick:
        train_images, train_labels, args.epochs = train_images[:6000], train_labels[:6000], 2
    x, y = prepare(train_images, train_labels)
    test_x, _ = prepare(test_images, test_labels)

    weights = initial_weights(0)
    nn.set_seed(0)
    impls = [NumpyReference(weights), Rosenblatt(weights)]
    if optimizers.fused_available():
        impls.append(RosenblattNumpyOptimizer(weights))
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(len(os.sched_getaffinity(0)))      # the cores this process may use
            impls.append(Torch(weights))
            y_sparse = train_labels.astype(np.int64)
        except ImportError:
            pass
    rng = np.random.default_rng(0)
    labels = {impl.name: y_sparse if impl.name == "PyTorch" else y for impl in impls}
    times, losses = take_turns(impls, x, labels, args.epochs, args.batch_size, args.segment, rng)
    batches = batches_of(rng.permutation(len(x)), args.batch_size)
    memory = {impl.name: peak_memory(impl, x, labels[impl.name], batches) for impl in impls
              if impl.name != "PyTorch"}

    print(f"MNIST epoch benchmark: {len(x)} images, batch {args.batch_size}, {args.epochs} epochs each, "
          f"taking turns every {args.segment} batches; median of epochs 2-{args.epochs}")
    print(f"machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores; numpy {np.__version__}; "
          f"BLAS: {blas_info()}")
    print(f"RMSprop's fused C kernel (autodiff/_kernels.c): {'built' if optimizers.fused_available() else 'not built'}")
    reference = statistics.median(times[NumpyReference.name][1:])
    ref_memory = memory[NumpyReference.name]
    print()
    print("| implementation | s/epoch | x NumPy reference | peak MiB while training | x NumPy | final loss | "
          "test acc |")
    print("|---|---|---|---|---|---|---|")
    test_labels_arr = test_labels
    for impl in impls:
        median = statistics.median(times[impl.name][1:])
        if impl.name == "PyTorch":          # its allocator is invisible to tracemalloc
            peak = "n/a | n/a"
        else:
            peak = f"{memory[impl.name] / 2**20:.1f} | {memory[impl.name] / ref_memory:.2f}"
        print(f"| {impl.name} | {median:.3f} | {median / reference:.2f} | {peak} | {losses[impl.name][-1]:.4f} | "
              f"{impl.accuracy(test_x, test_labels_arr):.4f} |")
    print()
    print("per-epoch seconds: " + "; ".join(f"{k}: {', '.join(f'{t:.2f}' for t in v)}" for k, v in times.items()))
    return {name: statistics.median(t[1:]) / reference for name, t in times.items()}


if __name__ == "__main__":
    main()
