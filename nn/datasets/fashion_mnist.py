"""Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data()`` returns it.

Sources: the cache; a folder given with ``path=``; Debian's
``dataset-fashion-mnist`` package (/usr/share/datasets/fashion-mnist); the
canonical mirror.  Shapes and dtypes are checked (no published checksums of
the arrays are pinned here).
"""
import os
import tempfile

from . import fetch, idx
from .mnist import SHAPES         # a drop-in for MNIST: the same four shapes

DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist"
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"


def load_data(path=None, verbose=True):
    log = fetch.stderr_log(verbose)
    sources = []
    if path:
        sources.append((f"folder {path}", lambda: read_folder(path)))
    sources += [(f"Debian's dataset-fashion-mnist ({DEBIAN_FOLDER})", lambda: read_folder(DEBIAN_FOLDER)),
                (f"the mirror {MIRROR}", lambda: from_mirror(log))]
    return fetch.load("Fashion-MNIST", sources, None, SHAPES, "fashion_mnist.npz", log)


def read_folder(folder):
    (x_train, y_train), (x_test, y_test) = idx.read_mnist_folder(folder)
    return x_train, y_train, x_test, y_test


def from_mirror(log):
    with tempfile.TemporaryDirectory() as tmp:
        for pair in idx.MNIST_FILES:
            for stem in pair:
                fetch.download(MIRROR + stem + ".gz", os.path.join(tmp, stem + ".gz"), log=log)
        return read_folder(tmp)
