"""Differential check against PyTorch: random expressions, first and second derivatives, float64.

Not a test (CI has no PyTorch): run it by hand in an environment that has torch,
    PYTHONPATH=. python scripts/differential_torch.py [--expressions 2000] [--seed 0]
It builds random expression graphs over elementwise ops, broadcasting binary ops and
reductions, on inputs that often sit exactly at kinks and ties (0, equal values) and
have size-1 and size-0 axes, and compares the value, the gradient and a second
derivative (the gradient of <gradient, v>) with PyTorch's. It prints each disagreement
and a count; the exit status is 1 when any was found.
"""
import argparse
import sys

import numpy as np
import torch

import autodiff as ad

torch.set_default_dtype(torch.float64)

# name: (autodiff, torch, domain) where domain keeps the op defined: "real", "positive", "nonzero"
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, "real"),
    "abs": (ad.abs, torch.abs, "real"),
    "relu": (ad.relu, torch.relu, "real"),
    "exp": (ad.exp, torch.exp, "real"),
    "tanh": (ad.tanh, torch.tanh, "real"),
    "sigmoid": (ad.sigmoid, torch.sigmoid, "real"),
    "sqrt": (ad.sqrt, torch.sqrt, "positive"),
    "log": (ad.log, torch.log, "positive"),
    "square": (lambda x: x ** 2, lambda x: x ** 2, "real"),
    "cube": (lambda x: x ** 3.0, lambda x: x ** 3.0, "real"),
    "pow0": (lambda x: x ** 0.0, lambda x: x ** 0.0, "real"),
    "pow1.5": (lambda x: x ** 1.5, lambda x: x ** 1.5, "positive"),
    "elu": (ad.elu, torch.nn.functional.elu, "real"),
    "selu": (ad.selu, torch.nn.functional.selu, "real"),
    "leaky_relu": (ad.leaky_relu, torch.nn.functional.leaky_relu, "real"),
    "softplus": (ad.softplus, torch.nn.functional.softplus, "real"),
    "silu": (ad.silu, torch.nn.functional.silu, "real"),
    "clip": (lambda x: ad.clip(x, -0.5, 1.0), lambda x: x.clamp(-0.5, 1.0), "real"),
    "sin": (ad.sin, torch.sin, "real"),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "maximum": (ad.maximum, torch.maximum),
    "minimum": (ad.minimum, torch.minimum),
}
# Reductions over one axis (keepdims, so shapes stay broadcastable): (autodiff, torch, needs a non-empty axis)
REDUCTIONS = {
    "sum": (lambda x, a: x.sum(axis=a, keepdims=True), lambda x, a: x.sum(a, keepdim=True), False),
    "mean": (lambda x, a: x.mean(axis=a, keepdims=True), lambda x, a: x.mean(a, keepdim=True), True),
    "max": (lambda x, a: x.max(axis=a, keepdims=True), lambda x, a: x.amax(a, keepdim=True), True),
    "min": (lambda x, a: ad.min(x, axis=a, keepdims=True), lambda x, a: x.amin(a, keepdim=True), True),
    "prod": (lambda x, a: x.prod(axis=a, keepdims=True), lambda x, a: x.prod(a, keepdim=True), False),
    "std": (lambda x, a: x.std(axis=a, keepdims=True), lambda x, a: x.std(a, correction=0, keepdim=True), True),
    "var": (lambda x, a: ad.var(x, axis=a, keepdims=True), lambda x, a: x.var(a, correction=0, keepdim=True), True),
    "norm": (lambda x, a: ad.norm(x, axis=a, keepdims=True),
             lambda x, a: torch.linalg.vector_norm(x, dim=a, keepdim=True), False),
    "logsumexp": (lambda x, a: x.logsumexp(axis=a, keepdims=True), lambda x, a: x.logsumexp(a, keepdim=True), True),
    "softmax": (lambda x, a: ad.softmax(x, axis=a), lambda x, a: torch.softmax(x, a), False),
    "log_softmax": (lambda x, a: ad.log_softmax(x, axis=a), lambda x, a: torch.log_softmax(x, a), False),
    "cumsum": (lambda x, a: ad.cumsum(x, a), lambda x, a: torch.cumsum(x, a), False),
    "cumprod": (lambda x, a: ad.cumprod(x, a), lambda x, a: torch.cumprod(x, a), False),
    "sort": (lambda x, a: ad.sort(x, a), lambda x, a: torch.sort(x, dim=a, stable=True).values, False),
    "flip": (lambda x, a: ad.flip(x, a), lambda x, a: torch.flip(x, [a]), False),
    "take_along_axis": (lambda x, a: ad.take_along_axis(x, _reversed_order(x.data, a), a),
                        lambda x, a: torch.take_along_dim(x, torch.tensor(_reversed_order(x.detach().numpy(), a)), a),
                        False),
    "put_along_axis": (lambda x, a: ad.put_along_axis(x, _first(x.data, a), ad.take(x, [-1], axis=a) * 2.0, a)
                       if x.shape[a] else x,
                       lambda x, a: x.scatter(a, torch.tensor(_first(x.detach().numpy(), a)), x.narrow(a, -1, 1) * 2.0)
                       if x.shape[a] else x, False),
}


