"""The `skae` command: its outputs, its progress line and its one-line errors."""

import csv
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from skae import cli

TRAINING = ["--epochs", "2", "--hidden-layer-sizes", "8", "--batch-size", "16"]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(*argv, stderr=None):
    """``(status, stdout, stderr)`` of the command, run in this process."""
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    status = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=float)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A numeric CSV of 80 rows and 5 columns; row 0 is far from the others."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5))
    X[:, 3] = X[:, 0] + X[:, 1]  # some structure to learn
    X[0] = 25.0
    path = tmp_path_factory.mktemp("cli") / "table.csv"
    np.savetxt(path, X, delimiter=",", header="a,b,c,d,e", comments="")
    return path


# ----------------------------------------------------------------------
# bad input: one line on stderr, status 1, before Keras is even needed
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("a,b\n", "header row but no data rows"),
        ("a,b,c\n1,2,3\n4,red,6\n", "column 'b' is not numeric (line 3 holds 'red')"),
        ("a,b,c\n1,2,3\n4,,6\n", "column 'b' has a missing value (NaN) on line 3"),
        ("a,b,c\n1,2,3\n4,NaN,6\n", "column 'b' has a missing value (NaN) on line 3"),
        ("a,b,c\n1,2,3\n4,inf,6\n", "only finite numbers"),
        ("a,b\n1,2\n3\n", "line 3 has 1 value, but the header has 2 columns"),
        ("a,b\n1,2\n\n3,x\n", "column 'b' is not numeric (line 4 holds 'x')"),
        ("1,2\n3,4\n", "expected a header row"),
        ("a,a\n1,2\n", "duplicate column names ['a']"),
    ],
)
@pytest.mark.parametrize("command", ["embed", "detect", "fit"])
def test_bad_input_is_one_line_and_status_1(tmp_path, command, content, message):
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_text(content)
    out = tmp_path / ("model.skae" if command == "fit" else "out.csv")
    status, _, err = run(command, path, "-o", out)
    assert status == 1
    assert err == f"skae {command}: error: {path}: " + err.split(f"{path}: ", 1)[1]
    assert err.count("\n") == 1 and message in err
    assert not out.exists()


