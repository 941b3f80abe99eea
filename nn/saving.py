"""The ``.keras`` archive (a whole model in one file, as Keras keeps it) and the class tables a
configuration names; nn.models builds ``model.save`` and ``load_model`` from it.

The file is a zip archive of three members:

    config.json         the model's class and layers (each layer's constructor arguments), its
                        graph for a functional model, and compile's optimizer, loss and metrics
    model.weights.npz   every parameter, keyed by its attribute path (as save_weights)
    optimizer.npz       the optimizer's step count and per-parameter state (training resumes)

Loading trusts nothing in the file: the configuration is JSON (no pickle, no
code), every class comes from a fixed list of nn's own, every argument is
checked against the constructor's signature, members are read no further than
a size limit, and arrays are read header first (nn.npyfile) with the caller's
check: nn.models checks the weights' names, shapes, count and total size
against the model, and the optimizer its state's (nn.optimizer_state), before
any data is read, without pickle.  load_model makes every failure to read a
file one ModelFileError naming the file.
"""
import inspect
import io
import json
import zipfile

import numpy as np

from . import activations, initializers, layers as layers_module, losses, npyfile, optimizers, schedules
from .module import write_atomically

FORMAT, VERSION = "rosenblatt.keras", 2
MEMBERS = ("config.json", "model.weights.npz", "optimizer.npz")
CONFIG_LIMIT = 16 << 20             # bytes of JSON
ARRAYS_LIMIT = 8 << 30              # bytes of weights or optimizer state
MAX_LAYERS = 100_000                # layers in one file, nested models included

LAYERS = {cls.__name__: cls for cls in vars(layers_module).values()
          if isinstance(cls, type) and issubclass(cls, layers_module.Layer) and not cls.__name__.startswith("_")
          and cls is not layers_module.Layer}
OPTIMIZERS = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
SCHEDULES = {name: getattr(schedules, name) for name in ("ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay")}
LOSSES = {cls.__name__: cls for cls in losses.LOSSES.values()}


class ModelFileError(ValueError):
    """The file (or JSON) is not a model that model.save wrote, or it does not fit nn's classes."""


