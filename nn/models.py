"""Sequential (a stack of layers) and Functional (a graph of layers, Keras's ``Model(inputs, outputs)``),
trained with Keras's compile / fit / evaluate / predict (nn.training)."""
from .callbacks import History
from .layers import Layer, Symbol, _unique_name, as_tensor
from .training import Model


def load_model(path, compile=True, custom_objects=None):
    """A model saved by ``model.save(path)``: architecture, weights, and (compiled) optimizer state."""
    from .saving import load_model as load
    return load(path, compile=compile, custom_objects=custom_objects)


__all__ = ["Functional", "History", "Model", "Sequential", "load_model"]


def _print_summary(model, rows, print_fn):
    """Keras's summary table: a header row, one row per layer, then the parameter totals."""
    columns = len(rows[0])
    widths = [max(len(r[i]) for r in rows) + 4 for i in range(columns)]
    rule = "=" * sum(widths)
    lines = [f'Model: "{model.name}"', rule]
    for i, row in enumerate(rows):
        lines.append("".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        lines.append(rule if i == 0 else "-" * sum(widths) if i < len(rows) - 1 else rule)
    total = model.count_params()
    trainable = sum(p.size for p in model.parameters() if p.requires_grad)
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    print_fn("\n".join(lines))
    return total


class Sequential(Model):
    def __init__(self, layers=None, name=None):
        self.name = name or "sequential"
        self.layers = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer (nn.layers.Dense, ...), got {layer!r:.80}")
        self.layers.append(layer)
        self._build_chain()          # builds the new layer when the shapes before it are known

    def _build_chain(self):
        """Build every layer whose input shape is known from the one before."""
        shape = None
        for layer in self.layers:
            if not layer.built:
                if shape is None:
                    return
                layer.build(shape)
            shape = layer.compute_output_shape(layer.input_shape)

    @property
    def input_shape(self):
        return self.layers[0].input_shape if self.layers else None

    def _prepare(self, *args, **kwargs):
        if not self.layers:
            raise ValueError(f"{kwargs.get('what', 'fit')}: the model has no layers yet; add some with model.add(...)")
        return super()._prepare(*args, **kwargs)

    def build_for(self, x):
        if self.layers and not self.layers[0].built:
            self.layers[0].build(x.shape[1:])
        self._build_chain()

    @property
    def built(self):
        return bool(self.layers) and all(layer.built for layer in self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __call__(self, x, training=None):
        """The model's output for a batch.  ``training``: None follows the model's mode (training until
        ``eval()``, as PyTorch; fit, evaluate and predict leave it as they found it), True or False sets
        it for this call (Keras's ``model(x, training=False)`` for inference)."""
        if training is None:
            return self.forward(as_tensor(x))
        with self.mode(training):
            return self.forward(as_tensor(x))

    def summary(self, print_fn=print):
        """Print each layer with its output shape and parameter count, then the totals."""
        if not self.built:
            raise ValueError("summary: the model is not built yet: give the first layer input_shape=..., "
                             "or call the model on data first")
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            shape = layer.compute_output_shape(layer.input_shape)
            rows.append((f"{layer.name} ({type(layer).__name__})", str((None,) + tuple(shape)),
                         f"{layer.count_params():,}"))
        return _print_summary(self, rows, print_fn)


class Functional(Model):
    """A graph of layers from symbolic inputs to outputs, as Keras's functional API builds it::

        inputs = Input(shape=(784,))
        a = layers.Dense(64, activation="relu")(inputs)
        b = layers.Dense(64, activation="tanh")(inputs)
        outputs = layers.Dense(10, activation="softmax")(layers.concatenate([a, b]))
        model = Model(inputs, outputs)            # nn.Model(inputs, outputs) makes a Functional

    A layer called twice shares its weights.  fit, evaluate and predict take one
    input array (a model of several inputs is called directly: ``model([x1, x2])``).
    """

    def __init__(self, inputs, outputs, name=None):
        self.name = name or _unique_name("functional")
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        self.single_output = not isinstance(outputs, (list, tuple))
        for symbol in self.inputs + self.outputs:
            if not isinstance(symbol, Symbol):
                raise TypeError(f"Model(inputs, outputs): expected symbols from Input(...) and layer calls, "
                                f"got {symbol!r:.80}")
        order, seen = [], set()

        def visit(symbol):
            if id(symbol) in seen:
                return
            seen.add(id(symbol))
            for parent in symbol.inputs:
                visit(parent)
            order.append(symbol)

        for symbol in self.outputs:
            visit(symbol)
        given = {id(s) for s in self.inputs}
        for symbol in order:
            if symbol.layer is None and id(symbol) not in given:
                raise ValueError(f"Model(inputs, outputs): the outputs depend on {symbol.name!r}, an Input that is not "
                                 "among the model's inputs")
        self.nodes = [s for s in order if s.layer is not None]
        self.layers = []
        for symbol in self.nodes:                       # each layer once, in the order it first runs
            if all(symbol.layer is not known for known in self.layers):
                self.layers.append(symbol.layer)

    @property
    def input_shape(self):
        return self.inputs[0].shape[1:] if len(self.inputs) == 1 else [s.shape[1:] for s in self.inputs]

    built = True

    def build_for(self, x):
        """Built from its symbols already."""

    def _prepare(self, x, y=None, what="fit", batch_size=32):
        if len(self.inputs) != 1 or not self.single_output:
            raise ValueError(f"{what}: this model has {len(self.inputs)} inputs and {len(self.outputs)} outputs; fit, "
                             "evaluate and predict take models of one input and one output here (call the model "
                             "on a list of inputs directly, and train it with a loop of your own)")
        return super()._prepare(x, y, what, batch_size)

    def forward(self, *xs):
        if len(xs) != len(self.inputs):
            raise ValueError(f"{self.name}: takes {len(self.inputs)} inputs, got {len(xs)}")
        values = {}
        for symbol, x in zip(self.inputs, xs):
            if tuple(x.shape[1:]) != tuple(symbol.shape[1:]):
                raise ValueError(f"{self.name}: input {symbol.name!r} has shape {symbol.shape}, got {tuple(x.shape)}")
            values[id(symbol)] = x
        for symbol in self.nodes:
            args = [values[id(parent)] for parent in symbol.inputs]
            values[id(symbol)] = symbol.layer(args if symbol.layer.takes_several else args[0])
        outputs = [values[id(symbol)] for symbol in self.outputs]
        return outputs[0] if self.single_output else outputs

    def __call__(self, x, training=None):
        """The outputs for a batch (a list of batches for a model of several inputs); ``training`` as Sequential."""
        xs = x if len(self.inputs) > 1 else [x]
        with self.mode(training):
            return self.forward(*[as_tensor(t) for t in xs])

    def summary(self, print_fn=print):
        """Keras's functional summary: each layer, its output shape, parameters and the layers it reads."""
        names = {id(s): s.name for s in self.inputs}
        rows = [("Layer (type)", "Output Shape", "Param #", "Connected to")]
        for symbol in self.inputs:
            rows.append((f"{symbol.name} (InputLayer)", str(symbol.shape), "0", "-"))
        for symbol in self.nodes:
            names[id(symbol)] = symbol.layer.name
            rows.append((f"{symbol.layer.name} ({type(symbol.layer).__name__})", str(symbol.shape),
                         f"{symbol.layer.count_params():,}", ", ".join(names[id(p)] for p in symbol.inputs)))
        return _print_summary(self, rows, print_fn)
