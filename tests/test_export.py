"""Serving: exported functions compute what the estimators' methods compute.

Each case fits a tiny network once, exports a method as a TensorFlow
SavedModel and as an ONNX file, runs the file outside skae (TensorFlow's
loader, ONNX Runtime) on float32 samples and compares with the estimator.
On PyTorch, where Keras cannot write a SavedModel, the export refuses it
with the fix, and the other tests serve through ONNX.
"""

import random
import re

import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._engine.inference import backend_computes_float64

from .conftest import FAST

tf = pytest.importorskip("tensorflow", reason="TensorFlow loads the SavedModels")

FIT = {**FAST, "epochs": 2}

TORCH = keras.backend.backend() == "torch"
# the format the tests below serve through: a SavedModel, except on PyTorch
SERVED = "onnx" if TORCH else "tf_saved_model"
SAVED_MODEL_ON_TORCH = r"format='onnx' instead.*KERAS_BACKEND=tensorflow"

ESTIMATORS = {
    "autoencoder": lambda: AutoencoderTransformer(3, **FIT),
    "variational": lambda: VariationalAutoencoderTransformer(3, **FIT),
    "denoising": lambda: DenoisingAutoencoder(3, **FIT),
    "detector": lambda: AutoencoderOutlierDetector(3, **FIT),
    # convolutional, fitted on (n, 8, 8) images
    "conv_images": lambda: AutoencoderTransformer(
        3, architecture="conv", filters=(4,), **FIT
    ),
    # dense VAE backbone, fitted on (n, 8, 8, 1) images
    "variational_detector_images": lambda: AutoencoderOutlierDetector(
        3, backbone="variational", **FIT
    ),
}
TRANSFORMER_METHODS = ["transform", "reconstruct", "score_samples"]
DETECTOR_METHODS = ["score_samples", "decision_function"]
CASES = [
    (name, method)
    for name in ESTIMATORS
    for method in (DETECTOR_METHODS if "detector" in name else TRANSFORMER_METHODS)
]


def _samples(digits, name):
    X = digits[0].astype(np.float32)
    if name == "conv_images":
        return X.reshape(-1, 8, 8)
    if name == "variational_detector_images":
        return X.reshape(-1, 8, 8, 1)
    return X


@pytest.fixture(scope="module")
def fitted(digits):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = ESTIMATORS[name]().fit(_samples(digits, name))
        return cache[name]

    return get


def _run_saved_model(path, X):
    loaded = tf.saved_model.load(path)  # keep a reference while calling it
    outputs = loaded.signatures["serve"](X=tf.constant(X))
    assert list(outputs) == ["output_0"]
    return outputs["output_0"].numpy()


def _run_onnx(path, X):
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (given,) = session.get_inputs()
    assert (given.name, given.type) == ("X", "tensor(float)")
    return session.run(None, {"X": X})[0]


def _needs_onnx_export():
    if keras.backend.backend() == "jax":
        pytest.importorskip("jax2onnx", reason="Keras exports JAX to ONNX with jax2onnx")
    elif TORCH:
        pytest.importorskip("onnx", reason="torch.onnx writes the file with onnx")
    else:
        pytest.importorskip("tf2onnx", reason="Keras exports to ONNX with tf2onnx")
    pytest.importorskip("onnxruntime")


RUNNERS = {"tf_saved_model": _run_saved_model, "onnx": _run_onnx}


def _served(tmp_path, name="model"):
    """A path for the SERVED format (a file for ONNX), skipped without its tools."""
    if SERVED == "onnx":
        _needs_onnx_export()
        return tmp_path / f"{name}.onnx"
    return tmp_path / name


def _run_served(path, X):
    return RUNNERS[SERVED](str(path), X)


