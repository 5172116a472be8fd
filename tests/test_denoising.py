"""DenoisingAutoencoder and its Corruption layer: noise in the user's units,
fresh at every step and only in training; paired fits; composition; errors;
reproducibility and copies."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skae import DenoisingAutoencoder
from skae._engine.training import validation_split
from skae.layers import Corruption

from .conftest import FAST


@pytest.fixture(scope="module")
def fitted(digits):
    """Gaussian noise 0.5 clipped to [0, 1], fitted on the digits. Never mutate it."""
    X, _ = digits
    return DenoisingAutoencoder(2, clip_range=(0, 1), **FAST).fit(X)


def corrupt(estimator, X):
    """Rows X (user units) through the model's corruption layer, in training mode."""
    layer = estimator.model_.get_layer("corruption")
    standardized = estimator._to_network(estimator._standardize(X), "float32")
    corrupted = keras.ops.convert_to_numpy(layer(standardized, training=True))
    return estimator._unstandardize(corrupted.reshape(X.shape).astype(np.float64))


class _Recorder(keras.layers.Layer):
    """Identity that hands a copy of every training batch to ``record`` (eager only)."""

    def __init__(self, record=None, **kwargs):
        super().__init__(**kwargs)
        # a callable, not the list itself: Keras would track a copy of a list
        self.record = record

    def call(self, inputs, training=False):
        if training and self.record is not None:
            self.record(keras.ops.convert_to_numpy(inputs))
        return inputs


def recording_encoder(batches):
    def build(input_shape, n_components):
        inputs = keras.Input(shape=input_shape)
        x = _Recorder(batches.append)(inputs)
        return keras.Model(inputs, keras.layers.Dense(n_components)(x))

    return build


def training_inputs(X, y=None, **params):
    """The standardised inputs the encoder saw in each epoch (one batch per epoch)."""
    batches = []
    params = {**FAST, "batch_size": len(X), "run_eagerly": True, **params}
    estimator = DenoisingAutoencoder(2, encoder=recording_encoder(batches), **params)
    estimator.fit(X, y)
    return estimator, batches


# ----------------------------------------------------------------------
# the noise: fresh, in the user's units, only while training
# ----------------------------------------------------------------------
def test_fresh_noise_at_every_epoch(digits):
    X, _ = digits
    estimator, batches = training_inputs(X[:50], epochs=2)
    assert len(batches) == 2
    clean = estimator._standardize(X[:50]).astype("float32")
    first, second = ({row.tobytes() for row in batch} for batch in batches)
    # shuffling permutes rows, so compare them as sets: no noisy row repeats
    assert not first & second
    assert not first & {row.tobytes() for row in clean}


def test_gaussian_noise_level_is_in_user_units(digits):
    X, _ = digits
    X = 100 * X  # scale_ is about 100 times larger than for X in [0, 1]
    estimator = DenoisingAutoencoder(2, noise_level=30.0, **FAST).fit(X)
    noise = corrupt(estimator, X) - X
    assert np.std(noise) == pytest.approx(30.0, rel=0.03)
    assert abs(np.mean(noise)) < 1.0


def test_clip_range_is_in_user_units(fitted, digits):
    X, _ = digits
    corrupted = corrupt(fitted, X)
    assert corrupted.min() >= -1e-5 and corrupted.max() <= 1 + 1e-5
    assert np.mean(np.abs(corrupted - X) > 1e-3) > 0.5  # the noise is there
    assert np.mean(corrupted < 1e-5) > 0.2  # clipping at 0 happened


def test_masking_zeroes_a_noise_level_fraction(digits):
    X, _ = digits
    X = 1 + X  # no zeros in the clean data
    estimator = DenoisingAutoencoder(2, noise="masking", noise_level=0.3, **FAST).fit(X)
    corrupted = corrupt(estimator, X)
    zeroed = np.abs(corrupted) < 1e-4
    assert np.mean(zeroed) == pytest.approx(0.3, abs=0.02)
    np.testing.assert_allclose(corrupted[~zeroed], X[~zeroed], atol=1e-4)


