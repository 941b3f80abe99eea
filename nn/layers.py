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
import weakref

import numpy as np

import autodiff as ad
from autodiff.extend import backend

from . import activations, initializers
from .module import Module, Parameter
from .shapes import same_shape

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


def as_tensor(x, dtype=None):
    """A layer's input as a Tensor: Tensors pass as they are; floating (and boolean) arrays become ``dtype``
    (float32 by default, the dtype layers compute in, as Keras); integer arrays keep their dtype (ids),
    and each layer decides (``Layer.takes_integers``).

    Args:
        x: a Tensor, a NumPy (or device) array, a nested list or a number.
        dtype: the floating dtype for float and boolean data (None: float32).

    Returns:
        ``x`` itself if it is a Tensor, else a new Tensor of ``x``'s shape.
    """
    if isinstance(x, ad.Tensor):
        return x
    array = backend.asarray(x)
    return ad.as_tensor(array, dtype=(dtype or ad.DEFAULT_FLOAT) if array.dtype.kind in "fb" else None)


# Keras's masks: a layer that makes one (Embedding(mask_zero=True), Masking) attaches a boolean
# (batch, time) array to its output, and the layers that read one (the recurrent layers) find it
# there.  Kept beside the tensor, by its id, for as long as the tensor lives.
_masks = {}


def set_mask(tensor, mask):
    """Attach a Keras mask to ``tensor``, as Embedding(mask_zero=True) and Masking do for the layers after them.

    The mask is kept beside the tensor (by its id) for as long as the tensor lives.

    Args:
        tensor: the Tensor the mask describes, (batch, time, ...).
        mask: a boolean (batch, time) array, True at the steps that hold data; None removes the mask.

    Returns:
        ``tensor`` itself, so that ``return set_mask(out, keep)`` ends a ``forward``.
    """
    key = id(tensor)
    if mask is None:
        _masks.pop(key, None)
    else:
        _masks[key] = (weakref.ref(tensor, lambda _, key=key: _masks.pop(key, None)), mask)
    return tensor


def get_mask(tensor):
    """The mask attached to ``tensor`` by the layer that made it (``set_mask``).

    Args:
        tensor: a layer's output (any object: one with no mask gives None).

    Returns:
        The boolean (batch, time) array, or None when the tensor carries no mask.
    """
    entry = _masks.get(id(tensor))
    return entry[1] if entry is not None and entry[0]() is tensor else None


# While load_model builds a file's layers: how many weights they may still create (the file's own count),
# so that a configuration asking for a huge layer fails before its memory is allocated.
_weight_budget = contextvars.ContextVar("weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(count):
    """A ``with`` block in which layers may create at most ``count`` weights in all (``add_weight`` checks).

    ``load_model`` builds a file's layers inside one, so that a configuration asking for a layer
    larger than the file's weights fails before its memory is allocated.

    Args:
        count: the number of weight values (not arrays) the layers made in the block may create.

    Yields:
        None; ``add_weight`` raises ValueError once a layer would pass the budget.
    """
    token = _weight_budget.set([count])
    try:
        yield
    finally:
        _weight_budget.reset(token)


def _valid_shape(shape, free=False):
    """A tuple of positive sizes; with ``free``, None too (a variable length, as Input(shape=(None,)))."""
    return isinstance(shape, (tuple, list)) and all(
        (n is None and free) or (isinstance(n, int) and not isinstance(n, bool) and n > 0) for n in shape)


class Symbol:
    """A symbolic batch (Keras's KerasTensor): a shape with a free batch axis, and the layer call that makes it.

    ``Input(...)`` makes the first ones; a layer called on symbols records the call and returns the
    symbol of its output.  Users do not make Symbols themselves.

    Args:
        shape: the shape of one sample (the batch axis left out); ``shape`` becomes ``(None, *shape)``.
        layer: the layer whose call makes it (None for an Input).
        inputs: the symbols that call took.
        dtype: the dtype's name of the data it stands for (``"float32"``, ``"int32"`` for ids).
        index: which of the call's outputs it is, for a layer of several (``return_state``); None for one.
    """

    def __init__(self, shape, layer=None, inputs=(), dtype="float32", index=None):
        self.shape = (None,) + tuple(shape)
        self.layer, self.inputs = layer, tuple(inputs)
        self.options = {}               # the layer call's keyword arguments (use_causal_mask=True)
        self.dtype = dtype
        self.index = index              # which of the layer's outputs, for a layer of several (return_state)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        made = f", made by {self.layer.name}" if self.layer is not None else ""
        return f"<Symbol shape={self.shape}{made}>"


def Input(shape, name=None, dtype="float32"):          # noqa: N802 (Keras's name)
    """The symbolic input of a functional model: ``x = Input(shape=(784,))``, batch axis left out.

    As the first item of a Sequential it gives the model its input shape (Keras 3's way).

    Args:
        shape: the shape of one sample, a tuple of positive ints; None is a free size
            (``Input(shape=(None,), dtype="int32")``: integer sequences of any length).
        name: the input's name (default: ``input_layer``, ``input_layer_1``, ...).
        dtype: the data's dtype: ``"float32"`` (default), or an integer type for ids (Embedding).

    Returns:
        A ``Symbol`` of shape ``(None, *shape)``, to call layers on.

    Raises:
        ValueError: ``shape`` is not a tuple of positive sizes (or None).
        TypeError: ``dtype`` is not a NumPy dtype.
    """
    if not _valid_shape(shape, free=True):
        raise ValueError(f"Input: shape must be a tuple of positive sizes (or None for a free one) without the "
                         f"batch axis, e.g. (784,) or (None,); got {shape!r}")
    try:
        dtype = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"Input: dtype must be a NumPy dtype name such as 'float32' or 'int32', got {dtype!r}") from None
    symbol = Symbol(shape, dtype=dtype)
    symbol.name = name or _unique_name("input_layer")
    return symbol


