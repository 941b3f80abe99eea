"""Read IDX files, the format of the original MNIST distribution (gzipped or not).

Layout: two zero bytes, a type code, the number of dimensions, each dimension
as a big-endian uint32, then the data.  Anything that does not add up is an
error, never a wrong array.
"""
import gzip
import io
import math
import os
import zlib

import numpy as np

from .fetch import read_at_most

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class IDXError(ValueError):
    """A file that is not a well-formed IDX file."""


def parse_idx(raw, name="<bytes>", expected_ndim=None, max_shape=None):
    """An ndarray from the bytes of an IDX file."""
    return read_stream(io.BytesIO(raw), name, expected_ndim, max_shape)


def read_stream(stream, name, expected_ndim=None, max_shape=None):
    """An ndarray from an IDX stream, reading no more than its header declares (plus one byte).

    The header comes first: with ``max_shape`` (the largest shape expected, e.g. MNIST's
    (60000, 28, 28)) a file declaring more is refused before any of its body is read.
    A small gzip file that inflates to gigabytes, or a header that declares
    more than the file holds, is an error after at most the declared size.
    """
    head = stream.read(4)
    if len(head) < 4:
        raise IDXError(f"{name}: only {len(head)} bytes, too short for an IDX header")
    if head[0] != 0 or head[1] != 0 or head[2] not in _TYPES:
        raise IDXError(f"{name}: bad magic number {head.hex()}: an IDX file starts with 0000, then a type code "
                       f"(08 for unsigned bytes) and the number of dimensions")
    dtype, ndim = np.dtype(_TYPES[head[2]]), head[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise IDXError(f"{name}: holds {ndim}-dimensional data, expected {expected_ndim} dimensions")
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise IDXError(f"{name}: truncated header ({4 + len(dims)} bytes, need {4 + 4 * ndim})")
    shape = tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))
    if max_shape is not None and (len(shape) != len(max_shape) or any(n > m for n, m in zip(shape, max_shape))):
        raise IDXError(f"{name}: declares shape {shape}, expected at most {tuple(max_shape)}")
    expected = math.prod(shape) * dtype.itemsize           # Python ints: no overflow
    data = read_at_most(stream, expected)
    if len(data) != expected:
        raise IDXError(f"{name}: shape {shape} needs {expected} bytes of data but the file has "
                       f"{'only ' + str(len(data)) if len(data) < expected else 'more'}"
                       f" ({'truncated' if len(data) < expected else 'trailing bytes'})")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path, expected_ndim=None, max_shape=None):
    """Read ``path``, gzipped or not (a corrupt gzip stream is an error too); see read_stream."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as stream:
            return read_stream(stream, os.fspath(path), expected_ndim, max_shape)
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXError(f"{path}: corrupt gzip data: {exc}") from None


def find(folder, stem):
    """``folder/stem`` or ``folder/stem.gz``, whichever exists (None if neither)."""
    for candidate in (stem, stem + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    return None


def read_split(folder, images_stem, labels_stem, max_count):
    """(images, labels) from a pair of IDX files whose counts must agree: at most ``max_count``
    28x28 images, checked from the headers before any body is read."""
    images_path, labels_path = find(folder, images_stem), find(folder, labels_stem)
    missing = [stem for stem, path in ((images_stem, images_path), (labels_stem, labels_path)) if path is None]
    if missing:
        raise FileNotFoundError(f"{folder} has no {' or '.join(m + '[.gz]' for m in missing)}")
    images = read_idx(images_path, expected_ndim=3, max_shape=(max_count, 28, 28))
    labels = read_idx(labels_path, expected_ndim=1, max_shape=(max_count,))
    if len(images) != len(labels):
        raise IDXError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    return images, labels


MNIST_FILES = (("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
MNIST_COUNTS = (60000, 10000)           # images in each split: a header declaring more is refused


def read_mnist_folder(folder):
    """((x_train, y_train), (x_test, y_test)) from the four canonical files in ``folder``."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder} is not a folder")
    return tuple(read_split(folder, images, labels, count)
                 for (images, labels), count in zip(MNIST_FILES, MNIST_COUNTS))
