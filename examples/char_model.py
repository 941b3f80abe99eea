"""A character-level language model that learns to spell new words, in the spirit of makemore.

    python examples/char_model.py                       # LSTM, 2 epochs on Debian's word list
    python examples/char_model.py --model gru --seed 1
    python examples/char_model.py --data names.txt      # any list, one word per line
    python examples/char_model.py --quick               # a slice and a few hundred steps (CI)
    python examples/char_model.py --plots out/          # also the loss curves (needs matplotlib)

Words come from /usr/share/dict/words (Debian's ``wamerican``: ``apt-get install wamerican``),
lowercase ASCII only, split 90/10 by a fixed seed.  Each word is read after an end-of-word token
and ends with one, as makemore does: the model learns where words start and stop.  The losses are
in nats per character (the end token counts as one), beside two baselines worked out here from the
training words: every character's frequency (unigram) and each character's frequency after the one
before it (bigram, add-one smoothed).  The recurrent models are Embedding -> LSTM/GRU (sequences) ->
Dense over the alphabet, trained with Adam; ``--model transformer`` builds the decoder-only model
of examples/char_transformer.py.
"""
import argparse
import os
import sys
import time

import numpy as np

import autodiff as ad
import nn
from nn import layers, optimizers

WORDS = "/usr/share/dict/words"
PACKAGE = "wamerican"
PAD, END = 0, 1                        # ids: padding (no loss), the end-of-word token; letters a-z are 2-27
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
VOCAB = len(ALPHABET) + 2
SETTINGS = {                           # (embedding, units, batch, learning rate, epochs)
    "lstm": dict(embedding=32, units=128, batch=64, learning_rate=0.005, epochs=2),
    "gru": dict(embedding=32, units=128, batch=64, learning_rate=0.005, epochs=2),
    "transformer": dict(batch=64, learning_rate=0.003, epochs=2),
}


# ------------------------------------------------------------------ data
def load_words(path=None):
    """The lowercase ASCII words of a list (one per line), each once, in the file's order."""
    path = path or WORDS
    if not os.path.exists(path):
        hint = (f"install Debian's {PACKAGE} package (sudo apt-get install {PACKAGE}) for {WORDS}, "
                if path == WORDS else "")
        raise SystemExit(f"char_model: no word list at {path}: {hint}or pass --data FILE (one word per line)")
    words, seen = [], set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            word = line.strip()
            if word and word.isascii() and word.isalpha() and word.islower() and word not in seen:
                seen.add(word)
                words.append(word)
    if len(words) < 20:
        raise SystemExit(f"char_model: {path} holds {len(words)} lowercase ASCII words; at least 20 are needed")
    return words


def split(words, seed=0):
    """A fixed 90/10 split (the seed of the data, not of the model)."""
    order = np.random.default_rng(seed).permutation(len(words))
    cut = int(len(words) * 0.9)
    return [words[i] for i in order[:cut]], [words[i] for i in order[cut:]]


def encode(words):
    """(inputs, targets): [END, c1, ..., cn] -> [c1, ..., cn, END], padded with PAD to the longest word."""
    length = max(len(w) for w in words) + 1
    inputs = np.full((len(words), length), PAD, np.int32)
    targets = np.full((len(words), length), PAD, np.int32)
    for row, word in enumerate(words):
        ids = [ALPHABET.index(ch) + 2 for ch in word]
        inputs[row, :len(ids) + 1] = [END] + ids
        targets[row, :len(ids) + 1] = ids + [END]
    return inputs, targets


def baselines(train_targets, train_inputs, val_targets, val_inputs):
    """Validation nats per character of the unigram and (add-one) bigram models of the training words."""
    real = train_targets != PAD
    counts = np.bincount(train_targets[real], minlength=VOCAB)[1:].astype(np.float64)
    p = counts / counts.sum()
    val_real = val_targets != PAD
    unigram = -np.log(p[val_targets[val_real] - 1]).mean()
    pairs = np.ones((VOCAB, VOCAB))
    np.add.at(pairs, (train_inputs[real], train_targets[real]), 1)
    pairs[:, PAD] = 0
    pairs /= pairs.sum(axis=1, keepdims=True)
    bigram = -np.log(pairs[val_inputs[val_real], val_targets[val_real]]).mean()
    return float(unigram), float(bigram)


# ------------------------------------------------------------------ models
def build_recurrent(kind, embedding=32, units=128, **_):
    """Embedding -> LSTM or GRU over the whole word -> logits over the alphabet at every step."""
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[kind]
    return nn.Sequential([nn.Input(shape=(None,), dtype="int32"), layers.Embedding(VOCAB, embedding),
                          recurrent(units, return_sequences=True), layers.Dense(VOCAB)])


def transformer_builder():
    """examples/char_transformer.py's ``build_transformer(vocab, max_length)``, or a clear exit."""
    try:
        from char_transformer import build_transformer
    except ImportError as exc:
        raise SystemExit(f"char_model: --model transformer is not available ({exc}); use lstm or gru") from None
    return build_transformer


def build(kind, max_length, settings):
    if kind == "transformer":
        return transformer_builder()(VOCAB, max_length)
    return build_recurrent(kind, **settings)


def one_hot(targets):
    """(batch, time) ids -> (batch, time, VOCAB) one-hot rows; padding rows are all zero (they cost nothing)."""
    out = np.zeros(targets.shape + (VOCAB,), np.float32)
    np.put_along_axis(out, targets[..., None], 1, axis=-1)
    out[..., PAD] = 0
    return out


