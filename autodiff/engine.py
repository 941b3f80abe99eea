"""The backward pass: walk the graph of nodes from the outputs in reverse topological order.

The graph's vertices are Function nodes and the leaf tensors that require
grad; a node reaches its inputs through ``parents`` only.  Without
``create_graph`` gradients flow as plain arrays and each rule runs on arrays;
with it they are Tensors and each rule records the ops of the gradient.
"""
from . import anomaly, backend
from .function import Scattered
from .mode import set_grad_enabled
from .registry import register
from .tensor import Tensor


def topological_order(roots):
    """Vertices (nodes and leaf tensors) reachable from ``roots``, outputs first.

    Iterative depth-first search: any depth, no recursion.  The stack holds the
    vertices themselves and ``state`` plain ints, so a long graph allocates
    nothing for Python's cyclic GC to walk again and again.
    """
    order, state = [], {}           # id -> 1 while its inputs are visited, 2 once placed
    stack = list(reversed(roots))
    while stack:
        v = stack[-1]
        seen = state.get(id(v))
        if seen is None:
            state[id(v)] = 1
            if not isinstance(v, Tensor):            # a node: visit its inputs
                for parent in v.parents:
                    if parent is not None and id(parent) not in state:
                        stack.append(parent)
            continue
        stack.pop()
        if seen == 1:                # every input of v is placed: place v
            state[id(v)] = 2
            order.append(v)
    order.reverse()
    return order


def vertex(t):
    """Where a tensor sits in the graph: the node that made it, or the leaf itself."""
    return t._node if t._node is not None else t


