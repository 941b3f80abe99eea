"""to_categorical, load_torch_state_dict and small helpers.  Labels are prepared on the host (NumPy) before training."""
import os

import numpy as np

import autodiff as ad


def set_random_seed(seed):
    """Make initial weights, dropout masks and shuffling reproducible (one generator, shared with ad.randn);
    Keras's ``keras.utils.set_random_seed``.

    ``set_seed`` is the same function (its earlier name).

    Args:
        seed: an int (or anything ``numpy.random.default_rng`` takes): autodiff's one generator
            restarts from it (``ad.seed``).
    """
    ad.seed(seed)


set_seed = set_random_seed          # the earlier name


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels, as Keras does: shape ``y.shape + (num_classes,)``.

    A trailing axis of size 1 is dropped first (Keras semantics).  Negative,
    too large or non-integer labels are an error.

    Args:
        y: integer class labels, an array-like of any shape (whole floats and booleans are accepted).
        num_classes: the number of classes; None (default): the largest label + 1.
        dtype: the result's dtype (default ``"float32"``).

    Returns:
        A NumPy array of shape ``y.shape + (num_classes,)`` (a trailing axis of 1 dropped from ``y``)
        and ``dtype``: 1 at each label, 0 elsewhere.

    Raises:
        ValueError: labels that are negative, not whole numbers, not numbers, or not below ``num_classes``.
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


_TORCH_PARAMETERS = ("weight", "bias", "running_mean", "running_var")


def _torch_order(name):
    """A safetensors file does not keep a state dict's order: this gives it back for a torch.nn.Sequential
    (modules by index, numbers compared as numbers; in each, weight, bias, running_mean, running_var)."""
    *path, last = name.split(".")
    rank = _TORCH_PARAMETERS.index(last) if last in _TORCH_PARAMETERS else len(_TORCH_PARAMETERS)
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in path], rank, last


def load_torch_state_dict(model, state_dict, mapping=None, transpose=True):
    """Load a PyTorch ``state_dict`` (torch tensors or NumPy arrays, or the path of a ``.safetensors`` file
    that ``safetensors.torch.save_file`` wrote) into ``model``; returns the pairs ``[(nn name, PyTorch
    name), ...]`` it used.

    Without ``mapping`` the tensors are paired with ``model.state_dict()``'s entries in order (a
    ``torch.nn.Sequential`` of Linear, Conv2d and BatchNorm2d lists them in the order nn's Dense,
    Conv2D and BatchNormalization list theirs; BatchNorm's ``num_batches_tracked`` counters are left
    out).  A file does not keep the order: its tensors are ordered by module path (numbers as numbers)
    and, in a module, weight, bias, running_mean, running_var, which is a Sequential's order.
    ``mapping={nn name: PyTorch name}`` pairs them by name instead (every parameter named).

    The layouts differ: PyTorch's Linear weight is (out, in) where a Dense kernel is (in, out), and its
    Conv2d weight is (out, in, kh, kw) where a Conv2D kernel is (kh, kw, in, out).  ``transpose=True``
    turns the weights of Dense and Conv2D kernels into nn's layout (chosen by the layer, not by the
    shape, so a square Linear is transposed too); ``transpose=False`` takes every tensor as it is.
    Every shape is checked before any weight is written (all or nothing, as ``load_state_dict``).

    Args:
        model: the nn model or layer to load into, built (its weights exist).
        state_dict: a dict ``{PyTorch name: torch tensor or array}`` (``torch_model.state_dict()``), or
            the path of a ``.safetensors`` file.
        mapping: None (default): pair by order; or a dict ``{nn name: PyTorch name}`` naming every
            parameter of ``model`` (``model.named_parameters()``'s names).
        transpose: whether to turn Linear and Conv2d weights into Dense and Conv2D kernels' layout
            (default True).

    Returns:
        The list of pairs ``[(nn name, PyTorch name), ...]`` it loaded.

    Raises:
        ValueError: counts, names or shapes that do not fit, or an unreadable file; nothing is written then.
    """
    from . import layers, safetensorsfile

    if isinstance(state_dict, (str, os.PathLike)):
        try:
            stored = safetensorsfile.read(state_dict)
        except safetensorsfile.SafetensorsError as exc:
            raise ValueError(f"load_torch_state_dict: {exc}") from None
        state_dict = {name: stored[name] for name in sorted(stored, key=_torch_order)}
    def as_array(value):
        if hasattr(value, "detach"):                    # a torch tensor, without importing torch
            value = value.detach().cpu().numpy()
        return np.asarray(value)

    given = {name: value for name, value in state_dict.items() if not str(name).endswith("num_batches_tracked")}
    own = dict(model.named_parameters())
    if mapping is None:
        if len(given) != len(own):
            raise ValueError(f"load_torch_state_dict: the model has {len(own)} parameters and the state dict "
                             f"{len(given)} tensors (num_batches_tracked left out); pairing by order needs the "
                             f"same count: nn {list(own)[:12]}, PyTorch {list(given)[:12]}; pass "
                             "mapping={nn name: PyTorch name}")
        pairs = list(zip(own, given))
    else:
        missing = sorted(set(own) - set(mapping))
        unknown = sorted(set(mapping) - set(own))
        absent = sorted(set(mapping.values()) - set(given))
        if missing or unknown or absent:
            raise ValueError(f"load_torch_state_dict: mapping must name every parameter of the model once and "
                             f"tensors of the state dict: parameters not mapped {missing}, not in the model "
                             f"{unknown}, not in the state dict {absent}")
        pairs = list(mapping.items())
    owners = {id(value): (module, attr) for module in model.modules() for attr, value in vars(module).items()
              if isinstance(value, ad.Tensor)}
    values = {}
    for ours, theirs in pairs:
        value = original = as_array(given[theirs])
        module, attr = owners.get(id(own[ours]), (None, None))
        if transpose and attr == "kernel" and isinstance(module, layers.Dense) and value.ndim == 2:
            value = value.T
        elif transpose and attr == "kernel" and isinstance(module, layers.Conv2D) and value.ndim == 4:
            value = value.transpose(2, 3, 1, 0)
        if tuple(value.shape) != tuple(own[ours].shape):
            seen = f"{tuple(original.shape)} in PyTorch" + (f", {tuple(value.shape)} transposed"
                                                            if value is not original else "")
            hint = "" if transpose else " (transpose=True turns Linear and Conv2d weights into nn's layout)"
            raise ValueError(f"load_torch_state_dict: {theirs!r} ({seen}) does not fit {ours!r} "
                             f"{own[ours].shape}{hint}")
        values[ours] = value
    model.load_state_dict(values)
    return pairs
