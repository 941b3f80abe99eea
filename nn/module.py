"""Module and Parameter: the spine of nn (as in micrograd and PyTorch).

Weights are saved and loaded with NumPy's file formats: host-only by nature.
"""
import os
import tempfile
import zipfile

import numpy as np

import autodiff as ad


class Parameter(ad.Tensor):
    """A named float tensor of a model's state: a weight an optimizer updates in place (trainable, it
    requires grad), or a statistic a layer updates itself (``trainable=False``, as BatchNormalization's)."""

    __slots__ = ()

    def __init__(self, data, name=None, dtype=ad.DEFAULT_FLOAT, trainable=True):
        super().__init__(data, requires_grad=trainable, dtype=dtype, name=name)

    @property
    def trainable(self):
        """Whether optimizers update it (moving statistics are parameters that are not trained)."""
        return self.requires_grad


class Module:
    """Parameters are found from attributes: Parameters, Modules and lists of Modules."""

    training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_children(self):
        for attr, value in vars(self).items():
            if isinstance(value, Module):
                yield attr, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{attr}.{i}", item

    def named_parameters(self, prefix=""):
        """``(dotted attribute path, Parameter)`` pairs, each parameter once, in definition order."""
        seen = set()
        for path, p in self._walk_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield path, p

    def _walk_parameters(self, prefix):
        for attr, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + attr, value
        for path, child in self.named_children():
            yield from child._walk_parameters(f"{prefix}{path}.")

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def modules(self):
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def zero_grad(self):
        """Forget the gradients (set to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def count_params(self):
        return int(sum(p.size for p in self.parameters()))

    def save_weights(self, path):
        """Write every parameter to an .npz file, keyed by its attribute path.

        Written whole or not at all: into a temporary file beside ``path``, then
        renamed over it, so a failed write (a full disk) leaves an old file intact.
        """
        weights = {name: p.numpy() for name, p in self.named_parameters()}
        if not weights:
            raise ValueError(f"save_weights: {type(self).__name__} has no parameters yet (build it first)")
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **weights)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def load_weights(self, path):
        """Read parameters saved by ``save_weights``; names, shapes and values must all fit.

        Every array is checked and converted before the first parameter is
        written: a file that does not fit leaves the model as it was.
        """
        own = dict(self.named_parameters())
        not_ours = f"load_weights: {path} is not a weights file written by save_weights (an .npz archive)"
        try:
            stored = np.load(path, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise ValueError(f"{not_ours}: {exc}") from None
        if not isinstance(stored, np.lib.npyio.NpzFile):
            raise ValueError(f"{not_ours}: it holds a single array")
        with stored:
            missing = sorted(set(own) - set(stored.files))
            unexpected = sorted(set(stored.files) - set(own))
            if missing or unexpected:
                raise ValueError(f"load_weights: {path} does not match this model: missing {missing}, "
                                 f"unexpected {unexpected}")
            arrays = {name: stored[name] for name in own}
        converted = {}
        for name, p in own.items():
            array = arrays[name]
            if array.shape != p.shape:
                raise ValueError(f"load_weights: parameter {name!r} has shape {p.shape} in the model but "
                                 f"{array.shape} in {path}")
            if array.dtype.kind not in "fiub":
                raise ValueError(f"load_weights: parameter {name!r} is {array.dtype} in {path}, not real numbers")
            with np.errstate(over="ignore"):
                value = array.astype(p.dtype)
            if array.dtype.kind == "f" and not np.array_equal(np.isfinite(value), np.isfinite(array)):
                raise ValueError(f"load_weights: parameter {name!r} holds values too large for {p.dtype} in {path}")
            converted[name] = value
        for name, p in own.items():         # only after every check passed: no half-loaded model
            p.data[...] = converted[name]
