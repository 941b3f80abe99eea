"""examples/char_transformer.py: the decoder-only transformer's shapes, causality, parameter count,
and that AdamW trains it below the unigram loss on a task only attention can solve."""
import sys
from pathlib import Path

import numpy as np

import autodiff as ad

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


def test_each_position_sees_only_the_characters_before_it():
    model = char_transformer.build_transformer(9, 6, d_model=8, num_heads=2)
    ids = np.random.default_rng(1).integers(0, 9, (2, 6)).astype(np.int32)
    out = model(ids).numpy()
    changed = ids.copy()
    changed[:, 4:] = (changed[:, 4:] + 1) % 9
    np.testing.assert_allclose(model(changed).numpy()[:, :4], out[:, :4], rtol=1e-5, atol=1e-5)
    assert not np.allclose(model(changed).numpy()[:, 4:], out[:, 4:])


def test_trains_below_the_unigram_loss_on_a_task_that_needs_attention():
    """Predict the character two steps back: uniform random characters, so no position-free rule
    beats log(vocab); attention to the right earlier position reaches near 0 on most positions."""
    ad.seed(0)
    vocab, block = 8, 8
    rng = np.random.default_rng(0)

    def batches(step):
        seq = rng.integers(0, vocab, (32, block)).astype(np.int32)
        target = np.roll(seq, 2, axis=1)
        return seq, target

    model = char_transformer.build_transformer(vocab, block, d_model=32, num_heads=4, num_layers=2)
    losses = char_transformer.train(model, batches, 250, learning_rate=3e-3)
    unigram = np.log(vocab)
    floor = 2 / block * unigram                # the first two positions cannot know their target
    assert np.isfinite(losses).all()
    assert np.mean(losses[-20:]) < unigram - 0.5 and np.mean(losses[-20:]) < floor + 0.5, losses[-20:]
