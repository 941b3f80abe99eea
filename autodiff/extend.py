"""What an op author needs, in one place (as HIPS autograd's ``autograd.extend``).

    from autodiff.extend import Function, register, backend, functional as F

    @register("softsign")
    class Softsign(Function):
        retain_inputs = (0,)
        def forward(self, x):
            return x / (1 + abs(x))
        def backward(self, grad, x):
            return (grad / (1 + F.abs(x)) ** 2,)

- ``Function``: the base class, a forward on arrays beside its one gradient rule;
- ``register``: declares the op as ``ad.name``, ``Tensor.name`` and operators
  (a name is declared once; ``replace=True`` to replace one on purpose);
- ``apply``: runs a Function instance on Tensors, arrays or numbers;
- ``unbroadcast``: a gradient summed back to an input's shape and dtype
  (``Function.unbroadcast(grad, i)`` inside a rule);
- ``functional``: every op as a function that computes on arrays and records on
  Tensors, the vocabulary gradient rules are written in;
- ``backend``: the array seam (``backend.xp(a)`` is the array's module,
  ``backend.where``, random generators, ...): ops never name NumPy directly;
- ``array_of``: the array behind a Tensor (composite ops look at values);
- ``OPS``: every declaration, in order (the type stubs are made from it).
"""
from . import backend, functional
from .function import Function, unbroadcast
from .registry import OPS, register
from .tensor import Tensor, UnsupportedOperand, apply, array_of

__all__ = ["OPS", "Function", "Tensor", "UnsupportedOperand", "apply", "array_of", "backend", "functional", "register",
           "unbroadcast"]
