"""Every example runs in its quick mode and writes its figures where it is run.

Each script is loaded from its file as a module of its own, as ``python
examples/NAME.py`` would run it, and its ``main(["--quick"])`` called in a
fresh working directory; running them in this process pays TensorFlow's
start-up once rather than once per example.
"""

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# multihost_jax.py starts JAX processes of its own (about 90 s on 2 cores) and
# draws no figure; the sharding it relies on is tested in test_distribution.
SCRIPTS = sorted(
    p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_") and p.stem != "multihost_jax"
)


def _load(path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_at_least_six_examples():
    names = {p.stem for p in SCRIPTS}
    assert len(names) >= 6
    assert {
        "autoencoder_vs_pca",
        "conv_autoencoder_images",
        "vae_latent_space",
        "denoising_digits",
        "anomaly_detection",
        "pipeline_grid_search",
    } <= names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_example_quick_run_writes_figures(path, tmp_path, monkeypatch):
    source = path.read_text()
    assert 'if __name__ == "__main__":' in source and "--quick" in source
    monkeypatch.chdir(tmp_path)
    try:
        _load(path).main(["--quick"])
    except (ImportError, AttributeError) as exc:
        if "skae" in str(exc):  # an estimator another issue has not delivered yet
            pytest.skip(f"{path.name} needs {exc}")
        raise
    finally:
        plt.close("all")
    figures = sorted(tmp_path.glob("*.png"))
    assert figures, f"{path.name} wrote no figure to the current directory"
    for figure in figures:
        pixels = matplotlib.image.imread(figure)[..., :3]
        assert pixels.std() > 0.05, f"{figure.name} is blank"
