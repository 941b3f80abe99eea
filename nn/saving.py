"""model.save(path) and load_model(path): a whole model in one ``.keras`` file, as Keras keeps it.

The file is a zip archive of three members:

    config.json         the model's class and layers (each layer's constructor arguments), its
                        graph for a functional model, and compile's optimizer, loss and metrics
    model.weights.npz   every parameter, keyed by its attribute path (as save_weights)
    optimizer.npz       the optimizer's step count and per-parameter state (training resumes)

Loading trusts nothing in the file: the configuration is JSON (no pickle, no
code), every class comes from a fixed list of nn's own, every argument is
checked against the constructor's signature, members are read no further than
a size limit, and arrays are read header first (nn.npyfile): names, shapes,
count and total size are checked against the model (and the optimizer's state
against nn.optimizer_state's rules) before any data is read, without pickle.
Every failure to read a file is one ModelFileError naming the file.
"""
import inspect
import io
import json
import math
import zipfile

import numpy as np

from . import activations, initializers, layers as layers_module, losses, metrics as metrics_module, npyfile
from . import optimizer_state, optimizers, schedules
from .module import write_atomically

FORMAT, VERSION = "rosenblatt.keras", 1
MEMBERS = ("config.json", "model.weights.npz", "optimizer.npz")
CONFIG_LIMIT = 16 << 20             # bytes of JSON
ARRAYS_LIMIT = 8 << 30              # bytes of weights or optimizer state

LAYERS = {cls.__name__: cls for cls in vars(layers_module).values()
          if isinstance(cls, type) and issubclass(cls, layers_module.Layer) and not cls.__name__.startswith("_")
          and cls is not layers_module.Layer}
OPTIMIZERS = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
SCHEDULES = {name: getattr(schedules, name) for name in ("ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay")}
LOSSES = {cls.__name__: cls for cls in losses.LOSSES.values()}


class ModelFileError(ValueError):
    """The file is not a model that model.save wrote, or it does not fit nn's classes."""


