"""NumPy's own functions on Tensors: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.concatenate([a, t])``.

NumPy hands a call that involves a Tensor to ``Tensor.__array_ufunc__`` (for
ufuncs: ``np.exp``, ``+``) or ``Tensor.__array_function__`` (for the rest), and
this module runs the autodiff op of the same name, which records.  Plain NumPy
code becomes differentiable without importing a second NumPy.  A function with
no rule yet raises a TypeError that names it; ``np.asarray(t)`` still gives the
data (it calls ``__array__``, not these).
"""
from . import functional as F

# NumPy's name -> autodiff's, where they differ.
_RENAMED = {"true_divide": "divide", "absolute": "abs", "remainder": "mod", "amax": "max", "amin": "min",
            "around": "round", "rint": "round"}
# Comparisons and logic: boolean results, outside the graph, as the Tensor operators give them.
_COMPARISONS = {"greater": "__gt__", "greater_equal": "__ge__", "less": "__lt__", "less_equal": "__le__",
                "equal": "__eq__", "not_equal": "__ne__", "logical_and": "__and__", "logical_or": "__or__"}
# Questions about a tensor rather than computations on it: answered on its data.
_QUERIES = {"shape", "ndim", "size", "result_type", "iscomplexobj", "isrealobj", "may_share_memory",
            "shares_memory", "isscalar"}


def _function(name, what):
    found = getattr(F, _RENAMED.get(name, name), None)
    if found is None:
        raise TypeError(f"{what} has no differentiable version in autodiff yet; call it on t.numpy() for a "
                        "constant result, or write it with ops that exist (see README's op list)")
    return found


def call_ufunc(tensor, ufunc, method, inputs, kwargs):
    """``ufunc(*inputs)`` where ``tensor`` is one of the inputs."""
    name = ufunc.__name__
    if method != "__call__":
        raise TypeError(f"np.{name}.{method} on Tensors is not supported; use autodiff's reductions "
                        f"(ad.sum, ad.max, ...) instead")
    if kwargs.get("out") is not None:
        raise TypeError(f"np.{name}(..., out=...) would write into a Tensor's array behind the graph; "
                        "use the returned Tensor")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if name in _COMPARISONS:
        first, second = inputs
        if first is not tensor:
            first, second = second, first
            name = {"greater": "less", "less": "greater", "greater_equal": "less_equal",
                    "less_equal": "greater_equal"}.get(name, name)
        return getattr(first, _COMPARISONS[name])(second)
    if name == "logical_not":
        return ~inputs[0]
    if kwargs:
        raise TypeError(f"np.{name} on Tensors takes no keyword arguments here, got {sorted(kwargs)}")
    return _function(name, f"np.{name}")(*inputs)


def call_function(tensor, func, args, kwargs):
    """NumPy's ``func(*args, **kwargs)`` where ``tensor`` is among the arguments."""
    name = func.__name__
    if name in _QUERIES:              # other Tensors among the arguments dispatch again, to the same answer
        return func(*[tensor.data if a is tensor else a for a in args], **kwargs)
    module = (func.__module__ or "numpy").replace("numpy", "np", 1)
    if module not in ("np", "np.linalg") or module == "np.linalg" and name != "norm":
        raise TypeError(f"{module}.{name} has no differentiable version in autodiff yet; call it on t.numpy() "
                        "for a constant result")
    if name == "clip":                       # NumPy 1's a_min/a_max are autodiff's (and NumPy 2's) min/max
        kwargs = {{"a_min": "min", "a_max": "max"}.get(k, k): v for k, v in kwargs.items()}
    return _function(name, f"np.{name}")(*args, **kwargs)
