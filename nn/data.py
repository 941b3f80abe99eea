"""Batches for a loop of your own, as PyTorch's ``DataLoader`` gives them (host arrays by nature).

    loader = DataLoader((x, y), batch_size=128, shuffle=True, seed=0)
    for epoch in range(5):
        for xb, yb in loader:          # a new order every epoch when shuffling
            ...
"""
import numpy as np

import autodiff as ad
from autodiff.extend import backend

__all__ = ["DataLoader", "TensorDataset"]


class TensorDataset:
    """Arrays of the same length seen as one data set of tuples (PyTorch's TensorDataset).

    ``len(dataset)`` is the number of samples; ``dataset[i]`` (an index, slice or index array) is the
    tuple of each array's rows.

    Args:
        *arrays: NumPy arrays, Tensors (their values are taken) or nested lists of numbers, each with
            the samples on its first axis, all of one length.

    Raises:
        ValueError: no array, a 0-d array, or arrays of different lengths.
        TypeError: something that is not an array of numbers (a dict, a string, a generator, ragged lists).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        self.arrays = [_samples(a, "TensorDataset") for a in arrays]
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: the arrays have different lengths {[len(a) for a in self.arrays]}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)


ACCEPTS = ("an array of samples (NumPy array or Tensor with a batch axis), a pair (x, y) of them, "
           "or a TensorDataset")


def _samples(a, who):
    """One array of samples: at least one axis (the batch), numbers; anything else is said plainly."""
    if isinstance(a, (dict, set, str, bytes)) or (not isinstance(a, (ad.Tensor, list, tuple))
                                                  and not hasattr(a, "__array__") and not hasattr(a, "__len__")):
        raise TypeError(f"{who}: takes {ACCEPTS}; got {type(a).__name__}"
                        + (" (a generator or iterator: collect it first, e.g. np.array(list(it)))"
                           if hasattr(a, "__next__") else "")
                        + (" (pass its arrays: DataLoader((d['x'], d['y'])))" if isinstance(a, dict) else ""))
    array = a.numpy() if isinstance(a, ad.Tensor) else np.asarray(a)
    if array.ndim == 0:
        raise ValueError(f"{who}: takes {ACCEPTS}; got a 0-d array (a single value, no batch axis)")
    if array.dtype == object:
        raise TypeError(f"{who}: the arrays must hold numbers, got a ragged or object array of shape {array.shape}")
    return array


class DataLoader:
    """Batches of a data set: ``(x, y)`` arrays, a TensorDataset, or one array.

    ``shuffle`` draws a new order each time the loader is iterated, from its own
    generator when ``seed`` is given (reproducible) or else from nn's (``nn.set_seed``);
    ``drop_last`` leaves out a last, smaller batch.  Each batch is a tuple of NumPy
    arrays (one array for a data set of one array).

    Args:
        dataset: a pair ``(x, y)`` (or any tuple or list) of arrays of one length, a TensorDataset, or
            one array of samples; Tensors are read as their values.
        batch_size: the samples per batch, a positive int (default 1, PyTorch's).
        shuffle: whether to draw a new order each epoch (default False: the data's order).
        drop_last: whether to leave out a last batch smaller than ``batch_size`` (default False).
        seed: an int for the loader's own generator, so its orders repeat run to run; None (default):
            nn's generator (``nn.utils.set_random_seed``).

    Yields:
        Iterated, each batch: a tuple of NumPy arrays of ``batch_size`` rows (the last may have fewer),
        one per array of the data set, or a single array when the data set has one. ``len(loader)`` is
        the number of batches.

    Raises:
        ValueError: a ``batch_size`` that is not a positive int (and what TensorDataset refuses).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if isinstance(dataset, (tuple, list)):
            dataset = TensorDataset(*dataset)
        elif not isinstance(dataset, TensorDataset):
            dataset = TensorDataset(_samples(dataset, "DataLoader"))
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.generator = backend.generator(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = (self.generator or backend.generator()).permutation(n) if self.shuffle else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            rows = slice(start, min(start + self.batch_size, n))
            batch = self.dataset[order[rows] if self.shuffle else rows]
            yield batch if len(batch) > 1 else batch[0]
