"""Declare an op once: ``@register("exp")`` on a Function subclass (or on a function of Tensors).

From one declaration come the function ``ad.exp`` (and ``autodiff.functional.exp``),
the method ``Tensor.exp`` and any operators named (``+`` is ``Tensor.__add__``).
``OPS`` keeps every declaration, in order: the type stubs are generated from it
(scripts/gen_stubs.py).  A name is declared once; ``replace=True`` says that
replacing an op (and with it ``np.exp(t)``) is meant.
"""
import inspect
import re
import sys
import textwrap

import numpy as np

from . import functional
from .tensor import Tensor, UnsupportedOperand, apply

_package = sys.modules[__name__.rpartition(".")[0]]      # autodiff itself: ad.exp, and ops declared later too


class Declaration:
    """One ``register`` call: the op (a Function class or a function), its function and where it went."""

    def __init__(self, name, op, function, methods, reflected, export, prop):
        self.name, self.op, self.function = name, op, function
        self.methods, self.reflected, self.export, self.prop = methods, reflected, export, prop

    def __repr__(self):
        return f"<op {self.name}: {getattr(self.op, '__qualname__', self.op)}>"


OPS = {}     # name (``Tensor.name`` for methods alone) -> Declaration, in the order of declaration


def register(name, methods=None, reflected=(), export=True, prop=False, replace=False):
    """Declare the op ``name``: a decorator of a Function subclass or of a function.

    - a Function subclass: its inputs are the parameters of ``forward`` (a
      ``*arrays`` parameter takes a list, as ``concatenate`` does; trailing
      inputs left out or None are absent); every other argument goes to the
      class, whose ``__init__`` names the settings and their defaults;
    - a plain function (a composite of other ops, or an op without gradient):
      used as it is.

    The op's function takes its docstring from the class (or is the function), with the
    entries of ``GLOSSARY`` (NumPy's ``axis``, ``keepdims``, ``dtype``, ``out``) added to its
    ``Args:`` for the parameters it takes and does not describe itself.

    Args:
        name: the op's name: ``ad.name``, ``autodiff.functional.name`` and NumPy's function of that
            name on Tensors.
        methods: the Tensor attributes that call it (default: ``(name,)``; ``()`` for none), operators
            included (``"__add__"``).
        reflected: operators that take the Tensor second (``"__radd__"``); default none.
        export: add it to ``autodiff.functional`` and to ``ad`` (default True; False: a Tensor method only).
        prop: the methods are properties (``.T``); default False.
        replace: replace an op or Tensor attribute that exists already (refused by default, since it
            would silently change every use of that name, NumPy's functions on Tensors included).

    Returns:
        The decorator; it returns the class or function it is given (a function's docstring gains the
            glossary's entries).

    Raises:
        ValueError: when the name or an attribute is taken and ``replace`` is not True.
    """
    methods = (name,) if methods is None else tuple(methods)
    reflected = tuple(reflected)

    def declare(op):
        if not replace:
            _check_free(name, methods + reflected, export)
        if isinstance(op, type):
            function = _function_of(op)
        else:
            function = op
            function.__doc__ = with_glossary(op.__doc__, inspect.signature(op))
        if export:
            setattr(functional, name, function)
            setattr(_package, name, function)
            if name not in functional.__all__:
                functional.__all__.append(name)
        OPS[name if export else "Tensor." + name] = Declaration(name, op, function, methods, reflected, export, prop)
        for attribute in methods:
            setattr(Tensor, attribute, property(function) if prop else
                    _operator(op, function) if attribute.startswith("__") else function)
        for attribute in reflected:
            setattr(Tensor, attribute, _operator(op, function, reflected=True))
        return op
    return declare


def _check_free(name, attributes, export):
    taken = []
    if export and (name in OPS or hasattr(functional, name) or hasattr(_package, name)):
        taken.append(f"ad.{name}")
    taken += [f"Tensor.{a}" for a in attributes if a in vars(Tensor)]
    if taken:
        raise ValueError(f"register({name!r}): {' and '.join(taken)} exist already; registering would silently "
                         "replace them (and NumPy's function of that name on Tensors). Choose another name, or "
                         "pass replace=True if replacing is what you mean")


def _function_of(cls):
    parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        def function(tensors, *args, **kwargs):
            return apply(cls(*args, **kwargs), *tensors)
    elif len(parameters) == 1:                          # spelled out: the common cases, for speed
        def function(x, *args, **kwargs):
            return apply(cls(*args, **kwargs), x)
    elif len(parameters) == 2 and all(p.default is p.empty for p in parameters):
        def function(a, b, *args, **kwargs):
            return apply(cls(*args, **kwargs), a, b)
    else:
        arity = len(parameters)

        def function(*args, **kwargs):
            inputs = args[:arity]
            while inputs and inputs[-1] is None:       # optional inputs left out (linear's bias)
                inputs = inputs[:-1]
            return apply(cls(*args[arity:], **kwargs), *inputs)
    function.__name__ = function.__qualname__ = cls.__name__.lower()
    function.__signature__ = _signature_of(cls)     # help() and the API reference show the op's own arguments
    function.__doc__ = with_glossary(cls.__doc__ or _default_doc(cls.__name__.lower()), function.__signature__)
    return function


