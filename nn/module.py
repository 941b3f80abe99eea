"""Module and Parameter: the spine of nn (as in micrograd and PyTorch).

Weights are saved and loaded with NumPy's file formats: host-only by nature.
"""
import numpy as np

import autodiff as ad


class Parameter(ad.Tensor):
    """A named float tensor that requires grad: a weight an optimizer updates in place."""

    __slots__ = ()

    def __init__(self, data, name=None, dtype=ad.DEFAULT_FLOAT):
        super().__init__(data, requires_grad=True, dtype=dtype, name=name)


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
        """Write every parameter to an .npz file, keyed by its attribute path."""
        weights = {name: p.numpy() for name, p in self.named_parameters()}
        if not weights:
            raise ValueError(f"save_weights: {type(self).__name__} has no parameters yet (build it first)")
        with open(path, "wb") as f:
            np.savez(f, **weights)

    def load_weights(self, path):
        """Read parameters saved by ``save_weights``; names and shapes must match exactly."""
        own = dict(self.named_parameters())
        with np.load(path) as stored:
            missing = sorted(set(own) - set(stored.files))
            unexpected = sorted(set(stored.files) - set(own))
            if missing or unexpected:
                raise ValueError(f"load_weights: {path} does not match this model: missing {missing}, "
                                 f"unexpected {unexpected}")
            arrays = {name: stored[name] for name in own}
        for name, p in own.items():
            if arrays[name].shape != p.shape:
                raise ValueError(f"load_weights: parameter {name!r} has shape {p.shape} in the model but "
                                 f"{arrays[name].shape} in {path}")
        for name, p in own.items():         # only after every check passed: no half-loaded model
            p.data[...] = arrays[name]
