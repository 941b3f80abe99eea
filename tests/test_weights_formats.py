"""Weights in the ecosystem's formats: Keras 3's ``.weights.h5``, safetensors, and PyTorch state dicts.

The Keras and PyTorch files in tests/data/ were written by real Keras 3 and PyTorch
(scripts/interop_fixtures.py); these tests need neither.  The ``.h5`` tests need h5py
(the ``h5`` extra, which scripts/test installs).
"""
import json
import os
import struct
import sys
import tracemalloc

import numpy as np
import pytest

import nn
from nn import callbacks, layers, safetensorsfile
from nn.utils import load_torch_state_dict

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture
def h5py():
    return pytest.importorskip("h5py", reason="h5py is not installed (pip install 'rosenblatt[h5]')")


def convnet():
    """The architecture of tests/data/keras_sequential.weights.h5 (scripts/interop_fixtures.py)."""
    return nn.Sequential([
        nn.Input((8, 8, 3)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(6, 3, padding="same", name="second_conv"),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(5, activation="tanh"),
        layers.Dense(3, name="logits"),
    ], name="convnet")


def graph():
    """The architecture of tests/data/keras_functional.weights.h5: branches of different depths, a merge,
    and a Sequential used as a layer."""
    inputs = nn.Input((6,))
    right = layers.Dense(4, name="right")(inputs)
    shallow = layers.Dense(4, activation="relu", name="shallow")(inputs)
    deep = layers.Dense(4)(shallow)
    merged = layers.Concatenate()([right, layers.Add()([shallow, deep])])
    inner = nn.Sequential([nn.Input((8,)), layers.Dense(5), layers.BatchNormalization()], name="block")
    return nn.Model(inputs, layers.Dense(2, name="head")(inner(merged)), name="graph")


def randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    model.load_state_dict({name: rng.uniform(0.5, 1.5, value.shape) if "variance" in name
                           else rng.normal(0, 0.5, value.shape) for name, value in model.state_dict().items()})
    return model


def sample(model, seed=1):
    return np.random.default_rng(seed).normal(size=(4,) + tuple(model.input_shape[1:])).astype(np.float32)


def states_equal(a, b):
    return list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("make", [convnet, graph])
@pytest.mark.parametrize("suffix", [".weights.h5", ".safetensors"])
def test_round_trip_across_layer_kinds(tmp_path, make, suffix, request):
    if suffix.endswith(".h5"):
        request.getfixturevalue("h5py")
    model, fresh = randomize(make()), make()
    path = tmp_path / f"m{suffix}"
    model.save_weights(path)
    fresh.load_weights(path)
    assert states_equal(fresh.state_dict(), model.state_dict())
    x = sample(model)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_safetensors_names_are_the_state_dict_keys(tmp_path):
    model = randomize(convnet())
    model.save_weights(tmp_path / "m.safetensors")
    with open(tmp_path / "m.safetensors", "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    assert length % 8 == 0 and list(header) == list(model.state_dict())
    assert header["layers.0.kernel"]["dtype"] == "F32" and header["layers.0.kernel"]["shape"] == [3, 3, 3, 4]
    stored = safetensorsfile.read(tmp_path / "m.safetensors")
    assert states_equal(stored, model.state_dict())


# ------------------------------------------------------------------ Keras 3's files
@pytest.mark.parametrize("make, name", [(convnet, "sequential"), (graph, "functional")])
def test_keras_written_files_load_and_give_keras_outputs(h5py, make, name):
    reference = np.load(os.path.join(DATA, "keras_outputs.npz"))
    model = make()
    model.load_weights(os.path.join(DATA, f"keras_{name}.weights.h5"))
    x, expected = reference[f"x_{name}"], reference[f"y_{name}"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, name", [(convnet, "sequential"), (graph, "functional")])
def test_our_files_have_keras_layout(h5py, tmp_path, make, name):
    """Group for group, dataset for dataset, the layout Keras 3 wrote for the same architecture:
    class names in snake case numbered by Keras's layer order, the layer's name as an attribute."""
    def contents(path):
        found = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda key, item: found.__setitem__(
                key, tuple(item.shape) if isinstance(item, h5py.Dataset) else None))
            names = {key: f[key].attrs.get("name") for key in found if key.endswith("vars")}
        return found, names

    path = tmp_path / "ours.weights.h5"
    make().save_weights(path)
    ours, our_names = contents(path)
    keras, keras_names = contents(os.path.join(DATA, f"keras_{name}.weights.h5"))
    assert ours == keras
    named = {"convnet", "second_conv", "logits", "graph", "right", "shallow", "block", "head"}
    assert {key: value for key, value in keras_names.items() if value in named} == \
        {key: value for key, value in our_names.items() if value in named} != {}    # the names given, at the same keys


def test_a_keras_file_with_an_optimizer_group_loads(h5py, tmp_path):
    """Keras saves a compiled model's optimizer in the same file; its variables are not the model's."""
    source, path = os.path.join(DATA, "keras_sequential.weights.h5"), tmp_path / "compiled.weights.h5"
    with h5py.File(source, "r") as a, h5py.File(path, "w") as b:
        for key in a:
            a.copy(a[key], b, key)
        b.create_group("optimizer/vars").create_dataset("0", data=np.array(3, np.int64))
    model = convnet()
    model.load_weights(path)
    reference = np.load(os.path.join(DATA, "keras_outputs.npz"))
    np.testing.assert_allclose(model.predict(reference["x_sequential"], verbose=0), reference["y_sequential"],
                               rtol=1e-5, atol=1e-5)


def test_h5_of_another_architecture_is_refused_naming_the_groups(h5py):
    model = nn.Sequential([nn.Input((6,)), layers.Dense(3)])
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"does not match this model's layers: missing \[\], "
                                         r"unexpected \['layers/batch_normalization/vars/0'"):
        model.load_weights(os.path.join(DATA, "keras_sequential.weights.h5"))
    assert states_equal(model.state_dict(), before)


# ------------------------------------------------------------------ header first, all or nothing
def _copy_with(h5py, source, path, replace):
    """Copy a Keras file, the datasets in ``replace`` made by ``replace[key](group, name)``."""
    with h5py.File(source, "r") as a, h5py.File(path, "w") as b:
        def copy(key, item):
            if isinstance(item, h5py.Group):
                b.require_group(key)
            elif key in replace:
                group, name = key.rsplit("/", 1)
                replace[key](b.require_group(group), name)
            else:
                b.create_dataset(key, data=item[()])
        a.visititems(copy)


def test_h5_declaring_a_huge_dataset_is_refused_before_reading(h5py, tmp_path):
    path = tmp_path / "huge.weights.h5"
    _copy_with(h5py, os.path.join(DATA, "keras_sequential.weights.h5"), path, {
        # 400 GB declared, none of it stored (chunks are allocated on write): reading it would allocate it all
        "layers/dense_1/vars/0": lambda g, n: g.create_dataset(n, shape=(100_000, 1_000_000), dtype="f4",
                                                               chunks=(1, 1000))})
    assert os.path.getsize(path) < 100_000
    model = convnet()
    before = model.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"layers/dense_1/vars/0 \(kernel of 'logits'\) has shape "
                                             r"\(100000, 1000000\)"):
            model.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20
    assert states_equal(model.state_dict(), before)


