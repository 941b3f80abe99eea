"""Every op as a NumPy-named function: ``ad.exp(x)``, ``ad.sum(x, axis=0)``, ``ad.concatenate([a, b])``.

This namespace is filled by ``autodiff.registry.register`` as the modules of
``autodiff.ops`` declare their ops, so an op is written in one place.  Given a
Tensor a function records the op and returns a Tensor; given only arrays and
numbers it is plain NumPy and returns an array (that is what lets one gradient
rule run on arrays and on Tensors).
"""
__all__ = []
