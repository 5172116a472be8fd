"""`make demo` runs benchmarks/pca_vs_autoencoder.py: its quick mode must work."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_quick_run_writes_its_table_and_plot(tmp_path, capsys):
    _load("pca_vs_autoencoder").main(["--quick", "--output-dir", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "n_components" in printed and "goal:" in printed
    for name in ("results.csv", "results.md", "pca_vs_autoencoder.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "results.csv").read_text().count("\n") >= 3