# ------------------------------------------------------------------ configurations
def _encode(value, where):
    """A constructor argument as JSON: numbers, strings, lists, activations and initializers by name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict):
        return {key: _encode(v, f"{where} {key!r}") for key, v in value.items()}
    if isinstance(value, schedules.LearningRateSchedule) and type(value).__name__ in SCHEDULES:
        return {"schedule": type(value).__name__, "config": _encode(value.get_config(), where)}
    if isinstance(value, initializers.Initializer):
        for name, cls in initializers.INITIALIZERS.items():
            if type(value) is cls:
                return name
    for name, known in activations.ACTIVATIONS.items():        # nn's own functions, by name (not a look-alike)
        if value is known:
            return name
    raise ValueError(f"model.save: {where} is {value!r:.80}, which cannot be written to a file: give it by name "
                     "(activation='relu', kernel_initializer='he_normal')")


def serialize(obj, what):
    """A layer, optimizer or loss as JSON-ready data, from its ``get_config()`` (its attributes if it has none).

    Args:
        obj: the layer, optimizer or loss.
        what: what it is, for error messages (``"layer"``, ``"the optimizer"``).

    Returns:
        A dict ``{"class": its class's name, "config": {argument: JSON value}}``: activations,
            initializers and schedules by name.

    Raises:
        ValueError: an argument cannot be written to a file (a function of one's own), named in the message.
    """
    config = obj.get_config() if hasattr(obj, "get_config") else dict(vars(obj))
    name = getattr(obj, "name", None)
    where = f"{what} {name!r}" if isinstance(name, str) else what
    return {"class": type(obj).__name__, "config": {key: _encode(value, f"{where} argument {key!r}")
                                                     for key, value in config.items()}}


def deserialize(table, entry, what):
    """The object ``serialize`` described, made again from nn's own classes only.

    Args:
        table: the classes allowed, ``{class name: class}`` (``LAYERS``, ``OPTIMIZERS``, ``LOSSES``).
        entry: ``{"class": name, "config": {argument: value}}``, as ``serialize`` returns it.
        what: what it is, for error messages (``"layer"``).

    Returns:
        An instance of ``table[entry["class"]]``, made by its ``from_config`` (or constructor).

    Raises:
        ModelFileError: the class is not in ``table``, the configuration names an argument the
            constructor does not take, or the constructor refuses a value.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("class"), str) or entry["class"] not in table \
            or not isinstance(entry.get("config", {}), dict):
        raise ModelFileError(f"unknown {what} {entry.get('class') if isinstance(entry, dict) else entry!r:.80}")
    cls, config = table[entry["class"]], dict(entry.get("config", {}))
    config = {key: _decode(value) for key, value in config.items()}
    accepted = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        raise ModelFileError(f"{what} {cls.__name__} takes no arguments {unknown}")
    try:
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{what} {cls.__name__}({str(config)[:200]}) cannot be made: {exc}") from None


def _decode(value):
    if isinstance(value, dict) and set(value) == {"schedule", "config"}:
        return deserialize(SCHEDULES, {"class": value["schedule"], "config": value["config"]}, "schedule")
    if isinstance(value, dict) and set(value) == {"class", "config"} and value["class"] in LAYERS:
        return deserialize(LAYERS, value, "layer")            # a wrapped layer (Bidirectional, TimeDistributed)
    if isinstance(value, dict):
        raise ModelFileError(f"unexpected object {value!r:.80} in a configuration")
    return value


def check_layer_count(config):
    """Refuse a model configuration of more than MAX_LAYERS layers (nested models counted) before any is made.

    Args:
        config: a model's ``{"class": ..., "config": {"layers": [...], ...}}`` (anything else counts
            no layers).

    Raises:
        ModelFileError: it holds more than ``MAX_LAYERS`` (100,000) layers.
    """
    count, todo = 0, [config]
    while todo:
        entry = todo.pop()
        inner = entry.get("config") if isinstance(entry, dict) else None
        found = inner.get("layers") if isinstance(inner, dict) else None
        if isinstance(found, list):
            count += len(found)
            if count > MAX_LAYERS:
                raise ModelFileError(f"it describes more than {MAX_LAYERS:,} layers, the most a model file may hold")
            todo.extend(found)


# ------------------------------------------------------------------ the archive
def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def write_archive(path, config, weights, optimizer_state):
    """Write a model's ``.keras`` file, whole or not at all (a failed write leaves an old file intact).

    Args:
        path: the file's name, ending in ``.keras``.
        config: the JSON-ready configuration (``{"model": ..., "compile": ...}``); the format's name
            and version are added.
        weights: ``{name: array}`` of the model's weights (``state_dict()``), written as
            ``model.weights.npz``.
        optimizer_state: ``{name: array}`` of the optimizer's state (``optimizer.state_dict()``; empty
            when not compiled), written as ``optimizer.npz``.

    Raises:
        ValueError: the name does not end in ``.keras``.
    """
    if not str(path).endswith(".keras"):
        raise ValueError(f"model.save: the file name must end in '.keras' (a whole model), got {str(path)!r}; "
                         "save_weights writes the weights alone (.weights.npz)")
    config = {"format": FORMAT, "version": VERSION, **config}
    members = {"config.json": json.dumps(config, indent=1).encode(), "model.weights.npz": _npz_bytes(weights),
               "optimizer.npz": _npz_bytes(optimizer_state)}

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in MEMBERS:
                archive.writestr(name, members[name])
    write_atomically(path, write)


def _read(archive, name, limit):
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ModelFileError(f"{name} declares {info.file_size} bytes, more than the {limit} a model file may hold")
    with archive.open(info) as member:
        data = member.read(limit + 1)               # zipfile stops at the declared size; this is a second bound
    if len(data) > limit:
        raise ModelFileError(f"{name} is larger than {limit} bytes")
    return data


class Archive:
    """An open ``.keras`` file (``with open_archive(path) as archive``): its ``config`` is read and checked
    (format, version, layer count) on opening, its arrays only when asked for, header first.

    Args:
        path: the file's name, or an open binary file.

    Raises:
        ModelFileError: it is not a zip archive of the three members, its config.json is not JSON or
            not of this format and version, or it describes too many layers.
    """

    def __init__(self, path):
        try:
            self._zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise ModelFileError(f"it is not a .keras zip archive: {exc}") from None
        try:
            self.config = self._read_config()
        except BaseException:
            self._zip.close()
            raise

    def _read_config(self):
        names = self._zip.namelist()
        if sorted(names) != sorted(MEMBERS):
            raise ModelFileError(f"it holds {sorted(names)[:10]}, expected {list(MEMBERS)}")
        try:
            config = json.loads(_read(self._zip, "config.json", CONFIG_LIMIT))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"config.json is not JSON: {exc}") from None
        except RecursionError:
            raise ModelFileError("config.json nests deeper than Python can read") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ModelFileError("config.json does not say it is one")
        if config.get("version") != VERSION:
            raise ModelFileError(f"it is version {config.get('version')!r}; this Rosenblatt reads version {VERSION}")
        check_layer_count(config.get("model"))
        return config

    def arrays(self, name, check):
        """The arrays of one ``.npz`` member, read header first.

        The member may declare no more than ARRAYS_LIMIT bytes, nor inflate past them.

        Args:
            name: the member, ``"model.weights.npz"`` or ``"optimizer.npz"``.
            check: a function of ``{key: Header}`` (each array's declared name, shape and dtype, as
                nn.npyfile reads them) that raises to refuse the file before any data is read.

        Returns:
            A dict ``{key: NumPy array}``.

        Raises:
            ModelFileError: the member is too large or not a NumPy archive without pickles (and what
                ``check`` raises).
        """
        info = self._zip.getinfo(name)
        if info.file_size > ARRAYS_LIMIT:
            raise ModelFileError(f"{name} declares {info.file_size} bytes, more than the {ARRAYS_LIMIT} a model "
                                 "file may hold")

        def bounded(headers):
            total = sum(h.nbytes for h in headers.values())
            if total > ARRAYS_LIMIT:
                raise ModelFileError(f"{name} declares arrays of {total} bytes, more than the {ARRAYS_LIMIT} a model "
                                     "file may hold")
            slack = len(headers) * (npyfile.HEADER_LIMIT + 1024) + 4096          # zip and .npy headers
            if info.file_size > total + slack:
                raise ModelFileError(f"{name} inflates to {info.file_size} bytes, more than its arrays declare "
                                     f"({total})")
            check(headers)

        try:
            with self._zip.open(info) as member:
                return npyfile.read_npz(member, name, bounded)
        except npyfile.NpyError as exc:
            raise ModelFileError(f"{name} is not a NumPy archive without pickles: {exc}") from None

    def close(self):
        """Close the file (``with open_archive(path)`` closes it on leaving the block)."""
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_archive(path):
    """Open a ``.keras`` file written by ``model.save``.

    Args:
        path: the file's name, or an open binary file.

    Returns:
        An ``Archive``, its configuration read and checked; use it in a ``with`` block.

    Raises:
        ModelFileError: the file is not such an archive.
    """
    return Archive(path)
