"""Shapes with free sizes (None), shared by layers, the trainer and models without either importing the other."""


def same_shape(shape, pattern):
    """Whether ``shape`` fits ``pattern``, where None in either matches any size."""
    return len(shape) == len(pattern) and all(a is None or b is None or a == b for a, b in zip(shape, pattern))
