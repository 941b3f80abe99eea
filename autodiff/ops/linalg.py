"""Matrix products with NumPy's matmul rules: 1-D operands, 2-D, and batches that broadcast."""
import math

from .. import backend
from .. import functional as F
from ..function import Function, unbroadcast
from ..registry import register
from ..tensor import Tensor


@register("matmul", methods=("matmul", "__matmul__"), reflected=("__rmatmul__",))
class MatMul(Function):
    """The matrix product ``a @ b`` with NumPy's matmul rules (also the ``@`` operator).

    2-D operands multiply as matrices; a 1-D ``a`` is a row and a 1-D ``b`` a column (that axis dropped
    from the result); leading axes are batches that broadcast.

    Args:
        a: a Tensor or an array of shape (..., n, k) or (k,).
        b: a Tensor or an array of shape (..., k, m) or (k,).

    Returns:
        A Tensor of shape (..., n, m), the batch axes broadcast (without n or m for a 1-D operand).

    Raises:
        ValueError: for a 0-d operand (use ``*``) or sizes k that differ.
    """

    retain_inputs = (0, 1)

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}; "
                             "use * to multiply by a scalar")
        k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
                             f"({k_a}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of the second ({k_b})")
        return backend.xp(a).matmul(a, b)

    def backward(self, grad, a, b):
        # Treat 1-D operands as matrices (a row, b a column), as matmul itself does,
        # and give the gradient back the axes that matmul dropped.
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        if a.ndim == 1 or b.ndim == 1:
            batch = backend.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
            grad = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        need = self.needs_input_grad
        grad_a = grad_b = None
        if need[0]:
            grad_a = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape, self.dtypes[0]).reshape(self.shapes[0])
        if need[1]:
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape, self.dtypes[1]).reshape(self.shapes[1])
        return grad_a, grad_b


def add_bias_and_relu(out, bias, activation):
    """``out + bias`` then the ReLU, in ``out``'s own buffer (a new one only when bias promotes the dtype)."""
    if bias is not None:
        out = out + bias if backend.result_type(out, bias) != out.dtype else backend.add_bias(out, bias)
    if activation == "relu":
        backend.relu(out, out=out)
    return out


def relu_mask(fn, out):
    """Where a fused ReLU passed, for ``fn``'s backward when it is recorded (else None).

    Taken in the forward while ``out`` is fresh in cache; a boolean array holds a
    quarter of the output's bytes, and the node need not keep the output at all.
    The mask is a constant, as the one Relu's rule takes, so higher derivatives stay exact.
    """
    return out > 0 if fn.activation == "relu" and any(fn.needs_input_grad) else None


@register("linear")
class Linear(Function):
    """``x @ weight + bias`` as one op (PyTorch's addmm, a dense layer's forward).

    One output buffer, with the bias added in place.

    Args:
        x: a Tensor of shape (..., in_features), any number of leading axes.
        weight: a Tensor of shape (in_features, out_features) (Keras's kernel layout).
        bias: a Tensor of shape (out_features,), or None (the default): no bias.
        activation: None (the default) or ``"relu"``: the ReLU applied in the same buffer, one node and
            no extra array, as fused dense kernels do (its gradient at 0 is 0, as ``relu``'s).

    Returns:
        A Tensor of shape (..., out_features).

    Raises:
        ValueError: when the shapes do not fit, or for another ``activation``.
    """

    retain_inputs = (0, 1)

    def __init__(self, activation=None):
        if activation not in (None, "relu"):
            raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
        super().__init__(activation=activation)

    def forward(self, x, weight, bias=None):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[0] or \
                bias is not None and bias.shape != (weight.shape[1],):
            raise ValueError(f"linear: x of shape {x.shape}, weight of shape {weight.shape}"
                             f"{'' if bias is None else f' and bias of shape {bias.shape}'} do not fit: "
                             "expected (..., in), (in, out) and (out,)")
        if x.ndim > 2:      # every leading axis is a row: one product (matmul would make one per batch entry)
            rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1])
            out = backend.xp(x).matmul(rows, weight).reshape(x.shape[:-1] + (weight.shape[1],))
        else:
            out = backend.xp(x).matmul(x, weight)
        out = add_bias_and_relu(out, bias, self.activation)
        self.saved = relu_mask(self, out)
        return out

    def backward(self, grad, x, weight):
        if self.saved is not None:
            grad = F.where(self.saved, grad, 0)       # as Relu's rule: 0 at the kink
        need = self.needs_input_grad
        n_in, n_out = weight.shape
        n_rows = math.prod(grad.shape[:-1])
        rows = grad.reshape(n_rows, n_out)             # every leading axis is a row (sizes spelled out: any may be 0)
        grads = [None] * len(self.shapes)
        if need[0]:
            grads[0] = self.unbroadcast((rows @ weight.T).reshape(tuple(grad.shape[:-1]) + (n_in,)), 0)
        if need[1]:
            grads[1] = self.unbroadcast(x.reshape(n_rows, n_in).T @ rows, 1)
        if len(self.shapes) == 3 and need[2]:
            grads[2] = self.unbroadcast(rows, 2)                  # summed over the rows
        return tuple(grads)


