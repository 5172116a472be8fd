"""The VAE's pure-Keras pieces on their own: the posterior head."""

import keras
import numpy as np
import pytest

from skae.architectures.variational import add_log_variance_head


def test_log_variance_head_on_a_sequential_encoder():
    encoder = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)]
    )
    posterior = add_log_variance_head(encoder)
    assert posterior.output_shape == [(None, 2), (None, 2)]
    x = np.random.RandomState(0).rand(3, 6).astype("float32")
    z_mean, _ = posterior.predict_on_batch(x)
    # the mean is the encoder's own output: the head shares its layers
    np.testing.assert_allclose(z_mean, encoder.predict_on_batch(x), rtol=1e-6)


def test_log_variance_head_on_an_encoder_without_input_asks_for_keras_input():
    encoder = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(TypeError, match=r"keras\.Input\(shape="):
        add_log_variance_head(encoder)
