"""The engine's own cost: time per small op (forward + backward), and backward over long chains.

    python benchmarks/overhead.py            # full sizes
    python benchmarks/overhead.py --quick    # small sizes, for a smoke test

A chain of element-wise ops on a 4-element tensor measures bookkeeping, not
arithmetic.  Backward over chains of 10,000 and 100,000 ops must grow
linearly (the traversal is iterative and visits each node once).
"""
import argparse
import statistics
import sys
import time

import numpy as np

import autodiff as ad


def chain(x, length):
    """``length`` small ops alternating mul, add, tanh and sub (each has a gradient rule)."""
    y = x
    for i in range(length):
        kind = i % 4
        if kind == 0:
            y = y * 1.0001
        elif kind == 1:
            y = y + 0.5
        elif kind == 2:
            y = y.tanh()
        else:
            y = y - 0.25
    return y


def rosenblatt_op_time(length, repeats):
    """Median seconds per op, forward plus backward, over ``repeats`` chains."""
    samples = []
    for _ in range(repeats):
        x = ad.tensor(np.full(4, 0.3, dtype=np.float32), requires_grad=True)
        start = time.perf_counter()
        chain(x, length).sum().backward()
        samples.append((time.perf_counter() - start) / length)
    return statistics.median(samples)


def torch_op_time(length, repeats):
    import torch

    samples = []
    for _ in range(repeats):
        x = torch.full((4,), 0.3, requires_grad=True)
        start = time.perf_counter()
        chain(x, length).sum().backward()
        samples.append((time.perf_counter() - start) / length)
    return statistics.median(samples)


def backward_time(length):
    """Seconds for backward alone over a chain of ``length`` ops."""
    x = ad.tensor(np.full(4, 0.3, dtype=np.float32), requires_grad=True)
    y = chain(x, length).sum()
    start = time.perf_counter()
    y.backward()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown (docs/benchmarks/)")
    args = parser.parse_args(argv)
    if args.markdown:
        import bench_markdown
        return bench_markdown.rerun(main, argv, args.markdown, "benchmarks/overhead.py")
    length, repeats = (200, 3) if args.quick else (2000, 15)
    long_chains = (1_000, 10_000) if args.quick else (10_000, 100_000)

    per_op = rosenblatt_op_time(length, repeats)
    print(f"per small op, forward + backward (chain of {length} on a 4-element tensor, median of {repeats}):")
    print(f"  Rosenblatt: {per_op * 1e6:.1f} us")
    try:
        import torch  # noqa: F401  (only: is it installed?)
    except ImportError:
        print("  PyTorch: not installed (pip install torch==2.13.0 adds it)")
    else:
        print(f"  PyTorch:    {torch_op_time(length, repeats) * 1e6:.1f} us")
    times = [backward_time(n) for n in long_chains]
    print("backward alone over long chains (must grow linearly):")
    for n, t in zip(long_chains, times):
        print(f"  {n:>7,} ops: {t:.3f} s ({t / n * 1e6:.2f} us per op)")
    growth = (times[1] / times[0]) / (long_chains[1] / long_chains[0])
    print(f"  time ratio / length ratio: {growth:.2f} (1.0 is linear)")
    return {"per_op_us": per_op * 1e6, "growth": growth}


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
