"""examples/char_transformer.py: the decoder-only transformer's shapes, causality, parameter count,
and that AdamW trains it below the unigram loss on a task only attention can solve."""
import sys
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import char_transformer  # noqa: E402


def test_logits_per_position_and_keras_parameter_count():
    vocab, block, d = 7, 5, 16
    model = char_transformer.build_transformer(vocab, block, d_model=d, num_heads=2, num_layers=2)
    ids = np.random.default_rng(0).integers(0, vocab, (3, block)).astype(np.int32)
    out = model(ids)
    assert out.shape == (3, block, vocab) and out.dtype == np.float32
    mha = 4 * (d * d + d)
    block_params = 2 * 2 * d + mha + (d * 4 * d + 4 * d) + (4 * d * d + d)
    assert model.count_params() == vocab * d + block * d + 2 * block_params + 2 * d + d * vocab + vocab


def test_sequences_shorter_than_the_block_and_longer_refused():
    model = char_transformer.build_transformer(7, 6, d_model=8, num_heads=2)
    ids = np.random.default_rng(2).integers(0, 7, (2, 6)).astype(np.int32)
    full = model(ids).numpy()
    np.testing.assert_allclose(model(ids[:, :4]).numpy(), full[:, :4], rtol=1e-5, atol=1e-6)   # a prefix: causal
    with pytest.raises(ValueError, match="7 steps is longer than its sequence_length of 6"):
        model(np.zeros((1, 7), np.int32))


def test_the_whole_model_saves_to_keras_and_loads_with_the_same_predictions(tmp_path):
    """Every layer is nn's (PositionEmbedding, the MLP's "gelu_approximate"), so model.save writes it all."""
    model = char_transformer.build_transformer(9, 6, d_model=8, num_heads=2)
    ids = np.random.default_rng(3).integers(0, 9, (4, 6)).astype(np.int32)
    model.save(str(tmp_path / "gpt.keras"))
    loaded = nn.load_model(str(tmp_path / "gpt.keras"))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.count_params() == model.count_params()
    np.testing.assert_array_equal(loaded(ids).numpy(), model(ids).numpy())
    np.testing.assert_array_equal(loaded(ids[:, :3]).numpy(), model(ids[:, :3]).numpy())
    with pytest.raises(ValueError, match="7 steps is longer than its sequence_length of 6"):
        loaded(np.zeros((1, 7), np.int32))
    # ONNX export traces one shape: a model of variable-length inputs is told to give one
    with pytest.raises(ValueError, match=r"export: an input of shape \(None, None\) has a free axis besides the "
                                         r"batch .* pass input_signature=.* e\.g\. \(16,\)"):
        model.export(str(tmp_path / "gpt.onnx"), format="onnx")


def test_each_position_sees_only_the_characters_before_it():
    model = char_transformer.build_transformer(9, 6, d_model=8, num_heads=2)
    ids = np.random.default_rng(1).integers(0, 9, (2, 6)).astype(np.int32)
    out = model(ids).numpy()
    changed = ids.copy()
    changed[:, 4:] = (changed[:, 4:] + 1) % 9
    np.testing.assert_allclose(model(changed).numpy()[:, :4], out[:, :4], rtol=1e-5, atol=1e-5)
    assert not np.allclose(model(changed).numpy()[:, 4:], out[:, 4:])


def test_trains_below_the_unigram_loss_on_a_task_that_needs_attention():
    """Predict the character two steps back: uniform random characters, so no rule without attention
    beats log(vocab); attending to step t - 2 reaches near 0 on all but the first two positions."""
    ad.seed(0)
    vocab, block = 8, 8
    model = char_transformer.build_transformer(vocab, block, d_model=32, num_heads=4, num_layers=2)
    losses = char_transformer.train(model, char_transformer.copy_back_task(vocab, block, 32), 250)
    unigram = np.log(vocab)
    floor = 2 / block * unigram                # the first two positions cannot know their target
    assert np.isfinite(losses).all()
    assert np.mean(losses[-20:]) < unigram - 0.5 and np.mean(losses[-20:]) < floor + 0.5, losses[-20:]
    # and the first layer's attention looks two steps back, where the answer is
    maps = char_transformer.attention_maps(model, char_transformer.copy_back_task(vocab, block, 4, seed=1)(0)[0])
    assert len(maps) == 2 and maps[0].shape == (4, 4, block, block)
    np.testing.assert_allclose(maps[0].sum(-1), 1, rtol=1e-5)
    np.testing.assert_array_equal(np.triu(maps[0], 1), 0)                       # causal
    looks_back = maps[0].max(axis=1)[:, np.arange(2, block), np.arange(0, block - 2)]   # best head, t -> t - 2
    assert looks_back.mean() > 0.5


def test_the_step_benchmark_runs_quick(capsys):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import transformer_step

    result = transformer_step.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    seconds, losses = result["Rosenblatt"]
    assert seconds > 0 and len(losses) == 4 and np.isfinite(losses).all()
    assert f"| Rosenblatt | {seconds:.4f} | 1.00 |" in out