@pytest.mark.parametrize(
    "clip_range, low, high", [((0, 1), 0.0, 1.0), (None, 0.25, 0.75)]
)
def test_salt_and_pepper_values(digits, clip_range, low, high):
    X, _ = digits
    X = 0.25 + X / 2  # in [0.25, 0.75]; its min and max are used without clip_range
    estimator = DenoisingAutoencoder(
        2, noise="salt_and_pepper", noise_level=0.2, clip_range=clip_range, **FAST
    ).fit(X)
    corrupted = corrupt(estimator, X)
    changed = np.abs(corrupted - X) > 1e-4
    salt = np.abs(corrupted - high) < 1e-4
    pepper = np.abs(corrupted - low) < 1e-4
    assert np.all(salt | pepper | ~changed)
    # the low and high values of X are untouched values too, hence <=
    assert np.mean(changed) <= np.mean(salt | pepper)
    # half of noise_level each, counted where the value was not already there
    assert np.mean(salt[X < high]) == pytest.approx(0.1, abs=0.02)
    assert np.mean(pepper[X > low]) == pytest.approx(0.1, abs=0.02)


def test_noise_never_applied_at_inference(fitted, digits):
    X, _ = digits
    reconstruction = fitted.reconstruct(X)
    np.testing.assert_array_equal(fitted.reconstruct(X), reconstruction)
    np.testing.assert_array_equal(fitted.score_samples(X), fitted.score_samples(X))
    standardized = fitted._standardize(X).astype("float32")
    without_noise = fitted._unstandardize(
        keras.ops.convert_to_numpy(fitted.model_(standardized, training=False))
    )
    np.testing.assert_allclose(reconstruction, without_noise, rtol=1e-4, atol=1e-4)
    with_noise = fitted._unstandardize(
        keras.ops.convert_to_numpy(fitted.model_(standardized, training=True))
    )
    assert not np.allclose(with_noise, without_noise, atol=1e-2)
    # the encoder, and so transform, has no corruption in it
    assert all(not isinstance(layer, Corruption) for layer in fitted.encoder_.layers)


# ----------------------------------------------------------------------
# shapes and the transformer API
# ----------------------------------------------------------------------
def test_output_shapes_and_feature_names(fitted, digits):
    X, _ = digits
    assert fitted.transform(X).shape == (len(X), 2)
    assert fitted.reconstruct(X[:5].astype(np.float32)).dtype == np.float32
    assert fitted.inverse_transform(fitted.transform(X[:5])).shape == (5, X.shape[1])
    assert fitted.score_samples(X).dtype == np.float64
    assert list(fitted.get_feature_names_out()) == [
        "denoisingautoencoder0",
        "denoisingautoencoder1",
    ]


# ----------------------------------------------------------------------
# paired fits
# ----------------------------------------------------------------------
def test_paired_fit_trains_on_the_given_pairs_without_more_noise(digits):
    X, _ = digits
    X_noisy = np.clip(X[:50] + 0.3 * np.random.RandomState(0).randn(50, 64), 0, 1)
    estimator, batches = training_inputs(X_noisy, X[:50], clip_range=(0, 1))
    given = {row.tobytes() for row in estimator._standardize(X_noisy).astype("float32")}
    for batch in batches:
        assert {row.tobytes() for row in batch} == given


def test_paired_fit_learns_the_mapping_to_y(digits):
    X, _ = digits
    params = {**FAST, "hidden_layer_sizes": (32,), "epochs": 40}
    estimator = DenoisingAutoencoder(8, **params).fit(X, 1 - X)
    output = estimator.reconstruct(X)
    assert np.mean((output - (1 - X)) ** 2) < 0.5 * np.mean((output - X) ** 2)


def test_warm_start_switches_the_corruption_with_the_kind_of_fit(digits):
    X, _ = digits
    estimator = DenoisingAutoencoder(2, **{**FAST, "warm_start": True})
    layer = estimator.fit(X, X).model_.get_layer("corruption")
    assert float(layer.active) == 0.0
    estimator.fit(X)
    assert estimator.model_.get_layer("corruption") is layer
    assert float(layer.active) == 1.0


