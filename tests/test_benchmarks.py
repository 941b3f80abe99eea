"""The benchmarks run in their quickest mode so they cannot rot; no test asserts a time."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import mnist_epoch  # noqa: E402
import overhead  # noqa: E402
import step_phases  # noqa: E402


def test_mnist_epoch_benchmark_quick(capsys):
    ratios = mnist_epoch.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    assert set(ratios) == {"NumPy reference", "Rosenblatt", "Rosenblatt, NumPy RMSprop"}   # scripts/test builds the kernel
    assert "| Rosenblatt |" in out and "| NumPy reference |" in out and "BLAS:" in out and "kernel" in out
    # Both implementations train the same network on the same batches: the same loss and accuracy
    # up to float32 rounding.
    rows = {line.split("|")[1].strip(): line.split("|") for line in out.splitlines() if line.startswith("| ")}
    ref = rows["NumPy reference"]
    for ours in (rows["Rosenblatt"], rows["Rosenblatt, NumPy RMSprop"]):
        assert abs(float(ours[6]) - float(ref[6])) < 2e-3 and abs(float(ours[7]) - float(ref[7])) < 5e-3


def test_overhead_benchmark_quick(capsys):
    result = overhead.main(["--quick"])
    out = capsys.readouterr().out
    # The report prints what it measured: the figures returned are the figures shown.
    assert f"Rosenblatt: {result['per_op_us']:.1f} us" in out
    assert f"time ratio / length ratio: {result['growth']:.2f} (1.0 is linear)" in out


def test_step_phases_benchmark_quick(capsys):
    result = step_phases.main(["--quick"])
    out = capsys.readouterr().out
    assert "| optimizer update |" in out and "| whole step |" in out
    assert f"Rosenblatt / NumPy reference, whole step: {result['ratio']:.2f}" in out
    for name in ("NumPy reference", "Rosenblatt"):
        assert len(result[name]) == 4 and (result[name] > 0).all()
    optimizer_row = next(line for line in out.splitlines() if line.startswith("| optimizer update |"))
    assert optimizer_row.split("|")[2].strip() == f"{result['NumPy reference'][3]:.0f}"


def test_convnet_epoch_benchmark_quick(capsys):
    import convnet_epoch

    result = convnet_epoch.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    assert set(result["ratios"]) == {"NumPy reference", "Rosenblatt"}
    assert "| Rosenblatt |" in out and "| NumPy reference |" in out and "BLAS:" in out
    # The same network from the same weights on the same batches: the same learning, up to float32 rounding.
    losses = result["losses"]
    assert losses["Rosenblatt"] < 1.5 and abs(losses["Rosenblatt"] - losses["NumPy reference"]) < 0.05


def test_sequence_epoch_benchmark_quick(capsys):
    import sequence_epoch

    result = sequence_epoch.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    assert set(result["step"]) == {"Rosenblatt"} and result["memory"] > 0
    row = next(line for line in out.splitlines() if line.startswith("| Rosenblatt |"))
    assert row.split("|")[2].strip() == f"{result['step']['Rosenblatt']:.4f}"
    # 40 steps from the same start learn something: below the untrained loss (about log 28 = 3.33)
    assert result["validation"]["Rosenblatt"] < result["initial"]["Rosenblatt"] - 0.3