class Layer(Module):
    """A module with a name, a build step that knows the input shape, and an output-shape rule.

    A layer declares its weights in ``build`` with ``add_weight`` and computes in
    ``forward``; given ``input_shape`` it is built when made, else on its first call.
    The arguments it was made with are kept (``get_config()``): ``model.save`` writes
    them and ``load_model`` makes the same layers again.  See "Writing a layer".

    Calling it, ``layer(x, training=None)``: ``x`` is a Tensor or array (an array becomes a
    Tensor of the layer's dtype; integer ids stay integers where the layer takes them), or a
    Symbol (the call is recorded for a functional model); ``training`` None follows the layer's
    mode, True or False sets it for this call.

    Args:
        name: the layer's name (default: its class's in snake case, numbered: ``dense``, ``dense_1``, ...).
        input_shape: the input's shape without the batch axis; given, the layer is built at once.
        dtype: the floating dtype of its weights and float inputs (None: float32; ``"float64"`` for
            gradient checks).

    Shapes:
        input and output as the subclass says (``compute_output_shape``: the base layer keeps the
        input's shape); weights: those its ``build`` creates with ``add_weight``.
    """

    takes_several = False          # merge layers (Concatenate, Add) take a list of inputs
    supports_masking = False       # Keras's: True passes the input's mask (get_mask) on to the output
    takes_integers = False         # integer inputs are cast to float32 unless the layer takes ids
    dtype = np.dtype(ad.DEFAULT_FLOAT)   # of its weights and its float inputs (Keras's dtype=, e.g. "float64")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls.__init__ = _keeping_arguments(cls.__init__)

    def __init__(self, name=None, input_shape=None, dtype=None):
        self.name = name or _unique_name(_snake(type(self).__name__))
        if dtype is not None:
            if np.dtype(dtype).kind != "f":
                raise ValueError(f"{self.name}: dtype must be a float type such as 'float32' or 'float64', got {dtype!r}")
            self.dtype = np.dtype(dtype)
        if input_shape is not None and not _valid_shape(input_shape, free=True):
            raise ValueError(f"{type(self).__name__}: input_shape must be a tuple of positive sizes without the "
                             f"batch axis, e.g. input_shape=(784,); got {input_shape!r}")
        self._input_shape = tuple(input_shape) if input_shape is not None else None
        self.built = False

    def add_weight(self, name, shape, initializer="glorot_uniform", trainable=True, dtype=None):
        """A new weight of the layer (Keras 3's ``add_weight``), named ``<layer>/<name>``.

        Assign it to an attribute, ``self.kernel = self.add_weight("kernel", (n, units))``, so that
        ``parameters()`` and the optimizers find it.

        Args:
            name: the weight's name in the layer (``"kernel"``, ``"bias"``).
            shape: its shape, a tuple of ints.
            initializer: how it starts: an initializer's name (``"zeros"``, ``"he_normal"``), an
                Initializer, or a function ``(shape, dtype=...) -> array``.
            trainable: False for a statistic the layer updates itself (no gradient, optimizers skip it).
            dtype: its dtype (None: the layer's, float32 by default).

        Returns:
            A ``Parameter`` of ``shape`` and ``dtype``.

        Raises:
            ValueError: while ``load_model`` builds a file's layers, the weight is larger than what the
                file holds.
        """
        shape = tuple(int(n) for n in shape)
        budget = _weight_budget.get()
        if budget is not None:          # loading a file: its configuration may not ask for more than it holds
            wanted = math.prod(shape)
            if wanted > budget[0]:
                raise ValueError(f"{self.name}: its configuration asks for {wanted:,} weights for {name!r} "
                                 f"{shape}, more than the {budget[0]:,} the file still holds")
            budget[0] -= wanted
        dtype = dtype or self.dtype
        with ad.name_scope(self.name):
            return Parameter(initializers.get(initializer)(shape, dtype=dtype), name=name, dtype=dtype,
                             trainable=trainable)

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` with ``add_weight``; called once, before the first call.

        Subclasses that have weights override it and call ``super().build(input_shape)``.

        Args:
            input_shape: the input's shape without the batch axis, a tuple (a list of them for a layer
                of several inputs).
        """
        self._input_shape = tuple(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        """The output's shape for inputs of ``input_shape`` (the batch axis left out on both); the base keeps it.

        Args:
            input_shape: the input's shape without the batch axis (a list of them for a merge layer).

        Returns:
            The output's shape without the batch axis, a tuple (a list of them for a layer of several
                outputs, as a recurrent layer with ``return_state``).
        """
        return tuple(input_shape)

    def __call__(self, x, training=None):
        if isinstance(x, Symbol) or (isinstance(x, (list, tuple)) and x and isinstance(x[0], Symbol)):
            return self._record(x)
        x = [self._as_input(t) for t in x] if self.takes_several else self._as_input(x)
        if not self.built:
            self.build([t.shape[1:] for t in x] if self.takes_several else x.shape[1:])
        if training is None:                   # the common call: no mode to switch
            with ad.name_scope(self.name):
                out = self.forward(x)
        else:
            with ad.name_scope(self.name), self.mode(training):
                out = self.forward(x)
        if self.supports_masking:
            mask = get_mask(x)
            if mask is not None and get_mask(out) is None:
                set_mask(out, mask)
        return out

    def _as_input(self, x):
        x = as_tensor(x, self.dtype)
        if x.dtype.kind != "f" and not self.takes_integers:
            x = x.astype(self.dtype)
        return x

    def _record(self, inputs, options=None):
        """Called on symbols: build for their shapes and return the symbol of the output (``options``: the
        call's keyword arguments, given again each time the model runs)."""
        several = isinstance(inputs, (list, tuple))
        if several != self.takes_several:
            raise TypeError(f"{self.name}: {'takes a list of inputs' if self.takes_several else 'takes one input'}, "
                            f"got {inputs!r:.120}")
        shapes = [i.shape[1:] for i in inputs] if several else inputs.shape[1:]
        if not self.built:
            self.build(shapes)
        elif not several and not same_shape(tuple(shapes), tuple(self._input_shape)):
            raise ValueError(f"{self.name}: built for inputs of shape {self.input_shape}, called on "
                             f"{(None,) + tuple(shapes)}")
        return _symbols(self, self.compute_output_shape(shapes), inputs if several else (inputs,), options)

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
        """The weights' values, as Keras's ``get_weights``.

        Returns:
            A list of NumPy arrays (copies), in the order of ``weights``: trainable first (``kernel``,
                ``bias``), then the rest (``moving_mean``, ...).
        """
        return [p.numpy().copy() for p in self.weights]

    def set_weights(self, weights):
        """Set every weight from arrays, as Keras's ``set_weights``; all are checked before any is written.

        Args:
            weights: a list of arrays in the order of ``get_weights()``, each of its weight's shape
                (converted to the weight's dtype).

        Raises:
            ValueError: the count, a shape or a value does not fit; the layer is then left as it was.
        """
        own, weights = self.weights, list(weights)
        if len(weights) != len(own):
            raise ValueError(f"set_weights: {self.name} has {len(own)} weight arrays, got {len(weights)}")
        self._assign({str(i): p for i, p in enumerate(own)}, {str(i): w for i, w in enumerate(weights)},
                     "set_weights", "the given list")

    def get_config(self):
        """The layer's configuration: what ``from_config`` (and ``model.save``/``load_model``) make it again from.

        Returns:
            A dict of the constructor's arguments as given (defaults filled in), with ``name`` and,
                once built, ``input_shape`` (where the constructor takes one).
        """
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

    supports_masking = True         # a mask (batch, time) goes on with the output, as Keras's

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
        """Refuse inputs whose last axis is not the kernel's input size, with a message naming both.

        Args:
            x: the input Tensor.

        Raises:
            ValueError: ``x.shape[-1]`` differs from ``kernel.shape[0]``.
        """
        features = self.kernel.shape[0]
        if x.ndim < 1 or x.shape[-1] != features:
            raise ValueError(f"{self.name}: expected inputs with {features} features on the last axis "
                             f"(shape (batch, {features})), got shape {x.shape}")


class Activation(Layer):
    """Apply an activation function elementwise (or along the last axis, for softmax), as Keras's Activation.

    Args:
        activation: an activation's name (``"relu"``, ``"tanh"``, ``"softmax"``, ...; nn.activations) or
            a function of a Tensor; None: linear (the identity).
        name: the layer's name (default: ``activation``, ``activation_1``, ...).
        input_shape: the input's shape without the batch axis; given, the layer is built at once.

    Shapes:
        input any shape (batch, ...); output the input's shape.  No weights.
    """

    supports_masking = True         # a mask (batch, time) goes on with the output, as Keras's

    def __init__(self, activation, name=None, input_shape=None):
        super().__init__(name, input_shape)
        self.activation = activations.get(activation)

    def forward(self, x):
        return self.activation(x)


class Flatten(Layer):
    """Flatten every axis but the batch axis (as Keras's Flatten; a (batch,) input becomes (batch, 1)).

    Args:
        name: the layer's name (default: ``flatten``, ``flatten_1``, ...).
        input_shape: the input's shape without the batch axis; given, the layer is built at once.
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, d1, d2, ...); output (batch, d1 * d2 * ...).  No weights.
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

    supports_masking = True         # a mask (batch, time) goes on with the output, as Keras's

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
    """Join a list of inputs along ``axis`` (the last by default), as Keras's Concatenate.

    Called on a list of two or more Tensors (or Symbols): ``Concatenate()([a, b])``.

    Args:
        axis: the axis to join along, counting the batch axis as 0 (as Keras): -1 (default) is the
            last, 1 the first after the batch; the batch axis itself is refused.
        name: the layer's name (default: ``concatenate``, ``concatenate_1``, ...).

    Shapes:
        inputs (batch, ..., d_i, ...) that agree on every axis but ``axis``; output the same with
        ``sum(d_i)`` on ``axis``.  No weights.
    """

    def __init__(self, axis=-1, name=None):
        super().__init__(name)
        self.axis = axis

    def check_shapes(self, shapes):
        """Refuse input shapes that cannot be joined along ``axis`` (called by ``build``).

        Args:
            shapes: the inputs' shapes without the batch axis, a list of tuples.

        Raises:
            ValueError: the ranks differ, ``axis`` is out of range, or another axis differs.
        """
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
    """The elementwise sum of a list of inputs of one shape (a residual connection), as Keras's Add;
    the inputs' masks, ANDed, go on with it.

    Called on a list of two or more Tensors (or Symbols): ``Add()([x, shortcut])``.

    Args:
        name: the layer's name (default: ``add``, ``add_1``, ...).

    Shapes:
        inputs each (batch, ...), all of one shape (no broadcasting); output that shape.  No weights.
    """

    def check_shapes(self, shapes):
        """Refuse inputs of different shapes (called by ``build``).

        Args:
            shapes: the inputs' shapes without the batch axis, a list of tuples.

        Raises:
            ValueError: the shapes are not all the same.
        """
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"{self.name}: inputs of shapes {[(None,) + s for s in shapes]} differ; Add needs one shape")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def forward(self, xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        masks = [m for m in map(get_mask, xs) if m is not None]
        if masks:                   # Keras's merge layers AND their inputs' masks (tokens + positions keep padding)
            set_mask(total, functools.reduce(lambda a, b: a & b, masks))
        return total


def concatenate(inputs, axis=-1):
    """Keras's functional shorthand: ``Concatenate(axis)(inputs)``, a new layer each call.

    Args:
        inputs: a list of two or more Tensors, arrays or Symbols, agreeing on every axis but ``axis``.
        axis: the axis to join along, counting the batch axis (-1: the last).

    Returns:
        The joined Tensor (a Symbol when called on Symbols, in a functional model).
    """
    return Concatenate(axis=axis)(inputs)


def add(inputs):
    """Keras's functional shorthand: ``Add()(inputs)``, a new layer each call.

    Args:
        inputs: a list of two or more Tensors, arrays or Symbols of one shape.

    Returns:
        Their elementwise sum, a Tensor of that shape (a Symbol when called on Symbols).
    """
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
    """A pooling layer over windows of images, channels last (its arguments: MaxPooling2D's docstring)."""

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
    """The mean of each window, as Keras's AveragePooling2D ("same" padding counts only the cells inside).

    Args:
        pool_size: the window's (height, width), or one int for both.
        strides: the steps between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` (windows inside the image; the rest is dropped) or ``"same"`` (the output has
            ``ceil(size / stride)`` rows and columns).
        data_format: None or ``"channels_last"``.
        input_shape: (height, width, channels) without the batch axis.
        name: the layer's name.

    Shapes:
        input (batch, height, width, channels); output (batch, out_height, out_width, channels).  No weights.
    """

    pool = staticmethod(ad.avg_pool2d)


class GlobalAveragePooling2D(Layer):
    """The mean over height and width of each channel, as Keras's GlobalAveragePooling2D.

    Args:
        name: the layer's name.
        input_shape: (height, width, channels) without the batch axis.
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, height, width, channels); output (batch, channels).  No weights.
    """

    def compute_output_shape(self, input_shape):
        return (input_shape[-1],)

    def forward(self, x):
        _check_images(self, x)
        return x.mean(axis=(1, 2))


class ZeroPadding2D(Layer):
    """Zeros around each image, as Keras's ZeroPadding2D.

    Args:
        padding: an int (that many rows and columns on every side), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``; default ``(1, 1)``.
        input_shape: (height, width, channels) without the batch axis.
        name: the layer's name.

    Shapes:
        input (batch, height, width, channels); output (batch, height + top + bottom, width + left +
        right, channels).  No weights.
    """

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
    """Each sample reshaped to ``target_shape``, as Keras's Reshape (``Reshape((28, 28, 1))`` for grey images).

    Args:
        target_shape: the shape of one output sample, without the batch axis; one entry may be -1 (the
            size that keeps the sample's number of values).
        input_shape: the input's shape without the batch axis.
        name: the layer's name.

    Shapes:
        input (batch, d1, d2, ...); output (batch, *target_shape), of the same number of values per
        sample (else ValueError).  No weights.
    """

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


# ------------------------------------------------------------------ sequences (batch, steps, channels)
def _int(value, name, layer):
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return value


def _check_sequences(layer, x):
    if x.ndim != 3:
        raise ValueError(f"{layer.name}: expects a batch of sequences (batch, steps, channels), got shape {x.shape}; "
                         "add a Reshape((steps, 1)) layer (or x[..., None]) for sequences of single numbers")


def _check_sequence_shape(layer, input_shape, window, dilation=1):
    if len(input_shape) != 2:
        raise ValueError(f"{layer.name}: input_shape must be (steps, channels), got {tuple(input_shape)}")
    steps = layer.compute_output_shape(tuple(input_shape))[0]
    if steps is not None and steps < 1:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): a window of {window} (dilation {dilation}) does "
                         f"not fit sequences of {input_shape[0]} steps with padding={layer.padding!r}; use a "
                         "smaller window or padding='same'")


class Conv1D(_KernelLayer):
    """Keras's Conv1D: ``activation(conv1d(x, kernel) + bias)`` over sequences, channels last.

    ``padding="causal"`` pads on the left only, so step t sees steps up to t (WaveNet's
    convolution).  It runs as a 2-D convolution over a height of 1.

    Args:
        filters: the number of output channels.
        kernel_size: the window's length in steps (an int, or a 1-tuple).
        strides: the step between windows.
        padding: ``"valid"`` (windows inside the sequence), ``"same"`` (``ceil(steps / strides)``
            outputs) or ``"causal"`` (``dilation_rate * (kernel_size - 1)`` zeros on the left only).
        data_format: None or ``"channels_last"`` (``ad.conv1d`` takes channels first too).
        dilation_rate: the spacing of the window's cells.
        groups: split the channels into this many independent convolutions (both ``channels`` and
            ``filters`` must divide by it).
        activation: an activation's name or function; None: linear.
        use_bias: whether to add ``bias``.
        kernel_initializer: how ``kernel`` starts.
        bias_initializer: how ``bias`` starts.
        input_shape: (steps, channels) without the batch axis; steps may be None (any length).
        name: the layer's name (default: ``conv1d``, ``conv1d_1``, ...).
        dtype: the floating dtype of its weights and inputs (None: float32).

    Shapes:
        input (batch, steps, channels); output (batch, out_steps, filters), out_steps
        ``(steps - dilation_rate * (kernel_size - 1) - 1) // strides + 1`` for "valid" and
        ``ceil(steps / strides)`` for "same" and "causal"; kernel (kernel_size, channels / groups,
        filters), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 input_shape=None, name=None, dtype=None):
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"Conv1D: filters must be a positive integer, got {filters!r}")
        if padding not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError("Conv1D: nn's layers compute channels last (Keras's default); for channels-first "
                             "tensors call ad.conv1d(x, kernel, data_format='channels_first') directly")
        super().__init__(name, input_shape, dtype)
        self.filters, self.padding = filters, padding
        self.kernel_size = _int(kernel_size, "kernel_size", "Conv1D")
        self.strides = _int(strides, "strides", "Conv1D")
        self.dilation_rate = _int(dilation_rate, "dilation_rate", "Conv1D")
        self.groups = _int(groups, "groups", "Conv1D")
        self._set_weights_arguments(activation, use_bias, kernel_initializer, bias_initializer)

    def build(self, input_shape):
        _check_sequence_shape(self, input_shape, self.kernel_size, self.dilation_rate)
        super().build(input_shape)
        channels = input_shape[-1]
        if channels % self.groups or self.filters % self.groups:
            raise ValueError(f"{self.name}: {channels} input channels and {self.filters} filters must both divide "
                             f"into groups={self.groups}")
        self._make_weights((self.kernel_size, channels // self.groups, self.filters), self.filters)

    def compute_output_shape(self, input_shape):
        steps = input_shape[0]
        if steps is None:                   # sequences of any length
            return (None, self.filters)
        if self.padding == "causal":        # left padding of the window's span: "valid" on a longer input
            steps = steps + (self.kernel_size - 1) * self.dilation_rate
        padding = "same" if self.padding == "same" else "valid"
        return (_conv_output_size(steps, self.kernel_size, self.strides, self.dilation_rate, padding), self.filters)

    def forward(self, x):
        _check_sequences(self, x)
        padding = ((self.kernel_size - 1) * self.dilation_rate, 0) if self.padding == "causal" else self.padding
        out = ad.conv1d(x, self.kernel, self.bias, self.strides, padding, self.dilation_rate, self.groups)
        return self.activation(out)


class _Pooling1D(Layer):
    """A pooling layer over windows of steps, channels last: MaxPooling1D and AveragePooling1D."""

    pool = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, input_shape=None, name=None,
                 dtype=None):
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: nn's layers compute channels last (Keras's default)")
        super().__init__(name, input_shape, dtype)
        self.pool_size = _int(pool_size, "pool_size", type(self).__name__)
        self.strides = self.pool_size if strides is None else _int(strides, "strides", type(self).__name__)
        self.padding = padding

    def build(self, input_shape):
        _check_sequence_shape(self, input_shape, self.pool_size)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        steps, channels = input_shape
        if steps is None:
            return (None, channels)
        return (_conv_output_size(steps, self.pool_size, self.strides, 1, self.padding), channels)

    def forward(self, x):
        _check_sequences(self, x)       # a 2-D pooling over a height of 1
        out = type(self).pool(ad.expand_dims(x, 1), (1, self.pool_size), (1, self.strides), self.padding)
        return ad.squeeze(out, 1)


