"""The `skae` command's model files: fit, transform, score, info, --save-model."""

import os
import subprocess
import sys

import numpy as np
import pytest

from skae import cli

from .test_cli import TRAINING, read_csv, run, table  # noqa: F401 (table: a fixture)

@pytest.fixture(scope="module")
def models(table, tmp_path_factory):
    """Model files written by `skae fit`: an autoencoder and a detector."""
    folder = tmp_path_factory.mktemp("models")
    files = {
        "autoencoder": folder / "autoencoder.skae",
        "detector": folder / "detector.skae",
    }
    extra = {"autoencoder": [], "detector": ["--contamination", "0.05"]}
    for model, path in files.items():
        status, _, err = run("fit", table, "-o", path, "--model", model, *TRAINING, *extra[model])
        assert status == 0, err
        assert f"saved {cli.FIT_MODELS[model]} to {path}" in err
    return files


def test_fit_then_transform_writes_what_embed_writes(table, models, tmp_path):
    embedded, saved = tmp_path / "embed.csv", tmp_path / "embed.skae"
    status, _, err = run("embed", table, "-o", embedded, "--save-model", saved, *TRAINING)
    assert status == 0, err
    assert f"saved AutoencoderTransformer to {saved}" in err
    # the model of `fit`, and the one `embed` saved, give embed's codes again
    for model in (models["autoencoder"], saved):
        out = tmp_path / f"{model.stem}-codes.csv"
        status, _, err = run("transform", model, table, "-o", out)
        assert status == 0, err
        assert f"wrote 80 rows of 2 codes to {out}" in err
        assert out.read_text() == embedded.read_text()


def test_fit_detector_then_score_writes_what_detect_writes(table, models, tmp_path):
    detected, saved = tmp_path / "detect.csv", tmp_path / "detect.skae"
    argv = ["--contamination", "0.05", "--save-model", saved, "--quiet", *TRAINING]
    assert run("detect", table, "-o", detected, *argv)[0] == 0
    for model in (models["detector"], saved):
        out = tmp_path / f"{model.stem}-scores.csv"
        status, _, err = run("score", model, table, "-o", out)
        assert status == 0, err
        assert f"4 of 80 rows are outliers (label -1); wrote {out}" in err
        assert out.read_text() == detected.read_text()
    assert read_csv(detected)[0] == ["anomaly_score", "label"]


def test_score_of_a_transformer_is_minus_score_samples(table, models, tmp_path):
    import skae

    out = tmp_path / "scores.csv"
    status, _, err = run("score", models["autoencoder"], table, "-o", out, "--quiet")
    assert status == 0 and err == ""
    header, values = read_csv(out)
    assert header == ["anomaly_score"] and values.shape == (80, 1)
    estimator = skae.load(models["autoencoder"])
    X = np.loadtxt(table, delimiter=",", skiprows=1)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        expected = -estimator.score_samples(X)
    np.testing.assert_allclose(values[:, 0], expected, rtol=1e-12)
    assert np.argmax(values[:, 0]) == 0  # the far row


def test_transform_refuses_a_detector_and_names_score(table, models, tmp_path):
    out = tmp_path / "codes.csv"
    status, _, err = run("transform", models["detector"], table, "-o", out)
    assert status == 1
    assert err == (
        f"skae transform: error: {models['detector']} holds an "
        "AutoencoderOutlierDetector, which scores rows but has no codes; use `skae "
        f"score {models['detector']} ...`, or fit a --model autoencoder, vae or "
        "denoising for codes.\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "header, columns, problem",
    [
        (
            "b,a,c,d,e",
            [1, 0, 2, 3, 4],
            "the same columns in another order (column 1 is 'b', the model expects 'a')",
        ),
        ("a,b,c,d", [0, 1, 2, 3], "missing 'e'"),
        ("a,b,c,d,e,f", [0, 1, 2, 3, 4, 4], "unexpected 'f'"),
        ("a,b,c,e,f", [0, 1, 2, 4, 4], "missing 'd'; unexpected 'f'"),
    ],
)
@pytest.mark.parametrize("command", ["transform", "score"])
def test_columns_not_those_of_the_model_are_one_line(
    table, models, tmp_path, command, header, columns, problem
):
    data = tmp_path / "other.csv"
    X = np.loadtxt(table, delimiter=",", skiprows=1)[:, columns]
    np.savetxt(data, X, delimiter=",", header=header, comments="")
    out = tmp_path / "out.csv"
    status, _, err = run(command, models["autoencoder"], data, "-o", out)
    assert status == 1
    assert err == (
        f"skae {command}: error: {data}: the columns do not match those "
        f"{models['autoencoder']} was fitted on: {problem}. Give the columns 'a', "
        "'b', 'c', 'd', 'e', in that order.\n"
    )
    assert not out.exists()


