"""Activations by name and as functions of Tensors."""
import autodiff as ad


def linear(x):
    return x


def relu(x):
    return x.relu()


def sigmoid(x):
    """The sigmoid, remembering its input as ``.logits``: binary cross-entropy then computes from it (as Keras)."""
    out = x.sigmoid()
    out.logits = x
    return out


def tanh(x):
    return x.tanh()


def softmax(x, axis=-1):
    """The softmax, remembering its input as ``.logits`` when it runs over the last axis.

    Keras's softmax activation does the same (``_keras_logits``): categorical
    cross-entropy of such an output then computes from the logits, exactly,
    instead of taking the log of a clipped probability.  Every route (fit,
    evaluate, a loop of your own, grad mode on or off) gives the same loss.
    """
    out = x.softmax(axis=axis)
    if axis in (-1, x.ndim - 1):
        out.logits = x
    return out


class Step(ad.Function):
    """Rosenblatt's threshold unit: 1 if z > 0 else 0.

    Its true derivative is zero almost everywhere, so the gradient passes
    straight through instead: SGD on it with batch size 1 then performs
    exactly the perceptron learning rule.
    """

    def forward(self, z):
        return (z > 0).astype(z.dtype)

    def backward(self, grad):
        return (grad,)


def step(x):
    return x.apply(Step())


ACTIVATIONS = {"linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "step": step}


def get(identifier):
    """An activation from a name, None (linear) or any callable on Tensors."""
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
    for name, known in ACTIVATIONS.items():
        if fn is known:
            return name
    return getattr(fn, "__name__", type(fn).__name__)