class MaxPooling1D(_Pooling1D):
    """The largest value of each window of steps, as Keras's MaxPooling1D (gradient to its first arg-max).

    Args:
        pool_size: the window's length in steps (an int, or a 1-tuple); default 2.
        strides: the step between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` (windows inside the sequence; the rest is dropped) or ``"same"``
            (``ceil(steps / strides)`` outputs).
        data_format: None or ``"channels_last"``.
        input_shape: (steps, channels) without the batch axis; steps may be None (any length).
        name: the layer's name.
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, steps, channels); output (batch, out_steps, channels), out_steps
        ``(steps - pool_size) // strides + 1`` for "valid", ``ceil(steps / strides)`` for "same".  No weights.
    """

    pool = staticmethod(ad.max_pool2d)


class AveragePooling1D(_Pooling1D):
    """The mean of each window of steps, as Keras's AveragePooling1D ("same" padding counts only the steps inside).

    Args:
        pool_size: the window's length in steps (an int, or a 1-tuple); default 2.
        strides: the step between windows (default: ``pool_size``, windows side by side).
        padding: ``"valid"`` (windows inside the sequence; the rest is dropped) or ``"same"``
            (``ceil(steps / strides)`` outputs).
        data_format: None or ``"channels_last"``.
        input_shape: (steps, channels) without the batch axis; steps may be None (any length).
        name: the layer's name.
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, steps, channels); output (batch, out_steps, channels), out_steps
        ``(steps - pool_size) // strides + 1`` for "valid", ``ceil(steps / strides)`` for "same".  No weights.
    """

    pool = staticmethod(ad.avg_pool2d)


