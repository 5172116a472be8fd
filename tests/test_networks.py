"""From an estimator's parameters to its networks (``skae/_estimators/networks.py``).

NumPy integers as sizes, networks too large to build, and the user's own
encoders and decoders checked before the model is assembled.
"""

import random

import keras
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer, VariationalAutoencoderTransformer
from skae._estimators import networks as _networks
from skae._estimators.registry import estimator_classes

from .conftest import FAST

ESTIMATORS = list(estimator_classes(public=True).values())
CUSTOM_NETWORK_ESTIMATORS = [AutoencoderTransformer, VariationalAutoencoderTransformer]


# ----------------------------------------------------------------------
# NumPy integers: GridSearchCV's np.arange, arrays of layer sizes
# ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_numpy_integer_n_components(Estimator, digits):
    X, y = digits
    # the conditional model reads y beside X; the others ignore a 1-D y
    conditions = (y,) if Estimator.__name__.startswith("Conditional") else ()
    estimator = Estimator(n_components=np.int64(2), **{**FAST, "epochs": 1}).fit(X, y)
    if hasattr(estimator, "transform"):
        assert estimator.transform(X, *conditions).shape == (len(X), 2)
    else:
        assert estimator.predict(X).shape == (len(X),)


def test_numpy_array_of_hidden_layer_sizes(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "hidden_layer_sizes": np.array([8])}).fit(X)
    units = [layer.units for layer in ae.encoder_.layers if hasattr(layer, "units")]
    assert units == [8, 2]
    assert all(type(u) is int for u in units)


def test_numpy_array_of_filters(digits):
    X, _ = digits
    images = X.reshape(-1, 8, 8)
    params = {**FAST, "architecture": "conv", "filters": np.array([4]), "epochs": 1}
    ae = AutoencoderTransformer(np.int64(2), **params).fit(images)
    assert ae.reconstruct(images).shape == images.shape


def test_grid_search_over_numpy_range_of_n_components(digits):
    X, _ = digits
    search = GridSearchCV(
        AutoencoderTransformer(**{**FAST, "epochs": 1}),
        {"n_components": np.arange(1, 3)},
        cv=2,
    ).fit(X)
    assert search.best_params_["n_components"] in (1, 2)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# ----------------------------------------------------------------------
# networks too large to build: refused before anything is allocated
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, culprit",
    [
        ({"n_components": 10**10}, "n_components"),
        ({"hidden_layer_sizes": (10**9,)}, "hidden_layer_sizes"),
        ({"architecture": "conv", "n_components": 10**10}, "n_components"),
        ({"architecture": "conv", "filters": (10**5, 10**5)}, "filters"),
    ],
)
def test_network_too_large_to_build_raises_before_allocating(params, culprit, digits):
    X, _ = digits
    images = X.reshape(-1, 8, 8)
    ae = AutoencoderTransformer(**{**FAST, **params})
    with pytest.raises(ValueError, match=f"weights.*Lower {culprit}") as excinfo:
        ae.fit(images if params.get("architecture") == "conv" else X)
    assert f"{_networks.MAX_WEIGHTS:,}" in str(excinfo.value)
    assert not hasattr(ae, "model_")


def test_user_networks_are_not_counted():
    # the user's own encoder is the user's: only skae's decoder is estimated
    encoder = keras.Sequential([keras.Input((64,)), keras.layers.Dense(3)])
    ae = AutoencoderTransformer(**{**FAST, "n_components": 3, "encoder": encoder})
    _, decoder = _networks.build_networks(ae, (64,), random.Random(0))
    assert _networks.estimated_weights(ae, (64,)) == decoder.count_params()


@pytest.mark.parametrize(
    "params, input_shape",
    [
        ({"hidden_layer_sizes": (8, 5)}, (64,)),
        ({"hidden_layer_sizes": ()}, (10,)),
        ({"hidden_layer_sizes": (6,), "batch_normalization": True}, (9,)),
        ({"architecture": "conv", "filters": (4, 6)}, (27, 19, 1)),
        ({"architecture": "conv", "filters": (3,), "kernel_size": 5, "strides": 3}, (8, 8, 2)),
        ({"architecture": "conv", "filters": ()}, (5, 3, 1)),
        ({"architecture": "conv", "filters": (2, 3), "batch_normalization": True}, (6, 7, 1)),
    ],
)
def test_estimated_weights_match_the_networks_built(params, input_shape):
    ae = AutoencoderTransformer(**{**FAST, "n_components": 3, **params})
    encoder, decoder = _networks.build_networks(ae, input_shape, random.Random(0))
    assert _networks.estimated_weights(ae, input_shape) == (
        encoder.count_params() + decoder.count_params()
    )


# ----------------------------------------------------------------------
# the user's own encoders and decoders
# ----------------------------------------------------------------------
def dense(n_inputs, n_outputs):
    return keras.Sequential([keras.Input((n_inputs,)), keras.layers.Dense(n_outputs)])


@pytest.mark.parametrize("Estimator", CUSTOM_NETWORK_ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("as_builder", [False, True], ids=["model", "builder"])
def test_encoder_for_other_samples_names_both_shapes(Estimator, as_builder, digits):
    X, _ = digits
    encoder = (lambda input_shape, n: dense(5, n)) if as_builder else dense(5, 2)
    estimator = Estimator(2, **{**FAST, "encoder": encoder})
    with pytest.raises(ValueError, match=r"encoder reads samples of shape \(5,\).*\(64,\)"):
        estimator.fit(X)


@pytest.mark.parametrize("Estimator", CUSTOM_NETWORK_ESTIMATORS, ids=lambda c: c.__name__)
def test_encoder_for_other_images_names_both_shapes(Estimator, digits):
    X, _ = digits

    def encoder(input_shape, n_components):
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Flatten()(inputs)
        return keras.Model(inputs, keras.layers.Dense(n_components)(x))

    params = {**FAST, "architecture": "conv", "filters": (4,), "encoder": encoder}
    with pytest.raises(ValueError, match=r"\(28, 28, 1\).*\(8, 8, 1\)"):
        Estimator(2, **params).fit(X.reshape(-1, 8, 8))


@pytest.mark.parametrize("Estimator", CUSTOM_NETWORK_ESTIMATORS, ids=lambda c: c.__name__)
def test_decoder_for_other_codes_names_both_shapes(Estimator, digits):
    X, _ = digits
    estimator = Estimator(2, **{**FAST, "decoder": dense(3, 64)})
    with pytest.raises(ValueError, match=r"decoder reads .*\(3,\).*n_components=2"):
        estimator.fit(X)


@pytest.mark.parametrize("Estimator", CUSTOM_NETWORK_ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("role", ["encoder", "decoder"])
def test_network_without_input_asks_for_keras_input(Estimator, role, digits):
    X, _ = digits

    def unbuilt(first, second):
        size = second if role == "encoder" else second[0]
        return keras.Sequential([keras.layers.Dense(size)])

    estimator = Estimator(2, **{**FAST, role: unbuilt})
    with pytest.raises(ValueError, match=rf"The {role} .*keras\.Input\(shape="):
        estimator.fit(X)


def test_sequential_encoder_fits_the_variational_autoencoder(digits):
    # the log-variance head is added beside the last layer of a Sequential too
    X, _ = digits
    params = {**FAST, "encoder": dense(64, 2), "epochs": 1}
    estimator = VariationalAutoencoderTransformer(2, **params).fit(X)
    assert estimator.transform(X).shape == (len(X), 2)
