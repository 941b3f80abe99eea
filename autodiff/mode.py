"""Recording state, per thread: whether ops build a graph, the current name scope, drawing and anomaly modes.

As in PyTorch, each thread has its own state (``no_grad`` in one thread
leaves another's backward alone), and the context managers are re-entrant: a
decorated function that calls itself, or one instance entered twice, restores
exactly what it found.
"""
import contextlib
import copy
import threading


class _State(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.keep_values = False   # nodes keep their output values for drawings (keep_values())
        self.anomaly = False       # nodes remember where they were made and check for NaN (detect_anomaly())
        self.scopes = []           # stack of names pushed by name_scope()
        self.tracer = None         # while autodiff.onnx traces a function: where ops note their inputs


_state = _State()


def is_grad_enabled():
    """Whether ops record a graph now, in this thread (off inside ``no_grad``).

    Returns:
        A bool.
    """
    return _state.grad_enabled


class _Switch(contextlib.ContextDecorator):
    """Set one flag of the thread's state inside a ``with`` block or a decorated function."""

    flag = None

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = []

    def _recreate_cm(self):          # a decorated function gets a fresh manager per call
        fresh = copy.copy(self)
        fresh._previous = []
        return fresh

    def __enter__(self):
        self._previous.append(getattr(_state, self.flag))
        setattr(_state, self.flag, self.mode)
        return self

    def __exit__(self, *exc):
        setattr(_state, self.flag, self._previous.pop())
        return False


class set_grad_enabled(_Switch):
    """Turn graph recording on or off inside a ``with`` block or a decorated function (this thread only).

    Re-entrant: leaving restores what was set before.

    Args:
        mode: True to record, False not to.
    """

    flag = "grad_enabled"


class no_grad(set_grad_enabled):
    """Record nothing inside: ``with ad.no_grad():`` or ``@ad.no_grad()``, for inference and weight updates.

    Ops inside return Tensors that do not require grad, and weights may be written in place.
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record again inside, within a ``no_grad`` block: ``with ad.enable_grad():`` or ``@ad.enable_grad()``."""

    def __init__(self):
        super().__init__(True)


class keep_values(_Switch):
    """Ops recorded inside keep their output values for graph drawings, even after backward.

    A graph normally keeps only what backward needs, and frees that too, so a
    drawing shows the values of the tensors you still hold and the shapes of
    the rest.  For a teaching picture (``draw_graph(..., show_data=True)``) of a
    small graph, build it inside ``with ad.keep_values():``: every intermediate
    value stays until the graph itself is dropped, at the memory that costs.
    """

    flag = "keep_values"

    def __init__(self):
        super().__init__(True)


class name_scope:
    """Tag every tensor and op created inside with ``name`` (nested scopes join with '/').

    Graph drawings group the nodes of one scope into a cluster, so a layer that runs its ops inside
    ``name_scope(layer.name)`` shows up as one box.  ``with name_scope("dense") as scope:`` binds the
    full name (``"model/dense"`` inside ``name_scope("model")``).

    Args:
        name: the scope's name, a non-empty str without '/'.

    Raises:
        ValueError: for an empty name or one with '/'.
    """

    def __init__(self, name):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"name_scope needs a non-empty name without '/', got {name!r}")
        self.name = name

    def __enter__(self):
        _state.scopes.append(self.name)
        return current_scope()

    def __exit__(self, *exc):
        _state.scopes.pop()
        return False


def current_scope():
    return "/".join(_state.scopes) if _state.scopes else None
