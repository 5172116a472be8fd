"""The bundle of arrays (skae._input.bundle.Rows) reaches the network whole.

A model with a second input is a change where the bundle is made (the
estimator's ``_fit_rows``) and where the network is built (``_assemble``):
these tests give a condition to a two-input network and train it through
every training path (compiled epochs and Keras's ``Model.fit``, rows in
memory and streamed), with nothing else changed.
"""

import keras
import numpy as np
import pytest

import skae._input.streaming as streaming
from skae import AutoencoderTransformer
from skae._engine import compiled_fit
from skae._engine import inference as skae_inference
from skae._input.bundle import Rows

from .conftest import FAST


class _OracleConditioned(AutoencoderTransformer):
    """The decoder reads a condition beside the codes; ``y`` is the condition."""

    def _fit_rows(self, X, y, *, reset):
        return Rows(X, condition=y)

    def _assemble(self, input_shape, seeds):
        n_features = input_shape[0]
        inputs = keras.Input(shape=input_shape, name="input")
        encoder = keras.Sequential(
            [keras.Input(shape=input_shape), keras.layers.Dense(1)], name="encoder"
        )
        codes = keras.Input(shape=(1,))
        condition = keras.Input(shape=(n_features,))
        hidden = keras.layers.Dense(32, activation="relu")(
            keras.layers.Concatenate()([codes, condition])
        )
        decoder = keras.Model(
            [codes, condition], keras.layers.Dense(n_features)(hidden), name="decoder"
        )
        given = keras.Input(shape=(n_features,), name="condition")
        return keras.Model([inputs, given], decoder([encoder(inputs), given]), name="oracle")

    def _link_networks(self):
        self.encoder_ = self.model_.get_layer("encoder")
        self.decoder_ = self.model_.get_layer("decoder")

    # with a condition, each hook gets (its batch, the condition)
    def _encode_batch(self, encoder, batch):
        inputs, _ = batch
        return encoder(inputs, training=False)

    def _decode_batch(self, decoder, batch):
        return decoder(list(batch), training=False)


@pytest.fixture
def noise():
    # rows of noise: one code cannot reconstruct them, the condition can
    return np.random.RandomState(0).normal(size=(256, 8))


def _final_loss(X, condition, **params):
    params = {**FAST, "epochs": 25, "batch_size": 32, "early_stopping": True, **params}
    estimator = _OracleConditioned(1, **params).fit(X, condition)
    assert np.isfinite(estimator.history_["val_loss"]).all()
    return estimator.history_["loss"][-1]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "model_fit"])
@pytest.mark.parametrize("streamed", [False, True], ids=["in_memory", "streamed"])
def test_the_condition_reaches_the_network_on_every_training_path(
    noise, compiled, streamed, monkeypatch, tmp_path
):
    monkeypatch.setattr(compiled_fit, "ENABLED", compiled)
    X = noise
    informative = noise.copy()
    uninformative = np.zeros_like(noise)
    if streamed:  # X out of core, read block by block (64-row blocks)
        monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 0)
        monkeypatch.setattr(streaming, "BLOCK_BYTES", 8 * 8 * 64)
        X = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=noise.shape)
        X[:] = noise
        X.flush()
    with_condition = _final_loss(X, informative)
    without = _final_loss(X, uninformative)
    # the decoder copies what it is given: far lower with the rows than
    # without (about 7/8 of the variance: one code for eight features of noise)
    assert with_condition < 0.5 * without


def test_sample_weights_and_target_travel_with_the_condition():
    rows = Rows(np.arange(6.0).reshape(3, 2), condition=np.ones((3, 1)), sample_weight=np.ones(3))
    (x, condition), y, weights = rows.network_data()
    assert y is rows.inputs and x is rows.inputs and condition is rows.condition
    taken = rows.take([2, 0])
    np.testing.assert_array_equal(taken.inputs[:, 0], [4.0, 0.0])
    assert taken.target is None and taken.sample_weight.shape == (2,)
    assert Rows.from_arrays(rows.arrays(), rows.present()) == rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_condition_reaches_the_network_at_inference(noise, dtype, monkeypatch):
    X = noise.astype(dtype)
    estimator = _OracleConditioned(1, **{**FAST, "epochs": 3}).fit(noise, noise)
    standardized = ((X - estimator.mean_) / estimator.scale_).astype(np.float32)
    expected = estimator.model_.predict_on_batch([standardized, X.astype(np.float32)])
    expected = expected * estimator.scale_ + estimator.mean_
    got = estimator._forward(Rows(X, condition=X))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # encoding alone, decoding alone: the condition goes with the codes
    codes = estimator._forward(Rows(X, condition=X), decode=False)
    np.testing.assert_allclose(
        estimator._forward(Rows(codes, condition=X), encode=False), got, rtol=1e-6, atol=1e-6
    )
    # in chunks, each with its own rows of the condition
    monkeypatch.setattr(skae_inference, "INFERENCE_BATCH_SIZE", 7)
    chunked = estimator._forward(Rows(X, condition=X))
    np.testing.assert_allclose(chunked, got, rtol=1e-5, atol=1e-6)
    # each chunk read its own rows of the condition: the oracle copies them
    shuffled = estimator._forward(Rows(X, condition=X[::-1]))
    assert np.abs(shuffled - got).max() > 1e-2
