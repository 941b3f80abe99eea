"""nn: layers, losses, optimizers and a Keras-style Sequential, built on autodiff's public API."""
from . import (activations, callbacks, data, initializers, layers, losses, metrics, models, optimizers, schedules,
               training, utils)
from .layers import Input
from .models import Functional, Model, Sequential, load_model
from .module import Module, Parameter
from .utils import set_seed

__all__ = ["activations", "callbacks", "data", "initializers", "layers", "losses", "metrics", "models", "optimizers",
           "schedules", "training", "utils", "Functional", "Input", "Model", "Module", "Parameter", "Sequential",
           "load_model", "set_seed"]
