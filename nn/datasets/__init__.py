"""Datasets: MNIST and Fashion-MNIST, returned exactly as Keras returns them."""
from . import fashion_mnist, mnist

__all__ = ["mnist", "fashion_mnist"]
