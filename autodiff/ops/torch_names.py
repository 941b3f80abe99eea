"""PyTorch's names for existing ops, where NumPy has none: aliases, never a second implementation."""
from .. import functional as F
from ..registry import register


@register("pow", methods=("pow",))
def pow(x, exponent):                 # noqa: A001  (NumPy 2's and PyTorch's name; shadows the builtin only here)
    """``x ** exponent`` (PyTorch's ``Tensor.pow``, NumPy 2's ``np.pow``): the op ``power``.

    Args:
        x: the base: a Tensor, an array or a number.
        exponent: a Tensor, an array or a number, broadcasting against ``x``.

    Returns:
        A Tensor of the inputs' broadcast shape.
    """
    return F.power(x, exponent)


@register("unsqueeze", export=False)
def unsqueeze(x, dim):
    """``x`` with a new axis of size 1 at ``dim`` (PyTorch's name of ``expand_dims``).

    Args:
        x: a Tensor.
        dim: where the new axis stands in the result, -ndim - 1 <= dim <= ndim.

    Returns:
        A Tensor of ``x``'s shape with a 1 inserted.

    Raises:
        IndexError: when ``dim`` is out of that range.
    """
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dimension out of range (expected to be in range of [{-x.ndim - 1}, {x.ndim}], "
                         f"but got {dim}) for a tensor of shape {x.shape}")
    return F.expand_dims(x, dim)


@register("view", export=False)
def view(x, *shape):
    """``x.reshape(*shape)``: PyTorch's view where it is a reshape (never a reinterpretation of bits).

    Like NumPy's reshape it copies when the data cannot be seen in the new shape, where PyTorch's view
    would raise.

    Args:
        x: a Tensor.
        *shape: the new shape, as integers or one tuple; one entry may be -1.

    Returns:
        A Tensor of ``shape`` holding ``x``'s values.

    Raises:
        TypeError: when given a dtype (PyTorch's ``view(dtype)``): use ``astype``.
    """
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) and (isinstance(shape[0], type) or
                                                                      not hasattr(shape[0], "__index__")):
        raise TypeError(f"view: takes a shape; view({shape[0]!r}) as PyTorch's reinterpretation of the bits as "
                        "another dtype is not supported: use astype(dtype) to convert the values")
    return F.reshape(x, *shape)


@register("numel", export=False)
def numel(x):
    """The number of values in ``x`` (PyTorch's name of ``size``).

    Args:
        x: a Tensor.

    Returns:
        An int.
    """
    return x.size

