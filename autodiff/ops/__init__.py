"""Every op: a Function subclass (forward beside its one gradient rule) declared with ``register``.

Importing the families declares their ops on Tensor and in ``autodiff.functional``.
"""
from . import activations, conv, elementwise, linalg, nn, recurrent, reduce, shape, special  # noqa: F401  (declares the ops)
from . import numpy_extra, torch_names  # noqa: F401  (NumPy's remaining vocabulary; PyTorch's aliases)
