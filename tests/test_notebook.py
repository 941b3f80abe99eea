"""The tutorial notebook runs top to bottom in a Python kernel and shows what the tutorial says."""
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"


def test_the_tutorial_notebook_runs_and_shows_its_results(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "the notebook is committed without outputs; running it makes them"
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts, kinds = [], []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type in ("display_data", "execute_result"):
                kinds.append(set(output.data))
                texts.append(output.data.get("text/plain", ""))
    text = "\n".join(texts)
    assert "weights [0.1, 0.2] bias -0.2" in text                     # Rosenblatt's rule on AND
    assert "d out / d b 0.2494" in text                               # the sigmoid neuron's gradient
    assert any("image/svg+xml" in k for k in kinds)                   # its graph, drawn inline
    assert sum("image/png" in k for k in kinds) >= 3                  # digits, curves, mistakes
    accuracy = float(re.search(r"test_acc: (0\.\d+)", text).group(1))
    assert accuracy > 0.97
    assert "learned y = 2.9" in text or "learned y = 3.0" in text      # SGD found the line
    assert list(tmp_path.iterdir()) == []                             # it writes no files
