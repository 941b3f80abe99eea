"""What a PyTorch user writes: state_dict, print(model), a DataLoader, the loop of their own."""
import numpy as np
import pytest

import autodiff as ad
import nn
from nn import layers, losses, models, optimizers
from nn.data import DataLoader, TensorDataset


def mlp():
    return models.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dense(3)])


def test_state_dict_round_trip_strict_and_not():
    nn.set_seed(0)
    a, b = mlp(), mlp()
    state = a.state_dict()
    assert list(state) == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"]
    state["layers.0.kernel"][...] = 7                      # copies: the model keeps its values
    assert not (a.layers[0].kernel.data == 7).any()
    b.load_state_dict(a.state_dict())
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    partial = {"layers.0.kernel": np.ones((8, 16)), "extra.weight": np.ones(2)}
    with pytest.raises(ValueError, match=r"missing \['layers.0.bias'.*unexpected \['extra.weight'\].*strict=False"):
        b.load_state_dict(partial)
    missing, unexpected = b.load_state_dict(partial, strict=False)
    assert unexpected == ["extra.weight"] and "layers.1.kernel" in missing
    np.testing.assert_array_equal(b.layers[0].kernel.data, 1)
    before = b.layers[1].kernel.data.copy()
    bad = dict(a.state_dict(), **{"layers.1.bias": np.ones(4)})
    with pytest.raises(ValueError, match=r"'layers.1.bias' has shape \(3,\) in the model but \(4,\)"):
        b.load_state_dict(bad)
    np.testing.assert_array_equal(b.layers[1].kernel.data, before)          # all or nothing
    b.load_state_dict({name: ad.tensor(value) for name, value in a.state_dict().items()})   # tensors too


def test_print_model_shows_a_tree_with_shapes_and_parameter_counts():
    model = mlp()
    text = repr(model)
    assert text.splitlines()[0] == "Sequential("
    assert "(0): Dense(" in text and "(8,) -> (16,), 144 parameters" in text
    assert "(1): Dense(" in text and "(16,) -> (3,), 51 parameters" in text
    assert text.endswith(")  # 195 parameters")
    assert repr(layers.Dense(4)).startswith("Dense('dense")          # unbuilt: no shapes yet


def test_data_loader_batches_shuffles_reproducibly_and_drops_the_last():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    loader = DataLoader((x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    assert len(DataLoader((x, y), batch_size=4, drop_last=True)) == 2
    assert [len(b[0]) for b in DataLoader((x, y), batch_size=4, drop_last=True)] == [4, 4]
    shuffled = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, seed=3)
    first, second = [np.concatenate([b[1] for b in shuffled]) for _ in range(2)]
    assert sorted(first) == list(range(10)) and not np.array_equal(first, second)     # a new order per epoch
    again = DataLoader((x, y), batch_size=5, shuffle=True, seed=3)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in again]), first)      # seeded: reproducible
    for xb, yb in shuffled:
        np.testing.assert_array_equal(xb[:, 0], yb)                                  # rows stay paired
    (only,) = [b for b in DataLoader(x, batch_size=10)]
    assert only.shape == (10, 1)
    with pytest.raises(ValueError, match="different lengths"):
        DataLoader((x, y[:5]))


def test_a_pytorch_style_loop_with_loader_and_scheduler_learns():
    nn.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 8)).astype(np.float32)
    y = (x @ rng.standard_normal((8, 3))).argmax(1)
    model = mlp()
    opt = optimizers.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.999))
    scheduler = nn.schedules.StepLR(opt, step_size=10, gamma=0.5)
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    for epoch in range(20):
        for xb, yb in DataLoader((x, y), batch_size=64, shuffle=True, seed=epoch):
            loss = loss_fn(yb, model(xb))
            opt.zero_grad()
            loss.backward()
            opt.step()
        scheduler.step()
    assert opt.learning_rate == pytest.approx(0.0025)
    model.eval()
    accuracy = (model(x).numpy().argmax(1) == y).mean()
    assert accuracy > 0.95


def test_step_lr_refuses_a_step_size_that_is_not_a_positive_int_and_leaves_the_optimizer_alone():
    opt = optimizers.SGD(mlp().parameters(), lr=0.1)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match=f"StepLR: step_size must be a positive int .*got {bad!r}"):
            nn.schedules.StepLR(opt, step_size=bad)
    assert opt.learning_rate == pytest.approx(0.1)


