"""Graph drawings: the DOT text matches the op graph, and the real `dot` renders it."""
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz import GraphvizNotFound, trace


def neuron():
    x = ad.tensor([1.0, 0.0], requires_grad=True, name="x")
    w = ad.tensor([0.1, 0.2], requires_grad=True, name="w")
    b = ad.tensor(-0.2, requires_grad=True, name="b")
    return x, w, b, ((x * w).sum() + b).sigmoid()


def nodes_and_edges(g):
    nodes = {m.group(1): m.group(2) for m in re.finditer(r'^\s*(\w+) \[label=("(?:[^"\\]|\\.)*"|\S+)', g.source, re.M)}
    edges = re.findall(r"^\s*(\w+) -> (\w+)", g.source, re.M)
    return nodes, edges


def test_one_node_per_tensor_and_op_and_one_edge_per_dependency():
    x, w, b, out = neuron()
    loss = (out - 1.0) ** 2
    g = ad.draw_graph(loss)
    nodes, edges = nodes_and_edges(g)
    tensors, inputs_of = trace([loss])
    ops = [t._node for t in tensors if t._node is not None]
    assert sum(n.startswith("t") for n in nodes) == len(tensors) == 11
    assert sum(n.startswith("op") for n in nodes) == len(ops) == 6
    assert len(edges) == sum(len(inputs_of[id(op)]) + 1 for op in ops)
    labels = " ".join(nodes.values())
    for text in ("mul", "sum", "add", "sigmoid", "sub", "pow", "x |", "w |", "b |", "(2) float32"):
        assert text in labels


def test_op_labels_show_their_settings():
    x = ad.tensor(np.ones((128, 28, 28), dtype=np.float32), requires_grad=True)
    w = ad.tensor(np.ones((784, 3), dtype=np.float32), requires_grad=True)
    y = (x.reshape(128, 784) @ w).sum(axis=1)
    source = ad.draw_graph(y).source
    for label in ("reshape(128, 784)", "matmul", "sum(axis=1)"):
        assert label in source


def test_values_and_gradients_and_the_note_before_backward():
    x, w, b, out = neuron()
    before = ad.draw_graph(out, show_data=True, show_grad=True).source
    assert "no gradients yet: call backward() first" in before
    assert "grad none yet" in before
    out.backward()
    after = ad.draw_graph(out, show_data=True, show_grad=True).source
    assert "no gradients yet" not in after
    assert "data [0.1, 0.2]" in after and "data -0.2" in after
    assert f"grad {b.grad.item():.4g}" in after
    big = ad.tensor(np.arange(100.0), requires_grad=True)
    (big * big).sum().backward()
    summary = ad.draw_graph(big * 1, show_data=True, show_grad=True).source
    assert "mean 49.5" in summary and f"norm {np.linalg.norm(2 * np.arange(100.0)):.4g}" in summary


def test_scopes_become_clusters_and_collapse_to_boxes():
    x = ad.tensor(np.ones((4, 3), dtype=np.float32))
    with ad.name_scope("dense_1"):
        w1 = ad.tensor(np.ones((3, 5), dtype=np.float32), requires_grad=True)
        h = (x @ w1).relu()
    with ad.name_scope("dense_2"):
        w2 = ad.tensor(np.ones((5, 2), dtype=np.float32), requires_grad=True)
        y = (h @ w2).softmax()
    expanded = ad.draw_graph(y).source
    assert "subgraph cluster_dense_1" in expanded and "subgraph cluster_dense_2" in expanded
    cluster = expanded.split("subgraph cluster_dense_1")[1].split("\n\t}")[0]
    assert "relu" in cluster and "matmul" in cluster and "softmax" not in cluster
    collapsed = ad.draw_graph(y, collapse=True)
    nodes, edges = nodes_and_edges(collapsed)
    (outside,) = set(nodes) - {"box_dense_1", "box_dense_2"}
    assert "(4, 3) float32" in nodes[outside]
    assert sorted(edges) == [("box_dense_1", "box_dense_2"), (outside, "box_dense_1")]
    assert "2 ops, 1 parameters (15)" in collapsed.source
    only_first = ad.draw_graph(y, collapse=["dense_1"]).source
    assert "box_dense_1" in only_first and "subgraph cluster_dense_2" in only_first


