"""Optimizers with Keras 3's defaults and update rules, updating parameters in place.

Each works on the NumPy arrays behind the parameters, in their dtype, with
per-parameter state and a scratch buffer allocated once: a step allocates no
full-size arrays.  They take the parameters either at construction
(PyTorch style) or from ``Sequential.compile`` (Keras style).

The NumPy update runs on one thread on purpose: waking a thread pool's
workers and passing the GIL between the passes costs more than a second core
gives on updates this size (docs/performance.md).

RMSprop and Adam can also run their update as one fused pass
(``backend.rmsprop_update``: C on the CPU, ``autodiff/_kernels.c``), the way
PyTorch's ``fused=True`` optimizers do: pip builds the kernel when a C compiler
is present, and it gives the same bits as the array code here.  Every array
operation goes through the array module of the parameter (``array_module``).
"""
import functools
import inspect
import math
import numbers

import autodiff as ad
from autodiff.extend import backend

from . import optimizer_state
from .schedules import LearningRateSchedule

array_module = backend.xp


def fused_available():
    """Whether the optional fused kernels (autodiff/_kernels.c) were built.

    Returns:
        True when ``fused=True`` optimizers can run (pip built the C kernel), else False.
    """
    return backend.fused_available()


# PyTorch's argument names, accepted beside Keras's (the defaults stay Keras's).
PYTORCH_NAMES = {"lr": "learning_rate", "eps": "epsilon", "alpha": "rho"}


def _accept_pytorch_names(init):
    """Let ``__init__`` take PyTorch's ``lr``, ``eps``, ``alpha`` and ``betas`` for Keras's names."""
    accepted = inspect.signature(init).parameters

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        who = type(self).__name__
        for torch_name, keras_name in PYTORCH_NAMES.items():
            if torch_name in kwargs and keras_name in accepted:
                if keras_name in kwargs:
                    raise TypeError(f"{who}: give {keras_name}= or PyTorch's {torch_name}=, not both")
                kwargs[keras_name] = kwargs.pop(torch_name)
        if "betas" in kwargs and "beta_1" in accepted:
            if "beta_1" in kwargs or "beta_2" in kwargs:
                raise TypeError(f"{who}: give beta_1=/beta_2= or PyTorch's betas=, not both")
            kwargs["beta_1"], kwargs["beta_2"] = kwargs.pop("betas")
        return init(self, *args, **kwargs)
    return wrapper