# ---- issue 20: PyTorch's tensor names where NumPy has none (aliases of existing ops)
def test_pow_unsqueeze_view_and_numel_are_the_ops_numpy_names():
    x = ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.pow(2).tolist() == (x ** 2).tolist() and ad.pow(x, 0.5).grad_fn.name == "pow"
    assert ad.pow(x, x).tolist() == (x ** x).tolist()
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.unsqueeze(-1).shape == (2, 3, 1) and x.unsqueeze(2).shape == (2, 3, 1)
    assert x.unsqueeze(-3).shape == (1, 2, 3)
    for dim in (3, -4):
        with pytest.raises(IndexError, match=rf"expected to be in range of \[-3, 2\], but got {dim}"):
            x.unsqueeze(dim)
    assert x.view(3, 2).shape == (3, 2) and x.view((6,)).shape == (6,) and x.view(-1, 1).shape == (6, 1)
    with pytest.raises(TypeError, match=r"view: takes a shape.*use astype"):
        x.view(np.int32)
    assert x.numel() == 6 and isinstance(x.numel(), int) and ad.tensor(2.0).numel() == 1
    (x.pow(3).sum() + x.unsqueeze(1).view(6).sum()).backward()
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2 + 1)


def test_grad_zero_writes_in_place_under_no_grad_and_counts_a_version():
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w * w).sum().backward()
    grad = w.grad
    assert grad.zero_() is grad and w.grad is grad and grad.tolist() == [0.0, 0.0, 0.0] and grad.version == 1
    (w * w).sum().backward()                                   # accumulates into the zeroed buffer
    assert w.grad.tolist() == [2.0, 4.0, 6.0]
    w.sum().backward()                                         # a broadcast gradient (read-only memory)
    b = ad.tensor(np.ones((2, 2)), requires_grad=True)
    b.sum().backward()
    assert b.grad.zero_().tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(RuntimeError, match=r"zero_ on a tensor of shape \(3,\) that requires grad.*no_grad"):
        w.zero_()
    with ad.no_grad():
        w.zero_()                                              # as an optimizer's reset in PyTorch
    assert w.tolist() == [0.0, 0.0, 0.0] and w.version == 1
    a, b = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0], requires_grad=True)
    upstream = ad.tensor([1.0, 1.0])
    (a + b).backward(upstream, create_graph=True)        # one gradient for both: each leaf gets its own copy
    assert a.grad is not b.grad and a.grad is not upstream
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0] and upstream.tolist() == [1.0, 1.0]
    kept = ad.tensor([1.0, 2.0], requires_grad=True)
    y = kept * kept
    with ad.no_grad():
        kept.zero_()
    with pytest.raises(RuntimeError, match="mul"):             # the graph saw its input change
        y.sum().backward()


def test_linspace_and_arange_make_tensors_as_pytorch():
    assert ad.arange(5).dtype == np.int64 and ad.arange(5).tolist() == [0, 1, 2, 3, 4]
    values = ad.arange(0.0, 1.0, 0.1)
    assert values.dtype == np.float32 and values.shape == (10,)
    np.testing.assert_array_equal(values.data, np.arange(0.0, 1.0, 0.1).astype(np.float32))
    assert ad.arange(1, 2, 0.25, dtype=np.float64).dtype == np.float64
    leaf = ad.arange(3.0, requires_grad=True)
    assert leaf.is_leaf and leaf.requires_grad and leaf.dtype == np.float32
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        ad.arange(3, requires_grad=True)
    steps = ad.linspace(-1.0, 1.0, 5)
    assert steps.dtype == np.float32 and steps.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    start = ad.tensor(0.0, requires_grad=True)
    (ad.linspace(start, 1.0, 5) ** 2).sum().backward()        # differentiable in start (and stop)
    # d/dstart of sum(y_i ** 2), y_i = start + (1 - start) * i / 4, at start = 0
    np.testing.assert_allclose(start.grad.item(), sum(2 * (i / 4) * (1 - i / 4) for i in range(5)), rtol=1e-6)
# ---- end of issue 20's tests


@pytest.mark.parametrize("dataset, error, hint", [
    ((i for i in range(3)), TypeError, r"got generator \(a generator or iterator: collect it first"),
    ({"x": np.zeros(3)}, TypeError, r"got dict \(pass its arrays"),
    (np.array(3.0), ValueError, r"got a 0-d array"),
    (np.float32(3), ValueError, r"got a 0-d array"),
    (5, TypeError, r"got int"),
])
def test_data_loader_says_what_it_accepts(dataset, error, hint):
    with pytest.raises(error, match=r"DataLoader: takes an array of samples .*a pair \(x, y\) of them, or a "
                                    r"TensorDataset; " + hint):
        DataLoader(dataset, batch_size=2)
    with pytest.raises(TypeError, match=r"TensorDataset: takes .*got dict"):
        TensorDataset(np.zeros(3), {"y": 1})
