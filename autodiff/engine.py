"""The backward pass: walk the graph from the outputs in reverse topological order.

Works on Tensors only through their attributes (``_node``, ``requires_grad``,
``grad``, ``data``), so it imports nothing from tensor.py.
"""
from .mode import set_grad_enabled


def topological_order(roots, every_input=False):
    """Tensors reachable from ``roots``, outputs first.

    Only through inputs that need a gradient, unless ``every_input`` (for
    drawing).  Iterative depth-first search: any depth, no recursion.  The
    stack holds the tensors themselves and ``state`` plain ints, so a long
    graph allocates nothing for Python's cyclic GC to walk again and again.
    """
    order, state = [], {}           # id -> 1 while its inputs are visited, 2 once placed
    stack = list(reversed(roots))
    while stack:
        t = stack[-1]
        seen = state.get(id(t))
        if seen is None:
            state[id(t)] = 1
            node = t._node
            if node is not None:
                for parent, needed in zip(node.parents, node.needs_input_grad):
                    if (needed or every_input) and id(parent) not in state:
                        stack.append(parent)
            continue
        stack.pop()
        if seen == 1:                # every input of t is placed: place t
            state[id(t)] = 2
            order.append(t)
    order.reverse()
    return order


def backward(roots, grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate ``grads`` (one per root) back through the graph.

    Without ``inputs`` the gradients accumulate into the ``.grad`` of leaves (and
    of tensors that called ``retain_grad``); with ``inputs`` they are returned,
    one per input (None where unused), and no ``.grad`` is touched.
    """
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    found = [None] * len(inputs) if inputs is not None else None
    # id -> (gradient, owned): owned means no other tensor shares its buffer,
    # so a leaf may keep it as .grad without a copy.
    pending = {}
    for root, g in zip(roots, grads):
        _accumulate(pending, root, g, owned=False)

    with set_grad_enabled(create_graph):
        for t in topological_order(roots):
            entry = pending.pop(id(t), None)
            if entry is None:
                continue
            g, owned = entry
            node = t._node
            if wanted is not None:
                if id(t) in wanted:
                    found[wanted[id(t)]] = g
            elif node is None or t._retains_grad:
                _deposit(t, g, owned, create_graph)
            if node is None:
                continue
            if node.freed:
                raise RuntimeError(
                    f"backward: the graph through {node.label()} was already freed by an earlier backward; "
                    "pass retain_graph=True to the first backward to differentiate through it again")
            parent_grads = node.backward(g)
            if not retain_graph:
                node.free()
            returned = []            # ids of gradients already handed to another input
            for parent, needed, pg in zip(node.parents, node.needs_input_grad, parent_grads):
                if not needed or pg is None:
                    continue
                if pg.data.shape != parent.data.shape or pg.data.dtype != parent.data.dtype:
                    raise RuntimeError(
                        f"{node.label()} backward gave a gradient of shape {pg.shape} and dtype {pg.dtype} "
                        f"for an input of shape {parent.shape} and dtype {parent.dtype}")
                owned = pg is not g and id(pg) not in returned and pg.data.base is None
                returned.append(id(pg))
                _accumulate(pending, parent, pg, owned)
    return found


def _accumulate(pending, t, g, owned):
    entry = pending.get(id(t))
    if entry is None:
        pending[id(t)] = (g, owned)
    else:
        pending[id(t)] = (entry[0] + g, True)   # a new buffer: never add into a shared one


def _deposit(t, g, owned, create_graph):
    """Add ``g`` to ``t.grad`` (PyTorch semantics: gradients accumulate across backward calls)."""
    if t.grad is None:
        t.grad = g if owned or create_graph else g.clone()
    elif create_graph or t.grad.requires_grad:
        t.grad = t.grad + g
    else:
        t.grad.data += g.data
