"""Global recording state: whether ops build a graph, and the current name scope."""
import contextlib


class _State:
    grad_enabled = True
    keep_values = False  # nodes keep their output values for drawings (keep_values())
    scopes = []          # stack of names pushed by name_scope()


def is_grad_enabled():
    return _State.grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off inside a ``with`` block or a decorated function."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous = _State.grad_enabled
        _State.grad_enabled = self.mode

    def __exit__(self, *exc):
        _State.grad_enabled = self.previous
        return False


class no_grad(set_grad_enabled):
    """``with ad.no_grad():`` (or ``@ad.no_grad()``) records nothing: for inference and updates."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    def __init__(self):
        super().__init__(True)


class name_scope:
    """Tag every tensor and op created inside with ``name`` (nested scopes join with '/').

    Graph drawings group the nodes of one scope into a cluster, so a layer that
    runs its ops inside ``name_scope(layer.name)`` shows up as one box.
    """

    def __init__(self, name):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"name_scope needs a non-empty name without '/', got {name!r}")
        self.name = name

    def __enter__(self):
        _State.scopes.append(self.name)
        return current_scope()

    def __exit__(self, *exc):
        _State.scopes.pop()
        return False


def current_scope():
    return "/".join(_State.scopes) if _State.scopes else None


class keep_values(contextlib.ContextDecorator):
    """Ops recorded inside keep their output values for graph drawings, even after backward.

    A graph normally keeps only what backward needs, and frees that too, so a
    drawing shows the values of the tensors you still hold and the shapes of
    the rest.  For a teaching picture (``draw_graph(..., show_data=True)``) of a
    small graph, build it inside ``with ad.keep_values():``: every intermediate
    value stays until the graph itself is dropped, at the memory that costs.
    """

    def __enter__(self):
        self.previous = _State.keep_values
        _State.keep_values = True

    def __exit__(self, *exc):
        _State.keep_values = self.previous
        return False
