"""Seconds per step and per epoch of the character-level LSTM (examples/char_model.py): Rosenblatt and PyTorch.

    python benchmarks/sequence_epoch.py                 # 300 steps each, taking turns
    python benchmarks/sequence_epoch.py --model gru
    python benchmarks/sequence_epoch.py --quick         # a smoke test
    OMP_NUM_THREADS=1 python benchmarks/sequence_epoch.py --threads 1

Both train Embedding(28, 32) -> LSTM(128, sequences) -> Dense(28) with Adam (lr 0.005,
epsilon 1e-7) on the same batches of 64 words of Debian's word list, from the same initial
weights (Rosenblatt's, copied into PyTorch's nn.LSTM: its gates i, f, g, o are Keras's i, f, c, o,
its weights the transposes, its second bias zero), with the same number of threads.  They take
turns every ``--segment`` steps so that a noisy machine slows both alike.  Reported: the median
seconds per step (and per epoch at that rate), Rosenblatt's peak memory over a segment
(tracemalloc; PyTorch's allocator is invisible to it), and both validation losses after the same
steps, which should agree within 0.05 nats per character.

``--model transformer`` times examples/char_transformer.py's model when that file provides
``build_transformer(vocab, max_length)`` and ``torch_transformer(model)`` (a PyTorch module with
the same weights).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))

import autodiff as ad  # noqa: E402
import char_model  # noqa: E402
from mnist_epoch import peak_memory  # noqa: E402
import nn  # noqa: E402
from nn import optimizers  # noqa: E402

LEARNING_RATE, EPSILON, BATCH = 0.005, 1e-7, 64


def trimmed(inputs, targets, rows):
    """A batch cut to its longest word (as char_model does)."""
    targets = targets[rows]
    width = int((targets != char_model.PAD).sum(axis=1).max())
    return inputs[rows][:, :width], targets[:, :width]


class Rosenblatt:
    name = "Rosenblatt"

    def __init__(self, model):
        self.model = model
        self.optimizer = optimizers.Adam(learning_rate=LEARNING_RATE, epsilon=EPSILON)
        self.optimizer.attach(model.parameters())

    def train_batches(self, inputs, targets, batches):
        for rows in batches:
            char_model.train_step(self.model, self.optimizer, *trimmed(inputs, targets, rows))

    def validation(self, inputs, targets):
        return char_model.evaluate(self.model, inputs, targets)


class PyTorch:
    name = "PyTorch"

    def __init__(self, module):
        import torch

        self.torch, self.module = torch, module
        self.optimizer = torch.optim.Adam(module.parameters(), lr=LEARNING_RATE, eps=EPSILON)

    def loss(self, x, y):
        torch = self.torch
        logits = self.module(torch.from_numpy(x.astype(np.int64)))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 torch.from_numpy(y.astype(np.int64)).reshape(-1),
                                                 ignore_index=char_model.PAD, reduction="sum"), int((y != 0).sum())

    def train_batches(self, inputs, targets, batches):
        for rows in batches:
            total, count = self.loss(*trimmed(inputs, targets, rows))
            self.optimizer.zero_grad()
            (total / count).backward()
            self.optimizer.step()

    def validation(self, inputs, targets, batch=256):
        total, count = 0.0, 0
        with self.torch.no_grad():
            for start in range(0, len(inputs), batch):
                rows = np.arange(start, min(start + batch, len(inputs)))
                loss, n = self.loss(*trimmed(inputs, targets, rows))
                total, count = total + float(loss), count + n
        return total / count


def torch_recurrent(model, kind):
    """A PyTorch copy of char_model's recurrent model, with its weights."""
    import torch

    embedding, recurrent, dense = model.layers
    units = recurrent.units

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(*embedding.embeddings.shape)
            self.recurrent = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(
                embedding.output_dim, units, batch_first=True)
            self.dense = torch.nn.Linear(units, dense.units)

        def forward(self, x):
            return self.dense(self.recurrent(self.embedding(x))[0])

    module = Model()
    kernel, recurrent_kernel, bias = (w.numpy() for w in (recurrent.kernel, recurrent.recurrent_kernel, recurrent.bias))
    if kind == "gru":
        # PyTorch's GRU gates are r, z, n and its n gate is Keras's reset_after: reorder z, r, h -> r, z, n
        def reorder(w):
            z, r, h = np.split(w, 3, axis=-1)
            return np.concatenate([r, z, h], axis=-1)
        kernel, recurrent_kernel = reorder(kernel), reorder(recurrent_kernel)
        bias_ih, bias_hh = reorder(bias[0]), reorder(bias[1])
    else:
        bias_ih, bias_hh = bias, np.zeros_like(bias)
    with torch.no_grad():
        module.embedding.weight.copy_(torch.from_numpy(embedding.embeddings.numpy()))
        module.recurrent.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        module.recurrent.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T.copy()))
        module.recurrent.bias_ih_l0.copy_(torch.from_numpy(bias_ih))
        module.recurrent.bias_hh_l0.copy_(torch.from_numpy(bias_hh))
        module.dense.weight.copy_(torch.from_numpy(dense.kernel.numpy().T.copy()))
        module.dense.bias.copy_(torch.from_numpy(dense.bias.numpy()))
    return module