def test_columns_of_a_model_without_feature_names_are_counted():
    from skae._cli.model_files import check_columns

    document = {"summary": {"feature_names_in": None, "n_features_in": 3}}
    check_columns(["x", "y", "z"], document, "data.csv", "m.skae")  # any names
    with pytest.raises(cli.CommandError) as caught:
        check_columns(["x", "y"], document, "data.csv", "m.skae")
    assert str(caught.value) == (
        "data.csv: 2 columns, but m.skae was fitted on 3 unnamed features; give a "
        "CSV of 3 columns in the order of the training data."
    )


def test_long_column_lists_are_cut_short():
    from skae._cli.model_files import check_columns

    names = [f"pixel{i}" for i in range(64)]
    document = {"summary": {"feature_names_in": names, "n_features_in": 64}}
    with pytest.raises(cli.CommandError) as caught:
        check_columns(names[:40], document, "data.csv", "m.skae")
    message = str(caught.value)
    assert "missing 'pixel40', 'pixel41'," in message and "'pixel47' and 16 more. Give" in message
    assert "Give the columns 'pixel0'," in message and "and 56 more, in that order." in message


def _tampered(source, path, *, extra_member=None, versions=None):
    """A copy of the model file ``source`` with a member added or versions changed."""
    import json
    import zipfile

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "skae.json" and versions:
                document = json.loads(data)
                document["versions"].update(versions)
                data = json.dumps(document)
            copy.writestr(item, data)
        if extra_member:
            copy.writestr(extra_member, b"import os")
    return path


@pytest.mark.parametrize("command", ["transform", "score", "info"])
@pytest.mark.parametrize("kind", ["missing", "directory", "csv", "zip"])
def test_a_file_that_is_no_model_is_one_line(table, tmp_path, command, kind):
    import zipfile

    model = {
        "missing": tmp_path / "none.skae",
        "directory": tmp_path,
        "csv": table,
        "zip": tmp_path / "other.zip",
    }[kind]
    if kind == "zip":
        with zipfile.ZipFile(model, "w") as archive:
            archive.writestr("readme.txt", "hello")
    expected = {
        "missing": "no such file.",
        "directory": "is a directory, expected a model file.",
        "csv": "not a skae model file; give one written by `skae fit` (or by est.save in "
        "Python).",
        "zip": "not a skae model file; give one written by `skae fit` (or by est.save in "
        "Python).",
    }[kind]
    out = tmp_path / "out.csv"
    argv = [model] if command == "info" else [model, table, "-o", out]
    status, stdout, err = run(command, *argv)
    assert status == 1 and stdout == ""
    assert err == f"skae {command}: error: {model}: {expected}\n"
    assert not out.exists()


def test_a_tampered_model_is_refused_in_one_line(table, models, tmp_path):
    model = _tampered(models["autoencoder"], tmp_path / "m.skae", extra_member="evil.py")
    status, _, err = run("transform", model, table, "-o", tmp_path / "out.csv")
    assert status == 1
    assert err.startswith(f"skae transform: error: '{model}' is not a valid skae model file: ")
    assert "unexpected members ['evil.py']" in err and err.count("\n") == 1
    assert not (tmp_path / "out.csv").exists()


def test_a_model_of_other_versions_warns_in_one_line(table, models, tmp_path):
    model = _tampered(models["autoencoder"], tmp_path / "m.skae", versions={"keras": "3.0.0"})
    status, _, err = run("transform", model, table, "-o", tmp_path / "out.csv")
    assert status == 0
    warning = err.splitlines()[0]
    assert warning.startswith(
        "skae transform: warning: This model file was written with keras 3.0.0 and "
        "is loaded with "
    )
    assert run("transform", model, table, "-o", tmp_path / "o2.csv", "--quiet")[2] == ""


def test_outputs_never_overwrite_a_file_unless_force_nor_an_input(table, models, tmp_path):
    out = tmp_path / "codes.csv"
    out.write_text("keep me\n")
    status, _, err = run("transform", models["autoencoder"], table, "-o", out)
    assert status == 1 and "the file already exists; add --force" in err
    assert out.read_text() == "keep me\n"
    assert run("transform", models["autoencoder"], table, "-o", out, "--force")[0] == 0
    assert read_csv(out)[1].shape == (80, 2)
    # the model file is an input too
    before = models["autoencoder"].read_bytes()
    model = models["autoencoder"]
    status, _, err = run("score", model, table, "-o", model, "--force")
    assert status == 1
    assert err == (
        f"skae score: error: {models['autoencoder']}: this is the input file "
        f"{models['autoencoder']}; give -o another file name (--force never "
        "overwrites the input).\n"
    )
    assert models["autoencoder"].read_bytes() == before