def _numbers_as_arrays(a, b):
    """Python numbers and lists beside a Tensor, as arrays (numbers in the Tensor's float dtype: they never promote)."""
    def convert(x, other):
        if hasattr(x, "ndim"):
            return x
        return other._operand(x) if isinstance(other, Tensor) else backend.asarray(x)
    return convert(a, b), convert(b, a)


@register("dot")
def dot(a, b):
    """NumPy's dot: a product with a scalar, ``matmul`` up to 2-D, else a sum over one axis of each.

    The sum runs over the last axis of ``a`` and the second-to-last of ``b``.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number.

    Returns:
        A Tensor: with a scalar, ``a * b``; up to 2-D, ``a @ b``; else of shape
            ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``.

    Raises:
        ValueError: when the summed axes differ in size.
    """
    a, b = _numbers_as_arrays(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return a @ b
    k = a.shape[-1]
    if b.shape[-2 if b.ndim > 1 else 0] != k:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned: {k} (last axis of the first) "
                         f"!= {b.shape[-2 if b.ndim > 1 else 0]} (second-to-last axis of the second)")
    if b.ndim == 1:
        return a @ b
    # Move b's contracted axis to the front and flatten the rest: one matrix product.
    rest = b.shape[:-2] + b.shape[-1:]
    b_axes = (b.ndim - 2,) + tuple(range(b.ndim - 2)) + (b.ndim - 1,)
    b_matrix = b.transpose(b_axes).reshape(k, math.prod(rest))       # sizes spelled out: k may be 0
    return (a.reshape(math.prod(a.shape[:-1]), k) @ b_matrix).reshape(a.shape[:-1] + rest)