def set_threads(count):
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(count)
        return f"{count} (threadpoolctl)"
    except ImportError:
        return f"NumPy's BLAS as the environment sets it (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["lstm", "gru", "transformer"], default="lstm")
    parser.add_argument("--steps", type=int, default=300, help="training steps each (default 300)")
    parser.add_argument("--segment", type=int, default=20, help="steps each implementation runs in its turn")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--data", metavar="FILE", help="a word list (default Debian's wamerican)")
    parser.add_argument("--quick", action="store_true", help="a slice of the words and 40 steps")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown (docs/benchmarks/)")
    args = parser.parse_args(argv)
    if args.markdown:
        import bench_markdown
        return bench_markdown.rerun(main, argv, args.markdown, "benchmarks/sequence_epoch.py")

    words = char_model.load_words(args.data)
    train_words, val_words = char_model.split(words)
    if args.quick:
        train_words, val_words, args.steps, args.segment = train_words[:2000], val_words[:300], 40, 10
    inputs, targets = char_model.encode(train_words)
    val_inputs, val_targets = char_model.encode(val_words)
    threads = set_threads(args.threads)

    nn.set_seed(0)
    if args.model == "transformer":
        from char_transformer import build_transformer, torch_transformer
        model = build_transformer(char_model.VOCAB, inputs.shape[1])
        make_torch = torch_transformer
    else:
        model = char_model.build_recurrent(args.model, **char_model.SETTINGS[args.model])
        make_torch = lambda m: torch_recurrent(m, args.model)          # noqa: E731
    impls = []
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(args.threads)
            impls.append(PyTorch(make_torch(model)))          # copied before Rosenblatt trains
        except ImportError:
            print("PyTorch is not installed: timing Rosenblatt alone (--no-torch)")
    impls.insert(0, Rosenblatt(model))
    initial = {impl.name: impl.validation(val_inputs, val_targets) for impl in impls}

    rng = np.random.default_rng(0)
    per_epoch = -(-len(inputs) // BATCH)
    order = np.concatenate([rng.permutation(len(inputs)) for _ in range(-(-args.steps * BATCH // len(inputs)) + 1)])
    batches = [order[i * BATCH:(i + 1) * BATCH] for i in range(args.steps)]
    seconds = {impl.name: [] for impl in impls}
    for turn, start in enumerate(range(0, args.steps, args.segment)):
        shift = turn % len(impls)
        for impl in impls[shift:] + impls[:shift]:
            began = time.perf_counter()
            impl.train_batches(inputs, targets, batches[start:start + args.segment])
            seconds[impl.name].append((time.perf_counter() - began) / len(batches[start:start + args.segment]))
    final = {impl.name: impl.validation(val_inputs, val_targets) for impl in impls}
    memory = peak_memory(impls[0], inputs, targets, batches[:args.segment])

    step = {name: statistics.median(times[1:] or times) for name, times in seconds.items()}   # first turn: warm-up
    print(f"{args.model} char model, batch {BATCH}, {args.steps} steps, {per_epoch} steps per epoch; "
          f"threads: {threads}")
    print()
    print("| implementation | s/step | s/epoch | x PyTorch | validation before | validation after |")
    print("|---|---|---|---|---|---|")
    for impl in impls:
        times = f"{step[impl.name] / step['PyTorch']:.2f}" if "PyTorch" in step else "-"
        print(f"| {impl.name} | {step[impl.name]:.4f} | {step[impl.name] * per_epoch:.1f} | {times} | "
              f"{initial[impl.name]:.3f} | {final[impl.name]:.3f} |")
    print()
    print(f"Rosenblatt's peak memory over {args.segment} steps: {memory / 2**20:.1f} MiB")
    result = {"step": step, "per_epoch": per_epoch, "validation": final, "initial": initial, "memory": memory}
    if "PyTorch" in step:
        ratio = step["Rosenblatt"] / step["PyTorch"]
        gap = abs(final["Rosenblatt"] - final["PyTorch"])
        print(f"Rosenblatt / PyTorch: {ratio:.2f}x per step; validation losses differ by {gap:.3f} nats/char")
        result.update(ratio=ratio, gap=gap)
    return result


if __name__ == "__main__":
    main()
