"""A small decoder-only transformer for next-character prediction (a 2-layer GPT, as makemore's).

    model = build_transformer(vocab_size=27, block_size=16)
    logits = model(ids)                        # ids (batch, block_size) int -> (batch, block_size, vocab_size)

Token and position embeddings (``layers.Embedding`` plus ``layers.PositionEmbedding``), then
``num_layers`` pre-norm blocks (LayerNormalization, causal MultiHeadAttention, a residual;
LayerNormalization, a GELU MLP four times wider, a residual), a final LayerNormalization and a
Dense layer giving each position's next-character logits.  Every layer is nn's, so ``model.save``
writes the whole model to a .keras file.  Train it
with AdamW and sparse categorical cross-entropy from logits (examples/char_model.py --model
transformer does); ``python examples/char_transformer.py`` trains it on a toy task only attention solves
(``--plot FILE`` draws where it attends).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad  # noqa: E402
import nn  # noqa: E402
from nn import layers  # noqa: E402


def build_transformer(vocab_size, block_size, d_model=64, num_heads=4, num_layers=2, dropout=0.0,
                      approximate_gelu=True):
    """The functional model ids (batch, steps) -> logits (batch, steps, vocab_size), steps <= block_size.

    ``approximate_gelu``: the MLP's GELU by its tanh formula ("gelu_approximate", GPT-2's, and fast:
    the exact GELU's erf runs element by element in Python here); False for Keras's default exact "gelu"."""
    if d_model % num_heads:
        raise ValueError(f"build_transformer: d_model={d_model} must divide into num_heads={num_heads}")
    ids = nn.Input(shape=(None,), dtype="int32")          # any length up to block_size
    tokens = layers.Embedding(vocab_size, d_model)(ids)
    x = layers.Add()([tokens, layers.PositionEmbedding(block_size)(tokens)])
    for _ in range(num_layers):
        h = layers.LayerNormalization(epsilon=1e-5)(x)
        h = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout)(h, h, use_causal_mask=True)
        x = layers.Add()([x, h])
        h = layers.LayerNormalization(epsilon=1e-5)(x)
        h = layers.Dense(4 * d_model, activation="gelu_approximate" if approximate_gelu else "gelu")(h)
        h = layers.Dense(d_model)(h)
        if dropout:
            h = layers.Dropout(dropout)(h)
        x = layers.Add()([x, h])
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    return nn.Model(ids, layers.Dense(vocab_size)(x), name="char_transformer")


def torch_transformer(model):
    """The same network in PyTorch (needs torch), its weights copied from ``model`` (build_transformer's):
    a module from int64 ids (batch, steps) to logits (batch, steps, vocab_size)."""
    import torch
    from torch import nn as tnn

    def linear(kernel, bias):                  # Keras's (in, out) kernel -> PyTorch's (out, in) weight
        made = tnn.Linear(kernel.shape[0], kernel.shape[1], bias=bias is not None)
        with torch.no_grad():
            made.weight.copy_(torch.from_numpy(kernel.T.copy()))
            if bias is not None:
                made.bias.copy_(torch.from_numpy(bias))
        return made

    def layer_norm(layer):
        made = tnn.LayerNorm(layer.gamma.shape[0], eps=layer.epsilon)
        with torch.no_grad():
            made.weight.copy_(torch.from_numpy(layer.gamma.numpy()))
            made.bias.copy_(torch.from_numpy(layer.beta.numpy()))
        return made

    def flat(w):
        return None if w is None else w.numpy().reshape(w.shape[0], -1) if w.ndim == 3 else w.numpy().reshape(-1)

    class Attention(tnn.Module):
        def __init__(self, mha):
            super().__init__()
            self.heads = mha.num_heads
            self.q = linear(flat(mha.query_kernel), flat(mha.query_bias))
            self.k = linear(flat(mha.key_kernel), flat(mha.key_bias))
            self.v = linear(flat(mha.value_kernel), flat(mha.value_bias))
            heads, dim, out = mha.output_kernel.shape
            self.o = linear(mha.output_kernel.numpy().reshape(heads * dim, out), mha.output_bias.numpy())

        def forward(self, x):
            b, t, _ = x.shape

            def split(h):
                return h.view(b, t, self.heads, -1).transpose(1, 2)
            out = torch.nn.functional.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)),
                                                                    split(self.v(x)), is_causal=True)
            return self.o(out.transpose(1, 2).reshape(b, t, -1))

    seq = [layer for layer in model.layers if not isinstance(layer, layers.Dropout)]   # no dropout in the copy
    embedding, position, rest = seq[0], seq[1], seq[3:]                                # seq[2]: their Add
    blocks, gelu = [], "none"
    while len(rest) > 2:                       # LN, attention, Add, LN, Dense, Dense, Add
        ln1, mha, _, ln2, up, down, _ = rest[:7]
        rest = rest[7:]
        gelu = "tanh" if up.activation is nn.activations.gelu_approximate else "none"
        blocks.append(tnn.ModuleDict({"ln1": layer_norm(ln1), "attn": Attention(mha), "ln2": layer_norm(ln2),
                                      "up": linear(up.kernel.numpy(), up.bias.numpy()),
                                      "down": linear(down.kernel.numpy(), down.bias.numpy())}))
    final_ln, head = rest

    class GPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.tok = tnn.Embedding.from_pretrained(torch.from_numpy(embedding.embeddings.numpy().copy()),
                                                     freeze=False)
            self.pos = tnn.Parameter(torch.from_numpy(position.position_embeddings.numpy().copy()))
            self.blocks = tnn.ModuleList(blocks)
            self.ln = layer_norm(final_ln)
            self.head = linear(head.kernel.numpy(), head.bias.numpy())

        def forward(self, ids):
            x = self.tok(ids) + self.pos[:ids.shape[1]]
            for block in self.blocks:
                x = x + block["attn"](block["ln1"](x))
                x = x + block["down"](torch.nn.functional.gelu(block["up"](block["ln2"](x)), approximate=gelu))
            return self.head(self.ln(x))

    return GPT()


def train(model, batches, steps, learning_rate=3e-3):
    """AdamW on sparse categorical cross-entropy from logits; the loss (nats per character) of each step."""
    optimizer = nn.optimizers.AdamW(model.parameters(), learning_rate=learning_rate, weight_decay=0.01)
    loss_fn = nn.losses.SparseCategoricalCrossentropy(from_logits=True)
    losses = []
    for step in range(steps):
        x, y = batches(step)
        loss = loss_fn(y, model(x, training=True))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses


def attention_maps(model, ids):
    """Each MultiHeadAttention layer's weights (batch, heads, steps, steps) for ``ids``, in order: the
    model's graph run node by node, the attention layers asked for their scores as well."""
    values = {id(model.inputs[0]): ad.as_tensor(ids)}
    maps = []
    with ad.no_grad():
        for symbol in model.nodes:
            args = [values[id(parent)] for parent in symbol.inputs]
            if isinstance(symbol.layer, layers.MultiHeadAttention):
                out, weights = symbol.layer(*args, return_attention_scores=True, **symbol.options)
                maps.append(weights.numpy())
            else:
                out = symbol.layer(args if symbol.layer.takes_several else args[0])
            values[id(symbol)] = out
    return maps


def copy_back_task(vocab_size, block_size, batch_size, lag=2, seed=0):
    """Uniform random characters; the target at step t is the character ``lag`` steps back (the first
    ``lag`` targets come from the end and cannot be known).  Only attention to step t - lag solves it."""
    rng = np.random.default_rng(seed)

    def batches(step):
        seq = rng.integers(0, vocab_size, (batch_size, block_size)).astype(np.int32)
        return seq, np.roll(seq, lag, axis=1)
    return batches


def plot_attention(maps, path):
    """One panel per layer and head: where each query step (row) looks (column)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heads = maps[0].shape[1]
    fig, axes = plt.subplots(len(maps), heads, figsize=(2.2 * heads, 2.3 * len(maps)), squeeze=False)
    for i, weights in enumerate(maps):
        for h in range(heads):
            ax = axes[i][h]
            ax.imshow(weights[0, h], cmap="Blues", vmin=0, vmax=1)
            ax.set_title(f"layer {i + 1}, head {h + 1}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[-1][0].set_xlabel("key step")
    axes[-1][0].set_ylabel("query step")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FILE", help="draw the trained model's attention weights (needs matplotlib)")
    args = parser.parse_args(argv)
    ad.seed(args.seed)
    vocab, block = 8, 8
    model = build_transformer(vocab, block, d_model=32, num_heads=4)
    losses = train(model, copy_back_task(vocab, block, 32, seed=args.seed), args.steps)
    print(f"copy the character 2 steps back: {model.count_params():,} parameters; loss {losses[0]:.3f} -> "
          f"{np.mean(losses[-20:]):.3f} nats/char (unigram {np.log(vocab):.3f}, best possible "
          f"{2 / block * np.log(vocab):.3f})")
    if args.plot:
        ids = copy_back_task(vocab, block, 1, seed=args.seed + 1)(0)[0]
        print("wrote", plot_attention(attention_maps(model, ids), args.plot))
    return losses


if __name__ == "__main__":
    main()
