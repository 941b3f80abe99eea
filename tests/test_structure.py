"""The house's floors: nn's modules import one another one way only (function-level imports count)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path, package):
    """The modules of ``package`` that the file at ``path`` imports, anywhere in it (inside functions too)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name == "__init__.py":
        module = module.removesuffix(".__init__") + ".__init__"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[:-node.level]
                base = ".".join(parent + ([node.module] if node.module else []))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith(package + ".")}


def graph_of(package):
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in (ROOT / package).rglob("*.py")
             if p.name != "__init__.py"}
    return {m: {d for d in imports_of(p, package) if d in files and d != m} for m, p in files.items()}


def circles(graph):
    """Every pair of modules that reach each other."""
    def reaches(a, b):
        seen, todo = set(), [a]
        while todo:
            for n in graph[todo.pop()]:
                if n == b:
                    return True
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return False
    return sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if reaches(b, a)})


def test_the_walk_finds_a_circle_through_a_function_level_import():
    graph = {"nn.models": {"nn.training"}, "nn.training": {"nn.saving"}, "nn.saving": {"nn.models"}}
    assert ("nn.models", "nn.training") in circles(graph)
    assert circles({"nn.models": {"nn.training"}, "nn.training": set()}) == []


def test_nn_has_no_import_circle():
    graph = graph_of("nn")
    assert {"nn.models", "nn.training", "nn.saving", "nn.layers"} <= set(graph)
    assert circles(graph) == []


def test_trainer_saving_and_models_point_one_way():
    """Keras 3's split: the trainer knows no container and no file format; the archive knows no model."""
    graph = graph_of("nn")
    assert not graph["nn.training"] & {"nn.models", "nn.saving", "nn.layers"}
    assert not graph["nn.saving"] & {"nn.models", "nn.training"}
    assert {"nn.training", "nn.saving"} <= graph["nn.models"]


def test_autodiff_never_imports_nn():
    for path in (ROOT / "autodiff").rglob("*.py"):
        assert not imports_of(path, "nn") and "import nn" not in path.read_text(), path
