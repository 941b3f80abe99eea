"""The docstring rule of the API reference, as a check (tests/test_docstrings.py runs it).

One style, Google's, as mkdocstrings reads it (docs/api/*.md):

- a one-line summary;
- ``Args:`` naming every parameter of the signature (``name: what it is``; ``*args:`` and
  ``**kwargs:`` too where the signature has them);
- ``Returns:`` (or ``Yields:``) for a function or method that returns a value, saying the
  value's type and shape where it is an array or Tensor;
- ``Shapes:`` for a layer: the input's and the output's shapes (and the weights').

Run ``python tests/docstrings.py [module ...]`` to list what a module still lacks.
"""
import ast
import importlib
import inspect
import re
import sys
import textwrap

# The modules the API reference pages render (docs/api/*.md).
MODULES = ["autodiff", "autodiff.extend", "nn", "nn.layers", "nn.models", "nn.training", "nn.saving",
           "nn.losses", "nn.metrics", "nn.activations", "nn.initializers", "nn.optimizers",
           "nn.schedules", "nn.callbacks", "nn.data", "nn.datasets.mnist", "nn.datasets.fashion_mnist",
           "nn.utils"]

SECTION = re.compile(r"^(\w[\w ]*):\s*$")


def public_names(module):
    """The names a module shows: its ``__all__``, or what it defines itself without a leading _."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and getattr(v, "__module__", None) == module.__name__]
    return [n for n in names if not inspect.ismodule(getattr(module, n))]


def sections(doc):
    """{section title: its indented body} of a Google-style docstring."""
    found, title = {}, None
    for line in doc.splitlines():
        match = SECTION.match(line)
        if match and not line.startswith(" "):
            title = match.group(1)
            found[title] = []
        elif title is not None:
            if line and not line.startswith(" "):
                title = None
            else:
                found[title].append(line)
    return {k: textwrap.dedent("\n".join(v)) for k, v in found.items()}


def documented_arguments(body):
    """The names an ``Args:`` section describes (``name:``, ``name (type):``, ``*args:``)."""
    return set(re.findall(r"^(\**\w+)(?:\s*\([^)]*\))?:", body, flags=re.M))


def parameters(obj):
    if inspect.isclass(obj) and inspect.isfunction(obj.__init__):
        # a class's Args describe the __init__ the API reference shows (merge_init_into_class): not a
        # __new__ that only dispatches, as Model's (Model(inputs, outputs) makes a Functional)
        obj = obj.__init__
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    names = []
    for p in signature.parameters.values():
        if p.name in ("self", "cls"):
            continue
        names.append({p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name)
    return names


def returns_a_value(function):
    """Whether the function's source has ``return <value>`` (or yields); True when no source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return True
    body = tree.body[0]
    for node in ast.walk(body):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            # a nested function's return is not this function's
            return True
    return False


def problems(name, obj, layer_base=None):
    """What ``obj``'s docstring lacks under the rule, as short strings."""
    if callable(obj) and not inspect.isclass(obj) and not inspect.isroutine(obj):
        # an object called as a function (``nn.losses.mse``): its class is checked as a class, and its
        # call, whose parameters the signature lists, is documented by the class's ``__call__``
        return problems(f"{name} ({type(obj).__name__}.__call__)", type(obj).__call__)
    doc = inspect.getdoc(obj) or ""
    if not doc.strip():
        return [f"{name}: no docstring"]
    found = sections(doc)
    missing = []
    wanted = parameters(obj)
    if wanted:
        described = documented_arguments(found.get("Args", ""))
        absent = [p for p in wanted if p not in described]
        if absent:
            missing.append(f"{name}: Args lacks {', '.join(absent)}")
    if not inspect.isclass(obj) and "Returns" not in found and "Yields" not in found \
            and returns_a_value(obj):
        missing.append(f"{name}: no Returns")
    if inspect.isclass(obj) and layer_base is not None and issubclass(obj, layer_base) \
            and "Shapes" not in found:
        missing.append(f"{name}: no Shapes")
    return missing


def public_methods(cls):
    """Methods a class defines itself: not _private, not properties, and not overriding a base's
    method (an override keeps the contract its base documents: ``forward``, ``build``, ...)."""
    for name, value in vars(cls).items():
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if any(name in vars(base) for base in cls.__mro__[1:]):
            continue
        yield name, value


def check(module_name):
    module = importlib.import_module(module_name)
    from nn.layers import Layer
    import autodiff
    op_functions = {getattr(autodiff, n) for n in autodiff.__all__}
    out = []
    for name in public_names(module):
        obj = getattr(module, name)
        if not callable(obj):
            continue
        # a name re-exported from another documented module is checked there
        home = getattr(obj, "__module__", module_name) or module_name
        if module_name != "autodiff" and home != module_name and home in MODULES:
            continue
        out += problems(f"{module_name}.{name}", obj, Layer)
        if inspect.isclass(obj):
            for method_name, method in public_methods(obj):
                if method in op_functions or getattr(method, "__name__", "") in autodiff.__all__:
                    continue        # a Tensor method that is an op is documented as the op
                out += problems(f"{module_name}.{name}.{method_name}", method)
    return out


if __name__ == "__main__":
    total = 0
    for module_name in sys.argv[1:] or MODULES:
        found = check(module_name)
        total += len(found)
        print("\n".join(found))
    print(f"{total} problems")