def test_several_roots_names_direction_and_legend():
    x, w, b, out = neuron()
    other = (w * 3).sum()
    g = ad.draw_graph([out, other], names={"weights": w}, rankdir="TB", direction="backward", legend=True)
    nodes, edges = nodes_and_edges(g)
    assert sum("weights" in label for label in nodes.values()) == 1
    assert "rankdir=TB" in g.source and "cluster_legend" in g.source
    assert g.source.count("#c0392b") == len(edges)          # every edge: the legend is one node, no edges
    forward = nodes_and_edges(ad.draw_graph([out, other]))[1]
    assert sorted((h, t) for t, h in forward) == sorted(e for e in edges if not e[0].startswith("legend"))
    with pytest.raises(ValueError, match="rankdir"):
        ad.draw_graph(out, rankdir="XY")


def test_a_graph_past_the_node_limit_is_summarised():
    x = ad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(500):
        y = y * 1.001
    g = ad.draw_graph(y, max_nodes=60)
    nodes, _ = nodes_and_edges(g)
    assert len(nodes) <= 60
    assert "not shown" in g.source and "max_nodes=60" in g.source


def test_rendering_with_the_real_dot_gives_svg_with_the_labels(tmp_path):
    # scripts/test installs Graphviz, so a missing dot fails here instead of passing unseen.
    x, w, b, out = neuron()
    out.backward()
    path = ad.draw_graph(out, show_data=True, show_grad=True).render(tmp_path / "neuron", format="svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for label in ("sigmoid", "mul", "w", "data 0.475", "grad 0.2494"):
        assert label in text


def test_without_dot_render_says_what_to_install_and_source_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    x, w, b, out = neuron()
    g = ad.draw_graph(out)
    assert "sigmoid" in g.source
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        g.render(tmp_path / "neuron", format="svg")
    with pytest.raises(GraphvizNotFound, match="brew install graphviz"):
        g.pipe(format="png")


def test_freed_intermediates_are_drawn_by_shape_unless_values_were_kept():
    x = ad.tensor([1.0, 0.0], requires_grad=True, name="x")
    out = (x * 3.0).sum().sigmoid()
    out.backward()
    plain = ad.draw_graph(out, show_data=True).source
    assert "data not kept" in plain and "(2) float32" in plain
    with ad.keep_values():
        kept = (x * 3.0).sum().sigmoid()
    kept.backward()
    source = ad.draw_graph(kept, show_data=True).source
    assert "data [3, 0]" in source and "data 3" in source        # x * 3 and its sum, after backward
    assert ad.is_grad_enabled() and not ad.mode._state.keep_values


def test_pictures_are_compact_and_scale_to_the_cell_width_inline():
    x, w, b, out = neuron()
    out.backward()
    g = ad.draw_graph(out, show_data=True, show_grad=True, legend=True)
    labels = [line for line in g.source.splitlines() if "shape=record" in line]
    # Under LR a record's top-level fields stack (name, shape, data, grad one under the other); under TB
    # braces turn them the same way.
    assert labels and not any('label="{' in line for line in labels)
    tb = ad.draw_graph(out, show_data=True, show_grad=True, rankdir="TB").source
    assert all('label="{' in line for line in tb.splitlines() if "shape=record" in line)
    assert g.source.count("legend") == 1 + g.source.count("cluster_legend"), "the legend is one node"
    svg = g._repr_mimebundle_()["image/svg+xml"]
    tag = re.search(r"<svg[^>]*>", svg).group(0)
    assert "max-width: 100%" in tag and "height: auto" in tag and "viewBox" in tag
    width = float(re.search(r'width="([\d.]+)pt"', tag).group(1))
    assert width < 900, "the sigmoid neuron fits a 1280 px cell (900 pt is 1200 px) without scaling"
