"""`make demo` runs benchmarks/pca_vs_autoencoder.py: its quick mode must work."""

import importlib.util
from pathlib import Path

import pytest

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
    # a few epochs are no test of the full run's goal: no verdict either way
    [goal] = [line for line in printed.splitlines() if line.startswith("goal:")]
    assert "not measured (--quick" in goal
    assert "PASS" not in goal and "FAIL" not in goal
    assert goal in (tmp_path / "results.md").read_text()
    for name in ("results.csv", "results.md", "pca_vs_autoencoder.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "results.csv").read_text().count("\n") >= 3


def test_the_goal_verdict_is_given_on_a_full_run_only():
    from skae._cli.demo import GOAL_N_COMPONENTS, evaluate_goal, format_goal

    rows = [{"n_components": GOAL_N_COMPONENTS, "ae_pca_ratio": 0.92}]
    assert evaluate_goal(rows) == (0.92, False)
    assert format_goal(*evaluate_goal(rows)).endswith("FAIL (measured 0.92)")
    assert evaluate_goal([{**rows[0], "ae_pca_ratio": 0.5}]) == (0.5, True)
    assert evaluate_goal(rows, quick=True) == (0.92, None)
    assert ": not measured (--quick" in format_goal(*evaluate_goal(rows, quick=True))
    assert evaluate_goal([], quick=True) == (None, None)


def test_check_refuses_a_quick_run(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _load("pca_vs_autoencoder").main(["--quick", "--check", "--output-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "drop --quick" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
