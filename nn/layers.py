"""Keras-style layers: built on first call (or from ``input_shape``), each running in its own name scope.

Called on a symbolic input (``Input(shape=...)``) a layer records the call
instead of computing: that is how a functional ``Model(inputs, outputs)`` is
described (nn.models.Functional).
"""
import contextlib
import contextvars
import functools
import inspect
import math
import re

import autodiff as ad
from autodiff.extend import backend

from . import activations, initializers
from .module import Module, Parameter

_name_counts = {}


def _unique_name(base):
    """Keras's naming: dense, dense_1, dense_2, ..."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _snake(name):
    """Keras's snake case: Dense -> dense, Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def as_tensor(x):
    """Tensors pass as they are; floating arrays become float32, the dtype layers compute in (as Keras);
    integer arrays keep their dtype (ids), and each layer decides (``Layer.takes_integers``)."""
    if isinstance(x, ad.Tensor):
        return x
    array = backend.asarray(x)
    return ad.as_tensor(array, dtype=ad.DEFAULT_FLOAT if array.dtype.kind in "fb" else None)


# While load_model builds a file's layers: how many weights they may still create (the file's own count),
# so that a configuration asking for a huge layer fails before its memory is allocated.
_weight_budget = contextvars.ContextVar("weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(count):
    """Within the block, layers may create at most ``count`` weights in all (``add_weight`` checks)."""
    token = _weight_budget.set([count])
    try:
        yield
    finally:
        _weight_budget.reset(token)


def _valid_shape(shape):
    return isinstance(shape, (tuple, list)) and all(isinstance(n, int) and n > 0 for n in shape)


class Symbol:
    """A symbolic batch (Keras's KerasTensor): a shape with a free batch axis, and the layer call that makes it."""

    def __init__(self, shape, layer=None, inputs=()):
        self.shape = (None,) + tuple(shape)
        self.layer, self.inputs = layer, tuple(inputs)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        made = f", made by {self.layer.name}" if self.layer is not None else ""
        return f"<Symbol shape={self.shape}{made}>"


def Input(shape, name=None):          # noqa: N802 (Keras's name)
    """The symbolic input of a functional model: ``x = Input(shape=(784,))``, batch axis left out.
    As the first item of a Sequential it gives the model its input shape (Keras 3's way)."""
    if not _valid_shape(shape):
        raise ValueError(f"Input: shape must be a tuple of positive sizes without the batch axis, e.g. (784,); "
                         f"got {shape!r}")
    symbol = Symbol(shape)
    symbol.name = name or _unique_name("input_layer")
    return symbol


class Layer(Module):
    """A module with a name, a build step that knows the input shape, and an output-shape rule.

    A layer declares its weights in ``build`` with ``add_weight`` and computes in
    ``forward``; given ``input_shape`` it is built when made.  The arguments it was
    made with are kept (``get_config()``): ``model.save`` writes them and
    ``load_model`` makes the same layers again.
    """

    takes_several = False          # merge layers (Concatenate, Add) take a list of inputs
    takes_integers = False         # integer inputs are cast to float32 unless the layer takes ids

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls.__init__ = _keeping_arguments(cls.__init__)

    def __init__(self, name=None, input_shape=None):
        self.name = name or _unique_name(_snake(type(self).__name__))
        if input_shape is not None and not _valid_shape(input_shape):
            raise ValueError(f"{type(self).__name__}: input_shape must be a tuple of positive sizes without the "
                             f"batch axis, e.g. input_shape=(784,); got {input_shape!r}")
        self._input_shape = tuple(input_shape) if input_shape is not None else None
        self.built = False

    def add_weight(self, name, shape, initializer="glorot_uniform", trainable=True, dtype=None):
        """A new weight of the layer (Keras 3's ``add_weight``): drawn by ``initializer`` (a name, an
        Initializer or a function of the shape), named ``<layer>/<name>``, trained unless
        ``trainable=False``.  Assign it to an attribute: ``self.kernel = self.add_weight(...)``."""
        shape = tuple(int(n) for n in shape)
        budget = _weight_budget.get()
        if budget is not None:          # loading a file: its configuration may not ask for more than it holds
            wanted = math.prod(shape)
            if wanted > budget[0]:
                raise ValueError(f"{self.name}: its configuration asks for {wanted:,} weights for {name!r} "
                                 f"{shape}, more than the {budget[0]:,} the file still holds")
            budget[0] -= wanted
        dtype = dtype or ad.DEFAULT_FLOAT
        with ad.name_scope(self.name):
            return Parameter(initializers.get(initializer)(shape, dtype=dtype), name=name, dtype=dtype,
                             trainable=trainable)

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis excluded) with ``add_weight``."""
        self._input_shape = tuple(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def __call__(self, x, training=None):
        if isinstance(x, Symbol) or (isinstance(x, (list, tuple)) and x and isinstance(x[0], Symbol)):
            return self._record(x)
        x = [self._as_input(t) for t in x] if self.takes_several else self._as_input(x)
        if not self.built:
            self.build([t.shape[1:] for t in x] if self.takes_several else x.shape[1:])
        if training is None:                   # the common call: no mode to switch
            with ad.name_scope(self.name):
                return self.forward(x)
        with ad.name_scope(self.name), self.mode(training):
            return self.forward(x)

    def _as_input(self, x):
        x = as_tensor(x)
        if x.dtype.kind != "f" and not self.takes_integers:
            x = x.astype(ad.DEFAULT_FLOAT)
        return x

    def _record(self, inputs):
        """Called on symbols: build for their shapes and return the symbol of the output."""
        several = isinstance(inputs, (list, tuple))
        if several != self.takes_several:
            raise TypeError(f"{self.name}: {'takes a list of inputs' if self.takes_several else 'takes one input'}, "
                            f"got {inputs!r:.120}")
        shapes = [i.shape[1:] for i in inputs] if several else inputs.shape[1:]
        if not self.built:
            self.build(shapes)
        elif not several and tuple(self._input_shape) != tuple(shapes):
            raise ValueError(f"{self.name}: built for inputs of shape {self.input_shape}, called on "
                             f"{(None,) + tuple(shapes)}")
        return Symbol(self.compute_output_shape(shapes), self, inputs if several else (inputs,))

    # ------------------------------------------------------------ Keras's attributes
    @property
    def input_shape(self):
        """The input's shape with the batch axis as None, once built (a list of them for a merge layer)."""
        shape = self._input_shape
        if shape is None:
            return None
        if self.takes_several:
            return [(None,) + tuple(s) for s in shape]
        return (None,) + tuple(shape)

    @property
    def output_shape(self):
        """The output's shape with the batch axis as None, once built."""
        if not self.built or self._input_shape is None:
            raise AttributeError(f"{self.name}: not built yet, so it has no output shape: give input_shape=... "
                                 "or call it on data first")
        return (None,) + tuple(self.compute_output_shape(self._input_shape))

    @property
    def weights(self):
        """Every weight, trainable first (Keras's order)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        return [p for p in self.parameters() if p.trainable]

    @property
    def non_trainable_weights(self):
        return [p for p in self.parameters() if not p.trainable]

    def get_weights(self):
        """Copies of the weights' values as NumPy arrays, in the order of ``weights``."""
        return [p.numpy().copy() for p in self.weights]

    def set_weights(self, weights):
        """Set every weight from arrays in the order of ``get_weights()``; all are checked before any is written."""
        own, weights = self.weights, list(weights)
        if len(weights) != len(own):
            raise ValueError(f"set_weights: {self.name} has {len(own)} weight arrays, got {len(weights)}")
        self._assign({str(i): p for i, p in enumerate(own)}, {str(i): w for i, w in enumerate(weights)},
                     "set_weights", "the given list")

    def get_config(self):
        """The constructor's arguments, with the layer's name and (once built) its input shape."""
        config = dict(getattr(self, "_arguments", {}))
        config["name"] = self.name
        if "input_shape" in inspect.signature(type(self).__init__).parameters and self._input_shape is not None:
            config["input_shape"] = tuple(self._input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """The layer ``get_config()`` describes (new weights: a configuration holds none)."""
        return cls(**config)

    def _describe(self):
        parts = [repr(self.name)]
        if self.built and self._input_shape is not None:
            parts.append(f"{self._input_shape} -> {tuple(self.compute_output_shape(self._input_shape))}")
        if self.parameters():
            parts.append(f"{self.count_params():,} parameters")
        return f"{type(self).__name__}({', '.join(parts)})"


def _keeping_arguments(init):
    """Wrap a layer's ``__init__``: keep the arguments it was called with (``get_config``), and build the
    layer once the whole constructor has run when it was given ``input_shape``."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def keep_arguments(self, *args, **kwargs):
        outermost = "_arguments" not in vars(self)
        if outermost:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            self._arguments = dict(list(bound.arguments.items())[1:])
        init(self, *args, **kwargs)
        if outermost and getattr(self, "_input_shape", None) is not None and not self.built:
            self.build(self._input_shape)
    return keep_arguments


Layer.__init__ = _keeping_arguments(Layer.__init__)


class _KernelLayer(Layer):
    """A layer with a kernel, an optional bias and an activation (Dense, Conv2D): Keras's shared arguments."""

    def _set_weights_arguments(self, activation, use_bias, kernel_initializer, bias_initializer):
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def _make_weights(self, kernel_shape, units):
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer)
        self.bias = self.add_weight("bias", (units,), self.bias_initializer) if self.use_bias else None

    @property
    def fuses_relu(self):
        """A ReLU activation runs inside the layer's op, in its output buffer."""
        return self.activation is activations.relu


