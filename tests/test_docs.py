"""The documentation site: every python block of every page under docs/ runs and prints what its page
shows (tests/docblocks.py says how), and `mkdocs build --strict` builds the site without a warning."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docblocks import blocks_of, run_block

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md"))
BLOCKS = [block for page in PAGES for block in blocks_of(page.read_text(), str(page.relative_to(ROOT)))]


def test_the_docs_blocks_are_found():
    assert len(BLOCKS) >= 10, [b.name for b in BLOCKS]
    assert {"docs/autodiff.md", "docs/nn.md", "docs/writing-an-op.md"} <= {b.page for b in BLOCKS}


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_docs_block_runs_and_prints_what_the_page_shows(block, tmp_path):
    run_block(block, tmp_path)


def nav_pages(nav):
    for entry in nav:
        for value in (entry.values() if isinstance(entry, dict) else [entry]):
            yield from (nav_pages(value) if isinstance(value, list) else [value])


def test_every_page_is_in_the_nav_and_the_build_is_strict(built_site):
    import yaml                                    # PyYAML comes with MkDocs (the docs extra)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    assert config["strict"] == "true"
    pages = {str(p.relative_to(DOCS)) for p in PAGES if p.parent.name != "benchmarks"}   # those are included
    assert pages - set(nav_pages(config["nav"])) == set(), "a page under docs/ is missing from mkdocs.yml's nav"
    assert (built_site / "index.html").exists() and (built_site / "api" / "autodiff" / "index.html").exists()
    tutorial = (built_site / "tutorial" / "index.html").read_text()
    assert "<svg" in tutorial and "test_acc" in tutorial, "the tutorial page shows its executed outputs"
    reference = (built_site / "api" / "layers" / "index.html").read_text()
    assert "nn.layers.Conv2D" in reference and "kernel_size" in reference