class _GlobalPooling1D(Layer):
    """A pooling over every step of each channel: GlobalAveragePooling1D and GlobalMaxPooling1D."""

    def __init__(self, data_format=None, keepdims=False, input_shape=None, name=None, dtype=None):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: nn's layers compute channels last (Keras's default)")
        super().__init__(name, input_shape, dtype)
        self.keepdims = keepdims

    def compute_output_shape(self, input_shape):
        return (1, input_shape[-1]) if self.keepdims else (input_shape[-1],)


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean over the steps of each channel, as Keras's GlobalAveragePooling1D.

    Args:
        data_format: None or ``"channels_last"``.
        keepdims: keep the steps axis, of size 1.
        input_shape: (steps, channels) without the batch axis; steps may be None (any length).
        name: the layer's name.
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, steps, channels); output (batch, channels), or (batch, 1, channels) with
        ``keepdims``.  No weights.
    """

    def forward(self, x):
        _check_sequences(self, x)
        return x.mean(axis=1, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The largest value over the steps of each channel, as Keras's GlobalMaxPooling1D.

    Args:
        data_format: None or ``"channels_last"``.
        keepdims: keep the steps axis, of size 1.
        input_shape: (steps, channels) without the batch axis; steps may be None (any length).
        name: the layer's name.
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, steps, channels); output (batch, channels), or (batch, 1, channels) with
        ``keepdims``.  No weights.
    """

    def forward(self, x):
        _check_sequences(self, x)
        return x.max(axis=1, keepdims=self.keepdims)


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

    Args:
        axis: the features' axis; only -1 (channels last) is taken.
        momentum: how much of the moving statistics each training batch keeps (Keras's 0.99).
        epsilon: added to the variance before its square root (Keras's 1e-3).
        center: whether to add the learned ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        input_shape: the input's shape without the batch axis; given, the layer is built at once.
        name: the layer's name (default: ``batch_normalization``, ...).

    Shapes:
        input (batch, ..., features), statistics over every axis but the last; output the input's
        shape; weights in Keras's order gamma (features,) (with ``scale``), beta (features,) (with
        ``center``), moving_mean (features,), moving_variance (features,).
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


class LayerNormalization(_Affine):
    """Keras's LayerNormalization: each sample normalised over its last axis (its mean and biased
    variance, ``epsilon`` added), then scaled by ``gamma`` and shifted by ``beta``.
    The same in training and inference: it keeps no statistics.

    Args:
        axis: the axis normalised; only -1 (the features) is taken.
        epsilon: added to the variance before its square root (Keras's 1e-3).
        center: whether to add the learned ``beta``.
        scale: whether to multiply by the learned ``gamma``.
        input_shape: the input's shape without the batch axis; given, the layer is built at once.
        name: the layer's name (default: ``layer_normalization``, ...).
        dtype: the floating dtype of its weights and inputs (None: float32).

    Shapes:
        input (batch, ..., features); output the input's shape; gamma (features,) (with ``scale``),
        beta (features,) (with ``center``).
    """

    supports_masking = True         # a mask (batch, time) goes on with the output, as Keras's

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, input_shape=None, name=None, dtype=None):
        if axis not in (-1, [-1], (-1,)):
            raise ValueError(f"LayerNormalization: nn normalises the last axis (the features); axis must be -1, "
                             f"got {axis!r}")
        super().__init__(name, input_shape, dtype)
        self.axis, self.epsilon, self.center, self.scale = -1, float(epsilon), center, scale

    def build(self, input_shape):
        super().build(input_shape)
        self._add_affine_weights(input_shape[-1])

    def forward(self, x):
        return ad.layer_norm(x, x.shape[-1], self.gamma, self.beta, self.epsilon)


# ------------------------------------------------------------ attention
class MultiHeadAttention(Layer):
    """Keras 3's MultiHeadAttention over (batch, steps, features): ``mha(query, value, key=None,
    query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)``.

    Each of ``num_heads`` heads projects query and key to ``key_dim`` and value to ``value_dim``
    (kernels (features, num_heads, dim), biases (num_heads, dim)), attends with
    ``ad.scaled_dot_product_attention`` (scale 1 / sqrt(key_dim)), and the heads' outputs are
    projected back to the query's features, or ``output_shape`` (kernel (num_heads, value_dim,
    out), bias (out,)).  ``attention_mask`` (batch, T, S) is True where a query step may attend;
    ``use_causal_mask`` lets step t attend to steps up to t.  As in Keras, the masks the inputs
    carry (``Embedding(mask_zero=True)``, ``Masking``; or ``query_mask`` (batch, T), ``value_mask``
    and ``key_mask`` (batch, S) given to the call) are ANDed in: query step t attends to key
    step s only where both are unmasked, and the output carries the query's mask.  A query with
    nothing to attend to outputs the bias alone (its weights are 0, as Keras's masked softmax
    gives).  ``dropout`` drops attention weights in training.  In a functional model: ``mha(x, x, use_causal_mask=True)`` (self-attention) or
    ``mha(query, value)``; the layer table's form ``mha([query, value])`` is the same call.

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head's query and key projections.
        value_dim: the size of each head's value projection (None: ``key_dim``).
        dropout: the fraction of attention weights dropped in training, in [0, 1).
        use_bias: whether the four projections add biases.
        output_shape: the size of the output's last axis, an int or a 1-tuple (None: the query's features).
        kernel_initializer: how the four kernels start.
        bias_initializer: how the four biases start.
        seed: Keras's argument; a seeded attention dropout is not supported (a ValueError when
            ``dropout`` runs in training), so leave it None.
        name: the layer's name (default: ``multi_head_attention``, ...).
        dtype: the floating dtype of its weights and inputs (None: float32).

    Call arguments:
        - ``query``: (batch, T, query features).
        - ``value``: (batch, S, value features).
        - ``key``: (batch, S, key features); None uses ``value``.
        - ``query_mask``, ``value_mask``, ``key_mask``: booleans (batch, T) or (batch, S), True at the
          steps that hold data; None takes the mask the input carries (if any).
        - ``attention_mask``: booleans (batch, T, S), True where query step t may attend to key step s;
          None lets every step attend to all.  Every mask given or carried is ANDed in.
        - ``return_attention_scores``: also return the attention weights.
        - ``use_causal_mask``: step t attends to steps up to t alone (with ``attention_mask``: both).
        - ``training``: None follows the layer's mode; True or False sets it for this call.

    Shapes:
        query (batch, T, dq), value (batch, S, dv), key (batch, S, dk); output (batch, T, out), out
        ``output_shape`` or dq; attention scores (batch, num_heads, T, S).  Weights in Keras's order:
        query/kernel (dq, num_heads, key_dim), query/bias (num_heads, key_dim), key/kernel (dk,
        num_heads, key_dim), key/bias (num_heads, key_dim), value/kernel (dv, num_heads, value_dim),
        value/bias (num_heads, value_dim), attention_output/kernel (num_heads, value_dim, out),
        attention_output/bias (out,).

    Returns:
        Called on Tensors or arrays, the output Tensor; ``(output, scores)`` with
            ``return_attention_scores=True``.
    """

    takes_several = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", seed=None, name=None, dtype=None):
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim), ("value_dim", value_dim)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"MultiHeadAttention: {arg} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        if isinstance(output_shape, (tuple, list)):
            if len(output_shape) != 1:
                raise ValueError("MultiHeadAttention: output_shape must be the size of the last axis (an int or a "
                                 f"1-tuple) here, got {output_shape!r}")
            output_shape = output_shape[0]
        super().__init__(name, dtype=dtype)
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = key_dim if value_dim is None else value_dim
        self.dropout, self.use_bias, self._output_dim = float(dropout), use_bias, output_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.rng = None if seed is None else backend.generator(seed)

    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                 attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None and isinstance(query, (list, tuple)):         # mha([query, value(, key)])
            if len(query) not in (2, 3):
                raise ValueError(f"{self.name}: takes [query, value] or [query, value, key], got {len(query)} inputs")
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise TypeError(f"{self.name}: call it as mha(query, value) (self-attention: mha(x, x))")
        inputs = [query, value] + ([] if key is None else [key])
        options = {"use_causal_mask": bool(use_causal_mask)}
        if isinstance(query, Symbol):
            given = [n for n, v in (("query_mask", query_mask), ("value_mask", value_mask), ("key_mask", key_mask),
                                    ("attention_mask", attention_mask)) if v is not None]
            if given or return_attention_scores:
                given = ", ".join(given or ["return_attention_scores"])
                raise ValueError(f"{self.name}: in a functional model, {given} cannot be recorded; use "
                                 "use_causal_mask=True, let Embedding(mask_zero=True) or Masking give the masks, "
                                 "or call the layer on arrays")
            return self._record(inputs, options)
        # Keras's masks: those the inputs carry (Embedding(mask_zero=True), Masking) unless given here.
        query_mask = get_mask(query) if query_mask is None else query_mask
        value_mask = get_mask(value) if value_mask is None else value_mask
        key_mask = (None if key is None else get_mask(key)) if key_mask is None else key_mask
        inputs = [self._as_input(t) for t in inputs]
        if any(x.ndim != 3 for x in inputs):
            raise ValueError(f"{self.name}: query, value and key must be (batch, steps, features), got "
                             f"{[tuple(t.shape) for t in inputs]}")
        if not self.built:
            self.build([t.shape[1:] for t in inputs])
        attention_mask = self._attention_mask(inputs, query_mask, value_mask, key_mask, attention_mask)
        with ad.name_scope(self.name), (self.mode(training) if training is not None else contextlib.nullcontext()):
            out = self.forward(inputs, attention_mask, return_attention_scores, use_causal_mask)
        if query_mask is not None:          # the output's steps are the query's: its mask goes on (Keras's)
            set_mask(out[0] if return_attention_scores else out, self._mask_array(query_mask))
        return out

    @staticmethod
    def _mask_array(mask):
        return backend.asarray(mask.numpy() if isinstance(mask, ad.Tensor) else mask).astype(bool)

    def _attention_mask(self, inputs, query_mask, value_mask, key_mask, attention_mask):
        """Keras's ``_compute_attention_mask`` without the causal part (forward adds it): the query's
        mask (batch, T) as (batch, T, 1), the value's and the key's (batch, S) as (batch, 1, S), and
        ``attention_mask`` (batch, T, S), all ANDed; None when there is none."""
        batch, steps, keys = inputs[0].shape[0], inputs[0].shape[1], inputs[1].shape[1]
        combined = None
        for what, mask, shape, axis in (("query_mask", query_mask, (batch, steps), -1),
                                        ("value_mask", value_mask, (batch, keys), -2),
                                        ("key_mask", key_mask, (batch, keys), -2)):
            if mask is None:
                continue
            mask = self._mask_array(mask)
            if mask.shape != shape:
                raise ValueError(f"{self.name}: {what} must have shape (batch, steps) = {shape}, got {mask.shape}")
            mask = backend.xp(mask).expand_dims(mask, axis)
            combined = mask if combined is None else combined & mask
        if attention_mask is not None:
            attention_mask = self._mask_array(attention_mask)
            combined = attention_mask if combined is None else attention_mask & combined
        return combined

    def build(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        if len(shapes) not in (2, 3) or any(len(s) != 2 for s in shapes):
            raise ValueError(f"{self.name}: query, value (and key) must be (steps, features) each, got "
                             f"{[(None,) + s for s in shapes]}")
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        if key[0] != value[0]:
            raise ValueError(f"{self.name}: key {(None,) + key} and value {(None,) + value} must have the same steps")
        self._input_shape, self.built = shapes, True
        heads = self.num_heads
        kernel, bias = self.kernel_initializer, self.bias_initializer
        self.query_kernel = self.add_weight("query/kernel", (query[-1], heads, self.key_dim), kernel)
        self.query_bias = self.add_weight("query/bias", (heads, self.key_dim), bias) if self.use_bias else None
        self.key_kernel = self.add_weight("key/kernel", (key[-1], heads, self.key_dim), kernel)
        self.key_bias = self.add_weight("key/bias", (heads, self.key_dim), bias) if self.use_bias else None
        self.value_kernel = self.add_weight("value/kernel", (value[-1], heads, self.value_dim), kernel)
        self.value_bias = self.add_weight("value/bias", (heads, self.value_dim), bias) if self.use_bias else None
        out = self._output_dim or query[-1]
        self.output_kernel = self.add_weight("attention_output/kernel", (heads, self.value_dim, out), kernel)
        self.output_bias = self.add_weight("attention_output/bias", (out,), bias) if self.use_bias else None

    def compute_output_shape(self, input_shape):
        query = tuple(input_shape[0])
        return (query[0], self._output_dim or query[-1])

    def _heads(self, x, kernel, bias):
        """(batch, steps, features) -> (batch, heads, steps, dim): one matrix product for every head."""
        features, heads, dim = kernel.shape
        flat_bias = None if bias is None else bias.reshape((heads * dim,))
        out = ad.linear(x, kernel.reshape((features, heads * dim)), flat_bias)
        return ad.swapaxes(out.reshape(x.shape[:2] + (heads, dim)), 1, 2)

    def forward(self, inputs, attention_mask=None, return_attention_scores=False, use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        q = self._heads(query, self.query_kernel, self.query_bias)
        k = self._heads(key, self.key_kernel, self.key_bias)
        v = self._heads(value, self.value_kernel, self.value_bias)
        mask = None
        if attention_mask is not None:
            mask = self._mask_array(attention_mask)
            mask = mask[:, None] if mask.ndim == 3 else mask          # the same mask for every head
        if use_causal_mask:
            causal = backend.triangle((query.shape[1], key.shape[1]), 0, lower=True)
            mask = causal if mask is None else mask & causal
        dropout = self.dropout if self.training else 0.0
        if dropout and self.rng is not None:
            raise ValueError(f"{self.name}: a seeded dropout is not supported here; leave seed=None")
        out, weights = ad.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout,
                                                       return_weights=True)
        heads, dim, features = self.output_kernel.shape
        out = ad.swapaxes(out, 1, 2).reshape(query.shape[:2] + (heads * dim,))
        out = ad.linear(out, self.output_kernel.reshape((heads * dim, features)), self.output_bias)
        return (out, weights) if return_attention_scores else out


# ------------------------------------------------------------ activation layers (Activation is above)
class Softmax(Layer):
    """Keras's Softmax layer: the softmax along ``axis`` (the last by default).

    Over the last axis its output remembers its logits, as the softmax
    activation's does, so cross-entropy computes from them (``nn.Sequential([model,
    layers.Softmax()])`` trains as exactly as ``activation="softmax"``).

    Args:
        axis: the axis whose entries sum to 1 (-1: the last).
        name: the layer's name (default: ``softmax``, ``softmax_1``, ...).
        input_shape: the input's shape without the batch axis; given, the layer is built at once.

    Shapes:
        input any shape (batch, ...); output the input's shape.  No weights.
    """

    def __init__(self, axis=-1, name=None, input_shape=None):
        super().__init__(name, input_shape)
        self.axis = axis

    def forward(self, x):
        return activations.softmax(x, axis=self.axis)


# ------------------------------------------------------------------ sequences
class Embedding(Layer):
    """Row ``i`` of ``embeddings`` for each id ``i``: (batch, ...) integer ids -> (batch, ..., output_dim).

    A gather: its gradient adds into the rows it read (an id seen twice gets both gradients).  With
    ``mask_zero=True`` id 0 is padding: the output carries a mask (``get_mask``) that the recurrent
    layers read to carry their state over the padded steps, as Keras does; ``input_dim`` then still
    counts the 0.

    Args:
        input_dim: the vocabulary's size: ids run from 0 to ``input_dim - 1``.
        output_dim: the size of each id's vector.
        embeddings_initializer: how ``embeddings`` starts (default ``"uniform"``: U(-0.05, 0.05), as Keras).
        mask_zero: treat id 0 as padding and attach a (batch, ...) mask, True where the id is not 0.
        input_shape: the ids' shape without the batch axis (``(None,)``: sequences of any length).
        name: the layer's name (default: ``embedding``, ``embedding_1``, ...).
        dtype: the floating dtype of ``embeddings`` and the output (None: float32).

    Shapes:
        input (batch, ...) integer ids (float ids are cast to int64, as Keras); output (batch, ...,
        output_dim); embeddings (input_dim, output_dim).  An id outside [0, input_dim) is a ValueError.
    """

    takes_integers = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 input_shape=None, name=None, dtype=None):
        for what, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not hasattr(value, "__index__") or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding: {what} must be a positive integer, got {value!r}")
        super().__init__(name, input_shape, dtype)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)   # "uniform": U(-0.05, 0.05)
        self.mask_zero = bool(mask_zero)

    def build(self, input_shape):
        super().build(input_shape)
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def forward(self, ids):
        data = ids.data if ids.dtype.kind in "iu" else ids.data.astype("int64")   # Keras casts float ids
        if data.size and (data.min() < 0 or data.max() >= self.input_dim):
            raise ValueError(f"{self.name}: ids must be in [0, {self.input_dim}) (input_dim={self.input_dim}), "
                             f"got ids from {int(data.min())} to {int(data.max())}")
        out = self.embeddings[data]
        return set_mask(out, data != 0) if self.mask_zero else out


