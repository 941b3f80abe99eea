"""Sequential: a stack of layers, trained with Keras's compile / fit / evaluate / predict (nn.training)."""
from .callbacks import History
from .layers import Layer, as_tensor
from .training import Model

__all__ = ["History", "Model", "Sequential"]


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
        with self.mode(training):
            return self.forward(as_tensor(x))

    def get_layer(self, name=None, index=None):
        """A layer by its name or its position (Keras)."""
        if (name is None) == (index is None):
            raise ValueError("get_layer: give a name or an index")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"get_layer: index {index} is out of range for a model of {len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer: no layer named {name!r}; the layers are {[l.name for l in self.layers]}")

    def summary(self, print_fn=print):
        """Print each layer with its output shape and parameter count, then the totals."""
        if not self.built:
            raise ValueError("summary: the model is not built yet: give the first layer input_shape=..., "
                             "or call the model on data first")
        rows = [("Layer (type)", "Output Shape", "Param #")]
        shape = None
        for layer in self.layers:
            shape = layer.compute_output_shape(layer.input_shape)
            rows.append((f"{layer.name} ({type(layer).__name__})", str((None,) + tuple(shape)),
                         f"{layer.count_params():,}"))
        widths = [max(len(r[i]) for r in rows) + 4 for i in range(3)]
        rule = "=" * sum(widths)
        lines = [f'Model: "{self.name}"', rule]
        for i, row in enumerate(rows):
            lines.append("".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            lines.append(rule if i == 0 else "-" * sum(widths) if i < len(rows) - 1 else rule)
        total = self.count_params()
        trainable = sum(p.size for p in self.parameters() if p.requires_grad)
        lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {total - trainable:,}"]
        print_fn("\n".join(lines))
        return total
