"""Every op: a Function subclass (forward beside its one gradient rule) declared with ``register``.

Importing the families declares their ops on Tensor and in ``autodiff.functional``.
"""
from . import elementwise, linalg, nn, reduce, shape  # noqa: F401  (declares the ops)
