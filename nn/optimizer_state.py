"""Checking an optimizer's state, as weights are checked: before any of it is used.  The one path for
state from a file (load_model) and from a state dict (``Optimizer.load_state_dict`` calls it).

An optimizer's state is ``{"iterations": 0-d, "u_product": 0-d (Nadam), "<i>.<name>": array}``,
``<i>`` the position of a parameter and ``<name>`` a buffer its ``init_state`` makes.  Every key,
dtype, shape and value is checked (numbers only, finite, shapes of the parameter, a whole
non-negative step count) and converted before the optimizer is touched, so a file that does not
fit leaves it as it was.  ``check_headers`` does the same on declared shapes and dtypes alone
(nn.npyfile's headers), before any data is read.
"""
import math

import numpy as np

SCALARS = ("iterations", "u_product")


class OptimizerStateError(ValueError):
    """Optimizer state that does not fit the optimizer it is loaded into."""


def _expected(optimizer):
    """{key: (shape, dtype)} of every buffer the optimizer may hold, plus its scalars."""
    expected = {"iterations": ((), None)}
    if hasattr(optimizer, "u_product"):
        expected["u_product"] = ((), None)
    for i, p in enumerate(optimizer.params):
        for name, buffer in optimizer.init_state(p.data).items():
            expected[f"{i}.{name}"] = (tuple(buffer.shape), p.dtype)
    return expected


def check_headers(optimizer, declared, source):
    """Refuse, from ``{key: (shape, dtype)}`` alone, keys the optimizer does not keep, shapes that do not
    fit them and dtypes that are not plain numbers."""
    expected = _expected(optimizer)
    kind = type(optimizer).__name__
    for key, (shape, dtype) in declared.items():
        if not isinstance(key, str) or key not in expected:
            raise OptimizerStateError(f"{source}: optimizer state {key!r:.80} is not one {kind} keeps for these "
                                      f"{len(optimizer.params)} parameters (it keeps iterations and, per parameter "
                                      f"i, {sorted({k.partition('.')[2] for k in expected if '.' in k})})")
        if tuple(shape) != expected[key][0]:
            raise OptimizerStateError(f"{source}: optimizer state {key!r} has shape {tuple(shape)}, expected "
                                      f"{expected[key][0]}")
        dtype = np.dtype(dtype)
        if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
            raise OptimizerStateError(f"{source}: optimizer state {key!r} is {dtype}, not real numbers")


def checked_state(optimizer, arrays, source):
    """``(state, iterations, extras)`` from ``{key: array}``, every value checked and converted, nothing
    written: ``state`` is ``{i: {name: array in the parameter's dtype}}``, ``extras`` ``{"u_product": float}``.
    Every parameter that has state has all of it."""
    check_headers(optimizer, {k: (np.shape(v), getattr(v, "dtype", np.asarray(v).dtype)) for k, v in arrays.items()},
                  source)
    state, extras = {}, {}
    iterations = 0
    for key, value in arrays.items():
        value = np.asarray(value)
        if key == "iterations":
            if value.dtype.kind == "f" and not (np.isfinite(value) and value == np.round(value)):
                raise OptimizerStateError(f"{source}: optimizer state 'iterations' is {value.item()!r}, not a whole "
                                          "number of steps")
            if value.dtype.kind == "b" or value < 0 or value > 2 ** 62:
                raise OptimizerStateError(f"{source}: optimizer state 'iterations' is {value.item()!r}, not a step "
                                          "count (a whole number >= 0)")
            iterations = int(value)
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            if key == "u_product":
                converted = float(value)
            else:
                index, _, name = key.partition(".")
                converted = value.astype(optimizer.params[int(index)].dtype)
        if not np.isfinite(converted).all():
            raise OptimizerStateError(f"{source}: optimizer state {key!r} holds values that are not finite "
                                      f"(or too large for {getattr(converted, 'dtype', 'a float')})")
        if key == "u_product":
            extras[key] = converted
        else:
            state.setdefault(int(index), {})[name] = converted
    for i, buffers in state.items():
        wanted = set(optimizer.init_state(optimizer.params[i].data))
        if set(buffers) != wanted:
            raise OptimizerStateError(f"{source}: optimizer state of parameter {i} holds {sorted(buffers)}, "
                                      f"{type(optimizer).__name__} keeps {sorted(wanted)}")
    if "u_product" in extras and not math.isfinite(extras["u_product"]):
        raise OptimizerStateError(f"{source}: optimizer state 'u_product' is not finite")
    return state, iterations, extras