class PositionEmbedding(Layer):
    """A learned vector per position (keras_hub's PositionEmbedding): the embeddings of positions
    ``start_index`` to ``start_index + steps - 1``, broadcast to the input's shape.

    Only the input's shape is read, not its values: add the result to the token embeddings,
    ``layers.Add()([tokens, layers.PositionEmbedding(block_size)(tokens)])``.  Its output carries
    no mask (as keras_hub's).  Called as ``layer(inputs, start_index=0)``; in a functional model
    ``start_index`` is recorded with the call and saved with the model.

    Args:
        sequence_length: how many positions it has embeddings for, the longest sequence it takes
            (a positive integer).
        initializer: how ``embeddings`` starts (an initializer's name or object; default
            ``"glorot_uniform"``, as keras_hub's).
        input_shape: the input's shape without the batch axis, ``(steps, features)``; given, the
            layer is built at once.
        name: the layer's name (default: ``position_embedding``, ``position_embedding_1``, ...).
        dtype: the dtype of its weight and output (default float32; ``"float64"`` for checks).

    Shapes:
        input (batch, steps, features) (more leading axes are allowed: the steps are the
        second-to-last axis); output the input's shape; embeddings (sequence_length, features).
        ``start_index + steps`` may not exceed ``sequence_length``: a longer input is a
        ValueError naming both lengths.

    Returns:
        Called on a Tensor or array, a Tensor of the input's shape in the layer's dtype.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", input_shape=None, name=None, dtype=None):
        if not hasattr(sequence_length, "__index__") or isinstance(sequence_length, bool) or sequence_length <= 0:
            raise ValueError(f"PositionEmbedding: sequence_length must be a positive integer, got {sequence_length!r}")
        super().__init__(name, input_shape, dtype)
        self.sequence_length = int(sequence_length)
        self.initializer = initializers.get(initializer)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: takes (batch, steps, features) inputs with a known number of features, "
                             f"got {(None,) + tuple(input_shape)}")
        self._check_length(input_shape[-2], 0)
        super().build(input_shape)
        self.position_embeddings = self.add_weight("embeddings", (self.sequence_length, input_shape[-1]),
                                                   self.initializer)

    def _check_length(self, steps, start_index):
        if steps is not None and start_index + steps > self.sequence_length:
            needs = (f"an input of {steps} steps from start_index {start_index} needs {start_index + steps} "
                     "positions, more than" if start_index else f"an input of {steps} steps is longer than")
            raise ValueError(f"{self.name}: {needs} its sequence_length of {self.sequence_length} positions; make "
                             "the layer with a larger sequence_length or cut the sequences")

    def __call__(self, inputs, start_index=0, training=None):
        index = np.asarray(start_index.numpy() if isinstance(start_index, ad.Tensor) else start_index)
        if index.shape != () or index.dtype.kind not in "iu" or index < 0:
            raise ValueError(f"{self.name}: start_index must be a non-negative integer, got {start_index!r}")
        start_index = int(index)
        if isinstance(inputs, Symbol):
            return self._record(inputs, {"start_index": start_index} if start_index else None)
        x = self._as_input(inputs)
        if not self.built:
            self.build(x.shape[1:])
        with ad.name_scope(self.name):
            return self.forward(x, start_index)

    def forward(self, x, start_index=0):
        if x.ndim < 3 or x.shape[-1] != self.position_embeddings.shape[-1]:
            raise ValueError(f"{self.name}: expected inputs (batch, steps, {self.position_embeddings.shape[-1]}), "
                             f"got shape {tuple(x.shape)}")
        steps = x.shape[-2]
        self._check_length(steps, start_index)
        return ad.broadcast_to(self.position_embeddings[start_index:start_index + steps], x.shape)


class Masking(Layer):
    """Mark the time steps whose features all equal ``mask_value`` as padding, as Keras's Masking.

    The output is the input with those steps zeroed, carrying a mask (``get_mask``) that the
    recurrent layers read to skip them.

    Args:
        mask_value: the value that marks padding: a step is masked when every feature equals it.
        input_shape: (time, features) without the batch axis.
        name: the layer's name (default: ``masking``, ``masking_1``, ...).
        dtype: the floating dtype it computes in: array and integer inputs are cast to it (None: float32).

    Shapes:
        input (batch, time, features); output the input's shape; its mask (batch, time).  No weights.
    """

    def __init__(self, mask_value=0.0, input_shape=None, name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self.mask_value = float(mask_value)

    def forward(self, x):
        keep = backend.xp(x.data).any(x.data != self.mask_value, axis=-1)
        return set_mask(x * keep[..., None].astype(x.dtype), keep)


# ------------------------------------------------------------------ recurrent layers and their wrappers
# Recurrent layers (SimpleRNN, LSTM, GRU) and the wrappers around them (Bidirectional, TimeDistributed).
#
# Keras 3's arguments, defaults, weights and equations.  The recurrence is a loop of recorded
# ops over the time steps: the input projection of every step is one matrix product before
# the loop, each step is one product with the recurrent kernel, and every gate of a step is
# cut from that product.  A mask (from ``Embedding(mask_zero=True)``, ``Masking`` or
# ``mask=``) carries the state over the masked steps, as Keras does; the output at a masked
# step repeats the one before it (zeros before the first, and everywhere in a Bidirectional).


def _positive(value, what, layer):
    if not hasattr(value, "__index__") or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: {what} must be a positive integer, got {value!r}")
    return int(value)


def _rate(value, what, layer):
    if not 0 <= value < 1:
        raise ValueError(f"{layer}: {what} must be in [0, 1), got {value!r}")
    return float(value)


def _symbols(layer, out, parents, options=None):
    """The symbols of a recorded call: one, or one per output when ``out`` lists several shapes
    (a recurrent layer's ``return_state``); each keeps the call's keyword arguments (``options``)."""
    if isinstance(out, list):
        symbols = [Symbol(shape, layer, parents, dtype=layer.dtype.name, index=i) for i, shape in enumerate(out)]
        for symbol in symbols:
            symbol.siblings, symbol.options = symbols, dict(options or {})
        return symbols
    symbol = Symbol(out, layer, parents, dtype=layer.dtype.name)
    symbol.options = dict(options or {})
    return symbol


class _RNN(Layer):
    """What SimpleRNN, LSTM and GRU share: the arguments, the weights' shapes, the loop over time."""

    gates = 1                   # blocks of ``units`` columns in the kernels
    state_count = 1             # h (and c for an LSTM)
    zero_output_for_mask = False    # Keras's: zeros, not the last output, at masked steps (Bidirectional sets it)

    def _setup(self, units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
               bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed):
        kind = type(self).__name__
        self.units = _positive(units, "units", kind)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.dropout = _rate(dropout, "dropout", kind)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", kind)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)
        # A seeded layer owns its generator: reproducible dropout, yet new masks on every call.
        self.rng = backend.generator(seed) if seed is not None else None

    # ------------------------------------------------------------ shapes and weights
    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: takes sequences of shape (batch, time, features) with the features "
                             f"known, got input shape {(None,) + tuple(input_shape)}")
        super().build(input_shape)
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer)
        self.bias = self.add_weight("bias", self.bias_shape(), self.make_bias) if self.use_bias else None

    def bias_shape(self):
        return (self.gates * self.units,)

    def make_bias(self, shape, dtype):
        return self.bias_initializer(shape, dtype=dtype)

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], self.units) if self.return_sequences else (self.units,)
        if self.return_state:
            return [out] + [(self.units,)] * self.state_count
        return out

    # ------------------------------------------------------------ calls
    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        """``layer(x)``, ``layer(x, initial_state=[h, c])`` or ``layer([x, h, c])``; ``mask`` (batch, time)
        booleans, else the one the input carries.  Returns the output, and the final states after it
        when ``return_state``."""
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        if initial_state is not None and not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        states = list(initial_state or [])
        if states and len(states) != self.state_count:
            raise ValueError(f"{self.name}: initial_state takes {self.state_count} tensor(s) of shape (batch, "
                             f"{self.units}), got {len(states)}")
        if isinstance(inputs, Symbol):
            return self._record_call(inputs, states)
        x = self._as_input(inputs)
        if mask is None:
            mask = get_mask(inputs)
        if not self.built:
            self.build(x.shape[1:])
        with ad.name_scope(self.name), self.mode(training):
            return self.forward(x, [self._as_input(s) for s in states], mask)

    def _record_call(self, x, states):
        if not all(isinstance(s, Symbol) for s in states):
            raise TypeError(f"{self.name}: called on a symbolic input, its initial_state must be symbols too")
        shape = x.shape[1:]
        if not self.built:
            self.build(shape)
        elif not same_shape(tuple(shape), tuple(self._input_shape)):
            raise ValueError(f"{self.name}: built for inputs of shape {self.input_shape}, called on {x.shape}")
        return _symbols(self, self.compute_output_shape(shape), (x, *states))

    def forward(self, x, states=(), mask=None):
        if x.ndim != 3 or x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{self.name}: expected inputs of shape (batch, time, {self.kernel.shape[0]}), "
                             f"got {x.shape}")
        batch, steps = x.shape[0], x.shape[1]
        if steps == 0:
            raise ValueError(f"{self.name}: the sequences have no time steps (input shape {x.shape})")
        xp = backend.xp(x.data)
        for s in states:
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(f"{self.name}: each initial state must have shape ({batch}, {self.units}), "
                                 f"got {s.shape}")
        if not states:
            states = [ad.as_tensor(xp.zeros((batch, self.units), dtype=x.dtype))] * self.state_count
        if mask is not None:
            mask = xp.asarray(mask, dtype=bool)
            if mask.shape != (batch, steps):
                raise ValueError(f"{self.name}: the mask must have shape (batch, time) = {(batch, steps)}, "
                                 f"got {mask.shape}")
        if self.go_backwards:
            x = ad.flip(x, axis=1)
            mask = mask[:, ::-1] if mask is not None else None
        recurrent_keep = None
        if self.training:               # one dropout mask per sequence, the same at every step (Keras's)
            if self.dropout:
                x = x * self._dropout_mask((batch, 1, x.shape[-1]), self.dropout, x.dtype)
            if self.recurrent_dropout:
                recurrent_keep = self._dropout_mask((batch, self.units), self.recurrent_dropout, x.dtype)
        projected = self.project_inputs(x.swapaxes(0, 1))          # (time, batch, gates * units), time-major
        states = self.pack_states(states, recurrent_keep)
        outputs, previous = [], None
        for t in range(steps):
            xw = projected[t]       # each step's gradient is added into one (time, ...) array (Scattered)
            output, new_states = self.step(xw, states, recurrent_keep)
            if mask is not None:        # masked samples keep their state and repeat their last output
                keep = mask[:, t:t + 1]
                new_states = [ad.where(keep, new, old) for new, old in zip(new_states, states)]
                if previous is None or (self.zero_output_for_mask and self.return_sequences):
                    previous = ad.as_tensor(xp.zeros(output.shape, dtype=output.dtype))
                output = ad.where(keep, output, previous)
            states, previous = new_states, output
            if self.return_sequences:
                outputs.append(output)
        out = ad.stack(outputs, axis=1) if self.return_sequences else previous
        if self.return_sequences and mask is not None:
            set_mask(out, mask[:, ::-1] if self.go_backwards else mask)
        return [out] + self.unpack_states(states) if self.return_state else out

    def pack_states(self, states, recurrent_keep):
        """The states as ``step`` carries them from step to step (a list of (batch, units) tensors)."""
        return states

    def unpack_states(self, states):
        """The states as the layer returns them: ``state_count`` tensors of shape (batch, units)."""
        return list(states)

    def _dropout_mask(self, shape, rate, dtype):
        keep = (self.rng or backend.generator()).random(shape) >= rate
        return keep.astype(dtype) / dtype.type(1 - rate)

    def project_inputs(self, x):
        """Every step's input term in one product: x @ kernel (+ bias)."""
        return ad.linear(x, self.kernel, self.bias)

    def recurrent(self, h, keep):
        return (h if keep is None else h * keep) @ self.recurrent_kernel


