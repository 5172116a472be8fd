"""Variants written outside skae, one file each, over the documented base.

``examples/variants/`` holds two: a sparse autoencoder (an L1 penalty on the
codes: ``_assemble`` and ``_link_networks``) and an autoencoder with scores
of its own (``_score_batch``). Each fits, pickles, saves and loads (its
class handed to ``skae.load`` by name), clones, and exports to SavedModel
and ONNX computing what the estimator computes.
"""

import pickle
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.base import clone

import skae
from skae import AutoencoderTransformer, BaseAutoencoder

from .conftest import FAST
from .test_export import (
    RUNNERS,
    SAVED_MODEL_ON_TORCH,
    SERVED,
    TORCH,
    _needs_onnx_export,
    _served,
)

VARIANTS = Path(__file__).resolve().parents[1] / "examples" / "variants"
sys.path.insert(0, str(VARIANTS))  # importable by name: what pickle needs
from absolute_error_autoencoder import AbsoluteErrorAutoencoder  # noqa: E402
from sparse_autoencoder import SparseAutoencoder  # noqa: E402

sys.path.remove(str(VARIANTS))

FIT = {**FAST, "epochs": 2}
CLASSES = {"sparse": SparseAutoencoder, "absolute_error": AbsoluteErrorAutoencoder}


@pytest.fixture(scope="module")
def fitted(digits):
    X = digits[0].astype(np.float32)
    return {
        "sparse": SparseAutoencoder(3, l1=0.01, **FIT).fit(X),
        "absolute_error": AbsoluteErrorAutoencoder(3, **FIT).fit(X),
    }


def _outputs(estimator, X):
    return estimator.transform(X), estimator.reconstruct(X), estimator.score_samples(X)


@pytest.mark.parametrize("name", CLASSES)
def test_variant_is_a_skae_estimator(name):
    assert issubclass(CLASSES[name], BaseAutoencoder)
    assert "BaseAutoencoder" in skae.__all__


@pytest.mark.parametrize("name", CLASSES)
def test_variant_pickles_and_clones(fitted, digits, name):
    estimator = fitted[name]
    X = digits[0]
    again = pickle.loads(pickle.dumps(estimator))
    for got, expected in zip(_outputs(again, X), _outputs(estimator, X)):
        np.testing.assert_array_equal(got, expected)
    assert clone(estimator).get_params() == estimator.get_params()


@pytest.mark.parametrize("name", CLASSES)
def test_variant_saves_and_loads_given_its_class(fitted, digits, tmp_path, name):
    estimator = fitted[name]
    cls = CLASSES[name]
    path = tmp_path / "variant.skae"
    estimator.save(path)
    with pytest.raises(ValueError, match=f"unknown estimator '{cls.__name__}'.*custom_objects"):
        skae.load(path)  # never a class the caller did not hand over
    loaded = skae.load(path, custom_objects={cls.__name__: cls})
    assert type(loaded) is cls
    assert loaded.get_params() == estimator.get_params()
    for got, expected in zip(_outputs(loaded, digits[0]), _outputs(estimator, digits[0])):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("format", ["tf_saved_model", "onnx"])
@pytest.mark.parametrize("method", ["transform", "reconstruct", "score_samples"])
@pytest.mark.parametrize("name", CLASSES)
def test_variant_exports_what_it_computes(fitted, digits, tmp_path, name, method, format):
    pytest.importorskip("tensorflow", reason="TensorFlow loads the SavedModels")
    if format == "onnx":
        _needs_onnx_export()
    estimator = fitted[name]
    X = digits[0].astype(np.float32)[:50]
    path = tmp_path / ("model.onnx" if format == "onnx" else "model")
    if TORCH and format == "tf_saved_model":  # refused on PyTorch, with the fix
        with pytest.raises(ValueError, match=SAVED_MODEL_ON_TORCH):
            estimator.export(path, format, method=method)
        return
    estimator.export(path, format, method=method)
    got = RUNNERS[format](str(path), X)
    expected = getattr(estimator, method)(X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.max(np.abs(expected)))


def test_sparse_penalty_zeroes_codes(digits):
    X = digits[0]
    plain = SparseAutoencoder(3, l1=0.0, **{**FAST, "epochs": 10}).fit(X)
    sparse = SparseAutoencoder(3, l1=0.1, **{**FAST, "epochs": 10}).fit(X)
    # ReLU codes of an unpenalised network are often 0 already (JAX: 47% here)
    assert np.mean(sparse.transform(X) == 0) > np.mean(plain.transform(X) == 0) + 0.1
    # the penalty acts in training only: the encoder alone computes the codes
    assert sparse.encoder_.name != "sparsity" and sparse.decoder_.name != "sparsity"


def test_absolute_error_scores_are_minus_the_mean_absolute_error(fitted, digits):
    estimator = fitted["absolute_error"]
    X = digits[0]
    expected = -np.mean(np.abs(X - estimator.reconstruct(X)), axis=1)
    np.testing.assert_allclose(estimator.score_samples(X), expected, rtol=1e-12)
    assert estimator.score(X) == pytest.approx(expected.mean())


class _OwnScoreSamplesOnly(AutoencoderTransformer):
    def _score_samples(self, X):
        return np.zeros(len(X))


def test_scores_written_for_numpy_only_are_refused_at_export(digits, tmp_path):
    estimator = _OwnScoreSamplesOnly(2, **FIT).fit(digits[0])
    with pytest.raises(NotImplementedError, match="_export_scores"):
        estimator.export(_served(tmp_path, "scores"), SERVED, method="score_samples")
    # the network is the base's: its codes export
    estimator.export(_served(tmp_path, "codes"), SERVED, method="transform")


class _ScaledCodes(AutoencoderTransformer):
    """Hooks that read a parameter, declared in ``_inference_key`` beside them."""

    def __init__(self, n_components=2, *, factor=1.0, epochs=2, random_state=0):
        super().__init__(n_components, epochs=epochs, random_state=random_state)
        self.factor = factor

    def _encode_batch(self, encoder, batch):
        return encoder(batch, training=False) * self.factor

    def _decode_batch(self, decoder, batch):
        return decoder(batch / self.factor, training=False)

    def _inference_key(self):
        return (self.factor,)


def test_inference_hooks_keyed_on_their_parameters_share_no_wrong_call(digits):
    X = digits[0][:20]
    one = _ScaledCodes(factor=1.0, **{"epochs": 2}).fit(digits[0])
    three = clone(one).set_params(factor=3.0).fit(digits[0])
    np.testing.assert_allclose(three.transform(X) / 3.0, one.transform(X), rtol=1e-5, atol=1e-6)
    if keras.backend.backend() == "tensorflow":
        np.testing.assert_allclose(
            three.inverse_transform(three.transform(X)), three.reconstruct(X), rtol=1e-5, atol=1e-6
        )
