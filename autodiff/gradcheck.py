"""Compare analytic gradients with float64 central differences under a random upstream gradient.

A random upstream gradient (not ``sum()``) matters: with all-ones upstream a
rule that mixes up its axes or transposes can still pass.
"""
import numpy as np

from .mode import enable_grad, no_grad
from .engine import grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _float64_inputs(inputs):
    copies = []
    for x in inputs:
        array = x.data if isinstance(x, Tensor) else np.asarray(x)
        if array.dtype.kind == "f":
            copies.append(Tensor(array.astype(np.float64), requires_grad=True))
        else:
            copies.append(Tensor(array))
    return copies


def _outputs(fn, xs):
    out = fn(*xs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def _objective(outs, upstream):
    """sum_i <out_i, u_i> as a Tensor: its gradient is the vector-Jacobian product with u."""
    total = None
    for o, u in zip(outs, upstream):
        term = (o * u).sum()
        total = term if total is None else total + term
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the gradient of ``fn(*inputs)`` for every floating input against central differences.

    The gradient checked is the vector-Jacobian product with a random upstream gradient (not ``sum()``'s
    ones, with which a rule that mixes up axes can pass), in float64.

    Args:
        fn: a function of Tensors, called as ``fn(*inputs)``, returning a Tensor or a tuple of Tensors.
        inputs: its inputs: Tensors, arrays or numbers.  Floating ones are copied to float64 and checked;
            integer and boolean ones are passed through, not checked.
        eps: the step of the central differences (default 1e-6).
        atol: the absolute tolerance (default 1e-5).
        rtol: the tolerance relative to the numerical derivative (default 1e-3): each element must satisfy
            ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: the seed of the random upstream gradient (default 0).

    Returns:
        True when every gradient agrees.

    Raises:
        GradcheckError: naming the input, the worst element, both values and the tolerance, when one
            disagrees or has the wrong shape or dtype.
    """
    xs = _float64_inputs(inputs)
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, xs)
    upstream = [rng.standard_normal(o.shape) for o in outs]
    checked = [x for x in xs if x.requires_grad]
    objective = _objective(outs, upstream)
    if objective.requires_grad:
        analytic = grad(objective, checked, allow_unused=True)
    else:
        analytic = [None] * len(checked)

    position = 0
    for index, x in enumerate(xs):
        if not x.requires_grad:
            continue
        a = analytic[position]
        position += 1
        if a is not None and (a.shape != x.shape or a.dtype != x.dtype):
            raise GradcheckError(f"gradcheck: input {index} has shape {x.shape} and dtype {x.dtype}, "
                                 f"but its gradient has shape {a.shape} and dtype {a.dtype}")
        a = np.zeros(x.shape) if a is None else a.data
        numeric = _numeric_gradient(fn, xs, x, upstream, eps)
        _compare(f"input {index}", a, numeric, atol, rtol, eps)
    return True


def _numeric_gradient(fn, xs, x, upstream, eps):
    numeric = np.zeros(x.shape)
    flat = x.data.reshape(-1)          # a view: perturbing it perturbs x
    with no_grad():
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = _objective(_outputs(fn, xs), upstream).item()
            flat[i] = original - eps
            minus = _objective(_outputs(fn, xs), upstream).item()
            flat[i] = original
            numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return numeric


def _compare(what, analytic, numeric, atol, rtol, eps):
    error = np.abs(analytic - numeric)
    allowed = atol + rtol * np.abs(numeric)
    bad = ~(error <= allowed)          # NaN counts as bad
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(error - allowed, nan=np.inf), -np.inf)),
                                 analytic.shape)
        worst = tuple(int(i) for i in worst)
        raise GradcheckError(
            f"gradcheck failed for {what} (shape {analytic.shape}): {int(bad.sum())} of {bad.size} elements disagree; "
            f"worst at index {worst}: analytic {float(analytic[worst]):.8g}, numeric {float(numeric[worst]):.8g}, "
            f"|difference| {float(error[worst]):.3g} > tolerance {float(allowed[worst]):.3g} "
            f"(atol={atol} + rtol={rtol} * |numeric|, eps={eps})")


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the second derivatives of ``fn``: ``gradcheck`` of its ``create_graph`` gradient.

    Args:
        fn: a function of Tensors, called as ``fn(*inputs)``, returning a Tensor or a tuple of Tensors.
        inputs: its inputs: Tensors, arrays or numbers.  Floating ones are copied to float64 and checked;
            integer and boolean ones are passed through, not checked.
        eps: the step of the central differences (default 1e-6).
        atol: the absolute tolerance (default 1e-5).
        rtol: the tolerance relative to the numerical derivative (default 1e-3): each element must satisfy
            ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: the seed of the random upstream gradient (default 0).

    Returns:
        True when every second derivative agrees.

    Raises:
        GradcheckError: as ``gradcheck``'s, when one disagrees.
    """
    xs = _float64_inputs(inputs)
    rng = np.random.default_rng(seed + 1)
    upstream = [rng.standard_normal(o.shape) for o in _outputs(fn, xs)]
    floating = [i for i, x in enumerate(xs) if x.requires_grad]

    def first_derivatives(*args):
        wrt = [args[i] for i in floating]
        with enable_grad():    # finite differences call this under no_grad; the inner gradient needs a graph
            for w in wrt:
                w.requires_grad = True
            objective = _objective(_outputs(fn, args), upstream)
            if not objective.requires_grad:
                return tuple(Tensor(np.zeros(w.shape)) for w in wrt)
            grads = grad(objective, wrt, create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros(w.shape)) if g is None else g for g, w in zip(grads, wrt))

    return gradcheck(first_derivatives, xs, eps=eps, atol=atol, rtol=rtol, seed=seed)
