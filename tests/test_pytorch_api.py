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
