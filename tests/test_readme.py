"""Every Python block of the README runs as written, each on its own in a fresh interpreter in an
empty folder, and prints what the README shows after it (tests/docblocks.py says how)."""
from pathlib import Path

import pytest

from docblocks import blocks_of, run_block

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = blocks_of((ROOT / "README.md").read_text(), "README.md")


def test_the_readme_has_its_three_examples_each_showing_its_output():
    assert len(BLOCKS) == 3
    assert all(block.output for block in BLOCKS), "each example shows what it prints"
    assert [("ad.grad(" in b.code, "draw_graph" in b.code, "mnist" in b.code) for b in BLOCKS] == \
        [(True, False, False), (False, True, False), (False, False, True)]


def test_the_readme_is_a_landing_page_with_the_two_commands_first():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 160
    first_block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    assert first_block.splitlines()[0].startswith("bash scripts/mnist")
    assert first_block.splitlines()[1].startswith("bash scripts/test")
    assert "dataset-fashion-mnist" in text and "docs/conventions.md" in text
    for link in [part.split(")", 1)[0] for part in text.split("](")[1:]]:
        assert link.startswith("http") or (ROOT / link.split("#")[0]).exists(), link


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_readme_block_runs_as_written(block, tmp_path):
    _, scratch = run_block(block, tmp_path)
    if "draw_graph" in block.code:
        (svg,) = scratch.glob("*/neuron.svg")               # in the temporary folder the block names
        assert "sigmoid" in svg.read_text()
        assert not list(scratch.glob("*/neuron")), "the DOT source is cleaned up"
