"""The Function base: one op's forward (on NumPy arrays) and gradient rule (on Tensors).

An instance is also the graph node that recorded the op: it keeps the input
Tensors (``parents``), which of them need a gradient, a weak reference to its
output, and whatever arrays the forward saved for the backward.  It knows
nothing about the Tensor class, so ops and Tensor never import each other in a
circle: gradient rules only call methods on the Tensors they are given.
"""


class Function:
    """Subclasses define ``forward(self, *arrays) -> array`` and ``backward(self, grad)``.

    ``backward`` receives the upstream gradient as a Tensor and returns one
    gradient Tensor (or None) per input, written with Tensor operations so that
    ``create_graph=True`` can differentiate it again.  It reads
    ``self.needs_input_grad`` to skip work nobody asked for.
    """

    parents = ()
    needs_input_grad = ()
    saved = None          # arrays kept by forward for backward; dropped when the graph is freed
    freed = False
    scope = None
    _output_ref = None

    settings = {}

    def __init__(self, **settings):
        if settings:
            self.settings = settings
            self.__dict__.update(settings)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} has no gradient rule")

    @property
    def output(self):
        """The Tensor this node produced (held weakly so that no reference cycle forms)."""
        return self._output_ref() if self._output_ref is not None else None

    def free(self):
        self.saved = None
        self.freed = True

    @property
    def name(self):
        return type(self).__name__.lower()

    def label(self):
        """Op name with its settings, as shown in graph drawings: ``sum(axis=1)``."""
        shown = []
        for key, value in self.settings.items():
            if value is None or value is False or key.startswith("_"):
                continue
            if key == "shape" and isinstance(value, tuple):
                shown.append(", ".join(str(n) for n in value))
            else:
                shown.append(f"{key}={_short(value)}")
        return f"{self.name}({', '.join(shown)})" if shown else self.name

    def __repr__(self):
        return f"<{self.label()}>"


def _short(value):
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."