def _signature_of(cls):
    """The inputs of ``forward`` (a list for ``*arrays``), then the settings of ``__init__`` (``*shape`` too)."""
    inputs = list(inspect.signature(cls.forward).parameters.values())[1:]
    if any(p.kind == p.VAR_POSITIONAL for p in inputs):
        inputs = [inspect.Parameter("tensors", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    settings = []
    if any("__init__" in vars(base) for base in cls.__mro__[:-1] if base.__name__ != "Function"):
        settings = [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
                    if p.kind != p.VAR_KEYWORD]
    return inspect.Signature(inputs + settings)


# Parameters that many ops share with one meaning, NumPy's: written once here and filled into the
# ``Args:`` of each op that takes them and does not describe them itself.  An op whose parameter of
# one of these names means something else (``softmax``'s axis, ``linspace``'s dtype) says so in its
# own docstring, and its own entry is kept.
GLOSSARY = {
    "axis": "the axis or axes to reduce: an int, a tuple or list of ints (negative ones count from the end), "
            "or None (the default) for every axis.",
    "keepdims": "keep each reduced axis with size 1, so that the result broadcasts against the input "
                "(default False: the reduced axes are removed).",
    "dtype": "NumPy's keyword, taken so that NumPy's function of this name works on Tensors; only None is "
             "accepted (cast first, with ``.astype(dtype)``).",
    "out": "NumPy's keyword, taken so that NumPy's function of this name works on Tensors; only None is "
           "accepted (tensors are not written in place: use the returned Tensor).",
}


def with_glossary(doc, signature):
    """``doc`` with a GLOSSARY entry in its ``Args:`` for each parameter of ``signature`` it leaves out."""
    missing = [p.name for p in signature.parameters.values() if p.name in GLOSSARY]
    if doc is None or not missing:
        return doc
    lines = inspect.cleandoc(doc).splitlines()
    start = next((i for i, line in enumerate(lines) if line == "Args:"), None)
    if start is None:                       # a new section, before Returns (or at the end)
        start = next((i for i, line in enumerate(lines) if line == "Returns:"), len(lines))
        lines[start:start] = ["Args:", ""] if start < len(lines) else ["", "Args:"]
        start = lines.index("Args:")
    end = start + 1
    while end < len(lines) and (not lines[end] or lines[end].startswith(" ")):
        end += 1
    while end > start + 1 and not lines[end - 1]:
        end -= 1
    entries = []                            # (name, its lines), as written
    for line in lines[start + 1:end]:
        match = re.match(r"    (\**\w+)(?:\s*\([^)]*\))?:", line)
        if match:
            entries.append((match.group(1), [line]))
        elif entries:
            entries[-1][1].append(line)
    described = {name for name, _ in entries}
    order = [("*" if p.kind == p.VAR_POSITIONAL else "**" if p.kind == p.VAR_KEYWORD else "") + p.name
             for p in signature.parameters.values()]
    for name in order:
        if name in GLOSSARY and name not in described:
            before = order[:order.index(name)]
            place = max((i + 1 for i, (n, _) in enumerate(entries) if n in before), default=0)
            text = textwrap.wrap(f"{name}: {GLOSSARY[name]}", 100, initial_indent="    ",
                                 subsequent_indent="        ")
            entries.insert(place, (name, text))
    lines[start + 1:end] = [line for _, entry in entries for line in entry]
    return "\n".join(lines)


def _default_doc(name):
    numpy_name = f"NumPy's ``numpy.{name}``" if hasattr(np, name) else f"``{name}``"
    return (f"{numpy_name}, differentiable: given a Tensor it returns a Tensor recorded for backward "
            "(inputs broadcast as NumPy does); given only arrays and numbers, the NumPy result.")


def _operator(op, function, reflected=False):
    """An operator method: NotImplemented for operands no op takes, so Python tries the other side.

    The binary operators of Function classes call ``apply`` directly: they run for
    every ``+`` and ``*``, and a Python call less is a visible share of a small op.
    """
    binary = isinstance(op, type) and function.__code__.co_argcount == 2
    if reflected:
        def operator(self, other):
            try:
                return apply(op(), other, self) if binary else function(other, self)
            except UnsupportedOperand:
                return NotImplemented
    elif binary:
        def operator(self, other):
            try:
                return apply(op(), self, other)
            except UnsupportedOperand:
                return NotImplemented
    else:
        def operator(self, *others):
            try:
                return function(self, *others)
            except UnsupportedOperand:
                return NotImplemented
    return operator