class Optimizer:
    """The shared part: parameters, the learning rate (a number or a schedule), decoupled weight decay.

    ``weight_decay`` is Keras 3's: every step first shrinks each parameter by
    ``learning_rate * weight_decay`` of itself (decoupled, as AdamW).  PyTorch's
    ``weight_decay`` on SGD, RMSprop and Adam adds ``weight_decay * w`` to the
    gradient instead: the same for plain SGD, different with momentum or Adam.

    A subclass defines ``init_state(param)`` and ``update(param, grad, state)``.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.01) or a ``LearningRateSchedule`` of the step count.
        weight_decay: None (default) or 0: no decay; a positive number: every step first shrinks each
            parameter by ``learning_rate * weight_decay`` of itself (decoupled, Keras 3's).

    Raises:
        ValueError: a learning rate that is not positive, or a negative weight decay.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls.__init__ = _accept_pytorch_names(cls.__init__)

    def __init__(self, params=None, learning_rate=0.01, weight_decay=None):
        if isinstance(params, (numbers.Number, LearningRateSchedule)):      # Keras style: RMSprop(0.01)
            params, learning_rate = None, params
        self.schedule = None
        if isinstance(learning_rate, LearningRateSchedule):
            self.schedule = learning_rate
        elif not (isinstance(learning_rate, numbers.Real) and learning_rate > 0):
            raise ValueError(f"{type(self).__name__}: learning_rate must be positive, got {learning_rate}")
        else:
            self.learning_rate = learning_rate
        if weight_decay is not None and not (isinstance(weight_decay, numbers.Real) and weight_decay >= 0):
            raise ValueError(f"{type(self).__name__}: weight_decay must be a number >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay or 0.0)
        self.params = []
        self.state = {}
        self.iterations = 0
        self.lr = self.learning_rate          # the rate of the step being applied
        if params is not None:
            params = list(params)
            if not params:
                raise ValueError(f"{type(self).__name__}: the model has no parameters yet, so there is nothing to "
                                 "optimize: its layers make their weights when they learn the input shape. Give the "
                                 "first layer input_shape=(...), or call the model on a batch, before building the "
                                 "optimizer")
            self.attach(params)

    @property
    def learning_rate(self):
        """The current rate: the number set, or the schedule's value at this step count."""
        if self.schedule is not None:
            return float(self.schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if self.schedule is not None:
            raise TypeError(f"{type(self).__name__}: the learning rate follows {self.schedule!r}, so it cannot be "
                            "set (as in Keras); build the optimizer with a number to change it by hand or by callback")
        if not (isinstance(value, numbers.Real) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{type(self).__name__}: learning_rate must be a finite number >= 0, got {value!r}")
        self._learning_rate = float(value)

    def attach(self, params):
        """Set the parameters this optimizer updates (``compile`` calls it with the model's).

        Parameters that do not require grad are left out, as PyTorch does; new parameters start
        with new state.

        Args:
            params: an iterable of float Tensors.

        Returns:
            The optimizer itself.

        Raises:
            TypeError: a parameter that is not a float Tensor.
        """
        params = list(params)
        for p in params:
            if not isinstance(p, ad.Tensor) or p.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__}: parameters must be float Tensors, got {p!r:.80}")
        params = [p for p in params if p.requires_grad]      # as PyTorch: the others get no gradient
        if [id(p) for p in params] != [id(p) for p in self.params]:
            self.state = {}           # state is kept by position in params: new parameters, new state
        self.params = params
        return self

    def zero_grad(self):
        """Set every parameter's ``.grad`` to None (PyTorch's ``zero_grad()``), before the next backward."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Apply one update to every parameter that has a gradient, in place (PyTorch's ``step()``).

        Weight decay first, then the subclass's ``update``; parameters without a gradient are
        skipped. A schedule is read at the step count before this step, as in Keras. The first
        step of the process asks glibc to keep freed memory for the next steps
        (``autodiff.keep_heap_slack``).

        Raises:
            RuntimeError: no parameters are attached.
            ValueError: no parameter has a gradient, a gradient's shape is not its parameter's, or a
                parameter is read-only.
        """
        if not self.params:
            raise RuntimeError(f"{type(self).__name__}.step: no parameters: pass model.parameters() to the "
                               "optimizer, or compile() a model with it")
        if all(p.grad is None for p in self.params):      # as Keras: no gradient at all is a mistake
            raise ValueError(f"{type(self).__name__}.step: no parameter has a gradient (every .grad is None): "
                             "backward() has not run since zero_grad(), or no weight reaches the loss")
        ad.keep_heap_slack()        # once per process: the next steps reuse freed activations (docs/performance.md)
        self.lr = self.learning_rate           # a schedule is read at the step count before this step (Keras)
        self.iterations += 1
        # State is keyed by the parameter's position, not its id(): a deep copy or a
        # pickle of a model and its optimizer keeps each parameter's own state.
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            grad = p.grad.data
            if grad.shape != p.shape:
                raise ValueError(f"{type(self).__name__}: gradient of shape {grad.shape} for a parameter of "
                                 f"shape {p.shape}")
            if not p.data.flags.writeable:
                raise ValueError(f"{type(self).__name__}: parameter {i} ({p.name or 'unnamed'}, shape {p.shape}) "
                                 "is read-only, so it cannot be updated in place; give it a writeable copy "
                                 "(p.data = p.data.copy())")
            state = self.state.get(i)
            if state is None:
                state = self.state[i] = self.init_state(p.data)
            if self.weight_decay:
                p.data *= 1 - self.lr * self.weight_decay
            self.update(p.data, grad, state)        # in place (a fused kernel, or NumPy's out=)
            p.increment_version()                   # a graph that kept the old values now refuses backward


    def init_state(self, param):
        """The state a parameter starts with (SGD's velocity, Adam's ``m`` and ``v``): what a subclass defines.

        Args:
            param: the parameter's NumPy array.

        Returns:
            A dict ``{name: array shaped like param}`` (empty here).
        """
        return {}

    @staticmethod
    def scratch(state, param):
        """A buffer shaped like the parameter for intermediate results, allocated on first use
        (never, when a fused kernel does every update)."""
        buffer = state.get("scratch")
        if buffer is None:
            buffer = state["scratch"] = array_module(param).empty_like(param)
        return buffer

    # RMSprop and Adam can run their update as one pass of a C kernel (``fused``).
    fused = False

    def _set_fused(self, fused, plain):
        """``fused=True`` needs the built kernels and a configuration they cover (``plain``)."""
        name = type(self).__name__
        if fused and not backend.fused_available():
            raise RuntimeError(f"{name}(fused=True): the C kernels (autodiff._kernels) were not built; reinstall with a "
                               "C compiler present (pip install -e .), or pass fused=None")
        if fused and not plain:
            raise ValueError(f"{name}(fused=True): the fused kernel does the plain update only "
                             "(no centering, no momentum); pass fused=None")
        self.fused = fused if plain else False

    def _fuses(self, param, grad):
        """Whether this update runs in the C kernel: C-contiguous float32 arrays, unless fused=False."""
        if self.fused is False or not backend.fused_available():
            return False
        if backend.fusable(param, grad):
            return True
        if self.fused:
            raise TypeError(f"{type(self).__name__}(fused=True): the kernel updates C-contiguous float32 arrays, "
                            f"got a {param.dtype} parameter and a {grad.dtype} gradient; pass fused=None")
        return False

    def update(self, param, grad, state):
        """Update one parameter in place from its gradient: what a subclass defines (``step`` calls it).

        Args:
            param: the parameter's NumPy array, changed in place.
            grad: its gradient, an array of ``param``'s shape.
            state: the parameter's dict from ``init_state``, changed in place.
        """
        raise NotImplementedError

    def state_dict(self):
        """``{name: NumPy array}`` of what the optimizer has learned: the step count and each parameter's
        state, keyed ``"<position>.<name>"`` (as PyTorch's ``optimizer.state_dict()``; model.save writes it).

        Returns:
            A dict of copies: ``"iterations"`` (a 0-d integer array) and, for each parameter that was
            updated, ``"<position>.<name>"`` arrays of its shape (``"0.m"``, ``"0.v"``, ... for Adam).
        """
        arrays = {"iterations": array_module(0).asarray(self.iterations)}
        for i, state in self.state.items():
            for key, value in state.items():
                if key != "scratch":                    # a work buffer, not state
                    arrays[f"{i}.{key}"] = value.copy()
        return arrays

    def load_state_dict(self, state_dict):
        """Take the state ``state_dict()`` gave (or a file held), for the parameters attached now: every
        key, dtype, shape and value is checked (nn.optimizer_state) before any is written.

        Args:
            state_dict: a dict ``{name: array}`` as ``state_dict()`` returns it.

        Raises:
            nn.optimizer_state.OptimizerStateError: (a ValueError) a key, shape, dtype or value that does
                not fit this optimizer and its parameters; nothing is changed then.
        """
        source = f"{type(self).__name__}.load_state_dict"
        state, iterations, extras = optimizer_state.checked_state(self, dict(state_dict), source)
        extras = self._checked_extras(extras, source)
        self.state, self.iterations = state, iterations
        for key, value in extras.items():
            setattr(self, key, value)

    def check_state(self, declared):
        """Refuse, from ``{key: (shape, dtype)}`` alone, state that cannot fit this optimizer (keys it does not
        keep, shapes not its parameters', dtypes that are not numbers): a file's headers, before its data is read.

        Args:
            declared: ``{key: (shape, dtype)}``, the keys as ``state_dict()`` names them.

        Raises:
            nn.optimizer_state.OptimizerStateError: (a ValueError) the first entry that cannot fit.
        """
        optimizer_state.check_headers(self, declared, f"{type(self).__name__}.load_state_dict")

    def _checked_extras(self, extras, source):
        """The scalars besides ``iterations`` an optimizer keeps (none here; Nadam's ``u_product``)."""
        return extras

    def get_config(self):
        """The constructor's arguments (Keras's names), for model.save.

        Returns:
            A dict such as ``{"learning_rate": 0.001, "rho": 0.9, ...}``; ``learning_rate`` is the
            schedule object when there is one. ``type(opt)(**opt.get_config())`` has the same
            hyperparameters (not the state: see ``state_dict``).
        """
        names = [n for n in inspect.signature(type(self).__init__).parameters if n not in ("self", "params")]
        config = {n: getattr(self, n) for n in names if hasattr(self, n)}
        config["learning_rate"] = self.schedule if self.schedule is not None else self._learning_rate
        return config

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class SGD(Optimizer):
    """Stochastic gradient descent (Keras 3).

        momentum == 0:  w = w - lr * g
        else:           v = momentum * v - lr * g
                        w = w + v                          (plain)
                        w = w + momentum * v - lr * g      (nesterov)

    PyTorch's ``lr`` is accepted for ``learning_rate``.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.01) or a ``LearningRateSchedule`` of the step count.
        momentum: the velocity's decay, in [0, 1] (default 0.0: plain SGD).
        nesterov: whether to use Nesterov momentum (default False).
        weight_decay: None (default) or 0: no decay; a positive number: every step first shrinks each
            parameter by ``learning_rate * weight_decay`` of itself (decoupled, Keras 3's; see ``Optimizer``).
    """

    def __init__(self, params=None, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        super().__init__(params, learning_rate, weight_decay)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def init_state(self, param):
        state = super().init_state(param)
        if self.momentum:
            state["velocity"] = array_module(param).zeros_like(param)
        return state

    def update(self, param, grad, state):
        step = array_module(param).multiply(grad, self.lr, out=self.scratch(state, param))      # lr * g
        if not self.momentum:
            param -= step
            return
        v = state["velocity"]
        v *= self.momentum
        v -= step
        if self.nesterov:
            param -= step
            step = array_module(param).multiply(v, self.momentum, out=state["scratch"])            # made above
            param += step
        else:
            param += v


class RMSprop(Optimizer):
    """RMSprop (Keras 3).

        v = rho * v + (1 - rho) * g**2
        centered:   a = rho * a + (1 - rho) * g;  denominator = v - a**2 + epsilon
        else:       denominator = v + epsilon
        increment = lr * g / sqrt(denominator)
        momentum > 0:  m = momentum * m + increment;  w = w - m
        else:          w = w - increment

    The state kept is not v but ``s = (v + epsilon) / (1 - rho)``, which follows
    ``s = rho * s + g**2 + epsilon`` and gives ``increment = lr / sqrt(1 - rho)
    * g / sqrt(s)``: the same numbers in eight passes over the parameter
    instead of nine (the update is a quarter of an MNIST training step).

    ``fused``: None (default) runs the plain update (not centered, no momentum)
    of C-contiguous float32 parameters in one pass of the C kernel when it was
    built, and NumPy otherwise; True insists on the kernel; False never uses it.

    PyTorch's names ``lr``, ``eps`` and ``alpha`` (for ``rho``) are accepted too.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.001) or a ``LearningRateSchedule`` of the step count.
        rho: the decay of the squared gradients' average, in [0, 1) (default 0.9; PyTorch's ``alpha``).
        momentum: the decay of a momentum on the increments (default 0.0: none).
        epsilon: added for numerical stability, positive (default 1e-7; PyTorch's ``eps``).
        centered: whether to divide by the gradients' estimated variance rather than their second
            moment (default False).
        fused: None (default): the C kernel for C-contiguous float32 parameters when it was built, NumPy
            otherwise; True: insist on the kernel (RuntimeError when it was not built; ValueError with
            ``centered`` or ``momentum``); False: NumPy only.
        weight_decay: None (default) or 0: no decay; a positive number: every step first shrinks each
            parameter by ``learning_rate * weight_decay`` of itself (decoupled, Keras 3's; see ``Optimizer``).
    """

    def __init__(self, params=None, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 fused=None, weight_decay=None):
        super().__init__(params, learning_rate, weight_decay)
        if not 0 <= rho < 1:
            raise ValueError(f"RMSprop: rho must be in [0, 1), got {rho}")
        if not epsilon > 0:
            raise ValueError(f"RMSprop: epsilon must be positive, got {epsilon}")
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered
        self._set_fused(fused, plain=not centered and not momentum)

    def init_state(self, param):
        state = super().init_state(param)
        state["shifted_velocity"] = array_module(param).full_like(param, self.epsilon / (1 - self.rho))    # v = 0
        if self.centered:
            state["average_grad"] = array_module(param).zeros_like(param)
        if self.momentum:
            state["momentum"] = array_module(param).zeros_like(param)
        return state

    def update(self, param, grad, state):
        s = state["shifted_velocity"]
        if self._fuses(param, grad):
            backend.rmsprop_update(param, grad, s, self.rho, self.epsilon,
                                   self.lr / math.sqrt(1 - self.rho))
            return
        xp = array_module(param)
        tmp = self.scratch(state, param)
        s *= self.rho
        xp.square(grad, out=tmp)
        s += tmp
        s += self.epsilon
        if self.centered:
            a = state["average_grad"]
            xp.subtract(grad, a, out=tmp)
            tmp *= 1 - self.rho
            a += tmp
            xp.square(a, out=tmp)
            tmp *= 1 / (1 - self.rho)
            xp.subtract(s, tmp, out=tmp)          # (v - a**2 + epsilon) / (1 - rho)
            xp.sqrt(tmp, out=tmp)
        else:
            xp.sqrt(s, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= self.lr / math.sqrt(1 - self.rho)        # increment
        if self.momentum:
            m = state["momentum"]
            m *= self.momentum
            m += tmp
            param -= m
        else:
            param -= tmp


def _move_moments(xp, grad, m, v, tmp, beta_1, beta_2):
    """Adam's and Nadam's moments in place: m += (g - m)(1 - beta_1), v += (g**2 - v)(1 - beta_2)."""
    xp.subtract(grad, m, out=tmp)
    tmp *= 1 - beta_1
    m += tmp
    xp.square(grad, out=tmp)
    tmp -= v
    tmp *= 1 - beta_2
    v += tmp


class Adam(Optimizer):
    """Adam (Keras 3), with t the step number starting at 1.

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    ``fused``: as for RMSprop (None: the C kernel for C-contiguous float32
    parameters when it was built; True: insist; False: NumPy only).

    PyTorch's names ``lr``, ``eps`` and ``betas=(beta_1, beta_2)`` are accepted too.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.001) or a ``LearningRateSchedule`` of the step count.
        beta_1: the decay of the gradients' average m, in [0, 1) (default 0.9).
        beta_2: the decay of the squared gradients' average v, in [0, 1) (default 0.999).
        epsilon: added for numerical stability, positive (default 1e-7; PyTorch's ``eps``).
        fused: None (default): the C kernel for C-contiguous float32 parameters when it was built, NumPy
            otherwise; True: insist on the kernel (RuntimeError when it was not built); False: NumPy only.
        weight_decay: None (default) or 0: no decay; a positive number: every step first shrinks each
            parameter by ``learning_rate * weight_decay`` of itself (decoupled, Keras 3's; see ``Optimizer``).
    """

    def __init__(self, params=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, fused=None,
                 weight_decay=None):
        super().__init__(params, learning_rate, weight_decay)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= beta < 1:
                raise ValueError(f"Adam: {name} must be in [0, 1), got {beta} (1 would divide by zero at the "
                                 "first step)")
        if not epsilon > 0:
            raise ValueError(f"Adam: epsilon must be positive, got {epsilon}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self._set_fused(fused, plain=True)

    def init_state(self, param):
        state = super().init_state(param)
        state["m"] = array_module(param).zeros_like(param)
        state["v"] = array_module(param).zeros_like(param)
        return state

    def update(self, param, grad, state):
        m, v = state["m"], state["v"]
        t = self.iterations
        # A Python float, so float32 arrays are not multiplied in float64.
        alpha = self.lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        if self._fuses(param, grad):
            backend.adam_update(param, grad, m, v, 1 - self.beta_1, 1 - self.beta_2, self.epsilon, alpha)
            return
        xp = array_module(param)
        tmp = self.scratch(state, param)
        _move_moments(xp, grad, m, v, tmp, self.beta_1, self.beta_2)
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= alpha
        param -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3's AdamW: ``weight_decay=0.004``; PyTorch's default is 0.01).

    Each step first sets ``w = w - lr * weight_decay * w``, then takes Adam's step.
    PyTorch's names ``lr``, ``eps`` and ``betas=(beta_1, beta_2)`` are accepted too.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.001) or a ``LearningRateSchedule`` of the step count.
        weight_decay: the decay per step, as a fraction of ``learning_rate`` (default 0.004, Keras's).
        beta_1: the decay of the gradients' average m, in [0, 1) (default 0.9).
        beta_2: the decay of the squared gradients' average v, in [0, 1) (default 0.999).
        epsilon: added for numerical stability, positive (default 1e-7; PyTorch's ``eps``).
        fused: None (default): the C kernel for C-contiguous float32 parameters when it was built, NumPy
            otherwise; True: insist on the kernel (RuntimeError when it was not built); False: NumPy only.
    """

    def __init__(self, params=None, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, fused=None):
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, fused, weight_decay)


class Adagrad(Optimizer):
    """Adagrad (Keras 3): a = a + g**2;  w = w - lr * g / sqrt(a + epsilon), a starting at
    ``initial_accumulator_value``.

    PyTorch's names ``lr`` and ``eps`` are accepted too.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.001) or a ``LearningRateSchedule`` of the step count.
        initial_accumulator_value: where each accumulator a starts, >= 0 (default 0.1).
        epsilon: added for numerical stability, positive (default 1e-7; PyTorch's ``eps``).
        weight_decay: None (default) or 0: no decay; a positive number: every step first shrinks each
            parameter by ``learning_rate * weight_decay`` of itself (decoupled, Keras 3's; see ``Optimizer``).
    """

    def __init__(self, params=None, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None):
        super().__init__(params, learning_rate, weight_decay)
        if not initial_accumulator_value >= 0:
            raise ValueError(f"Adagrad: initial_accumulator_value must be >= 0, got {initial_accumulator_value}")
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def init_state(self, param):
        return {"accumulator": array_module(param).full_like(param, self.initial_accumulator_value)}

    def update(self, param, grad, state):
        xp, a, tmp = array_module(param), state["accumulator"], self.scratch(state, param)
        xp.square(grad, out=tmp)
        a += tmp
        xp.add(a, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= self.lr
        param -= tmp


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Keras 3's Nadam, with its momentum schedule
    u_t = beta_1 * (1 - 0.5 * 0.96 ** t)).

    PyTorch's names ``lr``, ``eps`` and ``betas=(beta_1, beta_2)`` are accepted too.

    Args:
        params: the parameters to update, an iterable of float Tensors (``model.parameters()``, PyTorch
            style), or None (default) when ``compile`` attaches the model's (Keras style). A number or
            schedule here is taken as ``learning_rate`` (``RMSprop(0.01)``). An empty iterable raises
            ValueError (the model has no weights yet).
        learning_rate: a positive number (default 0.001) or a ``LearningRateSchedule`` of the step count.
        beta_1: the decay of the gradients' average m, and the scale of the momentum schedule
            (default 0.9).
        beta_2: the decay of the squared gradients' average v (default 0.999).
        epsilon: added for numerical stability, positive (default 1e-7; PyTorch's ``eps``).
        weight_decay: None (default) or 0: no decay; a positive number: every step first shrinks each
            parameter by ``learning_rate * weight_decay`` of itself (decoupled, Keras 3's; see ``Optimizer``).
    """

    def __init__(self, params=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None):
        super().__init__(params, learning_rate, weight_decay)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.u_product = 1.0

    def step(self):
        t = self.iterations + 1
        self.u_product *= self.beta_1 * (1 - 0.5 * 0.96 ** t)       # once per step, as Keras
        super().step()

    def state_dict(self):
        return {**super().state_dict(), "u_product": array_module(0).asarray(self.u_product)}

    def _checked_extras(self, extras, source):
        u_product = extras.get("u_product", 1.0)
        if not 0 <= u_product <= 1:
            raise optimizer_state.OptimizerStateError(f"{source}: optimizer state 'u_product' must be a number in "
                                                      f"[0, 1], got {u_product!r:.80}")
        return {"u_product": u_product}

    def init_state(self, param):
        return {"m": array_module(param).zeros_like(param), "v": array_module(param).zeros_like(param)}

    def update(self, param, grad, state):
        xp, m, v, tmp = array_module(param), state["m"], state["v"], self.scratch(state, param)
        t = self.iterations
        u_t = self.beta_1 * (1 - 0.5 * 0.96 ** t)
        u_next = self.beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product_next = self.u_product * u_next
        _move_moments(xp, grad, m, v, tmp, self.beta_1, self.beta_2)
        m_hat = m * (u_next / (1 - u_product_next)) + grad * ((1 - u_t) / (1 - self.u_product))
        xp.divide(v, 1 - self.beta_2 ** t, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        xp.divide(m_hat, tmp, out=tmp)
        tmp *= self.lr
        param -= tmp


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad, "nadam": Nadam}


def get(identifier):
    """An optimizer from a name or an Optimizer (Keras's ``keras.optimizers.get``).

    Args:
        identifier: a name, in any case (``"adam"``, ``"RMSprop"``, ...: the keys of ``OPTIMIZERS``),
            or an Optimizer.

    Returns:
        A new optimizer with Keras's defaults for a name (its parameters attached by ``compile``);
        an Optimizer as it is.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
        TypeError: neither a name nor an Optimizer.
    """
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(OPTIMIZERS)}")
        return OPTIMIZERS[key]()
    if isinstance(identifier, Optimizer):
        return identifier
    raise TypeError(f"an optimizer must be a name or an Optimizer, got {identifier!r}")
