"""Image arrays through the estimators: shapes in, shapes out, clear errors."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skae import AutoencoderTransformer

from .conftest import FAST

CONV = {**FAST, "architecture": "conv", "filters": (4, 8)}


@pytest.fixture(scope="module")
def images():
    rng = np.random.RandomState(0)
    return rng.rand(24, 27, 19)


@pytest.fixture(scope="module")
def fitted_conv(images):
    return AutoencoderTransformer(3, **CONV).fit(images)


def test_grayscale_images_round_trip_in_their_shape(fitted_conv, images):
    assert fitted_conv.image_shape_ == (27, 19, 1)
    assert fitted_conv.n_features_in_ == 27 * 19
    assert fitted_conv.transform(images).shape == (24, 3)
    assert fitted_conv.reconstruct(images).shape == images.shape
    assert fitted_conv.inverse_transform(fitted_conv.transform(images)).shape == images.shape
    assert fitted_conv.score_samples(images).shape == (24,)


def test_channels_last_images():
    rng = np.random.RandomState(1)
    X = rng.rand(10, 10, 12, 3).astype(np.float32)
    est = AutoencoderTransformer(2, **CONV).fit(X)
    reconstruction = est.reconstruct(X)
    assert reconstruction.shape == X.shape
    assert reconstruction.dtype == np.float32


def test_flattened_images_with_input_shape_fit_in_a_pipeline(images):
    flat = images.reshape(len(images), -1)
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X * 2.0),
        AutoencoderTransformer(3, input_shape=(27, 19), **CONV),
    ).fit(flat)
    est = pipe[-1]
    assert est.image_shape_ == (27, 19, 1)
    assert pipe.transform(flat).shape == (24, 3)
    # flattened in, flattened out
    assert est.reconstruct(flat).shape == flat.shape
    assert est.inverse_transform(pipe.transform(flat)).shape == flat.shape


def test_flat_and_image_forms_give_the_same_codes(fitted_conv, images):
    flat = images.reshape(len(images), -1)
    np.testing.assert_allclose(fitted_conv.transform(flat), fitted_conv.transform(images))
    np.testing.assert_allclose(
        fitted_conv.reconstruct(flat), fitted_conv.reconstruct(images).reshape(flat.shape)
    )


def test_dense_architecture_on_images_keeps_their_shape(images):
    est = AutoencoderTransformer(2, **FAST).fit(images)
    assert est.reconstruct(images).shape == images.shape
    assert PCA(2).fit_transform(images.reshape(len(images), -1)).shape == est.transform(images).shape


def test_conv_is_reproducible(images):
    a = AutoencoderTransformer(3, **CONV).fit(images).transform(images)
    b = AutoencoderTransformer(3, **CONV).fit(images).transform(images)
    np.testing.assert_array_equal(a, b)


def test_wrong_image_shape_at_transform(fitted_conv):
    with pytest.raises(ValueError, match=r"images of shape \(28, 19, 1\).*fitted on images of shape \(27, 19, 1\)"):
        fitted_conv.transform(np.zeros((2, 28, 19)))


def test_flattened_length_must_match_input_shape():
    with pytest.raises(ValueError, match="input_shape"):
        AutoencoderTransformer(2, input_shape=(28, 28), **CONV).fit(np.zeros((5, 700)))


def test_input_shape_must_match_image_arrays(images):
    with pytest.raises(ValueError, match="does not match the images"):
        AutoencoderTransformer(2, input_shape=(19, 27), **CONV).fit(images)


def test_conv_on_rows_without_input_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="architecture='conv' needs images"):
        AutoencoderTransformer(2, **CONV).fit(np.zeros((5, 64)))


def test_five_dimensional_input_is_rejected():
    with pytest.raises(ValueError):
        AutoencoderTransformer(2, **CONV).fit(np.zeros((5, 4, 4, 1, 1)))
