"""autodiff's public surface: the registry's guard, __all__, autodiff.extend, the type stubs, nn's use of
autodiff's public names only, and the explicit heap setting."""
import ast
import builtins
import importlib.util
import inspect
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
from autodiff import extend
from autodiff.registry import OPS

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the registry's guard
def test_registering_an_existing_name_is_refused_unless_replace_is_said():
    original = OPS["exp"].op
    with pytest.raises(ValueError, match=r"register\('exp'\): ad.exp and Tensor.exp exist already.*replace=True"):
        @extend.register("exp")
        class NotExp(extend.Function):
            def forward(self, a):
                return a * 0
    t = ad.tensor([0.0, 1.0])
    assert ad.exp(t).tolist() == pytest.approx([1.0, np.e]) and np.exp(t).tolist() == pytest.approx([1.0, np.e])
    with pytest.raises(ValueError, match="Tensor.shape exist"):
        extend.register("shape_of_a_test", methods=("shape",))(lambda x: x)
    with pytest.raises(ValueError, match="ad.tensor exist"):
        extend.register("tensor")(lambda x: x)
    try:
        @extend.register("exp", replace=True)
        class DoubleExp(extend.Function):
            def forward(self, a):
                return 2 * np.exp(a)
        assert ad.exp(t).tolist() == pytest.approx([2.0, 2 * np.e])
        assert np.exp(t).tolist() == pytest.approx([2.0, 2 * np.e])          # NumPy's exp on Tensors too
    finally:
        extend.register("exp", replace=True)(original)
    assert ad.exp(t).tolist() == pytest.approx([1.0, np.e]) and t.exp().grad_fn is None


# ------------------------------------------------------------------ __all__ and extend
def test_all_lists_the_users_names_and_no_module_or_builtin():
    assert not [n for n in ad.__all__ if isinstance(getattr(ad, n), types.ModuleType)]
    assert not [n for n in ad.__all__ if hasattr(builtins, n)]
    assert len(set(ad.__all__)) == len(ad.__all__) and all(hasattr(ad, n) for n in ad.__all__)
    assert {"tensor", "Tensor", "no_grad", "exp", "softmax", "gradcheck", "keep_heap_slack"} <= set(ad.__all__)
    assert "sqrt_of_sum_of_squares" not in ad.__all__            # an op other rules call, not a user's
    for name in ("sum", "max", "min", "abs", "round", "all", "any"):         # kept as ad.sum, ...
        assert callable(getattr(ad, name))
    space = {}
    exec("from autodiff import *", space)
    assert "sum" not in space and "exp" in space and "backend" not in space


def test_extend_gathers_what_an_op_author_needs():
    assert set(extend.__all__) == {"OPS", "Function", "Tensor", "UnsupportedOperand", "apply", "array_of", "backend",
                                   "functional", "register", "unbroadcast"}
    assert extend.Function is ad.Function and extend.unbroadcast(np.ones((3, 2)), (2,), np.float32).tolist() == [3, 3]


def test_an_op_gets_the_glossarys_entries_for_numpys_shared_parameters_and_keeps_its_own():
    from autodiff.registry import GLOSSARY

    @extend.register("glossary_test_op")
    class GlossaryTestOp(extend.Function):
        """The sum, doubled.

        Args:
            a: the values.
            keepdims: a meaning of its own, which wins.

        Returns:
            A Tensor.
        """

        def __init__(self, axis=None, keepdims=False, out=None):
            super().__init__(axis=axis, keepdims=keepdims)

        def forward(self, a):
            return 2 * a.sum(axis=self.axis, keepdims=self.keepdims)

    try:
        doc = inspect.getdoc(ad.glossary_test_op)
        args = doc[doc.index("Args:"):doc.index("Returns:")]
        entries = [line.split(":")[0].strip() for line in args.splitlines()[1:] if line.startswith("    ") and
                   not line.startswith("        ")]
        assert entries == ["a", "axis", "keepdims", "out"]               # in the signature's order
        assert "keepdims: a meaning of its own, which wins." in args
        assert " ".join(GLOSSARY["axis"].split()) in " ".join(args.split())
        assert " ".join(GLOSSARY["out"].split()) in " ".join(args.split())
        assert doc.startswith("The sum, doubled.") and doc.rstrip().endswith("A Tensor.")
        assert ad.glossary_test_op(ad.tensor([[1.0, 2.0]]), axis=1).tolist() == [6.0]
    finally:
        del OPS["glossary_test_op"], ad.glossary_test_op, ad.Tensor.glossary_test_op, ad.functional.glossary_test_op
        ad.functional.__all__.remove("glossary_test_op")
    # the ops of autodiff: an op's own meaning of axis (softmax's, cumsum's) is never the reduction's
    softmax_doc = inspect.getdoc(ad.softmax)
    assert "the axis of classes" in softmax_doc and GLOSSARY["axis"][:20] not in softmax_doc
    assert GLOSSARY["keepdims"][:20] in inspect.getdoc(ad.sum) and GLOSSARY["dtype"][:20] in inspect.getdoc(ad.cumsum)
    assert str(inspect.signature(ad.reshape)) == "(a, *shape)"          # help() shows the shape, as the stubs do