class SimpleRNN(_RNN):
    """Keras's SimpleRNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``; the output is h.

    Args:
        units: the size of the state h and of the output at each step.
        activation: the activation of the state (default ``"tanh"``; None: linear).
        use_bias: whether to add ``bias``.
        kernel_initializer: how ``kernel`` starts (default ``"glorot_uniform"``).
        recurrent_initializer: how ``recurrent_kernel`` starts (default ``"orthogonal"``).
        bias_initializer: how ``bias`` starts (default ``"zeros"``).
        dropout: the fraction of the inputs' features dropped in training, in [0, 1) (one mask per
            sequence, the same at every step).
        recurrent_dropout: the fraction of h's units dropped from the recurrent product in training.
        return_sequences: return the output of every step, not only the last.
        return_state: return the final state(s) after the output.
        go_backwards: run over the steps in reverse (the sequence output is then in reverse order too).
        seed: the seed of the layer's own generator for its dropout masks (None: from
            ``nn.utils.set_random_seed``).
        input_shape: (time, features) without the batch axis; time may be None (any length).
        name: the layer's name (default: ``simple_rnn``, ``simple_rnn_1``, ...).
        dtype: the floating dtype of its weights and inputs (None: float32).

    Call arguments:
        - ``inputs``: (batch, time, features); or a list ``[inputs, *initial_state]``.
        - ``initial_state``: ``[h]`` (or h alone), each (batch, units); None starts from zeros.
        - ``training``: None follows the layer's mode; True or False sets it for this call (dropout).
        - ``mask``: booleans (batch, time), True at the steps that hold data; None takes the mask the
          input carries (``Embedding(mask_zero=True)``, ``Masking``).  A masked step keeps the state
          and repeats the previous output (zeros before the first).

    Shapes:
        input (batch, time, features); output (batch, units), or (batch, time, units) with
        ``return_sequences``; with ``return_state`` a list ``[output, h]``, each state (batch, units).
        kernel (features, units), recurrent_kernel (units, units), bias (units,).

    Returns:
        Called on a Tensor or array, the output Tensor, or ``[output, h]`` with ``return_state``.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, seed=None, input_shape=None,
                 name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self._setup(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed)

    def step(self, xw, states, keep):
        """One time step: the output and the new states from this step's input term and the previous states.

        Args:
            xw: this step's input term ``x_t @ kernel (+ bias)``, (batch, units).
            states: the previous states, ``[h]``, each (batch, units).
            keep: the recurrent dropout's scaled keep mask (batch, units), or None (no recurrent dropout).

        Returns:
            ``(output, new_states)``: the step's output (batch, units) and the new ``[h]``.
        """
        h = self.activation(xw + self.recurrent(states[0], keep))
        return h, [h]


class LSTM(_RNN):
    """Keras's LSTM: gates i, f, c, o in that order along the kernels' columns::

        z = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, o = recurrent_activation(z_i, z_f, z_o);  g = activation(z_c)
        c_t = f * c + i * g;  h_t = o * activation(c_t)

    ``unit_forget_bias`` starts the forget gate's bias at 1.  States [h, c]; the output is h.  With
    Keras's activations (tanh and sigmoid) and no recurrent dropout each step is one op,
    ``ad.lstm_cell``, as Keras takes its fused kernel under the same conditions; otherwise the same
    equations run as separate ops.

    Args:
        units: the size of the state h and of the output at each step.
        activation: the activation of the state (default ``"tanh"``; None: linear).
        recurrent_activation: the gates' activation (default ``"sigmoid"``).
        use_bias: whether to add ``bias``.
        kernel_initializer: how ``kernel`` starts (default ``"glorot_uniform"``).
        recurrent_initializer: how ``recurrent_kernel`` starts (default ``"orthogonal"``).
        bias_initializer: how ``bias`` starts (default ``"zeros"``).
        unit_forget_bias: start the forget gate's bias at 1 (the other gates' from ``bias_initializer``).
        dropout: the fraction of the inputs' features dropped in training, in [0, 1) (one mask per
            sequence, the same at every step).
        recurrent_dropout: the fraction of h's units dropped from the recurrent product in training.
        return_sequences: return the output of every step, not only the last.
        return_state: return the final state(s) after the output.
        go_backwards: run over the steps in reverse (the sequence output is then in reverse order too).
        seed: the seed of the layer's own generator for its dropout masks (None: from
            ``nn.utils.set_random_seed``).
        input_shape: (time, features) without the batch axis; time may be None (any length).
        name: the layer's name (default: ``lstm``, ``lstm_1``, ...).
        dtype: the floating dtype of its weights and inputs (None: float32).

    Call arguments:
        - ``inputs``: (batch, time, features); or a list ``[inputs, *initial_state]``.
        - ``initial_state``: ``[h, c]``, each (batch, units); None starts from zeros.
        - ``training``: None follows the layer's mode; True or False sets it for this call (dropout).
        - ``mask``: booleans (batch, time), True at the steps that hold data; None takes the mask the
          input carries (``Embedding(mask_zero=True)``, ``Masking``).  A masked step keeps the state
          and repeats the previous output (zeros before the first).

    Shapes:
        input (batch, time, features); output (batch, units), or (batch, time, units) with
        ``return_sequences``; with ``return_state`` a list ``[output, h, c]``, each state (batch, units).
        kernel (features, 4 * units), recurrent_kernel (units, 4 * units), bias (4 * units,); the
        columns in gate order i, f, c, o.

    Returns:
        Called on a Tensor or array, the output Tensor, or ``[output, h, c]`` with ``return_state``.
    """

    gates, state_count = 4, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, seed=None, input_shape=None, name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed)

    def make_bias(self, shape, dtype):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        u = self.units
        parts = [self.bias_initializer((u,), dtype=dtype), initializers.Ones()((u,), dtype=dtype),
                 self.bias_initializer((2 * u,), dtype=dtype)]
        return backend.xp(parts[0]).concatenate(parts)

    def pack_states(self, states, recurrent_keep):
        # With Keras's activations and no recurrent dropout a step is one op, ad.lstm_cell (as Keras takes
        # its fused cuDNN kernel under the same conditions), carrying h and c stacked: (2, batch, units).
        if (self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid
                and recurrent_keep is None):
            return [ad.stack(states)]
        return states

    def unpack_states(self, states):
        return [states[0][0], states[0][1]] if len(states) == 1 else list(states)

    def step(self, xw, states, keep):
        """One time step: the output and the new states from this step's input term and the previous states.

        Args:
            xw: this step's input term ``x_t @ kernel (+ bias)``, (batch, 4 * units).
            states: the previous states: ``[h, c]``, each (batch, units), or ``[hc]``, h and c stacked
                (2, batch, units), when ``pack_states`` chose the fused step (``ad.lstm_cell``).
            keep: the recurrent dropout's scaled keep mask (batch, units), or None (no recurrent dropout).

        Returns:
            ``(output, new_states)``: the step's output (batch, units) and the new states, in the form given.
        """
        if len(states) == 1:                    # the fused step (pack_states)
            out = ad.lstm_cell(xw, states[0], self.recurrent_kernel)
            return out[0], [out[:2]]
        h, c = states
        i, f, g, o = ad.split(xw + self.recurrent(h, keep), 4, axis=-1)
        gate = self.recurrent_activation
        c = gate(f) * c + gate(i) * self.activation(g)
        h = gate(o) * self.activation(c)
        return h, [h, c]


class GRU(_RNN):
    """Keras's GRU: gates z (update), r (reset), h (candidate) in that order along the kernels' columns::

        z = recurrent_activation(x_z + h @ U_z);  r = recurrent_activation(x_r + h @ U_r)
        reset_after (Keras 3's default):  g = activation(x_h + r * (h @ U_h + b_h'))
        else:                             g = activation(x_h + (r * h) @ U_h)
        h_t = z * h + (1 - z) * g

    With ``reset_after`` the bias is (2, 3 * units): row 0 for the inputs, row 1 for the recurrent term.

    Args:
        units: the size of the state h and of the output at each step.
        activation: the activation of the state (default ``"tanh"``; None: linear).
        recurrent_activation: the gates' activation (default ``"sigmoid"``).
        use_bias: whether to add ``bias``.
        kernel_initializer: how ``kernel`` starts (default ``"glorot_uniform"``).
        recurrent_initializer: how ``recurrent_kernel`` starts (default ``"orthogonal"``).
        bias_initializer: how ``bias`` starts (default ``"zeros"``).
        dropout: the fraction of the inputs' features dropped in training, in [0, 1) (one mask per
            sequence, the same at every step).
        recurrent_dropout: the fraction of h's units dropped from the recurrent product in training.
        return_sequences: return the output of every step, not only the last.
        return_state: return the final state(s) after the output.
        go_backwards: run over the steps in reverse (the sequence output is then in reverse order too).
        reset_after: apply the reset gate after the recurrent product (Keras 3's default, cuDNN's
            form, with two bias rows), else before it.
        seed: the seed of the layer's own generator for its dropout masks (None: from
            ``nn.utils.set_random_seed``).
        input_shape: (time, features) without the batch axis; time may be None (any length).
        name: the layer's name (default: ``gru``, ``gru_1``, ...).
        dtype: the floating dtype of its weights and inputs (None: float32).

    Call arguments:
        - ``inputs``: (batch, time, features); or a list ``[inputs, *initial_state]``.
        - ``initial_state``: ``[h]`` (or h alone), each (batch, units); None starts from zeros.
        - ``training``: None follows the layer's mode; True or False sets it for this call (dropout).
        - ``mask``: booleans (batch, time), True at the steps that hold data; None takes the mask the
          input carries (``Embedding(mask_zero=True)``, ``Masking``).  A masked step keeps the state
          and repeats the previous output (zeros before the first).

    Shapes:
        input (batch, time, features); output (batch, units), or (batch, time, units) with
        ``return_sequences``; with ``return_state`` a list ``[output, h]``, each state (batch, units).
        kernel (features, 3 * units), recurrent_kernel (units, 3 * units), bias (2, 3 * units) with
        ``reset_after``, else (3 * units,); the columns in gate order z, r, h.

    Returns:
        Called on a Tensor or array, the output Tensor, or ``[output, h]`` with ``return_state``.
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, reset_after=True, seed=None, input_shape=None, name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self.reset_after = bool(reset_after)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def project_inputs(self, x):
        if self.bias is not None and self.reset_after:
            return ad.linear(x, self.kernel, self.bias[0])
        return super().project_inputs(x)

    def step(self, xw, states, keep):
        """One time step: the output and the new states from this step's input term and the previous states.

        Args:
            xw: this step's input term ``x_t @ kernel (+ bias)``, (batch, 3 * units).
            states: the previous states, ``[h]``, each (batch, units).
            keep: the recurrent dropout's scaled keep mask (batch, units), or None (no recurrent dropout).

        Returns:
            ``(output, new_states)``: the step's output (batch, units) and the new ``[h]``.
        """
        h = states[0] if keep is None else states[0] * keep      # Keras 3 drops h for the update too
        u, gate = self.units, self.recurrent_activation
        x_z, x_r, x_h = ad.split(xw, 3, axis=-1)
        if self.reset_after:
            inner = h @ self.recurrent_kernel
            if self.bias is not None:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = ad.split(inner, 3, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            g = self.activation(x_h + r * r_h)
        else:
            r_z, r_r = ad.split(h @ self.recurrent_kernel[:, :2 * u], 2, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            g = self.activation(x_h + (r * h) @ self.recurrent_kernel[:, 2 * u:])
        h = z * h + (1 - z) * g
        return h, [h]


# ------------------------------------------------------------------ wrappers
def _wrapped_entry(layer):
    """A wrapped layer's configuration, ``{"class": ..., "config": ...}`` (model.save writes it as any layer's),
    without its input shape: the wrapper builds it."""
    config = layer.get_config()
    config.pop("input_shape", None)
    return {"class": type(layer).__name__, "config": config}


def _wrapped_layer(entry):
    """The layer a wrapper's configuration names (load_model hands over the layer itself, made and checked)."""
    if isinstance(entry, Layer):
        return entry
    known = {name: cls for name, cls in globals().items() if isinstance(cls, type) and issubclass(cls, Layer)
             and not name.startswith("_")}
    if not isinstance(entry, dict) or entry.get("class") not in known or not isinstance(entry.get("config"), dict):
        raise ValueError(f"a wrapper takes a layer or a layer's configuration {{'class': ..., 'config': ...}}, "
                         f"got {entry!r:.80}")
    return known[entry["class"]].from_config(entry["config"])


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards over the sequence, and merge the two outputs.

    As Keras's Bidirectional: two fresh layers are made from ``layer``'s configuration,
    ``forward_<name>`` and ``backward_<name>`` (``go_backwards=True``); none of ``layer``'s weights
    carry over.  With ``return_sequences`` the backward outputs are put back in time order before
    merging; at masked steps both outputs are zeros.

    Args:
        layer: a SimpleRNN, LSTM or GRU (or its configuration ``{"class": ..., "config": ...}``); its
            ``return_sequences`` and ``return_state`` are the wrapper's.
        merge_mode: how the two outputs combine: ``"concat"`` (default, features side by side),
            ``"sum"``, ``"mul"``, ``"ave"``, or None (a list ``[forward, backward]``).
        backward_layer: the recurrent layer to run backwards, used as given (as Keras, it should have
            ``go_backwards=True``); None: a copy of ``layer``.
        input_shape: (time, features) without the batch axis.
        name: the layer's name (default: ``bidirectional``, ``bidirectional_1``, ...).

    Call arguments:
        - ``inputs``: (batch, time, features); or a list ``[inputs, *initial_state]``.
        - ``initial_state``: the forward layer's states then the backward layer's (``[h_f, c_f, h_b,
          c_b]`` for an LSTM), each (batch, units); None starts from zeros.
        - ``training``: None follows the layer's mode; True or False sets it for this call.
        - ``mask``: booleans (batch, time); None takes the mask the input carries.

    Shapes:
        input (batch, time, features); output (batch, 2 * units) for "concat", (batch, units) for
        "sum", "mul" and "ave" (with ``return_sequences``, (batch, time, ...) alike); with
        ``return_state`` the forward layer's states then the backward layer's follow the output(s)
        in a list, each (batch, units).  Weights: the forward layer's kernel, recurrent_kernel and
        bias, then the backward layer's.
    """

    MERGES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, input_shape=None, name=None):
        layer = _wrapped_layer(layer) if isinstance(layer, dict) else layer          # from a configuration
        backward_layer = _wrapped_layer(backward_layer) if isinstance(backward_layer, dict) else backward_layer
        for what, given in (("layer", layer), ("backward_layer", backward_layer)):
            if given is not None and not isinstance(given, _RNN):
                raise TypeError(f"Bidirectional: {what} must be a recurrent layer (SimpleRNN, LSTM, GRU), "
                                f"got {given!r:.80}")
        if merge_mode not in self.MERGES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {self.MERGES}, got {merge_mode!r}")
        super().__init__(name, input_shape)
        self.dtype = layer.dtype            # the wrapped layer's inputs are the wrapper's
        self.merge_mode = merge_mode
        # Fresh layers made from the given one's configuration (Keras's way: none of its state carries over)
        config = layer.get_config()
        config.pop("input_shape", None)
        base = config["name"].removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{base}"})
        if backward_layer is None:
            backward_layer = type(layer).from_config({**config, "name": f"backward_{base}", "go_backwards": True})
        self.backward_layer = backward_layer
        for inner in (self.forward_layer, self.backward_layer):   # as Keras: the merge sees zeros at masked steps
            inner.zero_output_for_mask = inner.return_sequences
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state

    def get_config(self):
        return {**super().get_config(), "layer": _wrapped_entry(self.forward_layer),
                "backward_layer": _wrapped_entry(self.backward_layer)}

    def build(self, input_shape):
        super().build(input_shape)
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(input_shape)

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = out[1:] if self.return_state else []
        out = out[0] if self.return_state else out
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (2 * out[-1],)
        outs = [out, out] if self.merge_mode is None else [out]
        return outs + states + states if self.return_state or self.merge_mode is None else out

    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        states = list(initial_state or [])
        if isinstance(inputs, Symbol):
            if not self.built:
                self.build(inputs.shape[1:])
            return _symbols(self, self.compute_output_shape(inputs.shape[1:]), (inputs, *states))
        if mask is None:
            mask = get_mask(inputs)
        x = self._as_input(inputs)
        if not self.built:
            self.build(x.shape[1:])
        half = len(states) // 2
        with ad.name_scope(self.name), self.mode(training):
            forward = self.forward_layer(x, states[:half] or None, mask=mask)
            backward = self.backward_layer(x, states[half:] or None, mask=mask)
        forward_states = backward_states = []
        if self.return_state:
            (forward, *forward_states), (backward, *backward_states) = forward, backward
        if self.return_sequences:
            backward = ad.flip(backward, axis=1)
        if self.merge_mode == "concat":
            out = ad.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            out = forward + backward
        elif self.merge_mode == "mul":
            out = forward * backward
        elif self.merge_mode == "ave":
            out = (forward + backward) * forward.dtype.type(0.5)
        else:
            out = [forward, backward]
        if self.return_sequences and mask is not None:
            for o in out if isinstance(out, list) else [out]:
                set_mask(o, mask)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + forward_states + backward_states
        return out


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step alike, with one set of weights (Keras's TimeDistributed).

    The steps are folded into the batch, ``layer`` runs once on (batch * time, ...), and its output
    is unfolded; a mask the input carries passes to the output.

    Args:
        layer: the layer to apply (any Layer, or its configuration ``{"class": ..., "config": ...}``).
        input_shape: (time, ...) without the batch axis; given, the layer is built at once.
        name: the layer's name (default: ``time_distributed``, ...).

    Shapes:
        input (batch, time, ...); output (batch, time, *layer's output shape for (...)).  Weights:
        ``layer``'s, built for one step's shape (``TimeDistributed(Dense(8))`` on (batch, time, 16):
        kernel (16, 8), bias (8,)).
    """

    def __init__(self, layer, input_shape=None, name=None):
        layer = _wrapped_layer(layer) if isinstance(layer, dict) else layer          # from a configuration
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed: wraps a layer, got {layer!r:.80}")
        super().__init__(name, input_shape)
        self.dtype = layer.dtype
        self.layer = layer

    def get_config(self):
        return {**super().get_config(), "layer": _wrapped_entry(self.layer)}

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: takes inputs of shape (batch, time, ...), got {(None,) + tuple(input_shape)}")
        super().build(input_shape)
        if not self.layer.built:
            self.layer.build(tuple(input_shape[1:]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.layer.compute_output_shape(tuple(input_shape[1:])))

    def forward(self, x):
        batch, steps = x.shape[0], x.shape[1]
        out = self.layer(x.reshape((batch * steps,) + tuple(x.shape[2:])))
        out = out.reshape((batch, steps) + tuple(out.shape[1:]))
        mask = get_mask(x)
        return set_mask(out, mask) if mask is not None else out

