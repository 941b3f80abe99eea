"""Anomaly mode: find the op that first made a NaN or inf, and the line of your code that made it.

``with ad.detect_anomaly():`` (or ``ad.set_detect_anomaly(True)``) makes each
recorded op remember where it was created, and checks every forward result
and every gradient: the first op whose inputs were finite but whose output
(or gradient) is not raises an AnomalyError naming the op, its input shapes
and dtypes, and the line that created it, as PyTorch's anomaly mode does.
Off, it costs one flag read per op.
"""
import os
import traceback

from . import backend
from .mode import _Switch, _state

_LIBRARY = os.path.dirname(os.path.abspath(__file__))
_SIBLINGS = (_LIBRARY + os.sep, os.path.join(os.path.dirname(_LIBRARY), "nn") + os.sep)


class AnomalyError(RuntimeError):
    """An op produced NaN or inf from finite inputs (raised only in anomaly mode)."""


class detect_anomaly(_Switch):
    """Anomaly mode inside a ``with`` block or a decorated function (this thread only), as PyTorch's.

    Ops recorded inside remember the line that created them, and the first forward result or gradient
    that is NaN or inf from finite inputs raises an AnomalyError naming the op, its input shapes and
    dtypes, and that line.  It slows every op: use it to find a NaN, not to train.

    Args:
        mode: True (the default) to turn it on inside, False to turn it off inside.
    """

    flag = "anomaly"

    def __init__(self, mode=True):
        super().__init__(mode)


def set_detect_anomaly(mode):
    """Turn anomaly mode on or off for this thread from now on (see ``detect_anomaly``).

    Args:
        mode: True to check every op for NaN and inf, False to stop.
    """
    _state.anomaly = bool(mode)


def is_anomaly_enabled():
    """Whether anomaly mode is on in this thread.

    Returns:
        A bool.
    """
    return _state.anomaly


def creation_site():
    """The forward's stack, and the innermost frame of it outside the library: the user's line."""
    stack = traceback.extract_stack()[:-3]
    outside = [f for f in stack if not os.path.abspath(f.filename).startswith(_SIBLINGS)]
    return (outside[-1] if outside else stack[-1]), stack


def _finite(values):
    for v in values:
        if v is None:
            continue
        array = v if backend.is_array(v) else getattr(v, "data", None)    # an array, or a Tensor's
        if backend.is_array(array) and array.dtype.kind in "fc" and not backend.xp(array).isfinite(array).all():
            return False
    return True


def _describe(fn, shapes, dtypes, site):
    inputs = ", ".join(f"{tuple(s)} {d}" for s, d in zip(shapes, dtypes))
    where = ""
    if site is not None:
        frame, stack = site
        where = (f"; it was created at {frame.filename}:{frame.lineno} ({frame.line})\n"
                 "Traceback of the forward call that created it:\n" + "".join(traceback.format_list(stack)))
    return f"{fn.label()} with inputs {inputs}{where}"


def check_forward(fn, tensors, out):
    if not _finite([out]) and _finite([t.data for t in tensors]):
        site = creation_site()
        raise AnomalyError(f"{fn.name} produced NaN or inf from finite inputs in its forward: "
                           + _describe(fn, [t.shape for t in tensors], [t.dtype for t in tensors], site))


def check_backward(node, grad, parent_grads):
    if _finite([grad]) and not _finite(parent_grads):
        bad = next(i for i, g in enumerate(parent_grads) if not _finite([g]))
        raise AnomalyError(f"{node.name} returned NaN or inf in the gradient of its input {bad} "
                           f"from a finite upstream gradient: "
                           + _describe(node, node.shapes, node.dtypes, getattr(node, "created_at", None)))