@register("outer")
def outer(a, b):
    """Every product of a value of ``a`` with a value of ``b``, both flattened (NumPy's outer).

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number.

    Returns:
        A Tensor of shape (a.size, b.size).
    """
    a, b = _numbers_as_arrays(a, b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


@register("tensordot")
def tensordot(a, b, axes=2):
    """The sum of products over ``axes`` of ``a`` and ``b`` (NumPy's tensordot), as one matrix product.

    Args:
        a: a Tensor or an array.
        b: a Tensor or an array.
        axes: an int n (the default 2): the last n axes of ``a`` with the first n of ``b``; or two lists,
            the axes of ``a`` and the axes of ``b`` to sum over, in pairs.

    Returns:
        A Tensor of ``a``'s remaining axes followed by ``b``'s.

    Raises:
        ValueError: when paired axes differ in size.
    """
    a, b = _numbers_as_arrays(a, b)
    if isinstance(axes, int):
        a_axes, b_axes = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        a_axes, b_axes = ([x] if isinstance(x, int) else list(x) for x in axes)
    a_axes, b_axes = [i % a.ndim for i in a_axes], [i % b.ndim for i in b_axes]
    if [a.shape[i] for i in a_axes] != [b.shape[i] for i in b_axes]:
        raise ValueError(f"tensordot: shapes {a.shape} and {b.shape} do not match over axes {a_axes} and {b_axes}")
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    size = 1
    for i in a_axes:
        size *= a.shape[i]
    rows, cols = math.prod(a.shape[i] for i in a_free), math.prod(b.shape[i] for i in b_free)
    left = F.transpose(a, a_free + a_axes).reshape(rows, size)        # sizes spelled out: any may be 0
    right = F.transpose(b, b_axes + b_free).reshape(size, cols)
    return (left @ right).reshape([a.shape[i] for i in a_free] + [b.shape[i] for i in b_free])


@register("inner")
def inner(a, b):
    """The sum of products over the last axes of ``a`` and ``b`` (NumPy's inner); a product when either is 0-d.

    Args:
        a: a Tensor, an array or a number.
        b: a Tensor, an array or a number, with ``a``'s last size.

    Returns:
        A Tensor of shape ``a.shape[:-1] + b.shape[:-1]``.
    """
    a, b = _numbers_as_arrays(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, ([-1], [-1]))


@register("einsum")
def einsum(subscripts, *operands):
    """Einstein summation with NumPy's subscripts (``"ij,jk->ik"``).

    Implicit or explicit output, ``...`` for broadcast axes, repeated letters in one operand (diagonals,
    traces), and NumPy's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.  Built from diagonal,
    transpose, broadcasting products and sums, so its gradient is theirs.

    Args:
        subscripts: the subscripts, one term per operand: letters name axes; ``->`` gives the output's
            letters (without it, the letters used once, in alphabetical order).
        *operands: the Tensors or arrays, one per term.

    Returns:
        A Tensor with one axis per output letter, in that order.

    Raises:
        ValueError: when the terms do not fit the operands.
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _sublists_as_subscripts((subscripts,) + operands)
    inputs, output = _parse_einsum(subscripts.replace(" ", ""), operands)
    letters = sorted({c for term in inputs for c in term} | set(output), key=lambda c: (c not in output, c))
    aligned = []
    for term, x in zip(inputs, operands):
        x, term = _take_repeated_diagonals(x, term)
        order = sorted(range(len(term)), key=lambda i: letters.index(term[i]))
        x = F.transpose(x, order) if len(term) > 1 else x
        present = [term[i] for i in order]
        shape, position = [], 0
        for c in letters:
            if position < len(present) and present[position] == c:
                shape.append(x.shape[position])
                position += 1
            else:
                shape.append(1)
        aligned.append(x.reshape(shape))
    product = aligned[0]
    for x in aligned[1:]:
        product = product * x
    summed = tuple(i for i, c in enumerate(letters) if c not in output)
    if summed:
        product = product.sum(axis=summed)
    kept = [c for c in letters if c in output]
    return F.transpose(product, [kept.index(c) for c in output]) if len(output) > 1 else product


def _sublists_as_subscripts(args):
    """NumPy's sublist form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, as subscripts ``"ab,bc->ac"``."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(sublist):
        try:
            return "".join("..." if s is Ellipsis else letters[s] for s in sublist)
        except (IndexError, TypeError):
            raise ValueError(f"einsum: a sublist holds integers 0 to 51 (or ...), got {sublist!r}") from None
    operands, terms = args[0:-1:2] if len(args) % 2 else args[0::2], [term(s) for s in args[1::2]]
    subscripts = ",".join(terms[:len(operands)])
    if len(args) % 2:
        subscripts += "->" + term(args[-1])
    return subscripts, tuple(operands)


def _parse_einsum(subscripts, operands):
    if "->" in subscripts:
        left, output = subscripts.split("->")
    else:
        left, output = subscripts, None
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum: {len(inputs)} terms in {subscripts!r} but {len(operands)} operands")
    used = {c for term in inputs for c in term if c.isalpha()}
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    ellipsis_dims = max((x.ndim - len(term.replace("...", "")) for term, x in zip(inputs, operands)
                         if "..." in term), default=0)
    dots = "".join(spare[:ellipsis_dims])
    expanded = []
    for term, x in zip(inputs, operands):
        if "..." in term:
            own = x.ndim - len(term.replace("...", ""))
            term = term.replace("...", dots[ellipsis_dims - own:] if own else "")
        if len(term) != x.ndim:
            raise ValueError(f"einsum: term {term!r} has {len(term)} letters for an operand of shape {x.shape}")
        expanded.append(term)
    if output is None:
        counts = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        output = dots + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in dots))
    else:
        output = output.replace("...", dots)
    return expanded, output


def _take_repeated_diagonals(x, term):
    """A letter twice in one term means its diagonal: ``ii->`` is a trace."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        first, second = term.index(c), term.index(c, term.index(c) + 1)
        x = F.diagonal(x, 0, first, second)               # the diagonal becomes the last axis
        term = "".join(t for i, t in enumerate(term) if i not in (first, second)) + c
    return x, term