def _autodiff_names_used(path):
    """(what, line) for each use of autodiff in a module: ``ad.name`` and ``from autodiff... import``."""
    tree = ast.parse(path.read_text())
    aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for a in node.names if a.name == "autodiff"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            yield f"ad.{node.attr}", node.lineno
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autodiff"):
            yield f"from {node.module} import", node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("autodiff."):
                    yield f"import {a.name}", node.lineno


def test_nn_uses_only_autodiffs_public_names():
    public = {f"ad.{n}" for n in ad.__all__} | {f"ad.{d.name}" for d in OPS.values() if d.export}
    public |= {"from autodiff.extend import", "ad.onnx"}          # the public submodules: op authors', export
    wrong = [f"{path.relative_to(ROOT)}:{line}: {what}" for path in sorted((ROOT / "nn").rglob("*.py"))
             for what, line in _autodiff_names_used(path) if what not in public]
    assert wrong == []


# ------------------------------------------------------------------ type stubs
def _gen_stubs():
    spec = importlib.util.spec_from_file_location("gen_stubs", ROOT / "scripts" / "gen_stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_type_stubs_are_what_the_registry_makes():
    stubs = _gen_stubs().render()
    stale = [path for path, text in stubs.items()
             if not (ROOT / path).exists() or (ROOT / path).read_text() != text]
    assert stale == [], "stale type stubs: run python scripts/gen_stubs.py"
    for text in stubs.values():
        ast.parse(text)
    tensor_stub = stubs["autodiff/tensor.pyi"]
    for declaration in filter(_gen_stubs().own, OPS.values()):       # ops of autodiff, not of other tests
        if declaration.export:
            assert f"\ndef {declaration.name}(" in stubs["autodiff/__init__.pyi"]
        for method in declaration.methods + declaration.reflected:
            assert f"def {method}(self" in tensor_stub
    assert "    def leaky_relu(self, negative_slope=0.01) -> Tensor:\n        \"\"\"``a`` where" in tensor_stub
    assert "def concatenate(tensors, axis=0, out=None, dtype=None, casting='same_kind') -> Tensor:\n" in stubs["autodiff/__init__.pyi"]
    assert "def split(x, indices_or_sections, axis=0) -> list[Tensor]:\n" in stubs["autodiff/__init__.pyi"]
    # an op is attached at import, so its stub is where an editor reads its docstring
    functions = {node.name: node for node in ast.parse(stubs["autodiff/__init__.pyi"]).body
                 if isinstance(node, ast.FunctionDef)}
    assert ast.get_docstring(functions["sum"]) == inspect.getdoc(ad.sum)
    assert "keepdims: keep each reduced axis" in ast.get_docstring(functions["sum"])


def test_a_new_op_makes_the_stubs_stale():
    gen = _gen_stubs()

    def stub_test_op(x, k=2):
        return x * k

    extend.register("stub_test_op")(stub_test_op)
    assert "stub_test_op" not in gen.render()["autodiff/__init__.pyi"]       # an op of a test, not autodiff's
    stub_test_op.__module__ = "autodiff.ops.stub_test"                        # as if declared in autodiff/ops
    try:
        assert "def stub_test_op(x, k=2) -> Tensor" in gen.render()["autodiff/__init__.pyi"]
        assert "def stub_test_op(self, k=2) -> Tensor" in gen.render()["autodiff/tensor.pyi"]
    finally:
        del OPS["stub_test_op"], ad.stub_test_op, ad.Tensor.stub_test_op, ad.functional.stub_test_op
        ad.functional.__all__.remove("stub_test_op")


def test_the_stubs_and_the_typed_marker_are_packaged():
    text = (ROOT / "pyproject.toml").read_text()
    assert '[tool.setuptools.package-data]\nautodiff = ["py.typed", "*.pyi"]' in text
    assert (ROOT / "autodiff" / "py.typed").exists()


# ------------------------------------------------------------------ the heap setting
HEAP = """
import autodiff as ad, nn, numpy as np
print(ad.backend.heap_slack)
model = nn.Sequential([nn.layers.Dense(2, input_shape=(3,))])
model.compile(loss="mse")
model.train_step(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32))
print(ad.backend.heap_slack)
"""


LOOP = """
import autodiff as ad, nn, numpy as np
print(ad.backend.heap_slack)
w = ad.tensor(np.ones(3, np.float32), requires_grad=True)
optimizer = nn.optimizers.SGD([w], learning_rate=0.1)
(w * w).sum().backward()
print(ad.backend.heap_slack)
optimizer.step()
print(ad.backend.heap_slack)
"""


def _heap(script=HEAP, **env):
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("ROSENBLATT_")}, **env})
    return done.stdout.split()


def _glibc():
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


def test_importing_leaves_the_heap_alone_and_training_asks_for_slack_explicitly():
    slack = str(64 << 20) if _glibc() else "0"
    assert _heap() == ["None", slack]                             # import: untouched; a training step: set
    assert _heap(ROSENBLATT_NO_HEAP_TUNING="1") == ["None", "0"]  # the opt-out
    assert _heap(ROSENBLATT_MALLOC_TOP_PAD="0") == ["None", "0"]
    assert _heap(ROSENBLATT_MALLOC_TOP_PAD=str(1 << 20)) == ["None", str(1 << 20) if _glibc() else "0"]
    # a PyTorch-style loop: an nn optimizer's first step asks for it (a backward alone does not)
    assert _heap(LOOP) == ["None", "None", slack]
