"""The main job: the tutorial's network on the full MNIST, and its pictures."""
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

import mnist_mlp  # noqa: E402


def test_the_tutorials_network_reaches_keras_accuracy_in_5_epochs(capsys):
    test_acc = mnist_mlp.main(["--seed", "0"])
    out = capsys.readouterr().out
    assert test_acc >= 0.975
    assert f"test_acc: {test_acc:.4f}" in out
    epoch_lines = [line for line in out.splitlines() if line.startswith("469/469")]
    assert len(epoch_lines) == 5
    first_loss = float(epoch_lines[0].split("loss: ")[1].split()[0])
    last_loss = float(epoch_lines[-1].split("loss: ")[1].split()[0])
    assert 0.2 < first_loss < 0.32 and last_loss < 0.06        # Keras: about 0.26 and 0.04


def test_plots_are_pngs_of_the_expected_size(tmp_path, capsys):
    mnist_mlp.main(["--epochs", "1", "--seed", "1", "--plots", str(tmp_path)])
    sizes = {"digits.png": (1000, 1000), "history.png": (400, 1000), "misclassified.png": (500, 1000)}
    for name, (height, width) in sizes.items():
        path = tmp_path / name
        assert path.stat().st_size > 1000
        assert matplotlib.image.imread(path).shape[:2] == (height, width)
    assert "wrote" in capsys.readouterr().out


def test_plots_without_matplotlib_say_what_to_install(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; sys.path.insert(0, 'examples'); "
            f"import mnist_mlp; mnist_mlp.main(['--plots', {str(tmp_path)!r}])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "pip install -e '.[plot]'" in result.stderr
    assert not list(tmp_path.iterdir())


def test_fashion_option_trains_on_fashion_mnist(monkeypatch):
    calls = []
    monkeypatch.setattr(mnist_mlp.fashion_mnist, "load_data", lambda path=None: calls.append(1) or _tiny())
    monkeypatch.setattr(mnist_mlp.mnist, "load_data", lambda path=None: pytest.fail("MNIST loaded instead of Fashion"))
    assert 0 <= mnist_mlp.main(["--fashion", "--epochs", "1", "--batch-size", "16"]) <= 1
    assert calls == [1]


def _tiny():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 64, dtype=np.uint8)
    return (x, y), (x[:16], y[:16])