class Dense(_KernelLayer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)``, as Keras's Dense.

    Args:
        units: the number of outputs.
        activation: an activation's name (``"relu"``, ``"softmax"``, ...) or a function; None: linear.
        use_bias: whether to add ``bias``.
        kernel_initializer: how ``kernel`` starts (an initializer's name or object).
        bias_initializer: how ``bias`` starts.
        input_shape: the input's shape without the batch axis; given, the layer is built at once.
        name: the layer's name (default: ``dense``, ``dense_1``, ...).

    Shapes:
        input (batch, ..., features); output (batch, ..., units); kernel (features, units), bias (units,).

    Returns:
        Called on a Tensor or array, a float32 Tensor of the output's shape.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None):
        if not hasattr(units, "__index__") or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        super().__init__(name, input_shape)
        self.units = int(units)
        self._set_weights_arguments(activation, use_bias, kernel_initializer, bias_initializer)

    def build(self, input_shape):
        super().build(input_shape)
        self._make_weights((input_shape[-1], self.units), self.units)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x):
        self.check_features(x)
        if self.fuses_relu:
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
    """Flatten every axis but the batch axis.

    Shapes:
        input (batch, d1, d2, ...); output (batch, d1 * d2 * ...).
    """

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Dropout(Layer):
    """Zero a fraction ``rate`` of inputs during training and scale the rest by 1/(1-rate).

    Args:
        rate: the fraction dropped, in [0, 1).
        seed: the seed of the layer's own random generator (None: from ``nn.utils.set_random_seed``).
        name: the layer's name.
        input_shape: the input's shape without the batch axis.

    Shapes:
        output the input's shape.  Outside training (``model.eval()``, evaluate, predict) the input
        passes unchanged.
    """

    def __init__(self, rate, seed=None, name=None, input_shape=None):
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        super().__init__(name, input_shape)
        self.rate = rate
        # A seeded layer owns its generator: reproducible, yet a new mask on every call.
        self.rng = backend.generator(seed) if seed is not None else None

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        keep = (self.rng or backend.generator()).random(x.shape) >= self.rate
        return x * (keep.astype(x.dtype) / x.dtype.type(1 - self.rate))


