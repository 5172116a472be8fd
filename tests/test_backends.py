"""What every estimator must do on every Keras backend, in a minute.

The smoke subset CI runs on JAX and PyTorch (``make test-smoke-jax``,
``make test-smoke-torch``; the whole suite runs on TensorFlow): each
estimator fits, transforms, scores, pickles, saves and loads, exports where
the backend can, repeats itself for one ``random_state`` without touching any
global generator, and a failed fit leaves it unfitted. The other test modules
check each of these in depth.
"""

import pickle
import random

import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)

from .conftest import FAST

BACKEND = keras.backend.backend()

ESTIMATORS = {
    "dense": lambda **kw: AutoencoderTransformer(2, **{**FAST, **kw}),
    # dropout draws at every step: its seeds must be skae's, not a global generator's
    "dropout": lambda **kw: AutoencoderTransformer(2, **{**FAST, "dropout": 0.2, **kw}),
    "conv": lambda **kw: AutoencoderTransformer(
        2, **{**FAST, "architecture": "conv", "filters": (4,), **kw}
    ),
    "variational": lambda **kw: VariationalAutoencoderTransformer(2, **{**FAST, **kw}),
    "denoising": lambda **kw: DenoisingAutoencoder(2, **{**FAST, **kw}),
    "detector": lambda **kw: AutoencoderOutlierDetector(2, **{**FAST, **kw}),
}
DETECTORS = {"detector"}


def _samples(digits, name):
    X = digits[0]
    return X.reshape(-1, 8, 8) if name == "conv" else X


def _outputs(estimator, X, name):
    """Everything the estimator computes on X, by method name."""
    if name in DETECTORS:
        return {
            "score_samples": estimator.score_samples(X),
            "decision_function": estimator.decision_function(X),
            "predict": estimator.predict(X),
        }
    return {
        "transform": estimator.transform(X),
        "reconstruct": estimator.reconstruct(X),
        "score_samples": estimator.score_samples(X),
    }


def _global_generators():
    """The process-wide generators a fit could read or reseed, as comparable values.

    (TensorFlow's global generator is left out: skae's TensorFlow code never
    draws from it, and reading it fails once op determinism is on.)
    """
    numpy_state = np.random.get_state()
    states = [random.getstate(), numpy_state[0], numpy_state[1].tobytes(), numpy_state[2:]]
    if BACKEND == "torch":
        import torch

        states.append(torch.random.get_rng_state().numpy().tobytes())
    return states


@pytest.fixture(scope="module")
def fitted(digits):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = ESTIMATORS[name]().fit(_samples(digits, name))
        return cache[name]

    return get


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fit_transform_and_score_keep_shapes_and_dtypes(fitted, digits, name):
    estimator = fitted(name)
    X = _samples(digits, name)[:20]
    assert len(estimator.history_["loss"]) == FAST["epochs"]
    assert np.all(np.isfinite(estimator.history_["loss"]))
    for dtype in (np.float32, np.float64):
        outputs = _outputs(estimator, X.astype(dtype), name)
        assert outputs["score_samples"].shape == (20,)
        assert outputs["score_samples"].dtype == dtype
        assert np.all(np.isfinite(outputs["score_samples"]))
        if name in DETECTORS:
            assert set(np.unique(outputs["predict"])) <= {-1, 1}
            continue
        assert outputs["transform"].shape == (20, 2)
        assert outputs["transform"].dtype == dtype
        assert outputs["reconstruct"].shape == X.shape
        assert outputs["reconstruct"].dtype == dtype


@pytest.mark.parametrize("name", ESTIMATORS)
def test_same_random_state_same_model_and_no_global_generator_touched(fitted, digits, name):
    X = _samples(digits, name)
    before = _global_generators()
    again = ESTIMATORS[name]().fit(X)
    assert _global_generators() == before
    assert dict(again.history_) == dict(fitted(name).history_)
    expected = _outputs(fitted(name), X, name)
    for method, values in _outputs(again, X, name).items():
        np.testing.assert_array_equal(values, expected[method], err_msg=method)
    other = ESTIMATORS[name](random_state=1).fit(X)
    assert other.history_["loss"] != again.history_["loss"]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_pickle_and_save_load_give_identical_outputs(fitted, digits, name, tmp_path):
    estimator = fitted(name)
    X = _samples(digits, name)[:20]
    expected = _outputs(estimator, X, name)
    estimator.save(tmp_path / "model.skae")
    for copy in (pickle.loads(pickle.dumps(estimator)), skae.load(tmp_path / "model.skae")):
        for method, values in _outputs(copy, X, name).items():
            np.testing.assert_array_equal(values, expected[method], err_msg=method)


@pytest.mark.parametrize("name", ["dense", "detector"])
def test_training_goes_on_after_loading(fitted, digits, name, tmp_path):
    estimator = fitted(name)
    X = _samples(digits, name)
    estimator.save(tmp_path / "model.skae")
    loaded = skae.load(tmp_path / "model.skae")
    loaded.set_params(warm_start=True, epochs=1)
    if name in DETECTORS:
        loaded.fit(X)
        assert np.all(np.isfinite(loaded.score_samples(X)))
        return
    loaded.fit(X)
    assert len(loaded.history_["loss"]) == FAST["epochs"] + 1
    assert not np.array_equal(loaded.transform(X), estimator.transform(X))


class _Boom(Exception):
    pass


class _RaiseAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise _Boom("interrupted by a callback")


@pytest.mark.parametrize("name", ["dense", "variational"])
def test_a_failed_fit_leaves_the_estimator_unfitted(digits, name):
    estimator = ESTIMATORS[name](callbacks=[_RaiseAfterFirstEpoch()])
    with pytest.raises(_Boom):
        estimator.fit(_samples(digits, name))
    with pytest.raises(NotFittedError):
        estimator.transform(_samples(digits, name)[:2])


def _onnx_exporter():
    """The module Keras's ONNX export needs on this backend."""
    return {"jax": "jax2onnx", "torch": "onnx"}.get(BACKEND, "tf2onnx")


@pytest.mark.parametrize("name", ["dense", "variational", "detector"])
def test_onnx_export_computes_the_scores(fitted, digits, name, tmp_path):
    pytest.importorskip(_onnx_exporter(), reason=f"Keras's ONNX export on {BACKEND}")
    ort = pytest.importorskip("onnxruntime")
    estimator = fitted(name)
    X = _samples(digits, name)[:30].astype(np.float32)
    estimator.export(tmp_path / "model.onnx", "onnx", method="score_samples")
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    for n_rows in (1, 30):
        got = session.run(None, {"X": X[:n_rows]})[0]
        np.testing.assert_allclose(got, estimator.score_samples(X[:n_rows]), rtol=1e-4, atol=1e-5)


def test_fine_tuning_repeats_itself_for_one_random_state(fitted, digits):
    from skae.fine_tuning import encoder_classifier

    # scikeras seeds the global generators during fit (and puts them back),
    # but not PyTorch's: the bridge seeds its own shuffling there
    X, y = digits
    first, second = (
        encoder_classifier(fitted("dense"), epochs=2, freeze_epochs=1, random_state=0)
        .fit(X, y)
        .predict_proba(X)
        for _ in range(2)
    )
    np.testing.assert_array_equal(first, second)
