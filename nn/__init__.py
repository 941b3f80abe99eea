"""nn: layers, losses, optimizers and a Keras-style Sequential, built on autodiff's public API."""
from . import (activations, callbacks, data, datasets, initializers, layers, losses, metrics, models, optimizers,
               saving, schedules, training, utils)
from .layers import Input, Layer
from .models import Functional, Model, Sequential, load_model
from .module import Module, Parameter
from .utils import set_random_seed, set_seed

__all__ = ["activations", "callbacks", "data", "datasets", "initializers", "layers", "losses", "metrics", "models",
           "optimizers", "saving", "schedules", "training", "utils", "Functional", "Input", "Layer", "Model",
           "Module", "Parameter", "Sequential", "load_model", "set_random_seed", "set_seed"]
