"""to_categorical and small helpers.  Labels are prepared on the host (NumPy) before training."""
import numpy as np

import autodiff as ad


def set_random_seed(seed):
    """Make initial weights, dropout masks and shuffling reproducible (one generator, shared with ad.randn);
    Keras's ``keras.utils.set_random_seed``."""
    ad.seed(seed)


set_seed = set_random_seed          # the earlier name


def same_shape(shape, pattern):
    """Whether ``shape`` fits ``pattern``, where None in either matches any size."""
    return len(shape) == len(pattern) and all(a is None or b is None or a == b for a, b in zip(shape, pattern))


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels, as Keras does: shape ``y.shape + (num_classes,)``.

    A trailing axis of size 1 is dropped first (Keras semantics).  Negative,
    too large or non-integer labels are an error.
    """
    y = np.asarray(y)
    if y.ndim and y.shape[-1] == 1 and y.ndim > 1:
        y = y.reshape(y.shape[:-1])
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError("to_categorical: labels must be whole numbers, got non-integer values such as "
                             f"{y[np.isfinite(y) & (y != np.round(y))][:3].tolist() or 'nan/inf'}")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu" and y.dtype != bool:
        raise ValueError(f"to_categorical: labels must be integers, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(y.min())}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(y.max())} is too large for num_classes={num_classes} "
                         f"(labels must be in 0..{num_classes - 1})")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out
