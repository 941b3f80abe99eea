"""Learning-rate schedules, two ways.

Keras's (``keras.optimizers.schedules``): an object given as ``learning_rate``
that the optimizer calls with its step count (0 at the first update)::

    RMSprop(learning_rate=ExponentialDecay(1e-3, decay_steps=1000, decay_rate=0.9))

PyTorch's (``torch.optim.lr_scheduler``): an object wrapping an optimizer whose
``step()`` you call once per epoch, after the epoch's updates::

    scheduler = StepLR(optimizer, step_size=10, gamma=0.1)
"""
import bisect
import math

__all__ = ["LearningRateSchedule", "ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay",
           "StepLR", "ExponentialLR", "CosineAnnealingLR"]


class LearningRateSchedule:
    """A learning rate as a function of the optimizer's step count (Keras)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return dict(vars(self))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps), the exponent floored with ``staircase``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        if not decay_steps > 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.decay_rate, self.staircase = float(decay_rate), bool(staircase)

    def __call__(self, step):
        exponent = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(exponent) if self.staircase else exponent)


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the rate (after an optional linear warmup to ``warmup_target``) down to
    ``alpha`` times it over ``decay_steps``, then constant (Keras)."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
        if not decay_steps > 0:
            raise ValueError(f"CosineDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps, self.alpha = float(initial_learning_rate), decay_steps, alpha
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def __call__(self, step):
        if self.warmup_target is not None and step < self.warmup_steps:
            return self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * step / self.warmup_steps
        start = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        done = min(step - (self.warmup_steps if self.warmup_target is not None else 0), self.decay_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * done / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] up to boundaries[0] (inclusive), values[1] up to boundaries[1], ..., values[-1] after."""

    def __init__(self, boundaries, values):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: {len(boundaries)} boundaries need {len(boundaries) + 1} "
                             f"values, got {len(values)}")
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        self.boundaries, self.values = list(boundaries), [float(v) for v in values]

    def __call__(self, step):
        return self.values[bisect.bisect_left(self.boundaries, step)]


class _EpochScheduler:
    """PyTorch's lr_scheduler shape: ``step()`` once per epoch sets the optimizer's rate for the next one."""

    def __init__(self, optimizer):
        if not hasattr(optimizer, "learning_rate"):
            raise TypeError(f"{type(self).__name__}: expected an nn optimizer, got {optimizer!r:.80}")
        if isinstance(optimizer.schedule, LearningRateSchedule):
            raise ValueError(f"{type(self).__name__}: the optimizer already follows {optimizer.schedule!r}; "
                             "use one schedule")
        self.optimizer = optimizer
        self.base_lr = optimizer.learning_rate
        self.last_epoch = 0

    def step(self):
        self.last_epoch += 1
        self.optimizer.learning_rate = self.rate(self.last_epoch)

    def get_last_lr(self):
        return [self.optimizer.learning_rate]

    def state_dict(self):
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state):
        self.base_lr, self.last_epoch = state["base_lr"], state["last_epoch"]
        self.optimizer.learning_rate = self.rate(self.last_epoch)


class StepLR(_EpochScheduler):
    """lr * gamma ** (epoch // step_size) (PyTorch)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def rate(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(_EpochScheduler):
    """lr * gamma ** epoch (PyTorch)."""

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def rate(self, epoch):
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(_EpochScheduler):
    """eta_min + (lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (PyTorch's closed form)."""

    def __init__(self, optimizer, T_max, eta_min=0.0):      # noqa: N803 (PyTorch's name)
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def rate(self, epoch):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
