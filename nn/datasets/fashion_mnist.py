"""Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data()`` returns it.

Sources, in order: the cache; a folder given with ``path=`` (or
``$ROSENBLATT_DATA/fashion-mnist``: its IDX files have MNIST's names, so they
live in their own folder beside MNIST's) holding the four IDX files (gzipped or
not) or ``fashion_mnist.npz``; Debian's
``dataset-fashion-mnist`` package (/usr/share/datasets/fashion-mnist); the
official files over https (Zalando's GitHub repository, then Keras's mirror),
each checked against its published MD5.  Every array, whatever its source
(the cache too), is checked against the SHA-256 below.

The SHA-256s were computed from Debian's package, whose files decompress to
exactly the published data: their MD5s after gunzip (f4a8712d..., 9018921c...,
8181f547..., 15d48437...) are the ones published beside the .gz MD5s below
(Debian recompressed the files, so only the .gz MD5s differ).
"""
import os
import tempfile

from . import fetch, idx
from .mnist import SHAPES         # a drop-in for MNIST: the same four shapes

DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist"
MIRRORS = ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
           "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")
GZ_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
HASHES = {
    "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}


HINT = ("Fashion-MNIST can come from Debian's package (apt-get install dataset-fashion-mnist), or from a folder "
        "holding the four IDX files (train-images-idx3-ubyte.gz, ...): load_data(path=FOLDER), "
        "$ROSENBLATT_DATA/fashion-mnist, or examples/mnist_mlp.py --fashion --data FOLDER")


def load_data(path=None, verbose=True):
    """Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data()`` returns it: a drop-in for MNIST.

    Sources, in order: the cache (``$XDG_CACHE_HOME/rosenblatt/fashion_mnist.npz``, by default
    ``~/.cache/rosenblatt``); the folder ``path`` (or ``$ROSENBLATT_DATA/fashion-mnist``); Debian's
    ``dataset-fashion-mnist`` package; the official files over https, each checked by its published
    MD5. Every array is checked by SHA-256; the first source that works is cached. See docs/data.md.

    Args:
        path: a folder holding the four IDX files (MNIST's names, gzipped or not) or
            ``fashion_mnist.npz``; None (default): ``$ROSENBLATT_DATA/fashion-mnist`` when set.
        verbose: whether to print progress on stderr: the line naming the source used and where it
            was cached, and any download (default True); errors are raised either way.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 NumPy arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28) and (10000,); labels are the ten clothing classes (0 T-shirt/top,
        1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot).

    Raises:
        RuntimeError: no source worked (the message lists each failure and what to install).
    """
    log = fetch.stderr_log(verbose)
    folder = path or (os.path.join(os.environ["ROSENBLATT_DATA"], "fashion-mnist")
                      if os.environ.get("ROSENBLATT_DATA") else None)
    sources = []
    if folder:
        sources.append((f"folder {folder}", lambda: read_folder(folder)))
    sources.append((f"Debian's dataset-fashion-mnist ({DEBIAN_FOLDER})", lambda: read_folder(DEBIAN_FOLDER)))
    sources += [(f"the official files at {mirror}", lambda mirror=mirror: from_mirror(mirror, log))
                for mirror in MIRRORS]
    return fetch.load("Fashion-MNIST", sources, HASHES, SHAPES, "fashion_mnist.npz", log, hint=HINT)


def read_folder(folder):
    """The four IDX files (gzipped or not), or fashion_mnist.npz, from ``folder``.

    Args:
        folder: the folder's path; its ``fashion_mnist.npz`` is read when present, else the IDX files.

    Returns:
        A tuple ``(x_train, y_train, x_test, y_test)`` of uint8 NumPy arrays: images (n, 28, 28),
            labels (n,).

    Raises:
        FileNotFoundError: the folder or a file is missing.
        ValueError: a malformed file (``IDXError``, ``DataError``).
    """
    npz = os.path.join(folder, "fashion_mnist.npz")
    if os.path.exists(npz):
        return fetch.read_npz(npz, SHAPES)
    (x_train, y_train), (x_test, y_test) = idx.read_mnist_folder(folder)
    return x_train, y_train, x_test, y_test


def from_mirror(mirror, log):
    """The four official .gz files from ``mirror`` over https, each checked by its published MD5.

    Args:
        mirror: the URL of the folder holding them, ending in ``/`` (one of ``MIRRORS``).
        log: a function(str) for progress lines (``print``, or quiet).

    Returns:
        A tuple ``(x_train, y_train, x_test, y_test)`` of uint8 NumPy arrays: images (n, 28, 28),
            labels (n,).
    """
    with tempfile.TemporaryDirectory() as tmp:
        for name, md5 in GZ_MD5.items():
            fetch.download(mirror + name, os.path.join(tmp, name), md5=md5, log=log)
        return read_folder(tmp)
