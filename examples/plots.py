"""PNG pictures for the MNIST example: digits, training curves, mistakes (needs matplotlib)."""
import matplotlib

matplotlib.use("Agg")                      # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_digits(images, path, per_row=10):
    """The first images in a grid, as the tutorial's plot_digits draws them (1000x1000 pixels)."""
    rows = -(-len(images) // per_row)
    grid = np.zeros((rows * 28, per_row * 28), dtype=images.dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, per_row)
        grid[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = image
    fig = plt.figure(figsize=(10, 10 * rows / per_row), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(grid, cmap="binary", interpolation="nearest")
    ax.axis("off")
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_history(history, path):
    """Loss and accuracy per epoch (1000x400 pixels)."""
    values = history.history
    epochs = np.arange(1, len(values["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for ax, key in ((left, "loss"), (right, "accuracy")):
        ax.plot(epochs, values[key], "o-", label=f"training {key}")
        if "val_" + key in values:
            ax.plot(epochs, values["val_" + key], "s--", label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.set_xlim(0.5, len(epochs) + 0.5)        # one epoch is one marked point, not an axis from 0.96 to 1.04
        ax.set_xticks(epochs if len(epochs) <= 20 else np.linspace(1, len(epochs), 10).round())
        ax.set_ylim(*value_range([*values[key], *values.get("val_" + key, [])]))
        ax.set_title(key)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def value_range(points):
    """An axis range around the points: 10% of their spread either side, or of their size when they are equal."""
    low, high = float(min(points)), float(max(points))
    pad = 0.1 * (high - low) or 0.1 * abs(high) or 0.1
    return low - pad, high + pad


def plot_misclassified(images, labels, predicted, path, count=40, per_row=10):
    """A gallery of test digits the network got wrong, each titled 'true -> predicted' (1000x500 pixels)."""
    wrong = np.flatnonzero(predicted != labels)[:count]
    rows = max(-(-len(wrong) // per_row), 1)
    fig, axes = plt.subplots(rows, per_row, figsize=(10, 1.25 * rows), dpi=100, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(images[i], cmap="binary", interpolation="nearest")
        ax.set_title(f"{labels[i]} -> {predicted[i]}", fontsize=9, color="#c0392b")
    fig.suptitle(f"{len(np.flatnonzero(predicted != labels))} of {len(labels)} test digits misclassified "
                 f"(true -> predicted)", fontsize=10)
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    raise SystemExit("plots.py draws the MNIST example's pictures; it is not run by itself:\n"
                     "    python examples/mnist_mlp.py --plots DIR      (or scripts/mnist --plots DIR)")
