"""ONNX export (autodiff.onnx, model.export): each covered op and layer, served by ONNX Runtime, equals
autodiff's own output (model.predict) within 1e-5 in float32, at batch sizes other than the traced one."""
import sys
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import layers, models

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed: pip install -e '.[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed: pip install -e '.[onnx]'")

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)


def serve(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def check_model(model, tmp_path, sample_shape, batches=(1, 5), scale=1.0):
    """Export ``model``; ONNX Runtime's outputs equal predict's at every batch size; return the ModelProto."""
    path = tmp_path / "model.onnx"
    proto = model.export(path, verbose=False)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert proto.opset_import[0].version >= 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    session = serve(path)
    name = session.get_inputs()[0].name
    for n in batches:
        x = (RNG.standard_normal((n,) + tuple(sample_shape)) * scale).astype(np.float32)
        (out,) = session.run(None, {name: x})
        close(out, model.predict(x, verbose=0))
    return proto


def check_function(fn, examples, tmp_path, others=(), dynamic_batch=True, **kwargs):
    """Export ``fn`` traced on ``examples``; ONNX Runtime's outputs equal fn's on them and on ``others``."""
    path = tmp_path / "fn.onnx"
    proto = ad.onnx.export(fn, examples, path, dynamic_batch=dynamic_batch, **kwargs)
    session = serve(path)
    names = [i.name for i in session.get_inputs()]
    for inputs in [examples] + list(others):
        got = session.run(None, dict(zip(names, inputs)))
        want = fn(*[ad.tensor(x) for x in inputs])
        want = want if isinstance(want, (list, tuple)) else [want]
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            close(g, w.numpy())
    return proto


def ops_of(proto):
    return [node.op_type for node in proto.graph.node]


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ the book's models
def test_the_books_mlp_exports_with_fused_bias_and_relu(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    import mnist_mlp

    model = mnist_mlp.build_network()
    proto = check_model(model, tmp_path, (784,))
    assert ops_of(proto) == ["Gemm", "Relu", "Gemm", "Softmax"]
    assert {t.name for t in proto.graph.initializer} == set(model.state_dict())
    for t in proto.graph.initializer:
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(t), model.state_dict()[t.name])


def test_the_books_convnet_exports_with_its_transposes_folded(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    import mnist_convnet

    model = mnist_convnet.build_network()
    proto = check_model(model, tmp_path, (28, 28, 1), batches=(1, 3))
    kinds = ops_of(proto)
    assert kinds.count("Conv") == 3 and kinds.count("MaxPool") == 2
    assert kinds.count("Transpose") == 2          # into channels-first once, back before Flatten once
    assert {t.name for t in proto.graph.initializer} >= set(model.state_dict())


# ------------------------------------------------------------------ layers, one row each
def _conv(**kw):
    return lambda: models.Sequential([nn.Input(shape=(9, 8, 4)), layers.Conv2D(6, 3, **kw)])


def _pool(kind, **kw):
    return lambda: models.Sequential([nn.Input(shape=(9, 8, 3)), kind(**kw)])


LAYERS = {
    "dense": (lambda: models.Sequential([nn.Input(shape=(5,)), layers.Dense(3)]), (5,)),
    "dense_3d_input": (lambda: models.Sequential([nn.Input(shape=(4, 5)), layers.Dense(3, activation="relu")]),
                       (4, 5)),
    "dense_no_bias_tanh": (lambda: models.Sequential([nn.Input(shape=(5,)),
                                                      layers.Dense(3, activation="tanh", use_bias=False)]), (5,)),
    "conv_relu": (_conv(activation="relu"), (9, 8, 4)),
    "conv_strides_same": (_conv(strides=2, padding="same"), (9, 8, 4)),
    "conv_dilation": (_conv(dilation_rate=2, activation="sigmoid"), (9, 8, 4)),
    "conv_groups_no_bias": (_conv(groups=2, use_bias=False, padding="same"), (9, 8, 4)),
    "max_pool": (_pool(layers.MaxPooling2D), (9, 8, 3)),
    "max_pool_same_strides": (_pool(layers.MaxPooling2D, pool_size=3, strides=2, padding="same"), (9, 8, 3)),
    "avg_pool": (_pool(layers.AveragePooling2D), (9, 8, 3)),
    "avg_pool_same": (_pool(layers.AveragePooling2D, pool_size=(3, 2), strides=2, padding="same"), (9, 8, 3)),
    "global_avg_pool": (_pool(layers.GlobalAveragePooling2D), (9, 8, 3)),
    "zero_padding": (_pool(layers.ZeroPadding2D, padding=((1, 2), (0, 1))), (9, 8, 3)),
    "flatten": (lambda: models.Sequential([nn.Input(shape=(3, 4, 2)), layers.Flatten()]), (3, 4, 2)),
    "reshape": (lambda: models.Sequential([nn.Input(shape=(12,)), layers.Reshape((3, -1))]), (12,)),
    "dropout": (lambda: models.Sequential([nn.Input(shape=(6,)), layers.Dropout(0.5), layers.Dense(2)]), (6,)),
    "softmax_layer": (lambda: models.Sequential([nn.Input(shape=(3, 6)), layers.Softmax(axis=1)]), (3, 6)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_each_layer_exports_and_onnx_runtime_equals_predict(name, tmp_path):
    build, sample = LAYERS[name]
    check_model(build(), tmp_path, sample)


def test_dropout_is_not_in_the_exported_graph(tmp_path):
    proto = check_model(LAYERS["dropout"][0](), tmp_path, (6,))
    assert ops_of(proto) == ["Gemm"]


def test_batch_normalization_uses_its_moving_statistics(tmp_path):
    model = models.Sequential([nn.Input(shape=(4, 4, 3)), layers.Conv2D(5, 3), layers.BatchNormalization(),
                               layers.Activation("relu")])
    bn = model.layers[1]
    bn.set_weights([RNG.uniform(0.5, 2, 5), RNG.standard_normal(5), RNG.standard_normal(5),
                    RNG.uniform(0.5, 2, 5)])
    proto = check_model(model, tmp_path, (4, 4, 3))
    assert {"layers.1.moving_mean", "layers.1.gamma", "layers.1.beta"} <= {t.name for t in proto.graph.initializer}


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu", "selu", "gelu",
               "softplus", "silu", "relu6", "hard_sigmoid", "hard_silu", "softsign", "mish", "celu"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_exports(activation, tmp_path):
    model = models.Sequential([nn.Input(shape=(7,)), layers.Dense(6, activation=activation)])
    check_model(model, tmp_path, (7,), scale=3.0)


def test_gelus_tanh_form_and_relus_options_export(tmp_path):
    def relu_options(x):
        return nn.activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5)

    def gelu_tanh(x):
        return nn.activations.gelu(x, approximate=True)

    for fn in (relu_options, gelu_tanh):
        check_function(fn, [randn(4, 6) * 2], tmp_path, others=[[randn(3, 6) * 2]])


def test_functional_models_with_concatenate_add_and_two_inputs(tmp_path):
    inputs = nn.Input(shape=(6,))
    a = layers.Dense(4, activation="relu")(inputs)
    b = layers.Dense(4, activation="tanh")(inputs)
    joined = layers.concatenate([a, b])
    summed = layers.add([a, b])
    outputs = layers.Dense(3, activation="softmax")(layers.concatenate([joined, summed]))
    check_model(models.Model(inputs, outputs), tmp_path, (6,))

    left, right = nn.Input(shape=(3,), name="left"), nn.Input(shape=(5,), name="right")
    out = layers.Dense(2)(layers.concatenate([layers.Dense(4)(left), right]))
    model = models.Model([left, right], out)
    path = tmp_path / "two.onnx"
    model.export(path, verbose=False)
    session = serve(path)
    assert [i.name for i in session.get_inputs()] == ["left", "right"]
    x1, x2 = randn(4, 3), randn(4, 5)
    close(session.run(None, {"left": x1, "right": x2})[0], model([x1, x2], training=False).numpy())


# ------------------------------------------------------------------ ops, through ad.onnx.export
W = ad.tensor(randn(6, 6), requires_grad=True, name="w")

OPS = {
    "add_sub_mul_div": lambda x: ((x + 1.5) * x - x / (W[0] * W[0] + 1.0)) - 2.0,
    "neg_exp_log_sqrt": lambda x: -ad.exp(x * 0.5) + ad.log(x * x + 1.0) + ad.sqrt(abs(x)),
    "tanh_sigmoid_relu": lambda x: ad.tanh(x) + ad.sigmoid(x) * ad.relu(x),
    "power_and_square": lambda x: (x * x + 1.0) ** -0.5 + ad.square(x),
    "maximum_minimum": lambda x: ad.maximum(x, W[1]) + ad.minimum(x, 0.25),
    "clip": lambda x: ad.clip(x, -0.5, 0.75) + ad.clip(x, min=0.0),
    "where": lambda x: ad.where(x > 0.2, x, W[2] * x) + ad.where((x < 0) | (x > 1), 1.0, 0.0),
    "matmul_and_linear": lambda x: ad.linear(x @ W, W, W[0], activation="relu") + ad.linear(x, W),
    "transpose": lambda x: (x.reshape(x.shape[0], 2, 3).transpose(0, 2, 1) * 2.0).reshape(x.shape[0], 6),
    "reductions": lambda x: (ad.sum(x, axis=1, keepdims=True) + ad.mean(x, axis=-1, keepdims=True) * x
                             + ad.max(x, axis=1, keepdims=True) - ad.min(x, axis=1, keepdims=True)),
    "reductions_dropping_axes": lambda x: ad.logsumexp(x, axis=1) + ad.prod(x * 0.5 + 1.0, axis=1) + x.mean(axis=1),
    "softmax_log_softmax": lambda x: ad.softmax(x, axis=0) + ad.log_softmax(x * 3.0),
    "activations": lambda x: ad.leaky_relu(x, 0.05) + ad.elu(x, 0.5) + ad.selu(x) + ad.softplus(x) + ad.gelu(x),
    "trigonometry_and_rounding": lambda x: (ad.sin(x) + ad.cos(x) + ad.arctan(x) + ad.floor(x * 2.0)
                                            + ad.round(x * 3.0) + ad.reciprocal(x * x + 1.0)),
    "indexing": lambda x: x[:, 1:5:2] * x[:, None, 0].reshape(x.shape[0], 1) + x[..., ::-2][:, :2],
    "broadcast_to_and_concatenate": lambda x: ad.concatenate([ad.broadcast_to(x[:, :1], (x.shape[0], 3)), x], 1),
    "stack": lambda x: ad.stack([x, x * 2.0, x * W[5]], axis=1).reshape(x.shape[0], 18) + ad.stack([x, x], -1)[..., 1].sum(),
    "astype": lambda x: (x > 0).astype(np.float32) * x,
    "layer_norm": lambda x: ad.layer_norm(x, 6, W[3], W[4], 1e-3) + ad.layer_norm(x.reshape(x.shape[0], 2, 3),
                                                                                  (2, 3)).reshape(x.shape[0], 6),
    "var_and_std": lambda x: ad.var(x, axis=1, keepdims=True) + ad.std(x, axis=-1, keepdims=True),
    "pad_and_avg_pool_channels_first": lambda x: ad.avg_pool2d(
        ad.pad(x.reshape(x.shape[0], 1, 2, 3), ((0, 0), (0, 0), (1, 1), (2, 0))), 2, 1, data_format="channels_first"
    ).reshape(x.shape[0], -1),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_op_exports_and_onnx_runtime_equals_autodiff(name, tmp_path):
    check_function(OPS[name], [randn(4, 6)], tmp_path, others=[[randn(1, 6)], [randn(7, 6)]])


@pytest.mark.parametrize("opset", [18, 21])
def test_later_opsets_write_reductions_with_axes_as_inputs(opset, tmp_path):
    proto = check_function(OPS["reductions"], [randn(4, 6)], tmp_path, others=[[randn(2, 6)]], opset=opset)
    assert proto.opset_import[0].version == opset


def test_conv2d_in_both_layouts_with_a_traced_kernel(tmp_path):
    kernel = ad.tensor(randn(6, 2, 3, 3), requires_grad=True, name="kernel")     # PyTorch's (out, in/g, kh, kw)
    bias = ad.tensor(randn(6), requires_grad=True, name="bias")

    def channels_first(x):
        return ad.conv2d(x, kernel, bias, strides=(2, 1), padding=1, dilation=(1, 2), groups=2,
                         data_format="channels_first", activation="relu")

    proto = check_function(channels_first, [randn(2, 4, 9, 9)], tmp_path, others=[[randn(3, 4, 9, 9)]])
    assert "Transpose" not in ops_of(proto)         # the transposes around Conv fold away
    assert {"kernel", "bias"} <= {t.name for t in proto.graph.initializer}

    def kernel_from_input(x, k):                    # a kernel that is an input: transposed in the graph
        return ad.conv2d(x, k, padding="same")

    check_function(kernel_from_input, [randn(2, 6, 6, 3), randn(2, 2, 3, 4)], tmp_path, dynamic_batch=False)


def test_several_outputs_and_names(tmp_path):
    def two(x, y):
        return [x * y, ad.softmax(x + y)]

    proto = check_function(two, [randn(3, 4), randn(3, 4)], tmp_path, others=[[randn(5, 4), randn(5, 4)]],
                           input_names=["a", "b"], output_names=["product", "probabilities"])
    assert [o.name for o in proto.graph.output] == ["product", "probabilities"]
    assert all(o.type.tensor_type.shape.dim[0].dim_param == "batch" for o in proto.graph.output)


# ------------------------------------------------------------------ refusals
def test_an_op_without_a_row_is_refused_by_name(tmp_path):
    with pytest.raises(ad.onnx.ExportError, match=r"the op 'cumsum' \(Cumsum\) has no ONNX row.*add, .*conv2d"):
        ad.onnx.export(lambda x: ad.cumsum(x, axis=1), [randn(2, 3)], tmp_path / "f.onnx")
    assert not list(tmp_path.iterdir())


def test_a_constant_of_the_batch_size_is_refused_unless_the_batch_is_fixed(tmp_path):
    noise = randn(2, 3)
    with pytest.raises(ad.onnx.ExportError, match="batch axis fixed at 2"):
        ad.onnx.export(lambda x: x + noise, [randn(2, 3)], tmp_path / "f.onnx")
    check_function(lambda x: x + noise, [randn(2, 3)], tmp_path, dynamic_batch=False)


def test_an_output_computed_outside_the_ops_is_refused(tmp_path):
    def through_numpy(x):
        return ad.tensor(np.tanh(x.numpy()))

    with pytest.raises(ad.onnx.ExportError, match="does not depend on the inputs"):
        ad.onnx.export(through_numpy, [randn(2, 3)], tmp_path / "f.onnx")


def test_model_export_refuses_other_formats_and_unbuilt_models(tmp_path):
    with pytest.raises(ValueError, match="format 'tf_saved_model' is not available"):
        LAYERS["dense"][0]().export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match="input shape is unknown"):
        models.Sequential([layers.Dense(2)]).export(tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="opset must be an integer from 17"):
        ad.onnx.export(lambda x: x * 2.0, [randn(2, 3)], tmp_path / "f.onnx", opset=13)


def test_export_leaves_recording_as_it_was(tmp_path):
    with ad.no_grad():
        ad.onnx.export(lambda x: x * W[0], [randn(2, 6)], tmp_path / "f.onnx")
        assert not ad.is_grad_enabled()
    y = ad.tensor(randn(2, 6)) * W[0]
    assert getattr(y.grad_fn, "traced_inputs", None) is None


# ------------------------------------------------------------------ the example
def test_the_onnx_example_trains_exports_serves_and_times(monkeypatch, capsys):
    sys.path.insert(0, str(ROOT / "examples"))
    import onnx_convnet

    def tiny(path=None):
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (96, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, 96, dtype=np.uint8)
        return (x, y), (x[:40], y[:40])

    monkeypatch.setattr(onnx_convnet.mnist, "load_data", tiny)
    difference, agree, seconds = onnx_convnet.main(["--quick", "--serve-batch", "16"])
    out = capsys.readouterr().out
    assert difference < 1e-5 and agree == 1.0
    assert set(seconds) == {"model.predict", "ONNX Runtime"} and all(s > 0 for s in seconds.values())
    assert "test images: 40" in out and "images/s" in out and "as fast as model.predict" in out


def test_the_onnx_example_answers_help_without_running():
    import subprocess

    result = subprocess.run([sys.executable, str(ROOT / "examples" / "onnx_convnet.py"), "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.startswith("usage:") and "--quick" in result.stdout and "--epochs" in result.stdout


def test_a_subclassed_model_exports_with_an_input_signature(tmp_path):
    class Residual(models.Model):
        def __init__(self):
            self.dense = layers.Dense(4, input_shape=(4,))

        def forward(self, x):
            return ad.tanh(self.dense(x)) + x

    model = Residual()
    with pytest.raises(ValueError, match="input_signature"):
        model.export(tmp_path / "m.onnx")
    path = tmp_path / "m.onnx"
    model.export(path, input_signature=(4,), verbose=False)
    x = randn(3, 4)
    close(serve(path).run(None, {"input": x})[0], model.predict(x, verbose=0))


def test_lstm_cell_exports_as_its_equations(tmp_path):
    examples = [randn(4, 12), randn(2, 4, 3), randn(3, 12)]
    proto = check_function(ad.lstm_cell, examples, tmp_path, others=[[randn(4, 12), randn(2, 4, 3), randn(3, 12)]],
                           dynamic_batch=False)
    assert {"MatMul", "Sigmoid", "Tanh", "Concat"} <= set(ops_of(proto))


def test_an_lstm_model_exports_at_the_batch_it_was_traced_with(tmp_path):
    # The recurrent layers' zero initial state is a constant of the traced batch: such a model exports with
    # dynamic_batch=False (a free batch is for later, as the recurrent layers' whole ONNX story)
    model = nn.Sequential([nn.Input(shape=(5, 4)), layers.LSTM(3, return_sequences=True)])
    model.export(str(tmp_path / "lstm.onnx"), format="onnx", verbose=False, dynamic_batch=False)
    session = serve(tmp_path / "lstm.onnx")
    x = randn(2, 5, 4)
    close(session.run(None, {session.get_inputs()[0].name: x})[0], model.predict(x, verbose=0))