def test_h5_that_does_not_fit_changes_nothing(h5py, tmp_path):
    """The last dataset's values overflow float32: found after every other dataset was read, and still
    nothing of the model is written."""
    source = os.path.join(DATA, "keras_sequential.weights.h5")
    path = tmp_path / "overflow.weights.h5"
    _copy_with(h5py, source, path, {
        "layers/dense_1/vars/1": lambda g, n: g.create_dataset(n, data=np.full(3, 1e300))})
    model = convnet()
    before = model.state_dict()
    with pytest.raises(ValueError, match="too large for float32"):
        model.load_weights(path)
    assert states_equal(model.state_dict(), before)
    strings = tmp_path / "strings.weights.h5"
    _copy_with(h5py, source, strings, {"layers/dense/vars/1": lambda g, n: g.create_dataset(n, data=["a"] * 5)})
    with pytest.raises(ValueError, match=r"layers/dense/vars/1 \(bias of 'dense.*'\) is object"):
        model.load_weights(strings)
    assert states_equal(model.state_dict(), before)


def test_h5_links_to_other_files_are_refused(h5py, tmp_path):
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as f:
        f.create_dataset("kernel", data=np.zeros((5, 3), np.float32))
    path = tmp_path / "linked.weights.h5"
    _copy_with(h5py, os.path.join(DATA, "keras_sequential.weights.h5"), path, {
        "layers/dense_1/vars/0": lambda g, n: g.__setitem__(n, h5py.ExternalLink(str(outside), "kernel"))})
    with pytest.raises(ValueError, match="is a link"):
        convnet().load_weights(path)