class _Merge(Layer):
    """A layer of several inputs of the same batch size (Keras's merge layers)."""

    takes_several = True

    def __init__(self, name=None):          # the shapes come from the inputs
        super().__init__(name)

    def build(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        if len(shapes) < 2:
            raise ValueError(f"{self.name}: needs a list of at least two inputs, got {len(shapes)}")
        self.check_shapes(shapes)
        self._input_shape = shapes
        self.built = True


class Concatenate(_Merge):
    """Join inputs along ``axis`` (the last by default); the other axes must agree."""

    def __init__(self, axis=-1, name=None):
        super().__init__(name)
        self.axis = axis

    def check_shapes(self, shapes):
        rank = len(shapes[0])
        axis = self.axis % (rank + 1) - 1 if self.axis < 0 else self.axis - 1     # without the batch axis
        if any(len(s) != rank for s in shapes) or not 0 <= axis < rank or any(
                s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:] for s in shapes):
            raise ValueError(f"{self.name}: inputs of shapes {[(None,) + s for s in shapes]} cannot be joined "
                             f"along axis {self.axis}: every other axis must agree")

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        axis = self.axis % (len(shapes[0]) + 1) - 1 if self.axis < 0 else self.axis - 1
        joined = list(shapes[0])
        joined[axis] = sum(s[axis] for s in shapes)
        return tuple(joined)

    def forward(self, xs):
        return ad.concatenate(xs, axis=self.axis)