def backward(roots, grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate ``grads`` (Tensors, one per root) back through the graph.

    Without ``inputs`` the gradients accumulate into the ``.grad`` of leaves (and
    of tensors that called ``retain_grad``); with ``inputs`` they are returned,
    one Tensor per input (None where unused), and no ``.grad`` is touched.
    """
    wanted = None
    if inputs is not None:               # vertex id -> positions in inputs (an input may be asked twice)
        wanted = {}
        for i, t in enumerate(inputs):
            wanted.setdefault(id(vertex(t)), []).append(i)
    found = [None] * len(inputs) if inputs is not None else None
    # id -> (gradient, owned): owned means no other gradient shares its buffer,
    # so a leaf may keep it as .grad without a copy.
    pending = {}
    for root, g in zip(roots, grads):
        _accumulate(pending, vertex(root), g if create_graph else g.data, owned=False)

    check_anomaly = anomaly.is_anomaly_enabled()
    with set_grad_enabled(create_graph):
        for v in topological_order([vertex(r) for r in roots]):
            entry = pending.pop(id(v), None)
            if entry is None:
                continue
            g, owned = entry
            if type(g) is Scattered:            # a slice's gradient alone: now made whole
                g, owned = g.dense(), True
            if wanted is not None and id(v) in wanted:
                for i in wanted[id(v)]:
                    found[i] = _as_tensor(g)
            if isinstance(v, Tensor):          # a leaf
                if wanted is None:
                    _deposit(v, g, owned, create_graph)
                continue
            node = v
            if wanted is None:
                out = node.output
                if out is not None and out._retains_grad:
                    _deposit(out, g, False, create_graph)
            parent_grads = node.backward(g, *_retained(node, create_graph))
            if check_anomaly:
                anomaly.check_backward(node, g, [pg.values if type(pg) is Scattered else pg for pg in parent_grads])
            if not retain_graph:
                node.free()
            returned = []            # ids of gradients already handed to another input
            for i, (parent, pg) in enumerate(zip(node.parents, parent_grads)):
                if parent is None or pg is None or not node.needs_input_grad[i]:
                    continue
                if pg.shape != node.shapes[i] or pg.dtype != node.dtypes[i]:
                    raise RuntimeError(
                        f"{node.label()} backward gave a gradient of shape {pg.shape} and dtype {pg.dtype} "
                        f"for an input of shape {node.shapes[i]} and dtype {node.dtypes[i]}")
                owned = pg is not g and id(pg) not in returned and _base(pg) is None
                returned.append(id(pg))
                _accumulate(pending, parent, pg, owned)
    return found


def _retained(node, create_graph):
    """What the node's rule reads (its retained inputs, then its output): arrays, or Tensors under create_graph."""
    if node.freed:
        raise RuntimeError(
            f"backward: the graph through {node.label()} was already freed by an earlier backward; "
            "pass retain_graph=True to the first backward to differentiate through it again")
    for i, t in enumerate(node.retained):
        recorded = node.versions[i] if node.versions else 0
        if t._versions is not None and t.version != recorded:
            raise RuntimeError(
                f"backward: {node.label()} needs input {node.retain_inputs[i]} (shape {t.shape}) as it was in "
                f"the forward, but it was changed in place since (version {recorded} -> {t.version}); "
                "write into a copy, or build a new tensor (for example with where())")
    if create_graph:
        values = list(node.retained)
        if node.retain_output:       # a new Tensor at the same place in the graph: differentiable again
            values.append(Tensor._wrap(node.output_data, node))
    else:
        values = [t.data for t in node.retained]
        if node.retain_output:
            values.append(node.output_data)
    return values


def _base(g):
    return (g.data if isinstance(g, Tensor) else g).base


def _as_tensor(g):
    """A gradient as a Tensor around an array (NumPy's 0-d results are scalars: made 0-d arrays again)."""
    if isinstance(g, Tensor):
        return g
    return Tensor._wrap(g if backend.is_array(g) else backend.asarray(g))


def _accumulate(pending, v, g, owned):
    """Add ``g`` to the gradient pending for vertex ``v``.

    In a plain backward the sum goes into the pending buffer itself when nobody
    else shares it (owned); a shared one is never written: the sum is a new
    buffer.  A Scattered gradient (a slice's) is added at its index alone.
    Under create_graph the sum is recorded, never in place.
    """
    entry = pending.get(id(v))
    if entry is None:
        pending[id(v)] = (g, owned)
        return
    total, total_owned = entry
    if type(total) is Scattered:
        total, total_owned = total.dense(), True
    if isinstance(total, Tensor) or isinstance(g, Tensor):
        pending[id(v)] = (total + g, True)
        return
    if not (total_owned and backend.is_array(total) and getattr(total.flags, "writeable", True)):
        if type(g) is Scattered:            # a new buffer from the slice's (a 0-d rule may give a NumPy scalar)
            g, total = total, g.dense()
        else:
            pending[id(v)] = (total + g, True)
            return
    if type(g) is Scattered:
        g.add_into(total)
    else:
        total += g
    pending[id(v)] = (total, True)


def _deposit(t, g, owned, create_graph):
    """Add ``g`` to ``t.grad`` (PyTorch semantics: gradients accumulate across backward calls)."""
    if t.grad is None:
        if isinstance(g, Tensor):
            # Never a buffer another gradient shares, so in-place writes (grad.zero_()) touch this one alone;
            # under create_graph the copy is recorded (clone), as PyTorch's.
            t.grad = g if owned else g.clone() if create_graph else Tensor._wrap(g.data.copy())
        elif not backend.is_array(g):           # a rule on 0-d arrays may give a NumPy scalar
            t.grad = _as_tensor(g)
        else:
            t.grad = Tensor._wrap(g if owned and g.flags.writeable else g.copy())
    elif create_graph or t.grad.requires_grad:
        t.grad = t.grad + g
    else:
        t.grad.data += g.data if isinstance(g, Tensor) else g


@register("backward", export=False)
def tensor_backward(self, grad=None, retain_graph=None, create_graph=False):
    """Accumulate the gradient of this tensor into every leaf's ``.grad`` (PyTorch's semantics).

    Leaves that require grad (and tensors that called ``retain_grad``) get ``.grad`` added to (not
    replaced: zero them between steps).  The graph's saved values are freed afterwards unless
    ``retain_graph``.

    Args:
        grad: the upstream gradient, of this tensor's shape (a Tensor, an array or a number; cast to
            its dtype); it may be left out (None) only for a one-element tensor, where it is 1.
        retain_graph: keep the graph's saved values for another backward; None (the default): as
            ``create_graph``.
        create_graph: record the backward pass itself, so that the gradients are differentiable
            (higher-order derivatives); default False.

    Raises:
        RuntimeError: when this tensor does not require grad, ``grad`` is missing for a larger tensor,
            or the graph was freed by an earlier backward or changed in place since.
        ValueError: when ``grad``'s shape differs.
    """
    if not self.requires_grad:
        raise RuntimeError("backward: this tensor does not require grad and has no graph: create the "
                           "inputs with requires_grad=True, outside no_grad()")
    backward([self], [upstream(self, grad, "backward")],
             retain_graph=create_graph if retain_graph is None else retain_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned: ``.grad`` is left alone.

    PyTorch's ``torch.autograd.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors to differentiate.
        inputs: a Tensor or a sequence of Tensors that require grad.
        grad_outputs: the upstream gradient of each output (a Tensor or array of its shape, or None for a
            one-element output, where it is 1); a single value for a single output.  Default None.
        retain_graph: keep the graph's saved values for another backward; None (the default): as
            ``create_graph``.
        create_graph: record the gradient computation, so that the gradients can be differentiated again
            (default False).
        allow_unused: give None for an input the outputs do not depend on, instead of an error.

    Returns:
        A tuple with one Tensor per input, of that input's shape and dtype (None for an unused input with
            ``allow_unused``).

    Raises:
        RuntimeError: when an input does not require grad, no output requires grad, or an input is
            unused without ``allow_unused``.
        ValueError: when ``grad_outputs`` does not give one gradient per output.
    """
    single_output = isinstance(outputs, Tensor)
    outputs = [outputs] if single_output else list(outputs)
    inputs_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or (isinstance(grad_outputs, Tensor) or backend.is_array(grad_outputs)) and single_output:
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for t in inputs_list:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor with requires_grad=True")
    roots, upstreams = [], []
    for out, g in zip(outputs, grad_outputs):
        if out.requires_grad:
            roots.append(out)
            upstreams.append(upstream(out, g, "grad"))
    if not roots:
        raise RuntimeError("grad: none of the outputs requires grad, so there is no graph to differentiate")
    found = backward(roots, upstreams, retain_graph=create_graph if retain_graph is None else retain_graph,
                     create_graph=create_graph, inputs=inputs_list)
    for t, g in zip(inputs_list, found):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: an input of shape {t.shape} is not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(found)


def upstream(output, grad, op):
    """The gradient fed into ``output``: given, or 1 for a one-element output."""
    if grad is None:
        if output.size != 1:
            raise RuntimeError(f"{op}: the output has shape {output.shape}, so its gradient must be given "
                               "(pass grad=..., or reduce it to a scalar first, e.g. with .sum())")
        return Tensor._wrap(backend.ones(output.shape, dtype=output.dtype))
    if not isinstance(grad, Tensor):
        grad = Tensor(grad, copy=False)
        if grad.dtype.kind not in "fiu":
            raise TypeError(f"{op}: the gradient must be real numbers, got {grad.dtype}")
    if grad.shape != output.shape:
        raise ValueError(f"{op}: the gradient has shape {grad.shape} but the output has shape {output.shape}")
    if grad.dtype != output.dtype:
        grad = grad.astype(output.dtype)
    return grad