def _reversed_order(x, axis):
    """Indices that sort ``x`` descending along ``axis`` (ties in a stable order)."""
    return np.flip(np.argsort(-x, axis=axis, kind="stable"), axis=axis).copy()


def _first(x, axis):
    """Index 0 along ``axis``, once per other position (no repeats: scatter's order is unspecified)."""
    shape = list(x.shape)
    shape[axis] = min(shape[axis], 1)
    return np.zeros(shape, dtype=np.int64)
SHAPES = [(3, 4), (1, 4), (3, 1), (2, 3), (1, 1), (0, 4), (3, 0)]


def draw_values(rng, shape, domain):
    """Normal values, a third of them snapped to kinks and ties (0, +-1, 0.5)."""
    x = rng.normal(size=shape)
    snap = rng.random(shape) < 0.35
    x[snap] = rng.choice([0.0, 1.0, -1.0, 0.5], size=int(snap.sum()))
    if domain == "positive":
        x = np.abs(x) + (rng.random(shape) < 0.8) * 0.1        # zeros stay possible
    return x


def expression(rng, depth):
    """A random program: a list of steps, each ("unary", name) / ("binary", name) / ("reduce", name, axis)."""
    steps = []
    for _ in range(depth):
        kind = rng.choice(["unary", "unary", "binary", "reduce"])
        if kind == "unary":
            steps.append(("unary", rng.choice(sorted(UNARY))))
        elif kind == "binary":
            steps.append(("binary", rng.choice(sorted(BINARY))))
        else:
            steps.append(("reduce", rng.choice(sorted(REDUCTIONS)), int(rng.integers(0, 2))))
    return steps


def run(steps, x, y, lib):
    """Apply the program with autodiff (lib 0) or torch (lib 1); domains are kept by squaring first."""
    out = x
    for step in steps:
        if step[0] == "unary":
            op = UNARY[step[1]]
            arg = out * out + 0.0 if op[2] != "real" else out          # positive (zero allowed) domain
            out = op[lib](arg)
        elif step[0] == "binary":
            out = BINARY[step[1]][lib](out, y)
        else:
            op = REDUCTIONS[step[1]]
            if op[2] and out.shape[step[2]] == 0:
                continue                                               # no answer, in both libraries
            out = op[lib](out, step[2])
    return out


def derivatives(steps, x0, y0, w, v, lib):
    if lib == 0:
        x, y = ad.tensor(x0, requires_grad=True), ad.tensor(y0, requires_grad=True)
        out = run(steps, x, y, 0)
        loss = (out * ad.broadcast_to(ad.tensor(w), out.shape)).sum() if out.size else out.sum() * 0.0 + x.sum() * 0.0
        gx, gy = ad.grad(loss, [x, y], create_graph=True, allow_unused=True)
        gx = gx if gx is not None else ad.zeros_like(x)
        if not gx.requires_grad:
            return out.data, gx.data, np.zeros_like(x0)
        (hx,) = ad.grad((gx * ad.tensor(v)).sum(), [x], allow_unused=True)
        return out.data, gx.data, np.zeros_like(x0) if hx is None else hx.data
    x, y = torch.tensor(x0, requires_grad=True), torch.tensor(y0, requires_grad=True)
    out = run(steps, x, y, 1)
    loss = (out * torch.tensor(w).broadcast_to(out.shape)).sum() + x.sum() * 0.0
    gx, = torch.autograd.grad(loss, [x], create_graph=True)
    if not gx.requires_grad:
        return out.detach().numpy(), gx.detach().numpy(force=True), np.zeros_like(x0)
    hx, = torch.autograd.grad((gx * torch.tensor(v)).sum(), [x], allow_unused=True)
    return out.detach().numpy(), gx.detach().numpy(), np.zeros_like(x0) if hx is None else hx.numpy(force=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expressions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    disagreements = errors = 0
    for i in range(args.expressions):
        steps = expression(rng, int(rng.integers(1, 5)))
        shape = SHAPES[rng.integers(len(SHAPES))]
        x0 = draw_values(rng, shape, "real")
        y0 = draw_values(rng, tuple(1 if rng.random() < 0.3 else n for n in shape), "real")
        with torch.no_grad():
            probe = run(steps, torch.tensor(x0), torch.tensor(y0), 1)
        w, v = rng.normal(size=probe.shape), rng.normal(size=shape)
        try:
            with np.errstate(all="ignore"):
                ours = derivatives(steps, x0, y0, w, v, 0)
        except Exception as exc:                       # noqa: BLE001  (a crash is a disagreement too)
            errors += 1
            print(f"#{i} {steps} on {shape}: autodiff raised {type(exc).__name__}: {exc}")
            continue
        theirs = derivatives(steps, x0, y0, w, v, 1)
        for what, a, b in zip(("value", "gradient", "second derivative"), ours, theirs):
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-11, equal_nan=True):
                disagreements += 1
                print(f"#{i} {steps} on {shape}: {what} differs\n  x={x0.tolist()}\n  ours={a.tolist()}\n"
                      f"  torch={b.tolist()}")
                break
    print(f"{args.expressions} expressions: {disagreements} disagree with PyTorch, {errors} raised")
    return 1 if disagreements or errors else 0


if __name__ == "__main__":
    sys.exit(main())