class Add(_Merge):
    """The sum of inputs of one shape (a residual connection)."""

    def check_shapes(self, shapes):
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"{self.name}: inputs of shapes {[(None,) + s for s in shapes]} differ; Add needs one shape")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def forward(self, xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


def concatenate(inputs, axis=-1):
    """Keras's functional shorthand: ``Concatenate(axis)(inputs)``."""
    return Concatenate(axis=axis)(inputs)


def add(inputs):
    """Keras's functional shorthand: ``Add()(inputs)``."""
    return Add()(inputs)


# ------------------------------------------------------------------ images
def _pair(value, name, layer):
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ValueError(f"{layer}: {name} must be a positive integer or a pair of them, got {value!r}")
    return pair


def _conv_output_size(size, window, stride, dilation, padding):
    """One spatial size after a window, as Keras computes it ("valid", "same")."""
    span = (window - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    return (size - span) // stride + 1


def _check_window_fits(layer, input_shape):
    """At build: a window larger than its input is refused here, not at the first forward."""
    out = layer.compute_output_shape(tuple(input_shape))
    if any(n is not None and n < 1 for n in out[:2]):
        window = getattr(layer, "kernel_size", None) or layer.pool_size
        raise ValueError(f"{layer.name} ({type(layer).__name__}): a {window[0]}x{window[1]} window does not fit its "
                         f"input of shape {tuple(input_shape)} (height, width, channels) with padding="
                         f"{layer.padding!r}: it would give an output of shape {tuple(out)}; use a smaller window, "
                         "padding='same', or fewer downsampling layers before it")


def _check_images(layer, x):
    if x.ndim != 4:
        raise ValueError(f"{layer.name}: expects a batch of images (batch, height, width, channels), got shape "
                         f"{x.shape}; add a Reshape((28, 28, 1)) layer (or x[..., None]) for grey images")


class Conv2D(_KernelLayer):
    """A 2-D convolution, as Keras's Conv2D: ``activation(conv2d(x, kernel) + bias)``, channels last.

    Args:
        filters: the number of output channels.
        kernel_size: the window's (height, width), or one int for both.
        strides: the steps between windows, (rows, columns) or one int.
        padding: ``"valid"`` (windows inside the image) or ``"same"`` (zeros around it; with stride 1
            the output keeps the input's height and width).
        data_format: None or ``"channels_last"`` (``ad.conv2d`` takes PyTorch's channels first).
        dilation_rate: the spacing of the window's cells.
        groups: split the channels into this many independent convolutions.
        activation: an activation's name or function; None: linear.
        use_bias: whether to add ``bias``.
        kernel_initializer: how ``kernel`` starts.
        bias_initializer: how ``bias`` starts.
        input_shape: (height, width, channels) without the batch axis; given, the layer is built at once.
        name: the layer's name.

    Shapes:
        input (batch, height, width, channels); output (batch, out_height, out_width, filters);
        kernel (kh, kw, channels / groups, filters), bias (filters,).

    Returns:
        Called on images, a float32 Tensor of the output's shape.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None):
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError("Conv2D: nn's layers compute channels last (Keras's default); for channels-first "
                             "tensors call ad.conv2d(x, kernel, data_format='channels_first') directly")
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"Conv2D: groups must be a positive integer (1 for an ordinary convolution), "
                             f"got {groups!r}")
        super().__init__(name, input_shape)
        self.filters, self.groups, self.padding = filters, groups, padding
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", "Conv2D")
        self._set_weights_arguments(activation, use_bias, kernel_initializer, bias_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: input_shape must be (height, width, channels), got {tuple(input_shape)}")
        _check_window_fits(self, input_shape)
        super().build(input_shape)
        channels = input_shape[-1]
        if channels % self.groups or self.filters % self.groups:
            raise ValueError(f"{self.name}: {channels} input channels and {self.filters} filters must both divide "
                             f"into groups={self.groups}")
        self._make_weights(self.kernel_size + (channels // self.groups, self.filters), self.filters)

    def compute_output_shape(self, input_shape):
        h, w, _ = input_shape
        return (_conv_output_size(h, self.kernel_size[0], self.strides[0], self.dilation_rate[0], self.padding),
                _conv_output_size(w, self.kernel_size[1], self.strides[1], self.dilation_rate[1], self.padding),
                self.filters)

    def forward(self, x):
        _check_images(self, x)
        out = ad.conv2d(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate, self.groups,
                        activation="relu" if self.fuses_relu else None)
        return out if self.fuses_relu else self.activation(out)


class _Pooling2D(Layer):
    """A pooling layer over windows of images, channels last.

    Args:
        pool_size: the window's (height, width), or one int for both.
        strides: the steps between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` or ``"same"``.
        data_format: None or ``"channels_last"``.
        input_shape: (height, width, channels) without the batch axis.
        name: the layer's name.

    Shapes:
        input (batch, height, width, channels); output (batch, out_height, out_width, channels).
    """

    pool = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, input_shape=None,
                 name=None):
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: nn's layers compute channels last (Keras's default)")
        super().__init__(name, input_shape)
        self.pool_size = _pair(pool_size, "pool_size", type(self).__name__)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", type(self).__name__)
        self.padding = padding

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: input_shape must be (height, width, channels), got {tuple(input_shape)}")
        _check_window_fits(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        h, w, c = input_shape
        return (_conv_output_size(h, self.pool_size[0], self.strides[0], 1, self.padding),
                _conv_output_size(w, self.pool_size[1], self.strides[1], 1, self.padding), c)

    def forward(self, x):
        _check_images(self, x)
        return type(self).pool(x, self.pool_size, self.strides, self.padding)


class MaxPooling2D(_Pooling2D):
    """The largest value of each window (gradient to its first arg-max).

    Args:
        pool_size: the window's (height, width), or one int for both.
        strides: the steps between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` or ``"same"``.
        data_format: None or ``"channels_last"``.
        input_shape: (height, width, channels) without the batch axis.
        name: the layer's name.

    Shapes:
        input (batch, height, width, channels); output (batch, out_height, out_width, channels).
    """

    pool = staticmethod(ad.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """The mean of each window ("same" padding counts only the cells inside).

    Args:
        pool_size: the window's (height, width), or one int for both.
        strides: the steps between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` or ``"same"``.
        data_format: None or ``"channels_last"``.
        input_shape: (height, width, channels) without the batch axis.
        name: the layer's name.

    Shapes:
        input (batch, height, width, channels); output (batch, out_height, out_width, channels).
    """

    pool = staticmethod(ad.avg_pool2d)


class GlobalAveragePooling2D(Layer):
    """The mean over height and width: (batch, channels)."""

    def compute_output_shape(self, input_shape):
        return (input_shape[-1],)

    def forward(self, x):
        _check_images(self, x)
        return x.mean(axis=(1, 2))


class ZeroPadding2D(Layer):
    """Zeros around each image: an int, (rows, cols) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), input_shape=None, name=None):
        super().__init__(name, input_shape)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        padding = tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)
        if len(padding) != 2 or not all(len(p) == 2 and min(p) >= 0 for p in padding):
            raise ValueError(f"ZeroPadding2D: padding must be an int, (rows, cols) or ((top, bottom), (left, right)), "
                             f"got {padding!r}")
        self.padding = padding

    def compute_output_shape(self, input_shape):
        (t, b), (l, r) = self.padding
        h, w, c = input_shape
        return (h + t + b, w + l + r, c)

    def forward(self, x):
        _check_images(self, x)
        return ad.pad(x, ((0, 0),) + self.padding + ((0, 0),))


class Reshape(Layer):
    """Each sample reshaped to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, input_shape=None, name=None):
        super().__init__(name, input_shape)
        self.target_shape = tuple(target_shape)

    def compute_output_shape(self, input_shape):
        known = math.prod(n for n in self.target_shape if n != -1)
        size = math.prod(input_shape)
        shape = tuple(size // known if n == -1 else n for n in self.target_shape)
        if math.prod(shape) != size:
            raise ValueError(f"{self.name}: cannot reshape samples of shape {tuple(input_shape)} ({size} values) "
                             f"into {self.target_shape}")
        return shape

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.compute_output_shape(x.shape[1:]))


class _Affine(Layer):
    """The learned scale and shift of a normalization over the last axis (``gamma``, ``beta``), shared by
    BatchNormalization and the normalizations to come (LayerNormalization: the same two weights)."""

    def _add_affine_weights(self, features):
        self.gamma = self.add_weight("gamma", (features,), "ones") if self.scale else None
        self.beta = self.add_weight("beta", (features,), "zeros") if self.center else None

    def _scale_and_shift(self, normalized):
        if self.gamma is not None:
            normalized = normalized * self.gamma
        if self.beta is not None:
            normalized = normalized + self.beta
        return normalized


class BatchNormalization(_Affine):
    """Keras's BatchNormalization over the last axis.

    Training: normalise with the batch's mean and (biased) variance, and move
    ``moving_mean``/``moving_variance`` towards them by ``1 - momentum``.
    Inference (``model.eval()``, evaluate, predict): normalise with the moving
    statistics.  gamma and beta are trained; the moving statistics are not.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, input_shape=None, name=None):
        if axis != -1:
            raise ValueError("BatchNormalization: nn normalises the last axis (channels last); axis must be -1")
        super().__init__(name, input_shape)
        self.momentum, self.epsilon, self.center, self.scale = float(momentum), float(epsilon), center, scale

    def build(self, input_shape):
        super().build(input_shape)
        n = input_shape[-1]
        self._add_affine_weights(n)
        self.moving_mean = self.add_weight("moving_mean", (n,), "zeros", trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (n,), "ones", trainable=False)

    def forward(self, x):
        axes = tuple(range(x.ndim - 1))
        if self.training:
            mean = x.mean(axis=axes)
            variance = ad.var(x, axis=axes)
            with ad.no_grad():
                for stat, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                    stat.copy_(stat.data * self.momentum + (1 - self.momentum) * batch.data)
        else:
            mean, variance = self.moving_mean.detach(), self.moving_variance.detach()
        return self._scale_and_shift((x - mean) * (variance + self.epsilon) ** -0.5)


# ------------------------------------------------------------ activation layers (Activation is above)
class Softmax(Layer):
    """Keras's Softmax layer: the softmax along ``axis`` (the last by default).

    Over the last axis its output remembers its logits, as the softmax
    activation's does, so cross-entropy computes from them (``nn.Sequential([model,
    layers.Softmax()])`` trains as exactly as ``activation="softmax"``).
    """

    def __init__(self, axis=-1, name=None, input_shape=None):
        super().__init__(name, input_shape)
        self.axis = axis

    def forward(self, x):
        return activations.softmax(x, axis=self.axis)
