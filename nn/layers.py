"""Keras-style layers: built on first call (or from ``input_shape``), each running in its own name scope."""
import math
import re

import autodiff as ad

from . import activations, initializers
from .module import Module, Parameter

_name_counts = {}


def _unique_name(base):
    """Keras's naming: dense, dense_1, dense_2, ..."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def as_tensor(x):
    """Tensors pass as they are; arrays and lists become float32, the dtype layers compute in (as Keras)."""
    if isinstance(x, ad.Tensor):
        return x
    return ad.as_tensor(x, dtype=ad.DEFAULT_FLOAT)


class Layer(Module):
    """A module with a name, a build step that knows the input shape, and an output-shape rule."""

    def __init__(self, name=None, input_shape=None):
        self.name = name or _unique_name(_snake(type(self).__name__))
        if input_shape is not None and not (isinstance(input_shape, (tuple, list)) and
                                            all(isinstance(n, int) and n > 0 for n in input_shape)):
            raise ValueError(f"{type(self).__name__}: input_shape must be a tuple of positive sizes without the "
                             f"batch axis, e.g. input_shape=(784,); got {input_shape!r}")
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.built = False

    def build(self, input_shape):
        """Create parameters for inputs of ``input_shape`` (batch axis excluded)."""
        self.input_shape = tuple(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def __call__(self, x):
        x = as_tensor(x)
        if not self.built:
            self.build(x.shape[1:])
        with ad.name_scope(self.name):
            return self.forward(x)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``: kernel (features, units), bias (units,)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None):
        if not hasattr(units, "__index__") or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        super().__init__(name, input_shape)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        if input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape):
        super().build(input_shape)
        features = self.input_shape[-1]
        with ad.name_scope(self.name):
            self.kernel = Parameter(self.kernel_initializer((features, self.units)), name="kernel")
            self.bias = Parameter(self.bias_initializer((self.units,)), name="bias") if self.use_bias else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x):
        self.check_features(x)
        if self.activation is activations.relu:          # one fused op, one buffer
            return ad.linear(x, self.kernel, self.bias, activation="relu")
        return self.activation(ad.linear(x, self.kernel, self.bias))

    def check_features(self, x):
        features = self.kernel.shape[0]
        if x.ndim < 1 or x.shape[-1] != features:
            raise ValueError(f"{self.name}: expected inputs with {features} features on the last axis "
                             f"(shape (batch, {features})), got shape {x.shape}")


class Activation(Layer):
    def __init__(self, activation, name=None, input_shape=None):
        super().__init__(name, input_shape)
        self.activation = activations.get(activation)

    def forward(self, x):
        return self.activation(x)


class Flatten(Layer):
    """Flatten every axis but the batch axis."""

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Dropout(Layer):
    """Zero a fraction ``rate`` of inputs during training and scale the rest by 1/(1-rate)."""

    def __init__(self, rate, seed=None, name=None, input_shape=None):
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        super().__init__(name, input_shape)
        self.rate = rate
        # A seeded layer owns its generator: reproducible, yet a new mask on every call.
        self.rng = ad.backend.generator(seed) if seed is not None else None

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        keep = (self.rng or ad.backend.generator()).random(x.shape) >= self.rate
        return x * (keep.astype(x.dtype) / x.dtype.type(1 - self.rate))
