"""Module and Parameter: the spine of nn (as in micrograd and PyTorch).

Weights are saved and loaded as NumPy archives, safetensors files or Keras 3's ``.weights.h5``
(nn.safetensorsfile, nn.h5file): host-only by nature.
"""
import contextlib
import contextvars
import os
import secrets
import zipfile

import numpy as np

import autodiff as ad


TEMP_SUFFIX = ".rosenblatt-tmp"


def write_atomically(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``:
    a failed write (a full disk, an exception) leaves an old file intact and no partial one.

    A symlink is written through: the file it points to is replaced, the link stays.  A new
    file gets the mode the umask allows (as ``open`` would give it); an existing file keeps
    its own.  A temporary file left by a save that was killed (its process is gone) is
    removed by the next save to the same path.
    """
    target = os.path.realpath(path)
    folder, base = os.path.split(target)
    _remove_stale_temporaries(folder, base)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    while True:
        tmp = os.path.join(folder, f".{base}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:        # 0o666 less the umask, as open() gives a new file (mkstemp would make it 0600)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _remove_stale_temporaries(folder, base):
    """Remove ``.{base}.{pid}-{token}.rosenblatt-tmp`` files whose writing process no longer runs."""
    if os.name != "posix":
        return
    prefix = f".{base}."
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid = name[len(prefix):-len(TEMP_SUFFIX)].partition("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)             # signal 0: only asks whether the process exists
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
        except OSError:                      # it exists, under another user: not ours to touch
            pass


def _weights_format(path):
    """"h5", "safetensors" or "npz", from a weights file's name."""
    try:
        name = os.fspath(path)
    except TypeError:               # an open file: NumPy's archive, as before
        return "npz"
    name = name.decode() if isinstance(name, bytes) else name
    if name.endswith((".h5", ".hdf5")):
        return "h5"
    return "safetensors" if name.endswith(".safetensors") else "npz"


def _check_names(own, names, path):
    missing, unexpected = sorted(set(own) - set(names)), sorted(set(names) - set(own))
    if missing or unexpected:
        raise ValueError(f"load_weights: {path} does not match this model: missing {missing}, "
                         f"unexpected {unexpected}")


class Parameter(ad.Tensor):
    """A named float tensor of a model's state: a weight an optimizer updates in place (trainable, it
    requires grad), or a statistic a layer updates itself (``trainable=False``, as BatchNormalization's).

    Layers make theirs with ``Layer.add_weight``; a ``Module`` finds every Parameter held in its
    attributes (``parameters()``).

    Args:
        data: the initial values: an array, a nested list or a Tensor (its values are copied).
        name: a label for graphs and error messages (None: unnamed).
        dtype: the floating dtype to store (default float32, ``autodiff.DEFAULT_FLOAT``).
        trainable: whether optimizers update it; it then requires grad.
    """

    __slots__ = ()

    def __init__(self, data, name=None, dtype=ad.DEFAULT_FLOAT, trainable=True):
        super().__init__(data, requires_grad=trainable, dtype=dtype, name=name)

    @property
    def trainable(self):
        """Whether optimizers update it (moving statistics are parameters that are not trained)."""
        return self.requires_grad


# The modes set for a call (``model(x, training=False)``, fit, evaluate, predict): {id(module): mode},
# per thread (a context variable, as autodiff's grad mode), so that fit in one thread and predict in
# another on the same model each see their own mode, and neither changes the one train()/eval() set.
_call_modes = contextvars.ContextVar("nn_call_modes", default=None)


class Module:
    """The base of every model and layer, as PyTorch's ``nn.Module``: parameters, children, modes, weights' files.

    A module holds its state in attributes: every ``Parameter``, ``Module`` and list or tuple of
    Modules assigned to ``self`` is found by ``parameters()``, ``state_dict()`` and the optimizers.
    Subclasses define ``forward``; calling the module calls it.
    """

    _training = True

    @property
    def training(self):
        """Training mode (dropout active, batch statistics): the mode of the call running in this thread,
        else the one ``train()``/``eval()`` set."""
        modes = _call_modes.get()
        if modes is not None:
            mode = modes.get(id(self))
            if mode is not None:
                return mode
        return self._training

    @training.setter
    def training(self, mode):
        self._training = bool(mode)

    def forward(self, *args, **kwargs):
        """The module's computation; subclasses define it (``module(...)`` calls it).

        Args:
            *args: the inputs, as the subclass takes them (usually one Tensor).
            **kwargs: the subclass's keyword options.

        Returns:
            What the subclass computes, usually a Tensor.

        Raises:
            NotImplementedError: the subclass did not define it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_children(self):
        """The modules held directly in this module's attributes, in definition order.

        Yields:
            ``(label, module)`` pairs: the attribute's name, or ``attr.i`` for the i-th Module of a list
            or tuple attribute (``layers.0``).
        """
        for attr, value in vars(self).items():
            if isinstance(value, Module):
                yield attr, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{attr}.{i}", item

    def named_parameters(self, prefix=""):
        """Every parameter with its attribute path, each once (a shared one under its first path), in definition order.

        Args:
            prefix: prepended to each path (``"model."`` gives ``model.layers.0.kernel``).

        Yields:
            ``(dotted attribute path, Parameter)`` pairs, such as ``("layers.0.kernel", Parameter)``:
                the keys of ``state_dict()``.
        """
        seen = set()
        for path, p in self._walk_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield path, p

    def _walk_parameters(self, prefix):
        for attr, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + attr, value
        for path, child in self.named_children():
            yield from child._walk_parameters(f"{prefix}{path}.")

    def parameters(self):
        """Every parameter of this module and the modules inside it, each once (trainable or not).

        Returns:
            A list of Parameters, in the order of ``named_parameters()`` (what optimizers are given).
        """
        return [p for _, p in self.named_parameters()]

    def modules(self):
        """This module and every module inside it, depth first (as PyTorch's ``modules()``).

        Yields:
            Modules, this one first.
        """
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def zero_grad(self):
        """Forget the gradients (set to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Set training mode (dropout active, batch statistics) for this module and all inside it, as PyTorch.

        Args:
            mode: True for training, False for inference (as ``eval()``).

        Returns:
            This module, so that ``model = Net().train()`` chains.
        """
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Set inference mode: no dropout, moving statistics (``model.train()`` goes back).

        Returns:
            This module.
        """
        return self.train(False)

    @contextlib.contextmanager
    def mode(self, training):
        """A ``with`` block in training or inference mode: ``with model.mode(False): out = model(x)``.

        The mode holds for this thread alone and for the block alone: ``train()``/``eval()`` are not
        touched.  ``model(x, training=False)``, fit, evaluate and predict use it.

        Args:
            training: True (training), False (inference), or None (the mode is left as it is).

        Yields:
            This module, for the block.
        """
        if training is None:
            yield self
            return
        modes = dict(_call_modes.get() or {})
        modes.update((id(m), bool(training)) for m in self.modules())
        token = _call_modes.set(modes)
        try:
            yield self
        finally:
            _call_modes.reset(token)

    def state_dict(self):
        """Every parameter's value by name, as PyTorch's ``state_dict``.

        ``np.savez(path, **model.state_dict())`` saves it; ``load_state_dict`` reads it back.

        Returns:
            A dict ``{dotted name: NumPy array}`` (copies, each of its parameter's shape and dtype), in
                the order of ``named_parameters()``.
        """
        return {name: p.numpy().copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict, strict=True):
        """Set parameters from ``state_dict``: every name, shape and value is checked before any is written.

        Args:
            state_dict: ``{dotted name: array or Tensor}``, as ``state_dict()`` returns it; values are
                converted to each parameter's dtype.
            strict: True: the names must be exactly the model's; False: load the names both have.

        Returns:
            ``(missing, unexpected)``: sorted lists of the model's names the state lacks and of the
                state's names the model lacks (both empty under ``strict``), as PyTorch's
                ``(missing_keys, unexpected_keys)``.

        Raises:
            ValueError: names differ (under ``strict``), a shape differs, a value is not a real number
                or overflows the parameter's dtype; the model is then left as it was.
        """
        own = dict(self.named_parameters())
        given = {name: value.numpy() if isinstance(value, ad.Tensor) else value for name, value in state_dict.items()}
        missing, unexpected = sorted(set(own) - set(given)), sorted(set(given) - set(own))
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: the state does not match this model: missing {missing}, "
                             f"unexpected {unexpected} (strict=False loads the names both have)")
        both = {name: own[name] for name in own if name in given}
        self._assign(both, {name: given[name] for name in both}, "load_state_dict", "the state")
        return missing, unexpected

    def __repr__(self):
        """A tree of the modules inside, with shapes and parameter counts, as PyTorch prints a model."""
        children = list(self.named_children())
        if not children:
            return self._describe()
        lines = [f"{type(self).__name__}("]
        for label, child in children:
            lines.append(f"  ({label.removeprefix('layers.')}): " + repr(child).replace("\n", "\n  "))
        total = self.count_params()
        lines.append(")" + (f"  # {total:,} parameters" if total else ""))
        return "\n".join(lines)

    def _describe(self):
        return f"{type(self).__name__}()"

    def count_params(self):
        """The number of values in all parameters, trainable or not (Keras's ``count_params``).

        Returns:
            An int.
        """
        return int(sum(p.size for p in self.parameters()))

    def save_weights(self, path):
        """Write every parameter to ``path``, in the format its name says.

        - ``.npz`` (any other name): a NumPy archive keyed by attribute path (``state_dict()``'s keys);
        - ``.safetensors``: the safetensors format, the same keys (PyTorch's ``safetensors.torch.load_file``
          reads it);
        - ``.h5`` (Keras's ``m.weights.h5``): Keras 3's HDF5 layout, which ``keras.Model.load_weights``
          reads into the same architecture (needs h5py: the ``h5`` extra).

        Written whole or not at all: into a temporary file beside ``path``, then
        renamed over it, so a failed write (a full disk) leaves an old file intact.

        Args:
            path: the file's name (str or path-like; its ending chooses the format) or an open binary
                file (written as ``.npz``).

        Raises:
            ValueError: the module has no parameters yet (not built).
        """
        kind = _weights_format(path)
        weights = {name: p.numpy() for name, p in self.named_parameters()}
        if not weights:
            raise ValueError(f"save_weights: {type(self).__name__} has no parameters yet (build it first)")
        if kind == "h5":
            from . import h5file
            data = h5file.write(self)
            write_atomically(path, lambda f: f.write(data))
        elif kind == "safetensors":
            from . import safetensorsfile
            write_atomically(path, lambda f: safetensorsfile.write(f, weights))
        else:
            write_atomically(path, lambda f: np.savez(f, **weights))

    def load_weights(self, path):
        """Read parameters saved by ``save_weights`` (or by Keras 3, or any safetensors file with
        ``state_dict()``'s names), in the format the file's name says; names, shapes and values must all fit.

        Every array's name, shape and dtype is checked before any data is read
        (each format declares them first), and every value is
        converted before the first parameter is written: a file that does not
        fit leaves the model as it was.

        Args:
            path: the file's name (``.npz``, ``.safetensors``, ``.h5``/``.hdf5``; its ending chooses the
                reader) or an open binary ``.npz`` file.

        Raises:
            ValueError: the file is not such a weights file, or its names, shapes or values do not fit
                this model.
        """
        kind = _weights_format(path)
        if kind == "h5":
            from . import h5file
            own, arrays = h5file.read(path, self, str(path))
            self._assign(own, arrays, "load_weights", path)
            return
        own = dict(self.named_parameters())

        def check(headers):             # names and shapes, from what the file declares, before any data
            _check_names(own, headers, path)
            for name, header in headers.items():
                if tuple(header.shape) != tuple(own[name].shape):
                    raise ValueError(f"load_weights: parameter {name!r} has shape {own[name].shape} in the "
                                     f"model but {tuple(header.shape)} in {path}")
        if kind == "safetensors":
            from . import safetensorsfile
            try:
                arrays = safetensorsfile.read(path, str(path), check)
            except safetensorsfile.SafetensorsError as exc:
                raise ValueError(f"load_weights: {exc}") from None
        else:
            from . import npyfile
            try:
                arrays = npyfile.read_npz(path, str(path), check)
            except npyfile.NpyError as exc:
                raise ValueError(f"load_weights: {path} is not a weights file written by save_weights (an .npz "
                                 f"archive): {exc}") from None
        self._assign(own, arrays, "load_weights", path)

    @staticmethod
    def _assign(params, arrays, who, source):
        """Write ``arrays[name]`` into ``params[name]`` for every name, after checking and converting them
        all: a value that does not fit leaves every parameter as it was."""
        converted = {}
        for name, p in params.items():
            array = arrays[name]
            if isinstance(array, ad.Tensor):             # another model's parameters: their values
                array = array.numpy()
            if not hasattr(array, "dtype"):
                array = np.asarray(array)
            if tuple(array.shape) != tuple(p.shape):
                raise ValueError(f"{who}: parameter {name!r} has shape {p.shape} in the model but "
                                 f"{tuple(array.shape)} in {source}")
            if array.dtype.kind not in "fiub":
                raise ValueError(f"{who}: parameter {name!r} is {array.dtype} in {source}, not real numbers")
            with np.errstate(over="ignore"):
                value = np.asarray(array).astype(p.dtype)
            if array.dtype.kind == "f" and not np.array_equal(np.isfinite(value), np.isfinite(array)):
                raise ValueError(f"{who}: parameter {name!r} holds values too large for {p.dtype} in {source}")
            converted[name] = value
        with ad.no_grad():
            for name, p in params.items():     # only after every check passed: no half-loaded model
                p.copy_(converted[name])
