"""The examples people run: the perceptron, the tensor tour, graph pictures."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

import perceptron  # noqa: E402


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "XOR"])
def test_nn_perceptron_equals_the_classic_rule(gate):
    labels = perceptron.GATES[gate]
    w, b = perceptron.classic_perceptron(perceptron.INPUTS.astype(np.float64), labels.astype(np.float64))
    dense = perceptron.nn_perceptron(perceptron.INPUTS, labels).layers[0]
    np.testing.assert_allclose(dense.kernel.data.reshape(-1), w, atol=1e-6)
    assert dense.bias.data[0] == pytest.approx(b, abs=1e-6)


def test_and_ends_where_the_tutorial_says():
    dense = perceptron.nn_perceptron(perceptron.INPUTS, perceptron.GATES["AND"]).layers[0]
    np.testing.assert_allclose(dense.kernel.data.reshape(-1), [0.1, 0.2], atol=1e-6)
    assert dense.bias.data[0] == pytest.approx(-0.2, abs=1e-6)


def test_xor_defeats_a_perceptron_and_not_a_small_network():
    model = perceptron.nn_perceptron(perceptron.INPUTS, perceptron.GATES["XOR"])
    assert (model.predict(perceptron.INPUTS).reshape(-1) == perceptron.GATES["XOR"]).sum() < 4
    predictions = perceptron.xor_network().predict(perceptron.INPUTS).reshape(-1)
    np.testing.assert_array_equal(predictions > 0.5, perceptron.GATES["XOR"] > 0.5)


@pytest.mark.parametrize("script,expected", [
    ("perceptron.py", "AND: weights [0.1, 0.2], bias -0.2"),
    ("tensors.py", "broadcasting x (2, 3) + y (3,): ndim=2 shape=(2, 3) dtype=float32"),
])
def test_examples_run_and_print(script, expected):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True, text=True,
                            timeout=300, check=True)
    assert expected in result.stdout


def test_render_graph_example_writes_svgs_with_the_layers(tmp_path):
    import xml.etree.ElementTree as ET

    import render_graph

    written = render_graph.main([str(tmp_path)])
    assert [Path(p).name for p in written] == ["neuron.svg", "mlp_step_collapsed.svg", "mlp_step.svg",
                                               "convnet_step_collapsed.svg"]
    texts = {}
    for path in written:
        root = ET.parse(path).getroot()
        texts[Path(path).name] = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "sigmoid" in texts["neuron.svg"] and "grad 0.2494" in texts["neuron.svg"]
    assert "2 parameters (401,920)" in texts["mlp_step_collapsed.svg"]
    assert "layers.0.kernel" in texts["mlp_step.svg"] and "relu" in texts["mlp_step.svg"]
    convnet = texts["convnet_step_collapsed.svg"]
    for box in ("conv2d", "max_pooling2d", "flatten", "2 parameters (320)", "2 parameters (650)",
                "2 parameters (18,496)"):
        assert box in convnet


@pytest.mark.parametrize("script,expected", [
    ("perceptron.py", "Rosenblatt's perceptron, as the tutorial teaches it"),
    ("tensors.py", "The tutorial's tensor section"),
    ("mnist_mlp.py", "--data FOLDER"),
    ("mnist_convnet.py", "--fashion"),
    ("char_model.py", "--model {lstm,gru,transformer}"),
])
def test_examples_answer_help_without_running(script, expected):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--help"], capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.startswith("usage:") and expected in result.stdout


def test_plots_module_run_by_itself_says_how_it_is_used():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "plots.py")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and "python examples/mnist_mlp.py --plots DIR" in result.stderr


# ------------------------------------------------------------------ the character-level language model
@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_char_model_quick_run_learns_below_the_unigram_baseline(kind):
    """The CI version: a slice of Debian's word list and 300 steps (scripts/test installs wamerican).
    The transformer's positions cover the longest word of either split."""
    import char_model

    lines = []
    result = char_model.run(kind, quick=True, log=lines.append)
    assert result["validation"] < result["unigram"] and result["bigram"] < result["unigram"]
    assert result["steps"] == 300 and "baselines on validation" in lines[0]
    assert len(result["samples"]) == 10 and all(set(w) <= set(char_model.ALPHABET) for w in result["samples"])


def test_char_model_data_baselines_and_a_clear_error_without_a_list(tmp_path):
    import char_model

    words = tmp_path / "words.txt"
    words.write_text("\n".join(["ab", "ba", "Capital", "it's", "ab"] + ["abab"] * 3 + [f"b{'a' * i}" for i in range(20)]))
    assert char_model.load_words(str(words))[:3] == ["ab", "ba", "abab"]            # lowercase ASCII words, once
    inputs, targets = char_model.encode(["ab", "b"])
    np.testing.assert_array_equal(inputs, [[1, 2, 3], [1, 3, 0]])                   # END, a, b / END, b, PAD
    np.testing.assert_array_equal(targets, [[2, 3, 1], [3, 1, 0]])
    unigram, bigram = char_model.baselines(targets, inputs, targets, inputs)
    assert unigram == pytest.approx(-(2 * np.log(2 / 5) + 2 * np.log(2 / 5) + np.log(1 / 5)) / 5)
    # add-one smoothing over the 27 tokens that may follow (no PAD): rows END 2+27, a 1+27, b 2+27
    assert bigram == pytest.approx(-np.log([2 / 29, 2 / 28, 3 / 29, 2 / 29, 3 / 29]).mean())
    with pytest.raises(SystemExit, match="no word list at .*missing.txt.*--data FILE"):
        char_model.load_words(str(tmp_path / "missing.txt"))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "char_model.py"), "--data",
                             str(tmp_path / "none.txt")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "--data FILE" in result.stderr


def test_a_one_epoch_history_is_a_marked_point_on_a_sensible_axis(tmp_path, monkeypatch):
    import types

    import plots

    kept = []
    monkeypatch.setattr(plots.plt, "close", kept.append)       # keep the figure to look at its axes
    history = types.SimpleNamespace(history={"loss": [0.30], "accuracy": [0.91], "val_loss": [0.25],
                                             "val_accuracy": [0.93]})
    plots.plot_history(history, tmp_path / "history.png")
    loss, accuracy = kept[0].axes
    assert loss.get_xlim() == (0.5, 1.5) and list(loss.get_xticks()) == [1]
    assert all(line.get_marker() in ("o", "s") for line in loss.lines)       # each epoch a visible point
    low, high = accuracy.get_ylim()
    assert low < 0.91 and high > 0.93 and high - low < 0.1                   # around the values, not 0.96-1.04
    assert plots.value_range([2.0, 2.0]) == (1.8, 2.2) and plots.value_range([0.0]) == (-0.1, 0.1)
    assert (tmp_path / "history.png").stat().st_size > 0
