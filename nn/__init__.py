"""nn: layers, losses, optimizers and a Keras-style Sequential, built on autodiff's public API."""
