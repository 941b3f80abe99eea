"""Draw the computation graph with graphviz, in the spirit of micrograd's pictures.

``draw_graph`` returns a ``graphviz.Digraph``: its ``.source`` is DOT text that
needs only the Python package; ``render``/``pipe`` need Graphviz's ``dot``
program and, without it, say exactly what to install.
"""
import math

import numpy as np

from .engine import topological_order, vertex
from .tensor import Tensor

try:
    import graphviz
except ImportError:            # pragma: no cover - graphviz is a dependency; this keeps the message honest
    graphviz = None

COLORS = {
    "parameter": "#cfe8fc",    # leaves that require grad
    "constant": "#eeeeee",     # inputs and constants
    "output": "#d9f2d0",       # the roots drawn
    "op": "#fff4c2",
    "collapsed": "#f3e5f5",
}
GRAD_EDGE = "#c0392b"

INSTALL_DOT = (
    "rendering needs Graphviz's `dot` program, which was not found on PATH. Install it: "
    "Debian/Ubuntu `apt-get install graphviz`, Fedora `dnf install graphviz`, macOS `brew install graphviz`, "
    "conda `conda install -c conda-forge graphviz`, Windows `winget install graphviz`. "
    "The DOT text is available without it as graph.source."
)


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is missing: only rendering needs it."""


if graphviz is not None:
    class Graph(graphviz.Digraph):
        """A graphviz.Digraph whose rendering errors say what to install."""

        def render(self, *args, **kwargs):
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFound(INSTALL_DOT) from None

        def pipe(self, *args, **kwargs):
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFound(INSTALL_DOT) from None

        def _repr_image_svg_xml(self):
            """The SVG a notebook shows inline: never wider than its cell (it scales down, keeping its shape)."""
            return fit_to_width(super()._repr_image_svg_xml())


def fit_to_width(svg):
    """``svg`` with a style that scales it down to its container's width (it keeps its viewBox's shape)."""
    return svg.replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)


class Freed:
    """Stands in a drawing for a tensor nobody holds any more: the graph keeps its shape, not its values."""

    grad = name = None

    def __init__(self, node, shape, dtype):
        self._node, self.shape, self.dtype = node, shape, dtype
        self.data = node.kept_value if node is not None else None
        self.requires_grad = node is not None
        self.scope = node.scope if node is not None else None
        self.size = math.prod(shape)


def trace(roots):
    """Every tensor reachable from ``roots`` (inputs before the ops that use them) and each op's inputs.

    Returns ``(tensors, inputs_of)`` with ``inputs_of[id(node)]`` the input
    tensors of that op.  A tensor that is no longer held (an intermediate the
    user dropped, a constant) is drawn from the shape and dtype its op recorded,
    and with its values if it was made under ``keep_values()``.
    """
    seen = {id(vertex(r)): r for r in roots}
    constants, inputs_of = {}, {}
    order = topological_order([vertex(r) for r in roots])          # outputs first
    for v in order:
        if isinstance(v, Tensor):
            continue
        inputs, own_constants = [], []
        for parent, shape, dtype in zip(v.parents, v.shapes, v.dtypes):
            if parent is None:
                t = Freed(None, shape, dtype)
                own_constants.append(t)
            else:
                t = seen.get(id(parent))
                if t is None:
                    t = parent if isinstance(parent, Tensor) else parent.output
                    if t is None:
                        t = Freed(parent, shape, dtype)
                    seen[id(parent)] = t
            inputs.append(t)
        constants[id(v)] = own_constants
        inputs_of[id(v)] = inputs
    tensors = []
    for v in reversed(order):
        tensors.extend(constants.get(id(v), ()))
        tensors.append(seen.get(id(v), v))
    return tensors, inputs_of


def draw_graph(*roots, show_data=False, show_grad=False, names=None, rankdir="LR", direction="forward",
               collapse=False, max_nodes=400, legend=False, title=None):
    """Draw the graph that computed ``roots``: tensors as records, ops as boxes, arrows along the data flow.

    Parameters are filled blue, inputs and constants grey, ops yellow and the outputs green (as
    pytorchviz); nodes of one ``name_scope`` are grouped in a box.  Needs the Python ``graphviz``
    package; rendering (``.render``, ``.pipe``, a notebook's inline SVG) also needs Graphviz's ``dot``,
    while ``.source`` gives the DOT text without it.

    Args:
        *roots: the Tensors to draw the graph of (usually the loss), or lists of them.
        show_data: show each tensor's values: small ones in full, larger ones summarised by their mean
            (default False: shapes and dtypes only).  Intermediate values are freed after backward unless
            the graph was built inside ``ad.keep_values()``.
        show_grad: show the gradients of leaves and retained tensors (summarised by their norm).
        names: labels for tensors, ``{tensor: "name"}`` or ``{"name": tensor}`` (e.g.
            ``dict(model.named_parameters())``); a tensor's own ``name`` is used otherwise.
        rankdir: the layout direction: ``"LR"`` (the default: left to right), ``"TB"`` (top to bottom),
            ``"RL"`` or ``"BT"``.
        direction: ``"forward"`` (the default: arrows along the data flow) or ``"backward"`` (arrows along
            the gradient flow, drawn in red).
        collapse: True collapses every name scope into one box (its op and parameter counts), or a scope's
            name or a list of them collapses those; False (the default) shows every node.
        max_nodes: past this many nodes the graph is summarised: scopes collapse, then the nodes farthest
            from the roots are left out, with a note saying how many (default 400).
        legend: add a one-row legend of the node colours (default False).
        title: a title shown above the graph.

    Returns:
        A ``graphviz.Digraph`` (not rendered): shown inline by Jupyter, scaled to the cell's width;
            ``.render(path, format="svg")`` writes a file and ``.source`` is the DOT text.

    Raises:
        ImportError: when the Python graphviz package is missing.
        ValueError: for another ``rankdir`` or ``direction``.
    """
    if graphviz is None:
        raise ImportError("draw_graph needs the Python graphviz package: pip install graphviz")
    roots = _flatten_roots(roots)
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if direction not in ("forward", "backward"):
        raise ValueError(f"draw_graph: direction must be 'forward' or 'backward', got {direction!r}")
    labels = _names(names)
    tensors, inputs_of = trace(roots)
    notes = []

    collapsed = _collapsed_scopes(tensors, collapse)
    if _count_nodes(tensors, collapsed) > max_nodes and collapse is not True:
        collapsed = _collapsed_scopes(tensors, True)
        if collapsed:
            notes.append("scopes collapsed to fit max_nodes")
    shown = tensors
    if _count_nodes(tensors, collapsed) > max_nodes:
        nearest = {id(t) for t in _nearest(roots, inputs_of, max_nodes // 2)}
        shown = [t for t in tensors if id(t) in nearest]
        hidden = len(tensors) - len(shown)
        notes.append(f"{hidden} of {len(tensors)} tensors (and their ops) not shown: the graph has more than "
                     f"max_nodes={max_nodes} nodes; collapse scopes or raise max_nodes")
    if show_grad and not any(t.grad is not None for t in tensors):
        notes.append("no gradients yet: call backward() first")

    # Compact: close ranks and nodes, small margins, so a small graph fits a notebook cell unscaled.
    g = Graph(name="autodiff", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                                           "nodesep": "0.15", "ranksep": "0.25"},
              node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.06,0.03", "height": "0.3"},
              edge_attr={"arrowsize": "0.6"})
    if title or notes:
        g.attr(label="\\n".join(([title] if title else []) + notes), labelloc="t")

    root_ids = {id(r) for r in roots}
    shown_ids = {id(t) for t in shown}
    boxes = {}                       # collapsed scope -> node id
    clusters = {}                    # scope -> list of (node id, attrs)
    edges = set()

    def place(scope, node_id, **attrs):
        box = _collapsed_owner(scope, collapsed)
        if box is not None:
            boxes.setdefault(box, []).append(node_id)
            return "box_" + _safe(box)
        clusters.setdefault(scope, []).append((node_id, attrs))
        return node_id

    where = {}
    for number, t in enumerate(shown):
        kind = "output" if id(t) in root_ids else ("parameter" if t.requires_grad and t._node is None else
                                                   "constant" if t._node is None else "intermediate")
        attrs = dict(shape="record", style="filled,rounded" if kind != "intermediate" else "rounded",
                     fillcolor=COLORS.get(kind, "white"),
                     label=_tensor_label(t, labels.get(id(t)) or t.name, show_data, show_grad, rankdir))
        where[id(t)] = place(t.scope, f"t{number}", **attrs)
        node = t._node
        if node is not None and all(id(p) in shown_ids for p in inputs_of[id(node)]):
            op_id = place(node.scope, f"op{number}", label=_escape(node.label()), shape="box",
                          style="filled,rounded", fillcolor=COLORS["op"], height="0.3")
            where[id(node)] = op_id
            edges.add((op_id, where[id(t)]))
            for p in inputs_of[id(node)]:
                edges.add((where[id(p)], op_id))

    _emit_clusters(g, clusters)
    for box, members in boxes.items():
        ops_in = sum(1 for m in members if m.startswith("op"))
        params = [t for t in shown if t.scope and _collapsed_owner(t.scope, collapsed) == box
                  and t._node is None and t.requires_grad]
        count = sum(t.size for t in params)
        g.node("box_" + _safe(box), label=_escape(f"{box}\n{ops_in} ops, {len(params)} parameters ({count:,})"),
               shape="box3d", style="filled", fillcolor=COLORS["collapsed"])
    for tail, head in sorted(edges):
        if tail == head:
            continue
        if direction == "backward":
            g.edge(head, tail, color=GRAD_EDGE, label="")
        else:
            g.edge(tail, head)
    if legend:
        _legend(g)
    return g


def _flatten_roots(roots):
    flat = []
    for r in roots:
        if isinstance(r, (list, tuple)):
            flat.extend(_flatten_roots(r))
        elif hasattr(r, "_node") and hasattr(r, "data"):
            flat.append(r)
        else:
            raise TypeError(f"draw_graph: expected Tensors, got {type(r).__name__}")
    if not flat:
        raise ValueError("draw_graph: give at least one tensor to draw")
    return flat


def _names(names):
    labels = {}
    for key, value in (names or {}).items():
        if isinstance(key, str):
            key, value = value, key
        labels[id(key)] = str(value)
    return labels


def _count_nodes(tensors, collapsed):
    boxes, count = set(), 0
    for t in tensors:
        for scope in (t.scope, t._node.scope if t._node is not None else None):
            owner = _collapsed_owner(scope, collapsed)
            if owner is not None:
                boxes.add(owner)
            else:
                count += 1
    return count + len(boxes)


def _nearest(roots, inputs_of, limit):
    """The ``limit`` tensors closest to the roots (breadth first)."""
    order, seen, frontier = [], set(), list(roots)
    while frontier and len(order) < limit:
        nxt = []
        for t in frontier:
            if id(t) in seen or len(order) >= limit:
                continue
            seen.add(id(t))
            order.append(t)
            if t._node is not None:
                nxt.extend(inputs_of[id(t._node)])
        frontier = nxt
    return order


def _collapsed_scopes(tensors, collapse):
    if collapse is True:
        return {t.scope.split("/")[0] for t in tensors if t.scope}
    if not collapse:
        return set()
    return set([collapse] if isinstance(collapse, str) else collapse)


def _collapsed_owner(scope, collapsed):
    """The outermost collapsed scope that contains ``scope``, if any."""
    if not scope or not collapsed:
        return None
    parts = scope.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if prefix in collapsed:
            return prefix
    return None


def _emit_clusters(g, clusters):
    """Nodes go into nested clusters following their scope path."""
    tree = {}
    for scope, nodes in clusters.items():
        branch = tree
        for part in (scope.split("/") if scope else []):
            branch = branch.setdefault(part, {})
        branch.setdefault(None, []).extend(nodes)

    def emit(graph, branch, path):
        for node_id, attrs in branch.get(None, []):
            graph.node(node_id, **attrs)
        for part, sub in branch.items():
            if part is None:
                continue
            full = f"{path}/{part}" if path else part
            with graph.subgraph(name="cluster_" + _safe(full)) as c:
                c.attr(label=part, style="rounded,dashed", color="#888888", fontcolor="#555555")
                emit(c, sub, full)

    emit(g, tree, "")


def _legend(g):
    """One small row of the node colours, below the graph's own nodes."""
    cells = "".join(f'<TD BGCOLOR="{COLORS[kind]}">{text}</TD>' for kind, text in
                    (("parameter", "parameter"), ("constant", "input / constant"), ("op", "op"), ("output", "output")))
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="", style="invis")
        c.node("legend", shape="plaintext", fontsize="8", margin="0",
               label=f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="2"><TR>{cells}</TR></TABLE>>')


def _tensor_label(t, name, show_data, show_grad, rankdir="LR"):
    """A record: name, shape and dtype, data, grad, stacked one under the other (not side by side)."""
    fields = []
    if name:
        fields.append(name)
    fields.append(f"({', '.join(str(n) for n in t.shape)}) {t.dtype.name}")
    if show_data:
        fields.append("data " + (_values(t.data, summary="mean") if t.data is not None else "not kept"))
    if show_grad and (t.grad is not None or t.requires_grad and t._node is None):
        fields.append("grad " + (_values(t.grad.data, summary="norm") if t.grad is not None else "none yet"))
    stacked = " | ".join(_escape(f, record=True) for f in fields)
    # A record's top-level fields run across the rank direction: under LR they stack; under TB braces turn them.
    return stacked if rankdir in ("LR", "RL") else "{" + stacked + "}"


def _values(array, summary):
    array = np.asarray(array)
    if array.size <= 4:
        flat = [f"{v:.4g}" for v in array.reshape(-1).tolist()]
        return flat[0] if array.ndim == 0 else "[" + ", ".join(flat) + "]"
    if array.dtype.kind not in "fc":
        return f"{array.size} values"
    if summary == "norm":
        return f"norm {float(np.linalg.norm(array.astype(np.float64))):.4g}"
    return f"mean {float(array.mean(dtype=np.float64)):.4g}, std {float(array.std(dtype=np.float64)):.3g}"


def _escape(text, record=False):
    """Text for a DOT label: backslashes escaped, newlines as \\n, and in record labels
    the characters that would start a new field."""
    text = text.replace("\\", "\\\\")
    if record:
        for ch in "{}|<>":
            text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _safe(text):
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text)
