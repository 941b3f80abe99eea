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
    """The base of every initializer: ``init(shape, dtype)`` -> the weight's first values (Keras's
    ``keras.initializers.Initializer``).

    A subclass defines ``sample(shape, rng)``. Any callable ``(shape, dtype) -> array`` also serves
    where layers take an initializer.

    Args:
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=np.float32):
        return np.asarray(self.sample(tuple(shape), backend.generator(self.seed)), dtype=dtype)

    def sample(self, shape, rng):
        """The values, drawn from ``rng``: what a subclass defines.

        Args:
            shape: the weight's shape, a tuple of ints.
            rng: the NumPy Generator to draw from.

        Returns:
            A float64 NumPy array of ``shape`` (``__call__`` casts it to the dtype asked).
        """
        raise NotImplementedError(f"{type(self).__name__} must define sample(shape, rng)")

    def __repr__(self):
        return f"{type(self).__name__}(seed={self.seed})"


class Zeros(Initializer):
    """All zeros (Keras's ``Zeros``; biases start at zeros).

    Args:
        seed: unused (nothing is random); accepted as every initializer takes it.

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones (Keras's ``Ones``).

    Args:
        seed: unused (nothing is random); accepted as every initializer takes it.

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def sample(self, shape, rng):
        return np.ones(shape)


class RandomNormal(Initializer):
    """Samples of a normal distribution N(mean, stddev**2) (Keras's ``RandomNormal``).

    Args:
        mean: the distribution's mean (default 0.0).
        stddev: its standard deviation (default 0.05).
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Samples of the uniform distribution on [minval, maxval) (Keras's ``RandomUniform``).

    Args:
        minval: the lower bound (default -0.05).
        maxval: the upper bound (default 0.05).
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)


class GlorotUniform(Initializer):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Keras's default for kernels).

    Fans as Keras: a kernel (fan_in, fan_out); a convolution kernel (kh, kw, in, out) has fan_in
    ``kh * kw * in`` and fan_out ``kh * kw * out``; a vector of n has n for both.

    Args:
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)


class GlorotNormal(Initializer):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out)) (Keras's ``GlorotNormal``).

    Drawn from a normal truncated at two standard deviations, scaled so the result has that standard
    deviation (Keras's ``truncated_normal``).

    Fans as Keras: a kernel (fan_in, fan_out); a convolution kernel (kh, kw, in, out) has fan_in
    ``kh * kw * in`` and fan_out ``kh * kw * out``; a vector of n has n for both.

    Args:
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        return _truncated_normal(rng, shape, np.sqrt(2.0 / (fan_in + fan_out)))


class HeUniform(Initializer):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in) (Keras's ``HeUniform``).

    Fans as Keras: a kernel (fan_in, fan_out); a convolution kernel (kh, kw, in, out) has fan_in
    ``kh * kw * in`` and fan_out ``kh * kw * out``; a vector of n has n for both.

    Args:
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def sample(self, shape, rng):
        return rng.uniform(-1, 1, shape) * np.sqrt(6.0 / _fans(shape)[0])


class HeNormal(Initializer):
    """Truncated normal with std sqrt(2 / fan_in) (Keras's ``HeNormal``; suits ReLU layers).

    Drawn from a normal truncated at two standard deviations, scaled so the result has that standard
    deviation (Keras's ``truncated_normal``).

    Fans as Keras: a kernel (fan_in, fan_out); a convolution kernel (kh, kw, in, out) has fan_in
    ``kh * kw * in`` and fan_out ``kh * kw * out``; a vector of n has n for both.

    Args:
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.
    """

    def sample(self, shape, rng):
        return _truncated_normal(rng, shape, np.sqrt(2.0 / _fans(shape)[0]))


class Orthogonal(Initializer):
    """A random orthogonal matrix (Keras's Orthogonal, the recurrent kernels' default): the Q of the QR
    decomposition of a normal matrix, signs fixed by R's diagonal; shapes of more axes are flattened to
    (product of all but the last, last).

    A (rows, cols) result has orthonormal columns when rows >= cols, else orthonormal rows.

    Args:
        gain: the factor the orthogonal matrix is multiplied by (default 1.0).
        seed: an integer: every call then draws the same values from its own generator (as Keras); None
            (default): each call draws anew from autodiff's generator (``nn.utils.set_random_seed``).

    Returns:
        Called as ``init(shape, dtype=np.float32)``: a NumPy array of that shape and dtype.

    Raises:
        ValueError: on a call, a shape of fewer than 2 axes.
    """

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
    """An initializer from a name (``"he_normal"``), an Initializer, or any callable(shape, dtype).

    Args:
        identifier: an initializer's name (``"glorot_uniform"``, ``"zeros"``, ...: the keys of
            ``INITIALIZERS``), an Initializer, or any callable(shape, dtype) -> array.
        seed: the seed given to an initializer made from a name (None: autodiff's generator).

    Returns:
        A new Initializer with Keras's defaults for a name; an Initializer or callable as it is.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
        TypeError: neither a name nor a callable.
    """
    if isinstance(identifier, str):
        if identifier not in INITIALIZERS:
            raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(INITIALIZERS)}")
        return INITIALIZERS[identifier](seed=seed)
    if callable(identifier):
        return identifier
    raise TypeError(f"an initializer must be a name or a callable, got {identifier!r}")
