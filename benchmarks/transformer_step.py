"""Seconds per training step of examples/char_transformer.py's model: Rosenblatt against the same
architecture in PyTorch on the CPU (when installed), from the same initial weights on the same batches.

    python benchmarks/transformer_step.py             # vocab 27, block 16, d_model 64, 4 heads, 2 layers, batch 32
    python benchmarks/transformer_step.py --quick     # a few steps, for a smoke test

AdamW (lr 3e-3, weight decay 0.01), sparse categorical cross-entropy from logits.  The two
implementations take turns every ``segment`` steps (as benchmarks/mnist_epoch.py), PyTorch on as
many threads as this process may use (``--threads``).  Reported: the median seconds per step of each, their ratio,
and the loss of each after the same steps (the first losses agree to float32 rounding: the same model).
``step_times`` is importable (benchmarks/sequence_epoch.py).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
sys.path.insert(0, os.path.join(HERE, ".."))

import autodiff as ad  # noqa: E402
import nn  # noqa: E402
from char_transformer import build_transformer, torch_transformer  # noqa: E402

LR, WEIGHT_DECAY = 3e-3, 0.01


class Rosenblatt:
    name = "Rosenblatt"

    def __init__(self, model):
        self.model = model
        self.optimizer = nn.optimizers.AdamW(model.parameters(), learning_rate=LR, weight_decay=WEIGHT_DECAY)
        self.loss_fn = nn.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(self, x, y):
        loss = self.loss_fn(y, self.model(x, training=True))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.item())


class Torch:
    name = "PyTorch"

    def __init__(self, model):
        import torch
        self.torch = torch
        self.model = torch_transformer(model)
        # Keras's AdamW epsilon (1e-7), so both take the same steps
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY, eps=1e-7)

    def step(self, x, y):
        torch = self.torch
        logits = self.model(torch.from_numpy(x.astype(np.int64)))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 torch.from_numpy(y.astype(np.int64)).reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.item())


def step_times(vocab_size=27, block_size=16, d_model=64, num_heads=4, num_layers=2, batch_size=32, steps=60,
               segment=10, torch=True, seed=0, threads=None):
    """{name: (median seconds per step, losses of every step)} for Rosenblatt and (when installed) PyTorch."""
    ad.seed(seed)
    model = build_transformer(vocab_size, block_size, d_model, num_heads, num_layers)
    impls = [Rosenblatt(model)]
    if torch:
        try:
            import torch as _torch
            _torch.set_num_threads(threads or len(os.sched_getaffinity(0)))
            impls.append(Torch(model))          # copied before Rosenblatt's first step
        except ImportError:
            pass
    rng = np.random.default_rng(seed)
    data = rng.integers(0, vocab_size, (steps, batch_size, block_size + 1)).astype(np.int32)
    times = {impl.name: [] for impl in impls}
    losses = {impl.name: [] for impl in impls}
    for start in range(0, steps, segment):
        order = impls if (start // segment) % 2 == 0 else impls[::-1]
        for impl in order:
            for i in range(start, min(start + segment, steps)):
                x, y = data[i, :, :-1], data[i, :, 1:]
                began = time.perf_counter()
                losses[impl.name].append(impl.step(x, y))
                times[impl.name].append(time.perf_counter() - began)
    return {name: (statistics.median(times[name][1:] or times[name]), losses[name]) for name in times}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few small steps")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--threads", type=int, default=None,
                        help="PyTorch's threads (default: the cores this process may use); give NumPy's BLAS "
                             "the same with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS")
    args = parser.parse_args(argv)
    options = dict(steps=4, segment=2, d_model=16, batch_size=4) if args.quick else dict(steps=args.steps)
    options["threads"] = args.threads
    result = step_times(torch=not args.no_torch, **options)
    base = result["Rosenblatt"][0]
    print("| implementation | seconds per step | ratio to Rosenblatt | first loss | last loss |")
    print("|---|---|---|---|---|")
    for name, (seconds, losses) in result.items():
        print(f"| {name} | {seconds:.4f} | {seconds / base:.2f} | {losses[0]:.4f} | {losses[-1]:.4f} |")
    if "PyTorch" in result:
        print(f"Rosenblatt / PyTorch, seconds per step: {base / result['PyTorch'][0]:.2f}")
    return result


if __name__ == "__main__":
    main()
