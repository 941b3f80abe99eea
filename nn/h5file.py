"""Keras 3's ``.weights.h5`` layout, written and read with h5py (the optional ``h5`` extra).

Keras 3 (``keras/src/saving/saving_lib.py``) saves a model by walking it: the model's
own variables go in the group ``vars``, each layer of a Sequential or functional
model in ``layers/<key>/vars``, a layer held in an attribute in ``<attr>/vars``, a
nested model's layers below its own group (``layers/sequential/layers/dense/vars``).
Inside ``vars`` the datasets ``0, 1, ...`` are the layer's variables in Keras's order
(trainable first: a Dense's kernel and bias; a BatchNormalization's gamma, beta,
moving_mean, moving_variance).  ``<key>`` is NOT the layer's name but its class name
in snake case, numbered within its list in the order Keras lists the layers
(``dense``, ``dense_1``, ...; a functional model lists them by depth from the
inputs); the layer's name is kept as the ``vars`` group's ``name`` attribute.  A
functional model's inputs are layers too (``layers/input_layer``).  Keras also
saves a compiled model's optimizer in ``optimizer/vars``: that group is not read here.

Reading is header first: every group and dataset's shape and dtype is checked
against the model before any data is read (HDF5 keeps them in its metadata); links
to other files and datasets stored outside the file are refused.
"""
import io
import re

import numpy as np

import autodiff as ad

SKIPPED = ("optimizer",)            # top-level groups of a Keras file that hold no weights of the model


def h5py_module(who):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{who}: .h5 weight files need h5py: pip install 'rosenblatt[h5]' (or pip install h5py); "
                          "save_weights('....weights.npz') or '....safetensors' need nothing more") from None
    return h5py


