"""Activations by Keras name and as functions of Tensors, with Keras 3's defaults.

``softmax`` and ``sigmoid`` remember the tensor they were computed from (Keras
keeps it as ``_keras_logits`` on its own tensors; here it is nn's own weak map,
``logits_of``): cross-entropy losses then compute from the logits, exactly,
instead of taking the log of a clipped probability.  That one lookup is the
only logits path, so fit, evaluate and a loop of your own give the same loss,
grad mode on or off.
"""
import weakref

import autodiff as ad

# id(output) -> (weak reference to the output, its logits); an entry goes when its output does.
_logits = {}


def remember_logits(out, logits):
    """Record that ``out`` was computed from ``logits`` by a softmax or a sigmoid.

    Args:
        out: the activation's output, a Tensor (held by a weak reference: the record goes with it).
        logits: the Tensor it was computed from.

    Returns:
        ``out`` itself.
    """
    key = id(out)

    def forget(ref, key=key):
        if _logits.get(key, (None,))[0] is ref:
            del _logits[key]

    _logits[key] = (weakref.ref(out, forget), logits)
    return out


def logits_of(y_pred):
    """The logits ``y_pred`` was computed from by nn's softmax or sigmoid (Keras's ``_get_logits``).

    Args:
        y_pred: a Tensor (anything else has no logits).

    Returns:
        The logits Tensor (``y_pred``'s shape), or None when ``y_pred`` did not come from those activations.
    """
    entry = _logits.get(id(y_pred))
    return entry[1] if entry is not None and entry[0]() is y_pred else None


def linear(x):
    """The identity: ``x`` unchanged (Keras's ``linear``; what ``activation=None`` means).

    Args:
        x: a Tensor (or anything: it is returned as it is).

    Returns:
        ``x`` itself.
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with Keras's options: a slope below ``threshold``, a ceiling ``max_value``.

    ``x`` where x > threshold, else ``(x - threshold) * negative_slope``; then at most ``max_value``.

    Args:
        x: a Tensor.
        negative_slope: the slope below ``threshold`` (default 0: plain ReLU).
        max_value: the largest output (None: no ceiling; 6 gives ReLU6).
        threshold: where the output turns from ``(x - threshold) * negative_slope`` to ``x`` (default 0).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    if negative_slope == 0 and max_value is None and threshold == 0:
        return x.relu()
    out = ad.where(x > threshold, x, (x - threshold) * negative_slope)
    return out if max_value is None else ad.minimum(out, max_value)


def sigmoid(x):
    """1 / (1 + exp(-x)), remembering ``x`` as its logits (binary cross-entropy computes from them).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values in (0, 1).
    """
    return remember_logits(x.sigmoid(), x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, remembering ``x`` as its logits when ``axis`` is the last.

    Args:
        x: a Tensor.
        axis: the axis that sums to 1 (default -1, the last).

    Returns:
        A Tensor of ``x``'s shape and dtype, each slice along ``axis`` positive and summing to 1.
    """
    out = x.softmax(axis=axis)
    return remember_logits(out, x) if axis in (-1, x.ndim - 1) else out


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably: ``x - logsumexp(x)``.

    Args:
        x: a Tensor.
        axis: the axis normalized over (default -1, the last).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return x.log_softmax(axis=axis)


def tanh(x):
    """The hyperbolic tangent, elementwise: (exp(x) - exp(-x)) / (exp(x) + exp(-x)).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values in (-1, 1).
    """
    return x.tanh()