def test_bad_input_from_the_console_script_shows_no_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y\n1,oops\n")
    result = subprocess.run(
        [sys.executable, "-m", "skae.cli", "embed", str(path), "-o", str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"skae embed: error: {path}: column 'y' is not numeric (line 2 holds "
        "'oops'); encode it as numbers or drop the column.\n"
    )
    assert "Traceback" not in result.stderr


def test_output_directory_is_checked_before_training(table, tmp_path):
    status, _, err = run("embed", table, "-o", tmp_path / "missing" / "out.csv")
    assert status == 1 and "does not exist" in err and err.count("\n") == 1


def test_too_many_components_is_a_clear_error(table, tmp_path):
    status, _, err = run("embed", table, "-o", tmp_path / "o.csv", "--n-components", "9")
    assert status == 1
    assert "--n-components 9 is larger than the 5 columns" in err


def test_n_components_defaults_to_each_estimators_own(table, tmp_path, capsys):
    """2 for the autoencoders, ``auto`` for the detector, as their classes."""
    parser = cli.build_parser()
    detect = parser.parse_args(["detect", str(table), "-o", "o.csv"])
    embed = parser.parse_args(["embed", str(table), "-o", "o.csv"])
    fit = parser.parse_args(["fit", str(table), "-o", "m.skae", "--model", "detector"])
    assert cli._training_params(detect)["n_components"] == "auto"
    assert cli._training_params(fit)["n_components"] == "auto"
    assert cli._training_params(embed)["n_components"] == 2
    status, _, err = run("embed", table, "-o", tmp_path / "o.csv", "--n-components", "auto")
    assert status == 1 and "--n-components auto is the detector's" in err
    status, _, _ = run("detect", table, "-o", tmp_path / "o.csv", "--n-components", "two")
    assert status == 2 and "expected a positive integer, got 'two'" in capsys.readouterr().err


def test_an_existing_output_is_kept_unless_force_is_given(table, tmp_path):
    out = tmp_path / "codes.csv"
    out.write_text("keep me\n")
    status, _, err = run("embed", table, "-o", out, *TRAINING)
    assert status == 1
    assert err == (
        f"skae embed: error: {out}: the file already exists; add --force to "
        "overwrite it, or give -o another file name.\n"
    )
    assert out.read_text() == "keep me\n"  # refused before training, nothing written

    status, _, err = run("embed", table, "-o", out, "--force", "--quiet", *TRAINING)
    assert status == 0, err
    assert read_csv(out)[1].shape == (80, 2)


@pytest.mark.parametrize("alias", ["same", "dot", "hard link", "symbolic link"])
def test_the_input_is_never_overwritten_even_with_force(table, tmp_path, alias):
    data = tmp_path / "data.csv"
    data.write_bytes(table.read_bytes())
    out = {
        "same": data,
        "dot": tmp_path / "." / "data.csv",
        "hard link": tmp_path / "link.csv",
        "symbolic link": tmp_path / "symlink.csv",
    }[alias]
    if alias == "hard link":
        os.link(data, out)
    if alias == "symbolic link":
        os.symlink(data, out)
    status, _, err = run("detect", data, "-o", out, "--force", *TRAINING)
    assert status == 1
    assert err == (
        f"skae detect: error: {out}: this is the input file {data}; give -o "
        "another file name (--force never overwrites the input).\n"
    )
    assert data.read_bytes() == table.read_bytes()


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--noise-level", "0.1"],
            "--noise-level applies only to --model denoising (got --model "
            "autoencoder); add --model denoising or drop --noise-level",
        ),
        (
            ["--model", "vae", "--noise-level", "0.1"],
            "--noise-level applies only to --model denoising (got --model vae)",
        ),
        (
            ["--no-early-stopping", "--validation-fraction", "0.2"],
            "--validation-fraction applies only with early stopping; drop "
            "--validation-fraction or --no-early-stopping",
        ),
    ],
)
def test_an_option_of_another_model_is_a_usage_error(table, tmp_path, argv, message, capsys):
    assert cli.main(["embed", str(table), "-o", str(tmp_path / "o.csv"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_estimator_errors_name_the_flags(tmp_path):
    path = tmp_path / "five.csv"
    np.savetxt(path, np.arange(15.0).reshape(5, 3), delimiter=",", header="a,b,c", comments="")
    # five rows train (too few to hold one out: without early stopping)
    status, _, err = run("embed", path, "-o", tmp_path / "o.csv", *TRAINING)
    assert status == 0, err
    argv = ["embed", path, "-o", tmp_path / "o.csv", "--force", *TRAINING]
    status, _, err = run(*argv, "--learning-rate", "1e12")
    assert status == 1
    assert err.startswith("skae embed: error: Training of AutoencoderTransformer diverged")
    assert err.endswith(
        "Lower --learning-rate, scale X (e.g. with --standardize), or check X for "
        "extreme values.\n"
    )
    # the fix the message names first works
    status, _, err = run(*argv, "--learning-rate", "1e-3")
    assert status == 0, err


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            "Lower learning_rate, or pass n_components=3.",
            "Lower --learning-rate, or pass --n-components 3.",
        ),
        (
            "with early_stopping=True and batch_size=64",
            "with early stopping and --batch-size 64",
        ),
        (
            "noise_level=0.5, hidden_layer_sizes=(16, 8), contamination='auto'",
            "--noise-level 0.5, --hidden-layer-sizes 16,8, --contamination auto",
        ),
        ("ran 200 epochs; n_samples=5", "ran 200 epochs; n_samples=5"),
        (
            "Lower learning_rate, scale X (e.g. with StandardScaler)",
            "Lower --learning-rate, scale X (e.g. with --standardize)",
        ),
    ],
)
def test_parameter_names_become_flags(message, expected):
    assert cli.in_flags(message) == expected


@pytest.fixture
def huge(tmp_path):
    """A small CSV of values around 1e300: finite, but their squares are not."""
    path = tmp_path / "huge.csv"
    X = np.random.RandomState(0).normal(size=(12, 3)) * 1e300
    np.savetxt(path, X, delimiter=",", header="a,b,c", comments="")
    return path


def test_values_too_large_to_score_are_refused_and_nothing_written(huge, tmp_path):
    # the estimator refuses them at fit (their squared errors would overflow);
    # the command's own guard against writing non-finite scores stays behind it
    out = tmp_path / "scores.csv"
    status, _, err = run("detect", huge, "-o", out, "--quiet", *TRAINING)
    assert status == 1
    assert err.startswith("skae detect: error: ") and err.count("\n") == 1
    assert "2.55e+300" in err and "Rescale" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["embed", "detect"])