def batch_loss(model, inputs, targets):
    """Summed cross-entropy (nats) over the real characters of a batch, and how many there are."""
    width = int((targets != PAD).sum(axis=1).max())         # the batch's longest word
    inputs, targets = inputs[:, :width], targets[:, :width]
    logits = model(inputs)
    return ad.softmax_cross_entropy(logits, one_hot(targets), reduction="sum"), int((targets != PAD).sum())


def evaluate(model, inputs, targets, batch=256):
    total, count = 0.0, 0
    with ad.no_grad():
        for start in range(0, len(inputs), batch):
            loss, n = batch_loss(model, inputs[start:start + batch], targets[start:start + batch])
            total, count = total + float(loss.item()), count + n
    return total / count


def train_step(model, optimizer, inputs, targets):
    loss, count = batch_loss(model, inputs, targets)
    loss = loss * np.float32(1.0 / count)                   # the mean over the characters
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.item())


def sample(model, rng, count=10, longest=30):
    """New words, one character at a time from the model's distribution, until the end token."""
    words = []
    with ad.no_grad():
        for _ in range(count):
            ids = [END]
            while len(ids) <= longest:
                logits = model(np.array([ids], np.int32)).numpy()[0, -1].astype(np.float64)
                logits[PAD] = -np.inf
                p = np.exp(logits - logits.max())
                choice = int(rng.choice(VOCAB, p=p / p.sum()))
                if choice == END:
                    break
                ids.append(choice)
            words.append("".join(ALPHABET[i - 2] for i in ids[1:]))
    return words


# ------------------------------------------------------------------ the run
def run(kind="lstm", data=None, epochs=None, seed=0, quick=False, plots=None, steps=None, log=print):
    """Train and report; returns a dict of the losses (nats/char), the baselines and the samples."""
    settings = dict(SETTINGS[kind])
    if kind == "transformer":
        transformer_builder()                   # before the data: say at once when it is missing
    words = load_words(data)
    train_words, val_words = split(words)
    if quick:
        train_words, val_words = train_words[:4000], val_words[:500]
    train_inputs, train_targets = encode(train_words)
    val_inputs, val_targets = encode(val_words)
    unigram, bigram = baselines(train_targets, train_inputs, val_targets, val_inputs)
    log(f"{len(words):,} words ({len(train_words):,} to train, {len(val_words):,} to validate); baselines on "
        f"validation: unigram {unigram:.3f}, bigram {bigram:.3f} nats/char")
    nn.set_seed(seed)
    model = build(kind, max(train_inputs.shape[1], val_inputs.shape[1]), settings)   # the longest word either holds
    optimizer = (optimizers.AdamW if kind == "transformer" else optimizers.Adam)(learning_rate=settings["learning_rate"])
    optimizer.attach(model.parameters())
    rng = np.random.default_rng(seed)
    epochs = epochs or settings["epochs"]
    per_epoch = -(-len(train_inputs) // settings["batch"])
    total_steps = steps or (300 if quick else epochs * per_epoch)
    curve = {"step": [], "train": [], "validation": []}
    step, recent, started = 0, [], time.perf_counter()
    while step < total_steps:
        order = rng.permutation(len(train_inputs))
        for start in range(0, len(order), settings["batch"]):
            rows = order[start:start + settings["batch"]]
            recent.append(train_step(model, optimizer, train_inputs[rows], train_targets[rows]))
            step += 1
            if step % (50 if quick else 250) == 0 or step == total_steps:
                validation = evaluate(model, val_inputs, val_targets)
                curve["step"].append(step)
                curve["train"].append(float(np.mean(recent)))
                curve["validation"].append(validation)
                log(f"step {step:5d}/{total_steps} ({step / per_epoch:.2f} epochs): train {np.mean(recent):.3f}, "
                    f"validation {validation:.3f} nats/char ({time.perf_counter() - started:.0f}s)")
                recent = []
            if step == total_steps:
                break
    train_loss = evaluate(model, train_inputs[:5000], train_targets[:5000])
    validation = curve["validation"][-1]
    samples = sample(model, np.random.default_rng(seed + 1))
    log(f"{kind}: train {train_loss:.3f}, validation {validation:.3f} nats/char "
        f"(unigram {unigram:.3f}, bigram {bigram:.3f}) after {step} steps")
    log("new words: " + ", ".join(samples))
    if plots:
        os.makedirs(plots, exist_ok=True)
        path = plot_curves(curve, unigram, bigram, kind, os.path.join(plots, f"char_{kind}_loss.png"))
        log(f"wrote {path}")
    return {"train": train_loss, "validation": validation, "unigram": unigram, "bigram": bigram,
            "samples": samples, "curve": curve, "steps": step}


def plot_curves(curve, unigram, bigram, kind, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    ax.plot(curve["step"], curve["train"], label="train")
    ax.plot(curve["step"], curve["validation"], label="validation")
    ax.axhline(unigram, color="gray", linestyle=":", label=f"unigram {unigram:.2f}")
    ax.axhline(bigram, color="gray", linestyle="--", label=f"bigram {bigram:.2f}")
    ax.set_xlabel("step")
    ax.set_ylabel("nats per character")
    ax.set_title(f"character-level {kind}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["lstm", "gru", "transformer"], default="lstm")
    parser.add_argument("--data", metavar="FILE", help=f"a word list, one word per line (default {WORDS})")
    parser.add_argument("--epochs", type=int, help="passes over the training words (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="the model's seed (the split's is fixed)")
    parser.add_argument("--quick", action="store_true", help="a slice of the words and 300 steps (CI)")
    parser.add_argument("--plots", metavar="DIR", help="write the loss curves into DIR (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError as exc:
            parser.exit(2, f"--plots needs matplotlib ({exc}): pip install -e '.[plot]'\n")
    run(args.model, args.data, args.epochs, args.seed, args.quick, args.plots)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
