"""Weight initializers by name, with Keras's definitions.

Host-only by nature: weights are sampled once, with NumPy, from autodiff's one
generator (``ad.seed``).  Fans follow Keras: for a (fan_in, fan_out) kernel they are its two axes.
The normal variants draw from a normal truncated at two standard deviations,
scaled so that the result has the intended variance (as Keras does).
"""
import numpy as np

import autodiff as ad
from autodiff.extend import backend

_TRUNCATED_STD = 0.87962566103423978    # std of a standard normal truncated to [-2, 2]


def _fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(rng, shape, std):
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out * (std / _TRUNCATED_STD)


class Initializer:
    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=np.float32):
        return np.asarray(self.sample(tuple(shape), backend.generator(self.seed)), dtype=dtype)

    def __repr__(self):
        return f"{type(self).__name__}(seed={self.seed})"


class Zeros(Initializer):
    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    def sample(self, shape, rng):
        return np.ones(shape)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)


class GlorotUniform(Initializer):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out))."""

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)


class GlorotNormal(Initializer):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out))."""

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        return _truncated_normal(rng, shape, np.sqrt(2.0 / (fan_in + fan_out)))


class HeUniform(Initializer):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in)."""

    def sample(self, shape, rng):
        return rng.uniform(-1, 1, shape) * np.sqrt(6.0 / _fans(shape)[0])


class HeNormal(Initializer):
    """Truncated normal with std sqrt(2 / fan_in)."""

    def sample(self, shape, rng):
        return _truncated_normal(rng, shape, np.sqrt(2.0 / _fans(shape)[0]))


class Orthogonal(Initializer):
    """A random orthogonal matrix (Keras's Orthogonal, the recurrent kernels' default): the Q of the QR
    decomposition of a normal matrix, signs fixed by R's diagonal; shapes of more axes are flattened to
    (product of all but the last, last)."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def sample(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of at least 2 axes, got {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "normal": RandomNormal, "orthogonal": Orthogonal,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
}


def get(identifier, seed=None):
    """An initializer from a name (``"he_normal"``), an Initializer, or any callable(shape, dtype)."""
    if isinstance(identifier, str):
        if identifier not in INITIALIZERS:
            raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(INITIALIZERS)}")
        return INITIALIZERS[identifier](seed=seed)
    if callable(identifier):
        return identifier
    raise TypeError(f"an initializer must be a name or a callable, got {identifier!r}")