def _snake(name):
    """Keras's ``naming.to_snake_case``: Dense -> dense, Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _functional_order(model):
    """A functional model's layers (its inputs included, as ``"input"`` entries) in Keras's order
    (keras/src/ops/function.py's map_graph): by depth from the inputs, then by first visit from the outputs."""
    post, first, finished = [], {}, set()

    def op(symbol):
        return symbol.layer if symbol.layer is not None else symbol

    def visit(symbol):
        if id(symbol) in finished:
            return
        first.setdefault(id(op(symbol)), len(first))
        for parent in symbol.inputs:
            visit(parent)
        finished.add(id(symbol))
        post.append(symbol)

    for symbol in model.outputs:
        visit(symbol)
    node_depth, op_depth, ops = {}, {}, {}
    for symbol in reversed(post):
        depth = max(node_depth.setdefault(id(symbol), 0), op_depth.get(id(op(symbol)), 0))
        op_depth[id(op(symbol))] = node_depth[id(symbol)] = depth
        ops[id(op(symbol))] = op(symbol)
        for parent in symbol.inputs:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for symbol in model.inputs:         # an input the outputs do not use is listed too
        if id(symbol) not in op_depth:
            op_depth[id(symbol)], first[id(symbol)], ops[id(symbol)] = 0, -1, symbol
    order = sorted(ops, key=lambda key: (-op_depth[key], first[key]))
    return [ops[key] if _is_module(ops[key]) else "input" for key in order]


def _is_module(value):
    """nn.Module, known by its walk (nn.module imports this file: it cannot import nn.module back)."""
    return callable(getattr(value, "named_parameters", None)) and callable(getattr(value, "modules", None))


def _is_parameter(value):
    return isinstance(value, ad.Tensor) and hasattr(value, "trainable")


def _own_variables(module):
    """The parameters a module holds itself (not its children's), in Keras's order: trainable first."""
    own = [value for attr, value in vars(module).items() if _is_parameter(value)]
    return [p for p in own if p.trainable] + [p for p in own if not p.trainable]


def _children(module):
    """``(attribute, Module or list of Modules)`` in the order Keras's saving walks them: a model's
    ``layers`` first, then attributes by name, private ones last."""
    found = []
    for attr, value in vars(module).items():
        if attr == "_arguments":
            continue
        if _is_module(value) or (isinstance(value, (list, tuple)) and any(_is_module(item) for item in value)):
            found.append((attr, value))
    found.sort(key=lambda item: (item[0] != "layers", "~" + item[0] if item[0].startswith("_") else item[0]))
    if hasattr(module, "outputs") and hasattr(module, "nodes") and isinstance(getattr(module, "layers", None), list):
        found = [("layers", _functional_order(module))] + [item for item in found if item[0] != "layers"]
    return found


def layout(model):
    """``[(group path, module or None, [Parameter, ...])]`` of every group Keras writes for ``model``
    (None for a functional model's inputs), each module once."""
    groups, seen = [], set()

    def visit(module, path):
        if id(module) in seen:
            return
        seen.add(id(module))
        groups.append((path, module, _own_variables(module)))
        for attr, child in _children(module):
            child_path = f"{path}/{attr}" if path else attr
            if _is_module(child):
                visit(child, child_path)
                continue
            counts = {}
            for item in child:
                if item == "input":
                    key = _numbered("input_layer", counts)
                    groups.append((f"{child_path}/{key}", None, []))
                elif _is_module(item):
                    visit(item, f"{child_path}/{_numbered(_snake(type(item).__name__), counts)}")

    visit(model, "")
    return groups


def _numbered(base, counts):
    """Keras's ``_get_unique_name``: dense, dense_1, dense_2 within one list."""
    if base in counts:
        counts[base] += 1
        return f"{base}_{counts[base]}"
    counts[base] = 0
    return base


def _vars_path(path):
    return f"{path}/vars" if path else "vars"


def write(model):
    """The bytes of a Keras 3 ``.weights.h5`` file of ``model``'s weights (the caller writes them atomically)."""
    h5py = h5py_module("save_weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for group_path, module, params in layout(model):
            group = f.create_group(_vars_path(group_path))
            name = getattr(module, "name", None) if module is not None else "input_layer"
            if isinstance(name, str):
                group.attrs["name"] = name
            for i, p in enumerate(params):
                group.create_dataset(str(i), data=p.numpy())
    return buffer.getvalue()


def expected(model):
    """``{dataset path: (Parameter, what)}`` the model reads from a Keras file, ``what`` naming it in errors."""
    wanted = {}
    for group_path, module, params in layout(model):
        for i, p in enumerate(params):
            label = getattr(module, "name", type(module).__name__)
            wanted[f"{_vars_path(group_path)}/{i}"] = (p, f"{p.name or 'weight'} of {label!r}")
    return wanted


def _datasets(f, h5py, source):
    """``{path: Dataset}`` of every dataset in the file outside SKIPPED groups, each link checked."""
    found, todo = {}, [("", f)]
    while todo:
        prefix, group = todo.pop()
        for key in group:
            full = f"{prefix}/{key}" if prefix else key
            if not prefix and key in SKIPPED:
                continue
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise ValueError(f"{source}: {full!r} is a link ({type(link).__name__}); weight files hold their "
                                 "own groups and datasets only")
            item = group[key]
            if isinstance(item, h5py.Group):
                todo.append((full, item))
            elif isinstance(item, h5py.Dataset):
                if item.is_virtual or item.external:
                    raise ValueError(f"{source}: dataset {full!r} keeps its data outside the file")
                found[full] = item
            else:
                raise ValueError(f"{source}: {full!r} is neither a group nor a dataset")
    return found


def read(path, model, source):
    """``(own, arrays)``: ``{label: Parameter}`` and ``{label: array}`` for every weight of ``model``
    from a Keras 3 ``.weights.h5`` file, every dataset checked before any is read."""
    h5py = h5py_module("load_weights")
    wanted = expected(model)
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise ValueError(f"load_weights: {source} is not an HDF5 file: {exc}") from None
    with f:
        if "layer_names" in f.attrs or "model_weights" in f:
            raise ValueError(f"load_weights: {source} is a Keras 2 (legacy) HDF5 file; load it into the model in "
                             "Keras 3 and save_weights('....weights.h5') again, which writes Keras 3's layout")
        datasets = _datasets(f, h5py, source)
        missing = [key for key in wanted if key not in datasets]
        unexpected = sorted(key for key in datasets if key not in wanted)
        if missing or unexpected:
            raise ValueError(f"load_weights: {source} does not match this model's layers: missing "
                             f"{[f'{k} ({wanted[k][1]})' for k in missing][:10]}, unexpected {unexpected[:10]} "
                             "(Keras 3's layout: layers/<class in snake case, numbered>/vars/<i>; the same "
                             "architecture, built the same way, reads it)")
        for key, (p, what) in wanted.items():
            dataset = datasets[key]
            if tuple(dataset.shape) != tuple(p.shape):
                raise ValueError(f"load_weights: {key} ({what}) has shape {tuple(dataset.shape)} in {source}, "
                                 f"{p.shape} in the model")
            if dataset.dtype.kind not in "fiub" or dataset.dtype.fields is not None:
                raise ValueError(f"load_weights: {key} ({what}) is {dataset.dtype} in {source}, not real numbers")
        arrays = {}
        try:
            for key in wanted:
                dataset = datasets[key]
                array = np.empty(dataset.shape, dtype=dataset.dtype.newbyteorder("="))
                if array.size:
                    dataset.read_direct(array)
                arrays[key] = array
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"load_weights: {source}: a dataset cannot be read: {exc}") from None
    own = {key: p for key, (p, _) in wanted.items()}
    return own, arrays
