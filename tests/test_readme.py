"""Every Python block of the README runs as written, each on its own in a fresh interpreter, and
says what the README says it does; none leaves a file in the folder it runs in."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)

# What each block must print, found by a line of the block (the blocks are named by what they hold).
EXPECTED = {
    "y.backward()": [],
    '@register("softsign")': [r"Tensor\(\[0\.11111111, 0\.44444445, 0\.0625 *\]\)"],
    "ad.draw_graph(out": [r"neuron\.svg"],
    "network.compile(": [r"test_acc: 0\.9[7-9]\d*"],
    "loss_fn = losses.CategoricalCrossentropy()": [r"epoch 5: loss 0\.\d+"],
    "class Scale(layers.Layer):": [r"\(None, 3\) 6 10"],
    "model = nn.Model(inputs, outputs)": [r"restored: \{'loss': 0\.\d+, 'accuracy': 0\.9[6-9]\d*\}"],
}


def block_named(marker):
    found = [code for code in BLOCKS if marker in code]
    assert len(found) == 1, f"the README should have one Python block with {marker!r}, found {len(found)}"
    return found[0]


def test_every_python_block_of_the_readme_is_checked_here():
    assert len(BLOCKS) == len(EXPECTED)
    for code in BLOCKS:
        assert sum(marker in code for marker in EXPECTED) == 1, code[:200]


@pytest.mark.parametrize("marker", list(EXPECTED))
def test_readme_block_runs_as_written(marker, tmp_path):
    code = block_named(marker)
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for pattern in EXPECTED[marker]:
        assert re.search(pattern, done.stdout), f"{pattern!r} not in:\n{done.stdout[-2000:]}"
    assert list(work.iterdir()) == [], "a README block left files where it ran"
    if marker == "ad.draw_graph(out":
        (svg,) = scratch.glob("*/neuron.svg")               # in the temporary folder the block names
        assert "sigmoid" in svg.read_text()
        assert not list(scratch.glob("*/neuron")), "the DOT source is cleaned up"
