"""nn: layers, losses, optimizers and a Keras-style Sequential, built on autodiff's public API."""
from . import activations, initializers, layers, losses, metrics, models, optimizers, utils
from .module import Module, Parameter
from .models import Sequential
from .random import set_seed

__all__ = ["activations", "initializers", "layers", "losses", "metrics", "models", "optimizers", "utils",
           "Module", "Parameter", "Sequential", "set_seed"]