def leaky_relu(x, negative_slope=0.2):
    """x where x > 0, else negative_slope * x (Keras's default slope 0.2; PyTorch's ad.leaky_relu has 0.01).

    Args:
        x: a Tensor.
        negative_slope: the slope for x <= 0 (default 0.2, Keras's).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    """``x`` where x > 0, else ``alpha * (exp(x) - 1)`` (Keras's).

    Args:
        x: a Tensor.
        alpha: the scale of the negative part: the output tends to ``-alpha`` as x goes to -inf
            (default 1.0).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.elu(x, alpha)


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with Keras's constants (alpha 1.6733, scale 1.0507).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.selu(x)


def celu(x, alpha=1.0):
    """x where x > 0, else alpha * (exp(x / alpha) - 1) (PyTorch's CELU; Keras 3's celu).

    Args:
        x: a Tensor.
        alpha: the scale of the negative part, positive (default 1.0).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.elu(x * (1.0 / alpha)) * alpha


def gelu(x, approximate=False):
    """x * Phi(x), Phi the standard normal CDF (Keras's gelu).

    Args:
        x: a Tensor.
        approximate: False (default) for the exact erf formula; True for the tanh approximation
            ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x**3)))`` (Keras's boolean).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.gelu(x, "tanh" if approximate else "none")


def gelu_approximate(x):
    """GELU by its tanh formula, ``gelu(x, approximate=True)``, as a function that has a name.

    keras_hub's name for it (GPT-2's MLP): ``activation="gelu_approximate"`` can be saved with
    a model, where a lambda cannot.

    Args:
        x: a Tensor (or array) of any shape.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.gelu(x, "tanh")


def silu(x):
    """x * sigmoid(x), also called swish (``swish`` is this function).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.silu(x)


def softplus(x):
    """``log(1 + exp(x))``, exact in both tails.

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values positive.
    """
    return ad.softplus(x)


def softsign(x):
    """x / (1 + |x|).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values in (-1, 1).
    """
    return x / (abs(x) + 1.0)


def mish(x):
    """``x * tanh(softplus(x))``.

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.mish(x)


def relu6(x):
    """``min(max(x, 0), 6)``.

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values in [0, 6].
    """
    return ad.relu6(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6, Keras 3's definition (Keras 2's was clip(0.2 x + 0.5, 0, 1)).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values in [0, 1].
    """
    return ad.hard_sigmoid(x)


def hard_silu(x):
    """x * hard_sigmoid(x), also called hard_swish (``hard_swish`` is this function).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return ad.hard_swish(x)


def hard_tanh(x):
    """clip(x, -1, 1).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values in [-1, 1].
    """
    return ad.clip(x, -1.0, 1.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, exact in both tails.

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values negative.
    """
    return ad.log_sigmoid(x)


def exponential(x):
    """``exp(x)``.

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return x.exp()


def tanh_shrink(x):
    """x - tanh(x).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return x - x.tanh()


def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2, a smooth ReLU (Keras's squareplus).

    Args:
        x: a Tensor.
        b: how smooth the bend at 0 is, >= 0 (default 4; 0 gives relu).

    Returns:
        A Tensor of ``x``'s shape and dtype.
    """
    return (x + (x * x + float(b)).sqrt()) * 0.5


def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b), a and b the two halves of ``x`` along ``axis``.

    Args:
        x: a Tensor.
        axis: the axis split in two halves (default -1); its size must be even, else ValueError.

    Returns:
        A Tensor of ``x``'s shape with ``axis`` halved, ``x``'s dtype.
    """
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the axis {axis} of shape {x.shape} must have an even size, to split in two halves")
    a, b = ad.split(x, 2, axis=axis)
    return a * b.sigmoid()


class Step(ad.Function):
    """Rosenblatt's threshold unit as an autodiff Function: 1 if z > 0 else 0 (``step`` applies it).

    Its true derivative is zero almost everywhere, so the gradient passes
    straight through instead: SGD on it with batch size 1 then performs
    exactly the perceptron learning rule.

    Args:
        **settings: none are used; as for every ``autodiff.Function``, keywords given become attributes.
    """

    def forward(self, z):
        return (z > 0).astype(z.dtype)

    def backward(self, grad):
        return (grad,)


def step(x):
    """Rosenblatt's threshold: 1 where x > 0, else 0; the gradient passes straight through (the perceptron rule).

    Args:
        x: a Tensor.

    Returns:
        A Tensor of ``x``'s shape and dtype, values 0 or 1.
    """
    return x.apply(Step())


ACTIVATIONS = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "step": step,
    "log_softmax": log_softmax, "leaky_relu": leaky_relu, "elu": elu, "selu": selu, "celu": celu, "gelu": gelu,
    "gelu_approximate": gelu_approximate,       # keras_hub's name; Keras 3 has none for the tanh form
    "silu": silu, "swish": silu, "softplus": softplus, "softsign": softsign, "mish": mish, "relu6": relu6,
    "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_silu, "hard_tanh": hard_tanh,
    "log_sigmoid": log_sigmoid, "exponential": exponential, "tanh_shrink": tanh_shrink, "squareplus": squareplus,
    "glu": glu,
}
swish, hard_swish = silu, hard_silu


def get(identifier):
    """An activation from a name, None (linear) or any callable on Tensors (Keras's ``activations.get``).

    Args:
        identifier: an activation's name (``"relu"``, ``"softmax"``, ...: the keys of ``ACTIVATIONS``),
            None, or a callable.

    Returns:
        The activation function (``linear`` for None; a callable as it is).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
        TypeError: neither a name, None nor a callable.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in ACTIVATIONS:
            raise ValueError(f"unknown activation {identifier!r}; expected one of {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[identifier]
    if callable(identifier):
        return identifier
    raise TypeError(f"an activation must be a name or a callable, got {identifier!r}")


def name_of(fn):
    """The Keras name of an activation function (``"relu"``), as ``get_config`` writes it.

    Args:
        fn: an activation function.

    Returns:
        Its name in ``ACTIVATIONS`` (the first, for aliases), else its ``__name__`` (or its type's name).
    """
    for name, known in ACTIVATIONS.items():
        if fn is known:
            return name
    return getattr(fn, "__name__", type(fn).__name__)
