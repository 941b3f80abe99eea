"""Models: ``Model`` (a layer that trains, nn.training's Trainer), ``Sequential`` (a stack of layers) and
``Functional`` (a graph of layers, Keras's ``Model(inputs, outputs)``), each owning its configuration;
``model.save``/``load_model`` and ``to_json``/``model_from_json`` are built from it, the weights'
``state_dict()`` and the optimizer's ``state_dict()`` (nn.saving is the file format alone)."""
import json
import math
import zipfile

import autodiff as ad

from . import layers as layers_module, metrics as metrics_module, saving
from .callbacks import History
from .layers import Input, Layer, Symbol, _unique_name
from .saving import ModelFileError
from .training import Trainer
from .shapes import same_shape

__all__ = ["Functional", "History", "Model", "Sequential", "load_model", "model_from_json"]


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


class Model(Trainer, Layer):
    """A layer that trains (compile, fit, evaluate, predict): subclass it with a ``forward`` (PyTorch style),
    or build it from symbols, ``Model(inputs, outputs)`` (a Functional, as keras.Model).

    ``Model(inputs, outputs, name=None)`` returns a ``Functional`` (see its arguments).  A subclass
    makes its layers (or Parameters) in its own ``__init__`` and computes in ``forward(x)``;
    ``model(x, training=None)`` calls it, ``training`` None following the model's mode and True or
    False setting it for the call.  Only Sequential and Functional models can be written by
    ``save``/``to_json``; a subclass saves its weights (``save_weights``).

    Args:
        name: the model's name, for a subclass's ``super().__init__(name=...)`` (default: the class's
            name in snake case; ``"model"`` when ``__init__`` is not called).
        input_shape: the shape of one input sample without the batch axis: given, fit checks its
            inputs against it and ``export`` needs no ``input_signature``.
        dtype: the floating dtype float inputs are cast to (None: float32).

    Shapes:
        input and output as ``forward`` takes and returns them (a Functional's: its Inputs' and
        outputs' shapes).  Weights: every Parameter in its attributes and layers, in definition order.
    """

    name = "model"
    built = True                   # a subclass makes its weights in its constructor
    takes_integers = True          # ids pass through to the layers, each of which casts what it takes
    _input_shape = None

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(Functional)
        return super().__new__(cls)

    def __call__(self, x, training=None):
        """The model's output for a batch.  ``training``: None follows the model's mode (training until
        ``eval()``, as PyTorch; fit, evaluate and predict leave it as they found it), True or False sets
        it for this call (Keras's ``model(x, training=False)`` for inference).  On symbols (nn.Input) it
        records the call, as a layer does: a model is a layer of a bigger graph."""
        if _symbolic(x):
            return self._record(x)
        with self.mode(training):
            return self.forward(self._as_input(x))

    def get_config(self):
        """A subclass with its own ``forward`` has no configuration a file can hold: it raises ValueError."""
        raise ValueError(f"model.save: writes Sequential and functional models; {type(self).__name__} is a "
                         "subclass with its own forward, which a file cannot hold: save its weights with "
                         "save_weights (or state_dict) and build it in code again")

    def get_layer(self, name=None, index=None):
        """A layer of a Sequential or functional model, by its name or its position, as Keras's ``get_layer``.

        Args:
            name: the layer's name (``"dense_1"``).
            index: its position in ``model.layers`` (negative counts from the end).

        Returns:
            The Layer.

        Raises:
            ValueError: neither or both are given, no layer has that name, or the index is out of range.
        """
        if (name is None) == (index is None):
            raise ValueError("get_layer: give a name or an index")
        layers = getattr(self, "layers", [])
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for a model of {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer: no layer named {name!r}; the layers are {[l.name for l in layers]}")

    @property
    def weights(self):
        """Every weight in the order of ``parameters()`` (layer by layer, as Keras lists a model's)."""
        return self.parameters()

    def to_json(self, **kwargs):
        """The architecture as JSON, without weights or compile settings, as Keras's ``to_json``.

        ``nn.models.model_from_json`` makes the model again, with new weights.

        Args:
            **kwargs: passed to ``json.dumps`` (``indent=2`` for a readable file).

        Returns:
            A JSON string ``{"class": "Sequential" | "Functional", "config": ...}``.

        Raises:
            ValueError: the model is a subclass with its own ``forward``, or a layer has an argument that
                cannot be written (an activation given as a function of one's own).
        """
        return json.dumps({"class": type(self).__name__, "config": self.get_config()}, **kwargs)

    def save(self, path):
        """Write the model to one ``.keras`` file: its layers, weights, compile settings and optimizer state.

        ``nn.models.load_model`` reads it back, and training resumes where it stopped.  The file is
        written whole or not at all (a failed write leaves an old one intact).  The format is nn's
        own zip archive (nn.saving), not Keras's.

        Args:
            path: the file's name, ending in ``.keras``.

        Raises:
            ValueError: the name does not end in ``.keras``, the model is not built, it is a subclass with
                its own ``forward``, or a layer's or the optimizer's argument cannot be written by name
                (an activation given as a function of one's own).
        """
        config = {"model": {"class": type(self).__name__, "config": self.get_config()},
                  "compile": self._compile_config()}
        if not self.built:
            raise ValueError("model.save: the model is not built yet, so it has no weights: start it with "
                             "nn.Input(shape=...), give the first layer input_shape=(...) or call it on a batch first")
        saving.write_archive(path, config, self.state_dict(), self.optimizer.state_dict() if self.optimizer else {})

    def export(self, filepath, format="onnx", verbose=True, input_signature=None, opset=None, dynamic_batch=True):
        """Write the model for serving, as Keras 3's ``model.export(path, format="onnx")``: the inference
        graph (no dropout, moving statistics) as an ONNX model with a free batch axis, its weights named
        as in ``state_dict()``.  Needs the onnx extra (``pip install -e '.[onnx]'``); ONNX Runtime
        serves the file.  See "Interop: ONNX export".

        Args:
            filepath: the ``.onnx`` file to write.
            format: only ``"onnx"``.
            verbose: print where the file went, with its opset, inputs and outputs.
            input_signature: the shape of one sample without the batch axis (a list of them for several
                inputs), for models that do not know it (subclasses); None: the model's input shape.
            opset: ONNX's operator set version (None: ``autodiff.onnx.OPSET``).
            dynamic_batch: give every input and output a free batch axis; False fixes the batch at 2
                (the traced example's).

        Returns:
            The ``onnx.ModelProto`` written.

        Raises:
            ValueError: another format, or the input shape is unknown.
        """
        if format != "onnx":
            raise ValueError(f"export: format {format!r} is not available here; nn models export to ONNX "
                             "(format='onnx'), which ONNX Runtime, TensorRT and OpenVINO all read")
        shapes = self._input_shape if input_signature is None else input_signature
        if shapes is None or input_signature is None and not self.built:     # the trace builds the rest
            raise ValueError("export: the model's input shape is unknown (not built yet, or a subclass): start it "
                             "with nn.Input(shape=...), give the first layer input_shape=(...), or pass "
                             "input_signature=(the shape of one sample,)")
        several = isinstance(shapes, list)
        for shape in (shapes if several else [shapes]):
            if any(n is None for n in shape):
                raise ValueError(f"export: an input of shape {(None,) + tuple(shape)} has a free axis besides the "
                                 "batch (a sequence of any length); ONNX export traces one shape: pass "
                                 "input_signature=(the shape of one sample, every axis a number), e.g. "
                                 f"{tuple(16 if n is None else n for n in shape)}")
        examples = [ad.full((2,) + tuple(s), 0.5) for s in (shapes if several else [shapes])]
        names = [s.name for s in self.inputs] if isinstance(self, Functional) else None

        def inference(*xs):
            return self(list(xs) if several else xs[0], training=False)

        proto = ad.onnx.export(inference, examples, filepath, input_names=names, dynamic_batch=dynamic_batch,
                               opset=opset or ad.onnx.OPSET, names=dict(self.named_parameters()))
        if verbose:
            print(f"Saved artifact at '{filepath}' (ONNX opset {proto.opset_import[0].version}; inputs "
                  f"{[i.name for i in proto.graph.input]}, outputs {[o.name for o in proto.graph.output]}).")
        return proto

    def _compile_config(self):
        if self.loss is None:
            return None
        loss = self.loss
        if type(loss) is saving.LOSSES.get(type(loss).__name__):
            loss_config = saving.serialize(loss, "the loss")
        else:
            loss_config = {"custom": getattr(loss, "__name__", type(loss).__name__)}
        return {"optimizer": saving.serialize(self.optimizer, "the optimizer"), "loss": loss_config,
                "metrics": [name for name, _ in self.metrics]}

    def _compile_from_config(self, config, archive, custom_objects):
        """Compile as the file's settings say, then take its optimizer state: read header first, the
        optimizer checking the declared keys, shapes and dtypes before any data is read."""
        def custom(name, what):
            if name not in custom_objects:
                raise ValueError(f"load_model: the model was compiled with the {what} {name!r}, which is not nn's: "
                                 f"pass custom_objects={{{name!r}: ...}}, or compile=False and compile it again")
            return custom_objects[name]

        if not isinstance(config, dict):
            raise ModelFileError("its compile settings are not an object")
        loss = config["loss"]
        loss = custom(loss["custom"], "loss") if "custom" in loss else saving.deserialize(saving.LOSSES, loss, "loss")
        optimizer = saving.deserialize(saving.OPTIMIZERS, config["optimizer"], "optimizer")
        metrics = [m if m in metrics_module.METRICS else custom(m, "metric") for m in config["metrics"]]
        self.compile(optimizer=optimizer, loss=loss, metrics=metrics)

        def check(headers):
            optimizer.check_state({key: (h.shape, h.dtype) for key, h in headers.items()})
        try:
            optimizer.load_state_dict(archive.arrays("optimizer.npz", check))
        except ModelFileError:
            raise
        except ValueError as exc:
            raise ModelFileError(f"optimizer.npz: {exc}") from None


def _symbolic(x):
    return isinstance(x, Symbol) or (isinstance(x, (list, tuple)) and bool(x) and isinstance(x[0], Symbol))


def _layer_from_config(entry):
    """A layer (or a model used as a layer) from ``{"class": ..., "config": ...}``."""
    if isinstance(entry, dict) and isinstance(entry.get("class"), str) and entry["class"] in MODELS:
        config = entry.get("config")
        if not isinstance(config, dict):
            raise ModelFileError(f"the {entry['class']} has no configuration")
        return MODELS[entry["class"]].from_config(config)
    return saving.deserialize(saving.LAYERS, entry, "layer")


def _config_layers(config):
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ModelFileError("the model configuration has no list of layers")
    name = config.get("name")
    return [_layer_from_config(entry) for entry in config["layers"]], name if isinstance(name, str) else None


def model_from_config(entry):
    """The model ``{"class": "Sequential" | "Functional", "config": model.get_config()}`` describes."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class"), str) or entry["class"] not in MODELS:
        raise ModelFileError(f"unknown model class {entry.get('class') if isinstance(entry, dict) else entry!r:.80}")
    return _layer_from_config(entry)


def model_from_json(json_string):
    """The model ``model.to_json()`` describes, with new weights (Keras's ``model_from_json``).

    Args:
        json_string: what ``to_json()`` returned.

    Returns:
        A new, uncompiled Sequential or Functional model, built when the JSON gives its input shape.

    Raises:
        ModelFileError: (a ValueError) the JSON does not describe an nn model.
    """
    try:
        entry = json.loads(json_string)
        saving.check_layer_count(entry)
        return model_from_config(entry)
    except (ModelFileError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"model_from_json: the JSON does not describe a model: {exc}") from None


def load_model(path, compile=True, custom_objects=None):
    """The model ``model.save(path)`` wrote, with its weights (Keras's ``load_model``).

    The file is checked before anything in it is trusted: its classes are nn's own (no pickle, no
    code), and its weights' names and shapes are the model's before any is read.

    Args:
        path: the ``.keras`` file.
        compile: compile the model with the file's optimizer (and its state: training resumes), loss
            and metrics; False: leave it uncompiled.
        custom_objects: ``{name: function}`` for the losses and metrics of one's own it was compiled
            with (looked up by their ``__name__``).

    Returns:
        The Sequential or Functional model, built, with the saved weights.

    Raises:
        ModelFileError: (a ValueError) the file cannot be read as a model, or it was compiled with a
            loss or metric of one's own that ``custom_objects`` lacks; one message names the file and
            the problem.
    """
    try:
        return _load_model(path, compile, dict(custom_objects or {}))
    except ModelFileError as exc:
        message = f"load_model: {path} is not a model file written by model.save: {exc}"
    except ValueError as exc:               # a file model.save wrote that needs more to load (custom_objects)
        message = f"load_model: {path}: {str(exc).removeprefix('load_model: ')}"
    except (TypeError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError, OSError, EOFError,
            zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:   # a configuration of the wrong shape
        message = f"load_model: {path} is not a model file written by model.save: {type(exc).__name__}: {exc}"
    raise ModelFileError(message)


def _load_model(path, compile, custom_objects):
    with saving.open_archive(path) as archive:
        config = archive.config
        built = []

        def check(headers):         # the weights' declared names and shapes, before any data is read
            with layers_module.weight_budget(sum(math.prod(h.shape) for h in headers.values())):
                model = model_from_config(config.get("model"))
            _check_weight_headers(model, headers)
            built.append(model)

        weights = archive.arrays("model.weights.npz", check)
        model = built[0]
        try:
            model.load_state_dict(weights)
        except ValueError as exc:
            raise ModelFileError(f"model.weights.npz: {exc}") from None
        if compile and config.get("compile") is not None:
            model._compile_from_config(config["compile"], archive, custom_objects)
    return model


def _check_weight_headers(model, headers):
    """Refuse weights whose names, count or shapes (as their headers declare them) are not the model's."""
    own = dict(model.named_parameters())
    missing, unexpected = sorted(set(own) - set(headers)), sorted(set(headers) - set(own))
    if missing or unexpected:
        raise ModelFileError(f"model.weights.npz does not match this model: missing {missing[:10]}, "
                             f"unexpected {unexpected[:10]}")
    for key, p in own.items():
        if headers[key].shape != tuple(p.shape):
            raise ModelFileError(f"model.weights.npz: parameter {key!r} has shape {tuple(p.shape)} in the model "
                                 f"but {headers[key].shape} in the file")


class Sequential(Model):
    """A stack of layers, each fed the output of the one before (Keras's Sequential; indexes like a list,
    as PyTorch's: ``model[0]``, ``model[1:]``, ``len(model)``).

    ``Sequential([nn.Input(shape=(784,)), layers.Dense(10), ...])`` (or a first layer given
    ``input_shape``) knows its input shape and builds every layer at once; otherwise it builds on
    its first batch.

    Args:
        layers: the layers in order (an ``nn.Input(shape=...)`` may come first), or None to ``add``
            them later.
        name: the model's name (default ``"sequential"``).

    Shapes:
        input the first layer's (batch, ...); output the last layer's.  Weights: each layer's, in order.
    """

    def __init__(self, layers=None, name=None):
        self.name = name or "sequential"
        self.layers = []
        self._input = None              # the sample shape an Input(...) first in the list gave
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer and build it when the shape before it is known (one step: no rebuild of the rest).

        Args:
            layer: a Layer (a model too), or an ``nn.Input(shape=...)`` as the very first item.

        Raises:
            TypeError: ``layer`` is not a Layer.
            ValueError: an Input after the first item, or a layer built for another shape than the
                output of the one before.
        """
        if isinstance(layer, Symbol):
            if self.layers or self._input is not None or layer.layer is not None:
                raise ValueError(f"{self.name}: an Input(...) may only come first, as the model's input")
            self._input = tuple(layer.shape[1:])
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer (nn.layers.Dense, ...), got {layer!r:.80}")
        shape = self._shape_after(self.layers[-1]) if self.layers else self._input
        if shape is not None and not layer.built:
            layer.build(shape)
        elif shape is not None and layer._input_shape is not None and tuple(layer._input_shape) != shape:
            raise ValueError(f"{self.name}: {layer.name} was built for inputs of shape {layer.input_shape}, but the "
                             f"layer before it gives {(None,) + shape}")
        self.layers.append(layer)

    @staticmethod
    def _shape_after(layer):
        return tuple(layer.compute_output_shape(layer._input_shape)) if layer.built else None

    def build(self, input_shape):
        """Build every layer, each for the output shape of the one before."""
        shape = tuple(input_shape)
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            shape = self._shape_after(layer)

    def build_for(self, x):
        if self.layers:
            self.build(self._input_shape or x.shape[1:])

    @property
    def _input_shape(self):
        if self._input is not None:
            return self._input
        return self.layers[0]._input_shape if self.layers else None

    @property
    def built(self):
        return bool(self.layers) and all(layer.built for layer in self.layers)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _prepare(self, *args, **kwargs):
        if not self.layers:
            raise ValueError(f"{kwargs.get('what', 'fit')}: the model has no layers yet; add some with model.add(...)")
        return super()._prepare(*args, **kwargs)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    # PyTorch's Sequential: model[0], model[1:], len(model), for layer in model
    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(self.layers[index], name=f"{self.name}_slice")
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def get_config(self):
        """The model's configuration: ``{"name", "layers": [each layer's serialized configuration],
        "input_shape"}`` (the last when an Input came first); ``from_config`` makes the model again."""
        config = {"name": self.name, "layers": [saving.serialize(layer, "layer") for layer in self.layers]}
        if self._input is not None:
            config["input_shape"] = list(self._input)
        return config

    @classmethod
    def from_config(cls, config):
        """The Sequential ``get_config()`` describes, with new weights (ModelFileError if it does not fit)."""
        made, name = _config_layers(config)
        shape = config.get("input_shape")
        if shape is not None:
            try:
                made.insert(0, Input(tuple(shape)))
            except (TypeError, ValueError) as exc:
                raise ModelFileError(f"the Sequential's input_shape: {exc}") from None
        try:
            return cls(made, name=name)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"its layers do not fit together: {exc}") from None

    def summary(self, print_fn=print):
        """Print Keras's summary: each layer with its output shape and parameter count, then the totals.

        Args:
            print_fn: called once with the whole table, a string (default ``print``).

        Returns:
            The total number of parameters, an int.

        Raises:
            ValueError: the model is not built yet.
        """
        if not self.built:
            raise ValueError("summary: the model is not built yet: start it with nn.Input(shape=...), give the "
                             "first layer input_shape=..., or call the model on data first")
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            rows.append((f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
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

    Args:
        inputs: the ``nn.Input`` symbol, or a list of them (the model is then called on a list).
        outputs: the symbol the layers made, or a list of them (the model then returns a list).
        name: the model's name (default: ``functional``, ``functional_1``, ...).

    Shapes:
        input each Input's (batch, *shape); output each output symbol's shape.  Weights: each
        layer's, layer by layer in the order they first run.

    Raises:
        TypeError: an input or output is not a Symbol.
        ValueError: the outputs depend on an Input that is not among ``inputs``.
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
    def _input_shape(self):
        return self.inputs[0].shape[1:] if len(self.inputs) == 1 else [s.shape[1:] for s in self.inputs]

    @property
    def input_shape(self):
        return self.inputs[0].shape if len(self.inputs) == 1 else [s.shape for s in self.inputs]

    @property
    def output_shape(self):
        return self.outputs[0].shape if self.single_output else [s.shape for s in self.outputs]

    def build(self, input_shape):
        """Built from its symbols already."""

    def build_for(self, x):
        """Built from its symbols already."""

    def compute_output_shape(self, input_shape):
        return self.output_shape[1:] if self.single_output else [s[1:] for s in self.output_shape]

    def get_config(self):
        """The model's configuration: its layers, its inputs' names, shapes and dtypes, and the graph of
        calls between them; ``from_config`` makes the model again."""
        index = {id(layer): i for i, layer in enumerate(self.layers)}
        refs = {id(s): ["input", i] for i, s in enumerate(self.inputs)}
        nodes = []
        for j, symbol in enumerate(self.nodes):
            node = {"layer": index[id(symbol.layer)], "inputs": [refs[id(p)] for p in symbol.inputs]}
            if symbol.index is not None:
                node["output"] = symbol.index
            if symbol.options:          # the call's keyword arguments (use_causal_mask=True)
                node["options"] = dict(symbol.options)
            nodes.append(node)
            refs[id(symbol)] = ["node", j]
        return {"name": self.name, "layers": [saving.serialize(layer, "layer") for layer in self.layers],
                "inputs": [{"name": s.name, "shape": list(s.shape[1:]), "dtype": s.dtype} for s in self.inputs],
                "nodes": nodes,
                "outputs": [refs[id(s)] for s in self.outputs], "single_output": self.single_output}

    @classmethod
    def from_config(cls, config):
        """The functional model ``get_config()`` describes, with new weights (ModelFileError if it does not fit)."""
        made, name = _config_layers(config)
        try:
            inputs = [Input(tuple(i["shape"]), name=i["name"], dtype=i.get("dtype", "float32"))
                      for i in config["inputs"]]
            symbols, calls = [], {}

            def symbol_of(ref):
                kind, k = ref
                if kind == "input":
                    return inputs[k]
                if kind == "node" and 0 <= k < len(symbols):
                    return symbols[k]
                raise ValueError(f"bad reference {ref!r}")

            for node in config["nodes"]:
                layer = made[node["layer"]]
                args = [symbol_of(ref) for ref in node["inputs"]]
                if "output" in node:        # one of a call's several outputs: the call is made once
                    key = (node["layer"], json.dumps(node["inputs"]))
                    if key not in calls:
                        calls[key] = layer(args if layer.takes_several or len(args) > 1 else args[0], **node.get("options", {}))
                    symbols.append(calls[key][node["output"]])
                    continue
                symbols.append(layer(args if layer.takes_several or len(args) > 1 else args[0], **node.get("options", {})))
            outputs = [symbol_of(ref) for ref in config["outputs"]]
            return cls(inputs, outputs[0] if config["single_output"] else outputs, name=name)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ModelFileError(f"its functional graph does not hold together: {exc}") from None

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
            if not same_shape(tuple(x.shape[1:]), tuple(symbol.shape[1:])):
                raise ValueError(f"{self.name}: input {symbol.name!r} has shape {symbol.shape}, got {tuple(x.shape)}")
            values[id(symbol)] = x
        calls = {}                      # a call of several outputs (return_state), made once for all of them
        for symbol in self.nodes:
            if symbol.index is not None and id(symbol.siblings[0]) in calls:
                values[id(symbol)] = calls[id(symbol.siblings[0])][symbol.index]
                continue
            args = [values[id(parent)] for parent in symbol.inputs]
            out = symbol.layer(args if symbol.layer.takes_several or len(args) > 1 else args[0], **symbol.options)
            if symbol.index is not None:
                calls[id(symbol.siblings[0])] = out
                out = out[symbol.index]
            values[id(symbol)] = out
        outputs = [values[id(symbol)] for symbol in self.outputs]
        return outputs[0] if self.single_output else outputs

    def __call__(self, x, training=None):
        """The outputs for a batch (a list of batches for a model of several inputs); ``training`` as Sequential."""
        if _symbolic(x):
            return self._record(x)
        xs = x if len(self.inputs) > 1 else [x]
        with self.mode(training):
            return self.forward(*[self._as_input(t) for t in xs])

    def summary(self, print_fn=print):
        """Print Keras's functional summary: each layer, its output shape, parameters and the layers it reads.

        Args:
            print_fn: called once with the whole table, a string (default ``print``).

        Returns:
            The total number of parameters, an int.
        """
        names = {id(s): s.name for s in self.inputs}
        rows = [("Layer (type)", "Output Shape", "Param #", "Connected to")]
        for symbol in self.inputs:
            rows.append((f"{symbol.name} (InputLayer)", str(symbol.shape), "0", "-"))
        for symbol in self.nodes:
            names[id(symbol)] = symbol.layer.name
            if symbol.index:                # a call of several outputs is one row, its shapes listed
                continue
            shape = [s.shape for s in symbol.siblings] if symbol.index == 0 else symbol.shape
            rows.append((f"{symbol.layer.name} ({type(symbol.layer).__name__})", str(shape),
                         f"{symbol.layer.count_params():,}", ", ".join(names[id(p)] for p in symbol.inputs)))
        return _print_summary(self, rows, print_fn)


MODELS = {"Sequential": Sequential, "Functional": Functional}