@pytest.mark.parametrize("format", ["tf_saved_model", "onnx"])
@pytest.mark.parametrize(("name", "method"), CASES)
def test_exported_function_computes_the_method(fitted, digits, tmp_path, name, method, format):
    if format == "onnx":
        _needs_onnx_export()
    estimator = fitted(name)
    X = _samples(digits, name)[:50]
    path = tmp_path / ("model.onnx" if format == "onnx" else "model")
    if TORCH and format == "tf_saved_model":
        with pytest.raises(ValueError, match=SAVED_MODEL_ON_TORCH):
            estimator.export(path, format, method=method)
        assert not path.exists()
        return
    estimator.export(path, format, method=method)

    got = RUNNERS[format](str(path), X)
    expected = getattr(estimator, method)(X)

    assert got.shape == expected.shape
    scores = method in ("score_samples", "decision_function")
    float64_scores = scores and backend_computes_float64()
    assert got.dtype == (np.float64 if float64_scores else np.float32)
    # The networks run in float32 in both; their kernels (eager
    # predict_on_batch, TensorFlow graphs, ONNX Runtime) round differently,
    # by a few float32 ulps of the largest values involved (measured: at
    # most 5 ulps, 6e-7 of the largest value), so elements near 0 (zero
    # pixels, codes, decision values near the threshold) need an absolute
    # tolerance on the output's scale: 32 ulps of its largest value.
    atol = 32 * np.finfo(np.float32).eps * np.max(np.abs(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)


def test_exported_function_takes_the_samples_in_the_shape_fitted_on(fitted, digits, tmp_path):
    # images (n, 8, 8) in, reconstructions (n, 8, 8) out; any batch size
    estimator = fitted("conv_images")
    path = _served(tmp_path)
    estimator.export(path, SERVED, method="reconstruct")
    if SERVED == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (given,) = session.get_inputs()
        assert given.shape[1:] == [8, 8] and isinstance(given.shape[0], str)  # any batch
        assert given.type == "tensor(float)"
        serve = lambda images: session.run(None, {"X": images})[0]  # noqa: E731
    else:
        loaded = tf.saved_model.load(str(path))
        (spec,) = loaded.signatures["serve"].structured_input_signature[1].values()
        assert tuple(spec.shape) == (None, 8, 8)
        assert spec.dtype == tf.float32
        serve = lambda images: loaded.serve(images).numpy()  # noqa: E731
    images = _samples(digits, "conv_images")
    for n_samples in (1, 7):
        got = serve(images[:n_samples])
        assert got.shape == (n_samples, 8, 8)
        np.testing.assert_allclose(
            got, estimator.reconstruct(images[:n_samples]), rtol=1e-5, atol=1e-6
        )


def test_exported_decision_function_flags_the_outliers_predict_flags(fitted, digits, tmp_path):
    detector = fitted("detector")
    X = _samples(digits, "detector")
    path = _served(tmp_path)
    detector.export(path, SERVED, method="decision_function")
    decision = _run_served(path, X)
    expected = detector.predict(X)
    assert (expected == -1).any()
    np.testing.assert_array_equal(np.where(decision < 0, -1, 1), expected)


def test_export_leaves_the_estimator_and_global_random_state_alone(fitted, digits, tmp_path):
    estimator = fitted("variational")
    X = _samples(digits, "variational")[:20]
    codes, scores = estimator.transform(X), estimator.score_samples(X)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    estimator.export(_served(tmp_path), SERVED, method="score_samples")
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    np.testing.assert_array_equal(estimator.transform(X), codes)
    np.testing.assert_array_equal(estimator.score_samples(X), scores)


# ----------------------------------------------------------------------
# checks
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer(2), AutoencoderOutlierDetector(2)]
)
def test_export_before_fit_is_not_fitted_error(estimator, tmp_path):
    with pytest.raises(NotFittedError):
        estimator.export(tmp_path / "model")
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize(
    ("name", "method", "allowed"),
    [
        ("autoencoder", "decision_function", "('transform', 'reconstruct', 'score_samples')"),
        ("detector", "transform", "('score_samples', 'decision_function')"),
    ],
)
def test_export_of_an_unknown_method_names_the_allowed_ones(fitted, tmp_path, name, method, allowed):
    with pytest.raises(ValueError, match=f"method must be one of {re.escape(allowed)}"):
        fitted(name).export(tmp_path / "model", method=method)
    assert not (tmp_path / "model").exists()


def test_export_to_an_unknown_format_names_the_allowed_ones(fitted, tmp_path):
    with pytest.raises(ValueError, match=r"format must be one of \('tf_saved_model', 'onnx'\)"):
        fitted("autoencoder").export(tmp_path / "model", format="tflite")


def test_export_refuses_an_existing_path_unless_overwrite(fitted, digits, tmp_path):
    estimator = fitted("autoencoder")
    X = _samples(digits, "autoencoder")[:10]
    path = _served(tmp_path)
    estimator.export(path, SERVED, method="transform")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        estimator.export(path, SERVED, method="reconstruct")
    assert _run_served(path, X).shape == (10, 3)  # left as it was
    estimator.export(path, SERVED, method="reconstruct", overwrite=True)
    np.testing.assert_allclose(
        _run_served(path, X), estimator.reconstruct(X), rtol=1e-5, atol=1e-6
    )


def test_onnx_export_without_the_converter_names_the_install(fitted, tmp_path, monkeypatch):
    import importlib.util

    import skae._io.export

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        skae._io.export.importlib.util,
        "find_spec",
        lambda name, *args: None
        if name in ("tf2onnx", "jax2onnx", "onnx")
        else real_find_spec(name, *args),
    )
    fix = "jax2onnx" if keras.backend.backend() == "jax" else r'"skae\[serve\]"'
    with pytest.raises(ImportError, match=f"pip install {fix}"):
        fitted("autoencoder").export(tmp_path / "model.onnx", "onnx")
    assert not (tmp_path / "model.onnx").exists()



# ----------------------------------------------------------------------
# the path: checked first, written whole or not at all
# ----------------------------------------------------------------------
def test_export_paths_are_checked_before_anything_is_written(digits, tmp_path, monkeypatch):
    X = digits[0]
    ae = AutoencoderTransformer(2, **FAST).fit(X)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="empty path"):
        ae.export("")
    a_file = tmp_path / "taken"
    a_file.write_text("mine")
    with pytest.raises(ValueError, match="is a file, but"):
        ae.export(a_file, overwrite=True)
    assert a_file.read_text() == "mine"
    with pytest.raises(ValueError, match="is a directory, but"):
        ae.export(tmp_path, format="onnx", overwrite=True)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ae.export(tmp_path / "no" / "such" / "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_failed_export_leaves_nothing_behind(digits, tmp_path, monkeypatch):
    if keras.backend.backend() == "torch":
        pytest.skip("Keras writes no SavedModel on PyTorch")
    X = digits[0]
    ae = AutoencoderTransformer(2, **FAST).fit(X)
    ae.export(tmp_path / "codes")
    before = sorted(p.name for p in (tmp_path / "codes").iterdir())

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras.Model, "export", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        ae.export(tmp_path / "codes", overwrite=True)
    # the previous export is untouched, and no temporary sibling is left
    assert sorted(p.name for p in (tmp_path / "codes").iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes"]
