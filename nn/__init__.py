"""nn: layers, losses, optimizers and a Keras-style Sequential, built on autodiff's public API."""
from . import activations, initializers, layers, losses, metrics, models, optimizers, training, utils
from .module import Module, Parameter
from .models import Model, Sequential
from .utils import set_seed

__all__ = ["activations", "initializers", "layers", "losses", "metrics", "models", "optimizers", "training", "utils",
           "Model", "Module", "Parameter", "Sequential", "set_seed"]