def test_keras_2_and_non_hdf5_files_are_refused_clearly(h5py, tmp_path):
    legacy = tmp_path / "legacy.h5"
    with h5py.File(legacy, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
    with pytest.raises(ValueError, match="Keras 2 \\(legacy\\) HDF5 file"):
        convnet().load_weights(legacy)
    (tmp_path / "text.weights.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="is not an HDF5 file"):
        convnet().load_weights(tmp_path / "text.weights.h5")


def test_h5_without_h5py_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)          # import h5py now raises ImportError
    model = nn.Sequential([nn.Input((3,)), layers.Dense(2)])
    for call in (model.save_weights, model.load_weights):
        with pytest.raises(ImportError, match=r"pip install 'rosenblatt\[h5\]'"):
            call(tmp_path / "m.weights.h5")
    assert not os.listdir(tmp_path)


def _safetensors(path, header, data=b"", length=None):
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


def _small():
    model = nn.Sequential([nn.Input((3,)), layers.Dense(2)])
    return model, model.state_dict()


F32 = {"dtype": "F32"}
MALFORMED = {
    "overlapping": ({"layers.0.kernel": {**F32, "shape": [3, 2], "data_offsets": [0, 24]},
                     "layers.0.bias": {**F32, "shape": [2], "data_offsets": [16, 24]}}, 24, "overlapping"),
    "gap": ({"layers.0.kernel": {**F32, "shape": [3, 2], "data_offsets": [16, 40]},
             "layers.0.bias": {**F32, "shape": [2], "data_offsets": [0, 8]}}, 40, "a gap before it"),
    "out of range": ({"layers.0.kernel": {**F32, "shape": [3, 2], "data_offsets": [0, 24]},
                      "layers.0.bias": {**F32, "shape": [2], "data_offsets": [24, 32]}}, 28, "truncated"),
    "trailing bytes": ({"layers.0.kernel": {**F32, "shape": [3, 2], "data_offsets": [0, 24]},
                        "layers.0.bias": {**F32, "shape": [2], "data_offsets": [24, 32]}}, 40, "trailing bytes"),
    "unknown dtype": ({"layers.0.kernel": {"dtype": "F8_E4M3", "shape": [3, 2], "data_offsets": [0, 6]},
                       "layers.0.bias": {**F32, "shape": [2], "data_offsets": [6, 14]}}, 14, "dtype 'F8_E4M3'"),
    "size and shape disagree": ({"layers.0.kernel": {**F32, "shape": [3, 2], "data_offsets": [0, 20]},
                                 "layers.0.bias": {**F32, "shape": [2], "data_offsets": [20, 28]}}, 28,
                                "takes 24 bytes"),
    "negative size": ({"layers.0.kernel": {**F32, "shape": [-3, 2], "data_offsets": [0, 0]}}, 0,
                      "not a list of sizes"),
    "pickle-like object": ({"layers.0.kernel": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24],
                                                "__reduce__": "os.system"}}, 24, "expected"),
    "not an object": ([1, 2], 0, "not a JSON object"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_safetensors_are_refused(tmp_path, case):
    header, data_size, message = MALFORMED[case]
    path = _safetensors(tmp_path / "bad.safetensors", header, bytes(data_size))
    model, before = _small()
    with pytest.raises(ValueError, match=message):
        model.load_weights(path)
    assert states_equal(model.state_dict(), before)


def test_safetensors_bad_header_lengths_and_json(tmp_path):
    model, before = _small()
    cases = {"short": (b"\x01\x02", "shorter than 8 bytes"),
             "too long": (struct.pack("<Q", 1 << 40) + b"{}", "declares a header of 1099511627776 bytes"),
             "not json": (struct.pack("<Q", 4) + b"{{{{", "not JSON"),
             "twice": (struct.pack("<Q", 59) + b'{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":1}' +
                       bytes(4), "names a tensor twice")}
    for name, (content, message) in cases.items():
        (tmp_path / f"{name}.safetensors").write_bytes(content)
        with pytest.raises(ValueError, match=message):
            model.load_weights(tmp_path / f"{name}.safetensors")
    assert states_equal(model.state_dict(), before)


def test_safetensors_declaring_a_huge_tensor_is_refused_before_reading(tmp_path):
    """40 GB declared and laid out honestly, but the file is not that large: refused from the header,
    and a model that would take it refuses its shape before any data is read."""
    huge = {"layers.0.kernel": {**F32, "shape": [100_000, 100_000], "data_offsets": [0, 40_000_000_000]},
            "layers.0.bias": {**F32, "shape": [2], "data_offsets": [40_000_000_000, 40_000_000_008]}}
    path = _safetensors(tmp_path / "huge.safetensors", huge, bytes(64))
    model, before = _small()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="truncated"):
            model.load_weights(path)
        sparse = tmp_path / "sparse.safetensors"           # the bytes are there (a sparse file): the shape is not
        _safetensors(sparse, huge)
        with open(sparse, "r+b") as f:
            f.truncate(os.path.getsize(sparse) + 40_000_000_008)
        with pytest.raises(ValueError, match=r"'layers.0.kernel' has shape \(3, 2\) in the model but \(100000"):
            model.load_weights(sparse)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20
    assert states_equal(model.state_dict(), before)


