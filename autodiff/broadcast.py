"""Undo NumPy broadcasting in gradient rules."""


def unbroadcast(grad, like):
    """Reduce ``grad`` (a Tensor) to the shape and dtype of the input Tensor ``like``.

    Broadcasting added leading axes and stretched size-1 axes; the gradient of a
    broadcast is the sum over exactly those axes.  One sum with keepdims plus a
    reshape covers every case.  A float32 input mixed with float64 gets its
    gradient back in float32.
    """
    shape = like.data.shape            # .data directly: this runs in nearly every rule
    if grad.data.shape != shape:
        extra = grad.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(
            extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
        )
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
        grad = grad.reshape(shape)
    dtype = like.data.dtype
    if grad.data.dtype is not dtype and grad.data.dtype != dtype:
        grad = grad.astype(dtype)
    return grad