def test_warm_start_applies_changed_noise_settings(digits):
    # e.g. a curriculum: lower the noise between warm-started fits
    X, _ = digits
    estimator = DenoisingAutoencoder(2, noise_level=0.5, **{**FAST, "warm_start": True})
    estimator.fit(X)
    encoder, weights = estimator.encoder_, [w.copy() for w in estimator.encoder_.get_weights()]
    estimator.set_params(noise="masking", noise_level=0.25).fit(X)
    layer = estimator.model_.get_layer("corruption")
    assert (layer.noise, layer.noise_level) == ("masking", 0.25)
    assert float(layer.active) == 1.0
    assert estimator.encoder_ is encoder  # the same network, trained further
    assert not all(np.array_equal(a, b) for a, b in zip(weights, encoder.get_weights()))
    assert len(estimator.history_["loss"]) == 2 * FAST["epochs"]
    nonzero = X != 0
    zeroed = np.abs(corrupt(estimator, X)) < 1e-4
    assert np.mean(zeroed[nonzero]) == pytest.approx(0.25, abs=0.03)


def test_early_stopping_watches_the_denoising_error(digits):
    # Keras validates with training=False, where the corruption is off: the
    # held-out rows must be corrupted beforehand, or early stopping would
    # watch plain reconstruction of clean rows.
    X, _ = digits
    params = {**FAST, "hidden_layer_sizes": (32,), "epochs": 10, "early_stopping": True}
    est = DenoisingAutoencoder(16, noise_level=0.5, validation_fraction=0.2, **params).fit(X)
    _, val = validation_split(len(X), est.validation_fraction, est._seed)
    noisy = X[val] + 0.5 * np.random.RandomState(1).standard_normal(X[val].shape)

    def standardized_error(inputs):
        residual = est._standardize(est.reconstruct(inputs)) - est._standardize(X[val])
        return float(np.mean(residual**2))

    clean_error, noisy_error = standardized_error(X[val]), standardized_error(noisy)
    assert clean_error < noisy_error
    last = est.history_["val_loss"][-1]
    assert abs(last - noisy_error) < abs(last - clean_error)


def test_one_dimensional_y_is_ignored(fitted, digits):
    X, y = digits
    with_labels = DenoisingAutoencoder(2, clip_range=(0, 1), **FAST).fit(X, y)
    np.testing.assert_array_equal(with_labels.transform(X), fitted.transform(X))


def test_y_of_another_shape_raises(digits):
    X, _ = digits
    message = r"y has shape \(200, 63\), but X has shape \(200, 64\)"
    with pytest.raises(ValueError, match=message):
        DenoisingAutoencoder(2, **FAST).fit(X, X[:, :63])
    with pytest.raises(ValueError, match=r"y has shape \(199, 64\)"):
        DenoisingAutoencoder(2, **FAST).fit(X, X[:199])


# ----------------------------------------------------------------------
# bad parameters
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"noise": "poisson"}, InvalidParameterError, "noise"),
        ({"noise_level": -0.1}, InvalidParameterError, "noise_level"),
        ({"noise": "masking", "noise_level": 1.5}, ValueError, r"must be in \[0, 1\]"),
        ({"clip_range": (1, 0)}, ValueError, "low < high"),
        ({"clip_range": (0, 1, 2)}, ValueError, "pair of finite numbers"),
    ],
)
def test_bad_noise_parameters_raise(digits, params, error, message):
    X, _ = digits
    with pytest.raises(error, match=message):
        DenoisingAutoencoder(2, **{**FAST, **params}).fit(X)


def test_corruption_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="noise must be one of"):
        Corruption("speckle")
    with pytest.raises(ValueError, match="needs the values to set"):
        Corruption("salt_and_pepper", 0.1)