# ------------------------------------------------------------------ writing
def _encode(value, where):
    """A constructor argument as JSON: numbers, strings, lists, activations and initializers by name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [_encode(v, where) for v in value]
    if isinstance(value, schedules.LearningRateSchedule) and type(value).__name__ in SCHEDULES:
        return {"schedule": type(value).__name__, "config": _encode_dict(value.get_config(), where)}
    if isinstance(value, initializers.Initializer):
        for name, cls in initializers.INITIALIZERS.items():
            if type(value) is cls:
                return name
    for name, known in activations.ACTIVATIONS.items():        # nn's own functions, by name (not a look-alike)
        if value is known:
            return name
    raise ValueError(f"model.save: {where} is {value!r:.80}, which cannot be written to a file: give it by name "
                     "(activation='relu', kernel_initializer='he_normal')")


def _encode_dict(config, where):
    return {key: _encode(value, f"{where} argument {key!r}") for key, value in config.items()}


def _layer_config(layer):
    return {"class": type(layer).__name__, "config": _encode_dict(layer.get_config(), f"layer {layer.name!r}")}


def _model_config(model):
    from .models import Functional, Sequential
    if type(model) is Sequential:
        return {"class": "Sequential", "name": model.name, "layers": [_layer_config(l) for l in model.layers]}
    if type(model) is Functional:
        index = {id(layer): i for i, layer in enumerate(model.layers)}
        refs = {id(s): ["input", i] for i, s in enumerate(model.inputs)}
        nodes = []
        for j, symbol in enumerate(model.nodes):
            nodes.append({"layer": index[id(symbol.layer)], "inputs": [refs[id(p)] for p in symbol.inputs]})
            refs[id(symbol)] = ["node", j]
        return {"class": "Functional", "name": model.name, "layers": [_layer_config(l) for l in model.layers],
                "inputs": [{"name": s.name, "shape": list(s.shape[1:])} for s in model.inputs], "nodes": nodes,
                "outputs": [refs[id(s)] for s in model.outputs], "single_output": model.single_output}
    raise ValueError(f"model.save: writes Sequential and functional models; {type(model).__name__} is a subclass "
                     "with its own forward, which a file cannot hold: save its weights with save_weights (or "
                     "state_dict) and build it in code again")


def _compile_config(model, custom_names):
    if model.loss is None:
        return None
    loss = model.loss
    if type(loss).__name__ in LOSSES and type(loss) is LOSSES[type(loss).__name__]:
        loss_config = {"class": type(loss).__name__, "config": _encode_dict(dict(vars(loss)), "the loss")}
    else:
        loss_config = {"custom": getattr(loss, "__name__", type(loss).__name__)}
        custom_names.append(loss_config["custom"])
    optimizer = model.optimizer
    return {"optimizer": {"class": type(optimizer).__name__,
                          "config": _encode_dict(optimizer.get_config(), "the optimizer")},
            "loss": loss_config, "metrics": [name for name, _ in model.metrics]}


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _optimizer_arrays(optimizer):
    arrays = {"iterations": np.array(optimizer.iterations)}
    if hasattr(optimizer, "u_product"):
        arrays["u_product"] = np.array(optimizer.u_product)
    for i, state in optimizer.state.items():
        for key, value in state.items():
            if key != "scratch":
                arrays[f"{i}.{key}"] = np.asarray(value)
    return arrays


def save_model(model, path):
    if not str(path).endswith(".keras"):
        raise ValueError(f"model.save: the file name must end in '.keras' (a whole model), got {str(path)!r}; "
                         "save_weights writes the weights alone (.weights.npz)")
    model_config = _model_config(model)
    if not model.parameters():
        raise ValueError("model.save: the model has no weights yet: give the first layer input_shape=(...) or "
                         "call it on a batch first")
    custom = []
    config = {"format": FORMAT, "version": VERSION, "model": model_config, "compile": _compile_config(model, custom)}
    members = {"config.json": json.dumps(config, indent=1).encode(), "model.weights.npz": _npz_bytes(model.state_dict()),
               "optimizer.npz": _npz_bytes(_optimizer_arrays(model.optimizer) if model.optimizer else {})}

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in MEMBERS:
                archive.writestr(name, members[name])
    write_atomically(path, write)


# ------------------------------------------------------------------ reading
def _fail(path, why):
    raise ModelFileError(f"load_model: {path} is not a model file written by model.save: {why}")


def _make(table, entry, what, path, extra=None):
    """An instance of ``table[entry["class"]]`` from ``entry["config"]``, every argument checked."""
    if (not isinstance(entry, dict) or not isinstance(entry.get("class"), str) or entry["class"] not in table
            or not isinstance(entry.get("config", {}), dict)):
        _fail(path, f"unknown {what} {entry.get('class') if isinstance(entry, dict) else entry!r:.80}")
    cls, config = table[entry["class"]], dict(entry.get("config", {}))
    config = {key: _decode(value, path) for key, value in config.items()}
    accepted = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        _fail(path, f"{what} {cls.__name__} takes no arguments {unknown}")
    try:
        return cls(**config, **(extra or {}))
    except (TypeError, ValueError) as exc:
        _fail(path, f"{what} {cls.__name__}({config}) cannot be made: {exc}")


def _decode(value, path):
    if isinstance(value, dict) and set(value) == {"schedule", "config"}:
        return _make(SCHEDULES, {"class": value["schedule"], "config": value["config"]}, "schedule", path)
    if isinstance(value, dict):
        _fail(path, f"unexpected object {value!r:.80} in a configuration")
    return value


def _read(archive, name, limit, path):
    info = archive.getinfo(name)
    if info.file_size > limit:
        _fail(path, f"{name} declares {info.file_size} bytes, more than the {limit} a model file may hold")
    with archive.open(info) as member:
        data = member.read(limit + 1)               # zipfile stops at the declared size; this is a second bound
    if len(data) > limit:
        _fail(path, f"{name} is larger than {limit} bytes")
    return data


def _read_arrays(archive, name, path, check):
    """``{key: array}`` of the .npz member ``name``, header first: ``check(headers)`` sees every array's
    declared name, shape and dtype (nn.npyfile) and refuses before any data is read or inflated.
    The member may inflate to no more than its arrays declare."""
    info = archive.getinfo(name)
    if info.file_size > ARRAYS_LIMIT:
        _fail(path, f"{name} declares {info.file_size} bytes, more than the {ARRAYS_LIMIT} a model file may hold")

    def bounded(headers):
        total = sum(h.nbytes for h in headers.values())
        if total > ARRAYS_LIMIT:
            _fail(path, f"{name} declares arrays of {total} bytes, more than the {ARRAYS_LIMIT} a model file may hold")
        slack = len(headers) * (npyfile.HEADER_LIMIT + 1024) + 4096          # zip and .npy headers
        if info.file_size > total + slack:
            _fail(path, f"{name} inflates to {info.file_size} bytes, more than its arrays declare ({total})")
        check(headers)

    try:
        with archive.open(info) as member:
            return npyfile.read_npz(member, name, bounded)
    except npyfile.NpyError as exc:
        _fail(path, f"{name} is not a NumPy archive without pickles: {exc}")


def _read_model(archive, config, path):
    """The model the configuration describes, and its weights read header first: the declared shapes
    bound the model's size (weight_budget) and must match its parameters, names, count and shapes,
    before any array is read."""
    built = []

    def check(headers):
        budget = layers_module.weight_budget.set([sum(math.prod(h.shape) for h in headers.values())])
        try:
            model = _build_model(config.get("model"), path)
        finally:
            layers_module.weight_budget.reset(budget)
        own = dict(model.named_parameters())
        missing, unexpected = sorted(set(own) - set(headers)), sorted(set(headers) - set(own))
        if missing or unexpected:
            _fail(path, f"model.weights.npz does not match this model: missing {missing[:10]}, "
                        f"unexpected {unexpected[:10]}")
        for key, p in own.items():
            if headers[key].shape != tuple(p.shape):
                _fail(path, f"model.weights.npz: parameter {key!r} has shape {tuple(p.shape)} in the model but "
                            f"{headers[key].shape} in the file")
        built.append(model)

    weights = _read_arrays(archive, "model.weights.npz", path, check)
    return built[0], weights


def _build_model(config, path):
    from .models import Functional, Sequential
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        _fail(path, "the model configuration has no list of layers")
    made = [_make(LAYERS, entry, "layer", path) for entry in config["layers"]]
    name = config.get("name") if isinstance(config.get("name"), str) else None
    if config.get("class") == "Sequential":
        return Sequential(made, name=name)
    if config.get("class") != "Functional":
        _fail(path, f"unknown model class {config.get('class')!r:.80}")
    try:
        inputs = [layers_module.Input(tuple(i["shape"]), name=i["name"]) for i in config["inputs"]]
        symbols = []

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
            symbols.append(layer(args if layer.takes_several else args[0]))
        outputs = [symbol_of(ref) for ref in config["outputs"]]
        return Functional(inputs, outputs[0] if config["single_output"] else outputs, name=name)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        _fail(path, f"its functional graph does not hold together: {exc}")


def _compile(model, config, read_optimizer_arrays, custom_objects, path):
    def custom(name, what):
        if name not in custom_objects:
            raise ValueError(f"load_model: the model was compiled with the {what} {name!r}, which is not nn's: pass "
                             f"custom_objects={{{name!r}: ...}}, or compile=False and compile it again")
        return custom_objects[name]

    loss = config["loss"]
    loss = custom(loss["custom"], "loss") if "custom" in loss else _make(LOSSES, loss, "loss", path)
    optimizer = _make(OPTIMIZERS, config["optimizer"], "optimizer", path)
    metrics = [m if m in metrics_module.METRICS else custom(m, "metric") for m in config["metrics"]]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    source = f"load_model: {path}: optimizer.npz"

    def check(headers):             # keys, shapes and dtypes, before any data is read
        optimizer_state.check_headers(optimizer, {k: (h.shape, h.dtype) for k, h in headers.items()}, source)

    try:
        state, iterations, extras = optimizer_state.checked_state(optimizer, read_optimizer_arrays(check), source)
    except optimizer_state.OptimizerStateError as exc:
        raise ModelFileError(str(exc)) from None
    optimizer.state, optimizer.iterations = state, iterations      # only after every check passed
    for key, value in extras.items():
        setattr(optimizer, key, value)


def load_model(path, compile=True, custom_objects=None):
    """The model ``model.save(path)`` wrote, with its weights; compiled with its optimizer's state
    unless ``compile=False``.  ``custom_objects`` names custom losses and metrics it was compiled with.

    Every failure to read the file is a ModelFileError naming the file and the problem."""
    try:
        return _load_model(path, compile, dict(custom_objects or {}))
    except ModelFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError, OSError,
            EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
        message = str(exc)
        if str(path) not in message:
            message = (f"load_model: {path}: {message.removeprefix('load_model: ')}" if type(exc) is ValueError
                       else f"load_model: {path}: {type(exc).__name__}: {message}")
        raise ModelFileError(message) from None


def _load_model(path, compile, custom_objects):
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"load_model: {path} is not a model file written by model.save (a .keras zip "
                             f"archive): {exc}") from None
    with archive:
        if sorted(archive.namelist()) != sorted(MEMBERS):
            _fail(path, f"it holds {sorted(archive.namelist())[:10]}, expected {list(MEMBERS)}")
        try:
            config = json.loads(_read(archive, "config.json", CONFIG_LIMIT, path))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            _fail(path, f"config.json is not JSON: {exc}")
        except RecursionError:
            _fail(path, "config.json nests deeper than Python can read")
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            _fail(path, "config.json does not say it is one")
        if config.get("version") != VERSION:
            _fail(path, f"it is version {config.get('version')!r}; this Rosenblatt reads version {VERSION}")
        model, weights = _read_model(archive, config, path)
        try:
            model.load_state_dict(weights)
        except ValueError as exc:
            _fail(path, str(exc))
        if compile and config.get("compile") is not None:
            if not isinstance(config["compile"], dict):
                _fail(path, "its compile settings are not an object")
            _compile(model, config["compile"],
                     lambda check: _read_arrays(archive, "optimizer.npz", path, check), custom_objects, path)
    return model
