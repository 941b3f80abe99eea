"""Where a training step's time goes: Rosenblatt and the NumPy reference, phase by phase.

    python benchmarks/step_phases.py            # 2,000 batches of full MNIST each
    python benchmarks/step_phases.py --quick    # 120 batches, for a smoke test

Both train the tutorial's network (see mnist_epoch.py) taking turns every 20
batches; each phase is timed around the same work in both: gathering the
shuffled batch, forward with the loss, backward, optimizer update.  Printed:
for each phase, the median over turns of the microseconds per step, and the
two big matrix products (x @ W1 and x.T @ dh) timed alone on the same shapes,
which both implementations run identically.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))

from mnist_epoch import NumpyReference, Rosenblatt, initial_weights  # noqa: E402

PHASES = ("gather the batch", "forward and loss", "backward", "optimizer update")


def big_products(x, w1, rows_list):
    """Microseconds per step of x @ W1 and x.T @ dh alone, on the same shapes."""
    dh = np.ones((len(rows_list[0]), w1.shape[1]), np.float32)
    start = time.perf_counter()
    for rows in rows_list:
        xb = x[rows]
        xb @ w1
        xb.T @ dh
    return (time.perf_counter() - start) / len(rows_list) * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="120 batches")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown (docs/benchmarks/)")
    args = parser.parse_args(argv)
    if args.markdown:
        import bench_markdown
        return bench_markdown.rerun(main, argv, args.markdown, "benchmarks/step_phases.py")
    if args.quick:
        args.batches = 120

    from mnist_mlp import prepare
    from nn.datasets import mnist

    (images, labels), _ = mnist.load_data(verbose=False)
    x, y = prepare(images, labels)
    impls = [NumpyReference(initial_weights(0)), Rosenblatt(initial_weights(0))]
    rng = np.random.default_rng(0)
    per_turn = {impl.name: [] for impl in impls}
    products = []
    turn_size = 20
    for turn in range(max(args.batches // turn_size, 1)):
        order = rng.permutation(len(x))[:turn_size * 128]
        batches = [order[i:i + 128] for i in range(0, len(order), 128)]
        for impl in impls if turn % 2 == 0 else impls[::-1]:
            phases = np.zeros(len(PHASES))
            impl.train_batches(x, y, batches, phases)
            per_turn[impl.name].append(phases / len(batches) * 1e6)
        products.append(big_products(x, impls[0].params[0], batches))

    print(f"microseconds per training step (batch 128), median over {len(products)} turns of {turn_size} batches")
    names = [impl.name for impl in impls]
    print()
    print("| phase | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    medians = {name: np.median(np.array(per_turn[name]), axis=0) for name in names}
    for i, phase in enumerate(PHASES):
        print(f"| {phase} | " + " | ".join(f"{medians[n][i]:.0f}" for n in names) + " |")
    totals = {n: statistics.median(float(t.sum()) for t in per_turn[n]) for n in names}
    print("| whole step | " + " | ".join(f"{totals[n]:.0f}" for n in names) + " |")
    print()
    print(f"x @ W1 and x.T @ dh alone (inside forward and backward of both): {statistics.median(products):.0f}")
    print(f"Rosenblatt / NumPy reference, whole step: {totals[names[1]] / totals[names[0]]:.2f}")
    return {"ratio": totals[names[1]] / totals[names[0]], **{n: medians[n] for n in names}}


if __name__ == "__main__":
    main()