# ----------------------------------------------------------------------
# composition
# ----------------------------------------------------------------------
def test_pipeline_with_a_classifier(digits):
    X, y = digits
    pipe = make_pipeline(
        DenoisingAutoencoder(4, **FAST), LogisticRegression(max_iter=200)
    )
    assert pipe.fit(X, y).predict(X).shape == y.shape


def test_grid_search_over_noise_level(digits):
    X, _ = digits
    search = GridSearchCV(
        DenoisingAutoencoder(2, **FAST),
        {"noise_level": [0.1, 0.5]},
        cv=ShuffleSplit(n_splits=1, test_size=0.25, random_state=0),
        refit=False,
    ).fit(X)
    assert search.best_params_["noise_level"] in (0.1, 0.5)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# ----------------------------------------------------------------------
# reproducibility and copies
# ----------------------------------------------------------------------
def test_same_random_state_gives_the_same_noise_and_model(fitted, digits):
    X, _ = digits
    again = DenoisingAutoencoder(2, clip_range=(0, 1), **FAST).fit(X)
    assert dict(again.history_) == dict(fitted.history_)
    np.testing.assert_array_equal(again.reconstruct(X), fitted.reconstruct(X))
    other = DenoisingAutoencoder(2, clip_range=(0, 1), **{**FAST, "random_state": 1})
    other.fit(X)
    assert not np.allclose(other.reconstruct(X), fitted.reconstruct(X))


def test_pickle_round_trip_and_further_training(fitted, digits):
    X, _ = digits
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.reconstruct(X), fitted.reconstruct(X))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    assert float(restored.model_.get_layer("corruption").active) == 1.0
    before = restored.transform(X)
    restored.partial_fit(X)
    assert not np.allclose(restored.transform(X), before)


def test_saved_model_loads_with_its_corruption_layer(fitted, digits, tmp_path):
    X, _ = digits
    path = tmp_path / "dae.keras"
    fitted.model_.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("corruption")
    assert isinstance(layer, Corruption)
    assert layer.get_config() == fitted.model_.get_layer("corruption").get_config()
    standardized = fitted._standardize(X).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(standardized)),
        keras.ops.convert_to_numpy(fitted.model_(standardized)),
        rtol=1e-6,
    )


# ----------------------------------------------------------------------
# images
# ----------------------------------------------------------------------
def test_images_are_corrupted_in_their_own_shape_and_units():
    images = 1 + np.random.RandomState(0).rand(24, 9, 7)  # no zeros
    params = {**FAST, "architecture": "conv", "filters": (4,)}
    estimator = DenoisingAutoencoder(3, noise="masking", noise_level=0.25, **params)
    estimator.fit(images)
    assert estimator.reconstruct(images).shape == images.shape
    corrupted = corrupt(estimator, images.reshape(len(images), -1))
    assert np.mean(np.abs(corrupted) < 1e-4) == pytest.approx(0.25, abs=0.05)
    paired = DenoisingAutoencoder(3, **params).fit(images + 0.1, images)
    assert paired.reconstruct(images).shape == images.shape


@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_default_noise_level_is_relative_to_the_data_scale(digits, scale):
    # noise_level="auto": Gaussian noise of half the data's spread, so the
    # same data in other units trains alike (0.5 in absolute units made data
    # near 1e-30 diverge)
    X, _ = digits
    unit = DenoisingAutoencoder(4, **FAST).fit(X)
    est = DenoisingAutoencoder(4, **FAST).fit(X * scale)
    noise = est.model_.get_layer("corruption").get_config()["noise_level"]
    assert noise == pytest.approx(0.5 * est.scale_)
    np.testing.assert_allclose(est.history_["loss"], unit.history_["loss"], rtol=1e-3)
    assert np.all(np.isfinite(est.transform(X * scale)))


def test_default_noise_level_of_probability_corruptions_is_one_half(digits):
    X, _ = digits
    est = DenoisingAutoencoder(4, noise="masking", **FAST).fit(X)
    assert est.model_.get_layer("corruption").get_config()["noise_level"] == 0.5