def test_standardize_overflow_names_the_cause(huge, tmp_path, command):
    out = tmp_path / "o.csv"
    status, _, err = run(command, huge, "-o", out, "--standardize", *TRAINING)
    assert status == 1
    assert err.startswith(
        f"skae {command}: error: {huge}: column 'a' holds values too large for "
        "--standardize (up to "
    )
    assert "divide" in err and "NaN" not in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["embed", "x.csv"], "the following arguments are required: -o/--output"),
        (["detect", "x.csv", "-o", "y.csv", "--contamination", "0.7"], "fraction in (0, 0.5]"),
        (["embed", "x.csv", "-o", "y.csv", "--model", "pca"], "invalid choice: 'pca'"),
        (["embed", "x.csv", "-o", "y.csv", "--epochs", "0"], "expected a positive integer"),
        (["embed", "x.csv", "-o", "y.csv", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_exit_with_status_2(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("skae 0.")


# ----------------------------------------------------------------------
# embed and detect
# ----------------------------------------------------------------------
def test_embed_writes_one_row_of_codes_per_input_row(table, tmp_path):
    out = tmp_path / "codes.csv"
    status, stdout, err = run("embed", table, "-o", out, "--n-components", "3", *TRAINING)
    assert status == 0 and stdout == ""
    header, codes = read_csv(out)
    assert header == [f"autoencodertransformer{i}" for i in range(3)]
    assert codes.shape == (80, 3) and np.all(np.isfinite(codes))
    assert "trained AutoencoderTransformer on 80 rows x 5 columns: 2 epochs" in err
    assert f"wrote 80 rows of 3 codes to {out}" in err

    # the same seed gives the same codes
    again = tmp_path / "again.csv"
    assert run("embed", table, "-o", again, "--n-components", "3", "--quiet", *TRAINING)[0] == 0
    np.testing.assert_array_equal(read_csv(again)[1], codes)


@pytest.mark.parametrize(
    "model, prefix",
    [("vae", "variationalautoencodertransformer"), ("denoising", "denoisingautoencoder")],
)
def test_embed_with_other_models(table, tmp_path, model, prefix):
    import skae

    name = cli.MODELS[model]
    try:
        getattr(skae, name)
    except (AttributeError, ImportError):
        pytest.skip(f"skae.{name} is not available")
    out = tmp_path / "codes.csv"
    extra = ["--noise-level", "0.1"] if model == "denoising" else []
    status, _, err = run(
        "embed", table, "-o", out, "--model", model, "--standardize", *TRAINING, *extra
    )
    assert status == 0, err
    header, codes = read_csv(out)
    assert header == [f"{prefix}0", f"{prefix}1"] and codes.shape == (80, 2)
    assert f"trained {name}" in err


def test_embed_to_stdout(table):
    status, stdout, err = run("embed", table, "-o", "-", "--quiet", *TRAINING)
    assert status == 0 and err == ""
    lines = stdout.splitlines()
    assert lines[0] == "autoencodertransformer0,autoencodertransformer1"
    assert len(lines) == 81


def test_detect_scores_and_labels_every_row(table, tmp_path):
    out = tmp_path / "scores.csv"
    status, _, err = run("detect", table, "-o", out, "--contamination", "0.05", *TRAINING)
    assert status == 0, err
    header, values = read_csv(out)
    assert header == ["anomaly_score", "label"] and values.shape == (80, 2)
    scores, labels = values[:, 0], values[:, 1]
    assert set(labels) == {-1.0, 1.0}
    assert np.sum(labels == -1) == 4  # 5 % of 80 rows
    assert np.argmax(scores) == 0 and labels[0] == -1  # the far row
    assert np.all(scores[labels == -1].min() >= scores[labels == 1].max())
    assert f"4 of 80 rows are outliers (label -1); wrote {out}" in err


def test_progress_bar_on_a_terminal(table, tmp_path):
    err = Terminal()
    status, _, _ = run("embed", table, "-o", tmp_path / "o.csv", *TRAINING, stderr=err)
    assert status == 0
    text = err.getvalue()
    assert "\rtraining [" in text and "epoch 2/2 loss" in text
    assert "\rtraining [############............] epoch 1/2" in text


def test_verbose_hands_progress_to_keras(table, tmp_path, capsys):
    err = Terminal()
    run("embed", table, "-o", tmp_path / "o.csv", "--verbose", *TRAINING, stderr=err)
    assert "\rtraining [" not in err.getvalue()
    assert "Epoch 1/2" in capsys.readouterr().out  # Keras's own progress bar


def test_training_failure_is_one_line(table, tmp_path, monkeypatch):
    import skae

    def diverge(self, X, y=None, sample_weight=None):
        raise ValueError("Training of AutoencoderTransformer diverged:\nthe loss became NaN.")

    monkeypatch.setattr(skae.AutoencoderTransformer, "fit", diverge)
    status, _, err = run("embed", table, "-o", tmp_path / "o.csv", *TRAINING)
    assert status == 1
    assert err == (
        "skae embed: error: Training of AutoencoderTransformer diverged: the loss "
        "became NaN.\n"
    )


# ----------------------------------------------------------------------
# demo
# ----------------------------------------------------------------------
def test_demo_passes_its_arguments_to_the_flagship_comparison(monkeypatch, tmp_path):
    from skae._cli import demo as _demo

    calls = []

    def fake_main(argv, *, prog):
        calls.append((argv, prog))
        return {"check": True, "goal_passed": False}

    monkeypatch.setattr(_demo, "main", fake_main)
    status, _, _ = run("demo", "--quick", "--output-dir", tmp_path, "--check")
    assert calls == [(["--quick", "--output-dir", str(tmp_path), "--check"], "skae demo")]
    assert status == 1  # --check and the goal failed


def test_demo_help_is_the_demo_s_own(capsys):
    assert cli.main(["demo", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: skae demo") and "--quick" in out