def test_fit_keeps_an_existing_model_file_unless_force(table, tmp_path):
    model = tmp_path / "model.skae"
    model.write_text("keep me\n")
    status, _, err = run("fit", table, "-o", model, *TRAINING)
    assert status == 1
    assert err == (
        f"skae fit: error: {model}: the file already exists; add --force to "
        "overwrite it, or give -o another file name.\n"
    )
    assert model.read_text() == "keep me\n"
    status, _, err = run("fit", table, "-o", model, "--force", "--quiet", "--epochs", "1")
    assert status == 0 and err == ""
    assert run("info", model)[1].startswith(f"{model}: AutoencoderTransformer")


def test_a_failed_save_leaves_no_file(table, tmp_path, monkeypatch):
    import skae

    def fail(self, path):
        path.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(skae.AutoencoderTransformer, "save", fail)
    model = tmp_path / "m.skae"
    status, _, err = run("fit", table, "-o", model, "--epochs", "1", "--quiet")
    assert status == 1
    assert err == (
        f"skae fit: error: {model}: can not write the model (disk full); nothing was "
        "written.\n"
    )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["fit", "--contamination", "0.1"],
            "--contamination applies only to --model detector (got --model "
            "autoencoder); add --model detector or drop --contamination",
        ),
        (
            ["fit", "--model", "vae", "--backbone", "variational"],
            "--backbone applies only to --model detector (got --model vae)",
        ),
        (
            ["fit", "--model", "detector", "--noise-level", "0.1"],
            "--noise-level applies only to --model denoising (got --model detector)",
        ),
        (
            ["fit", "--standardize"],
            "--standardize can not be saved in a model file (it holds the estimator, "
            "not a scaler); scale the CSV's columns first, or drop --standardize",
        ),
        (
            ["embed", "-o", "c.csv", "--save-model", "m.skae", "--standardize"],
            "or drop --save-model or --standardize",
        ),
        (["fit", "-o", "-"], "a model file is not written to standard output; give -o"),
        (["fit", "-o", "model.csv"], "-o model.csv: a model file is not a CSV file"),
        (
            ["detect", "-o", "x.csv", "--save-model", "x.csv"],
            "--save-model x.csv: a model file is not a CSV file",
        ),
        (
            ["detect", "-o", "x.skae", "--save-model", "./x.skae"],
            "--save-model and -o name the same file",
        ),
        (["score", "m.skae", "d.csv"], "the following arguments are required: -o/--output"),
        (["info"], "the following arguments are required: MODEL.skae"),
    ],
)
def test_model_file_usage_errors_exit_with_status_2(
    table, tmp_path, argv, message, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    command, *options = argv
    if command in ("fit", "embed", "detect"):
        options = [str(table), *options]
        if "-o" not in options:
            options += ["-o", "model.skae"]
    assert cli.main([command, *options]) == 2
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_info_shows_estimator_training_parameters_and_versions(models, capsys):
    import json

    import keras

    model = models["detector"]
    status, text, err = run("info", model)
    assert status == 0 and err == ""
    assert text.startswith(f"{model}: AutoencoderOutlierDetector (skae model file, format 1)\n")
    assert "  features        5: a, b, c, d, e\n" in text
    assert "  epochs          2\n" in text and "  offset          -" in text
    assert "  contamination         0.05\n" in text
    assert "  hidden_layer_sizes    8\n" in text
    assert "  callbacks             None\n" in text  # the progress line is not saved
    assert f"  keras           {keras.__version__}\n" in text

    status, text, _ = run("info", model, "--json")
    document = json.loads(text)
    assert document["estimator"] == "AutoencoderOutlierDetector"
    assert document["parameters"]["contamination"] == 0.05
    assert document["parameters"]["hidden_layer_sizes"] == [8]
    assert document["summary"]["feature_names_in"] == ["a", "b", "c", "d", "e"]
    assert document["summary"]["n_iter"] == 2
    assert document["versions"]["keras"] == keras.__version__


def test_info_and_column_checks_do_not_import_keras(table, models, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    code = (
        "import sys\n"
        "from skae import cli\n"
        f"assert cli.main(['info', {str(models['detector'])!r}]) == 0\n"
        f"assert cli.main(['info', {str(models['detector'])!r}, '--json']) == 0\n"
        f"assert cli.main(['score', {str(models['detector'])!r}, {str(bad)!r}, '-o', "
        f"{str(tmp_path / 'o.csv')!r}]) == 1\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert "the columns do not match" in result.stderr
