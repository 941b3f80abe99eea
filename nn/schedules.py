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
    """A learning rate as a function of the optimizer's step count (Keras's
    ``keras.optimizers.schedules.LearningRateSchedule``).

    Given as an optimizer's ``learning_rate``; a subclass defines ``__call__(step)``.

    Returns:
        Called as ``schedule(step)`` with the optimizer's step count (0 at the first update): the
        learning rate, a float.
    """

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        """The constructor's arguments, for model.save.

        Returns:
            A dict: ``type(schedule)(**schedule.get_config())`` is the same schedule.
        """
        return dict(vars(self))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps), the exponent floored with ``staircase``
    (Keras's).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: how many steps one factor of ``decay_rate`` takes; positive, else ValueError.
        decay_rate: the factor per ``decay_steps`` steps (0.9: 10% less).
        staircase: whether the rate drops in steps every ``decay_steps`` (default False: smoothly).

    Returns:
        Called as ``schedule(step)`` with the optimizer's step count (0 at the first update): the
        learning rate, a float.
    """

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
    ``alpha`` times it over ``decay_steps``, then constant (Keras).

    Without warmup: ``initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps)
    / decay_steps)) + alpha)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps the cosine takes (after the warmup); positive, else ValueError.
        alpha: the final rate as a fraction of the rate the decay starts from (default 0.0).
        warmup_target: None (default): no warmup; a number: the rate rises linearly from
            ``initial_learning_rate`` to it over ``warmup_steps``, then decays from it.
        warmup_steps: the warmup's length in steps (default 0).

    Returns:
        Called as ``schedule(step)`` with the optimizer's step count (0 at the first update): the
        learning rate, a float.
    """

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
    """values[0] up to boundaries[0] (inclusive), values[1] up to boundaries[1], ..., values[-1] after
    (Keras's).

    Args:
        boundaries: increasing step counts where the rate changes, a list of n numbers.
        values: the n + 1 rates, one per interval; ValueError for another count or unsorted boundaries.

    Returns:
        Called as ``schedule(step)`` with the optimizer's step count (0 at the first update): the
        learning rate, a float.
    """

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
    """PyTorch's lr_scheduler shape: ``step()`` once per epoch sets the optimizer's rate for the next one.

    The rate at epoch 0 is the optimizer's learning rate when the scheduler is made (``base_lr``).
    An optimizer that is not nn's raises TypeError; one that follows a ``LearningRateSchedule``
    raises ValueError.
    """

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
        """End an epoch: set the optimizer's learning rate to the next epoch's (PyTorch's ``step()``)."""
        self.last_epoch += 1
        self.optimizer.learning_rate = self.rate(self.last_epoch)

    def get_last_lr(self):
        """The learning rate now set (PyTorch's ``get_last_lr()``).

        Returns:
            A list of one float.
        """
        return [self.optimizer.learning_rate]

    def state_dict(self):
        """Where the schedule stands, to save (PyTorch's ``state_dict()``).

        Returns:
            A dict ``{"base_lr": float, "last_epoch": int}``.
        """
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state):
        """Resume from ``state_dict()``'s dict, setting the optimizer's learning rate to match.

        Args:
            state: a dict with ``"base_lr"`` and ``"last_epoch"``.
        """
        self.base_lr, self.last_epoch = state["base_lr"], state["last_epoch"]
        self.optimizer.learning_rate = self.rate(self.last_epoch)


class StepLR(_EpochScheduler):
    """lr * gamma ** (epoch // step_size) (PyTorch's StepLR): the rate falls by ``gamma`` every ``step_size``
    epochs.

    Args:
        optimizer: the nn optimizer whose ``learning_rate`` it sets (lr: its rate now).
        step_size: the epochs between two drops, a positive int.
        gamma: the factor of each drop (default 0.1).
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not hasattr(step_size, "__index__") or isinstance(step_size, bool) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int (epochs between two drops), got {step_size!r}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def rate(self, epoch):
        """The learning rate at ``epoch``: ``base_lr * gamma ** (epoch // step_size)``.

        Args:
            epoch: the number of epochs ended, an int >= 0.

        Returns:
            A float.
        """
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(_EpochScheduler):
    """lr * gamma ** epoch (PyTorch's ExponentialLR): the rate shrinks by ``gamma`` every epoch.

    Args:
        optimizer: the nn optimizer whose ``learning_rate`` it sets (lr: its rate now).
        gamma: the factor per epoch.
    """

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def rate(self, epoch):
        """The learning rate at ``epoch``: ``base_lr * gamma ** epoch``.

        Args:
            epoch: the number of epochs ended, an int >= 0.

        Returns:
            A float.
        """
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(_EpochScheduler):
    """eta_min + (lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (PyTorch's CosineAnnealingLR, its
    closed form): half a cosine from lr down to ``eta_min`` over ``T_max`` epochs.

    Args:
        optimizer: the nn optimizer whose ``learning_rate`` it sets (lr: its rate now).
        T_max: the epochs of the half cosine (past it, the cosine climbs again, as in PyTorch).
        eta_min: the smallest rate (default 0.0).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):      # noqa: N803 (PyTorch's name)
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def rate(self, epoch):
        """The learning rate at ``epoch``: ``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

        Args:
            epoch: the number of epochs ended, an int >= 0.

        Returns:
            A float.
        """
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