def test_safetensors_that_does_not_fit_changes_nothing(tmp_path):
    model, before = _small()
    names = _safetensors(tmp_path / "names.safetensors", {"kernel": {**F32, "shape": [3, 2], "data_offsets": [0, 24]}},
                         bytes(24))
    with pytest.raises(ValueError, match=r"missing \['layers.0.bias', 'layers.0.kernel'\], unexpected \['kernel'\]"):
        model.load_weights(names)
    overflow = tmp_path / "overflow.safetensors"
    with open(overflow, "wb") as f:
        safetensorsfile.write(f, {"layers.0.kernel": np.ones((3, 2)), "layers.0.bias": np.array([1e300, 0.0])})
    with pytest.raises(ValueError, match="too large for float32"):
        model.load_weights(overflow)
    assert states_equal(model.state_dict(), before)


def test_safetensors_written_by_the_reference_library_load(tmp_path):
    """numpy.safetensors: safetensors.numpy.save_file's float64, float16 and float32 tensors under nn's names."""
    model = nn.Sequential([nn.Input((3,)), layers.Dense(4), layers.Dense(2)])
    model.load_weights(os.path.join(DATA, "numpy.safetensors"))
    assert all(p.dtype == np.float32 for p in model.parameters())
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), [1.5, -2.0])
    stored = safetensorsfile.read(os.path.join(DATA, "numpy.safetensors"))
    assert stored["layers.0.kernel"].dtype == np.float64 and stored["layers.0.bias"].dtype == np.float16
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), stored["layers.0.kernel"].astype(np.float32))


