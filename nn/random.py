"""One seedable generator for initializers, dropout and shuffling."""
import numpy as np

import autodiff as ad

_generator = np.random.default_rng()


def set_seed(seed):
    """Make initial weights, dropout masks and shuffling reproducible (also seeds autodiff's randn/rand)."""
    global _generator
    _generator = np.random.default_rng(seed)
    ad.seed(seed)


def generator(seed=None):
    """The shared generator, or a fresh one for a per-call ``seed``."""
    return _generator if seed is None else np.random.default_rng(seed)