def test_safetensors_bfloat16_is_widened_exactly(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0], np.float32)        # exact in bfloat16
    halves = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    path = _safetensors(tmp_path / "bf16.safetensors", {"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}},
                        halves)
    read = safetensorsfile.read(path)["w"]
    assert read.dtype == np.float32
    np.testing.assert_array_equal(read, values)


def test_checkpoints_write_every_weights_format(tmp_path, h5py):
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = x @ np.ones((3, 1), np.float32)
    for name in ("w.weights.h5", "w.safetensors", "w.weights.npz"):
        model = nn.Sequential([nn.Input((3,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.ModelCheckpoint(str(tmp_path / name), save_weights_only=True)])
        fresh = nn.Sequential([nn.Input((3,)), layers.Dense(1)])
        fresh.load_weights(tmp_path / name)
        assert states_equal(fresh.state_dict(), model.state_dict())


# ------------------------------------------------------------------ PyTorch state dicts
def torch_twin(epsilon=1e-5):
    """nn's twin of scripts/interop_fixtures.py's torch.nn.Sequential (channels last; PyTorch's
    BatchNorm2d epsilon)."""
    return nn.Sequential([
        nn.Input((8, 8, 3)),
        layers.Conv2D(4, 3),
        layers.BatchNormalization(epsilon=epsilon),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(6, activation="relu"),          # square: transposed by its layer, not its shape
        layers.Dense(3),
    ])


def test_torch_state_dict_loads_and_gives_torch_outputs():
    reference = np.load(os.path.join(DATA, "torch_outputs.npz"))
    model = torch_twin()
    pairs = load_torch_state_dict(model, os.path.join(DATA, "torch_state.safetensors"))
    assert pairs[:2] == [("layers.0.kernel", "0.weight"), ("layers.0.bias", "0.bias")]
    assert ("layers.1.moving_variance", "1.running_var") in pairs and len(pairs) == 12
    x = reference["x"].transpose(0, 2, 3, 1)                  # NCHW -> NHWC
    np.testing.assert_allclose(model.predict(x, verbose=0), reference["y"], rtol=1e-5, atol=1e-5)


def test_torch_state_dict_by_mapping_and_its_errors():
    stored = safetensorsfile.read(os.path.join(DATA, "torch_state.safetensors"))   # sorted by name in the file
    theirs = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight", "4.bias",
              "7.weight", "7.bias", "9.weight", "9.bias"]                         # the state dict's own order
    assert sorted(stored) == sorted(theirs + ["1.num_batches_tracked"])
    state = {name: stored[name] for name in theirs}
    model = torch_twin()
    ours = list(model.state_dict())
    mapping = dict(zip(ours, theirs))
    assert load_torch_state_dict(torch_twin(), state, mapping=mapping) == list(mapping.items())
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'0.weight' \(\(4, 3, 3, 3\) in PyTorch\) does not fit 'layers.0.kernel' "
                                         r"\(3, 3, 3, 4\) \(transpose=True"):
        load_torch_state_dict(model, state, transpose=False)
    with pytest.raises(ValueError, match="the model has 12 parameters and the state dict 11 tensors"):
        load_torch_state_dict(model, {k: v for k, v in state.items() if k != "9.bias"})
    with pytest.raises(ValueError, match=r"parameters not mapped \['layers.7.bias'\]"):
        load_torch_state_dict(model, state, mapping={k: v for k, v in mapping.items() if k != "layers.7.bias"})
    swapped = dict(mapping, **{"layers.6.kernel": "9.weight", "layers.7.kernel": "7.weight"})
    with pytest.raises(ValueError, match=r"'9.weight' \(\(3, 6\) in PyTorch, \(6, 3\) transposed\) does not fit "
                                         r"'layers.6.kernel' \(6, 6\)"):
        load_torch_state_dict(model, state, mapping=swapped)
    assert states_equal(model.state_dict(), before)


def test_a_subclassed_model_has_keras_layout(h5py, tmp_path):
    """A model with a forward of its own: Keras 3 groups each layer by the attribute holding it, a list's
    layers by class (the groups below are what Keras 3.15 wrote for the same keras.Model subclass)."""
    class Net(nn.Model):
        def __init__(self):
            super().__init__()
            self.encoder = layers.Dense(4)
            self.blocks = [layers.Dense(4), layers.BatchNormalization()]
            self.head = layers.Dense(2)

        def forward(self, x):
            x = self.encoder(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

    model, fresh = Net(), Net()
    for net in (model, fresh):
        net(np.ones((2, 3), np.float32))
    randomize(model)
    model.save_weights(tmp_path / "net.weights.h5")
    found = {}
    with h5py.File(tmp_path / "net.weights.h5", "r") as f:
        f.visititems(lambda key, item: found.__setitem__(key, getattr(item, "shape", None)))
    bn = {f"blocks/batch_normalization/vars/{i}": (4,) for i in range(4)}
    assert {key: shape for key, shape in found.items() if shape is not None} == {
        "encoder/vars/0": (3, 4), "encoder/vars/1": (4,), "blocks/dense/vars/0": (4, 4), "blocks/dense/vars/1": (4,),
        **bn, "head/vars/0": (4, 2), "head/vars/1": (2,)}
    fresh.load_weights(tmp_path / "net.weights.h5")
    assert states_equal(fresh.state_dict(), model.state_dict())


@pytest.mark.parametrize("suffix, module, function", [(".safetensors", "nn.safetensorsfile", "write"),
                                                      (".weights.h5", "nn.h5file", "write")])
def test_a_failed_save_leaves_the_earlier_file(tmp_path, monkeypatch, suffix, module, function, request):
    if suffix.endswith(".h5"):
        request.getfixturevalue("h5py")
    model = randomize(convnet())
    path = tmp_path / f"m{suffix}"
    model.save_weights(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        if args and hasattr(args[0], "write"):       # safetensors writes into the file: half a file, then the error
            args[0].write(b"half a file")
        raise OSError("disk full")
    monkeypatch.setattr(f"{module}.{function}", fail)
    with pytest.raises(OSError, match="disk full"):
        randomize(convnet(), seed=5).save_weights(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]
