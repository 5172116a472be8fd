"""VariationalAutoencoderTransformer as a user sees it: posterior codes, ELBO
scores in nats, sampling, copies and saving, composition, beta and errors."""

import math
import pickle

import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skae import VariationalAutoencoderTransformer
from skae.architectures.variational import (
    VariationalAutoencoderModel,
    add_log_variance_head,
)
from skae.layers import Sampling

from .conftest import FAST


@pytest.fixture(scope="module")
def fitted(digits):
    """VariationalAutoencoderTransformer(2, **FAST) on the digits. Never mutate it."""
    X, _ = digits
    return VariationalAutoencoderTransformer(2, **FAST).fit(X)


@pytest.fixture(scope="module")
def noise(digits):
    X, _ = digits
    return np.random.RandomState(0).uniform(size=X.shape)


# ----------------------------------------------------------------------
# codes: the posterior mean, and its standard deviation on request
# ----------------------------------------------------------------------
def test_transform_is_deterministic_posterior_mean(fitted, digits):
    X, _ = digits
    codes = fitted.transform(X)
    assert codes.shape == (X.shape[0], 2)
    np.testing.assert_array_equal(codes, fitted.transform(X))
    z_mean, _ = fitted.encoder_.predict_on_batch(
        ((X - fitted.mean_) / fitted.scale_).astype("float32")
    )
    np.testing.assert_allclose(codes, z_mean, rtol=1e-4, atol=1e-5)


def test_transform_return_std(fitted, digits):
    X, _ = digits
    mean, std = fitted.transform(X[:7], return_std=True)
    np.testing.assert_array_equal(mean, fitted.transform(X[:7]))
    assert std.shape == (7, 2)
    assert np.all(std > 0) and np.all(np.isfinite(std))
    _, z_log_var = fitted.encoder_.predict_on_batch(
        ((X[:7] - fitted.mean_) / fitted.scale_).astype("float32")
    )
    np.testing.assert_allclose(std, np.exp(0.5 * z_log_var), rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_keep_float_dtype(fitted, digits, dtype):
    X, _ = digits
    X = X[:5].astype(dtype)
    mean, std = fitted.transform(X, return_std=True)
    assert mean.dtype == std.dtype == fitted.reconstruct(X).dtype == dtype
    assert fitted.score_samples(X).dtype == dtype  # computed in float64, returned as X


def test_float64_inference_runs_a_float64_network(fitted):
    # float64_copy falls back to the float32 network silently; the VAE's
    # two-output encoder must not need that fallback. (Backends that compute
    # in float32 never ask for the copy: then it is built here directly.)
    from skae._engine.inference import backend_computes_float64, float64_copy

    if backend_computes_float64():
        encoder, decoder = fitted._networks_for(np.float64)
    else:
        encoder, decoder = (float64_copy(n) for n in (fitted.encoder_, fitted.decoder_))
    assert {w.dtype for w in encoder.weights + decoder.weights} == {"float64"}


def test_reconstruct_is_decoder_mean_at_posterior_mean(fitted, digits):
    X, _ = digits
    reconstruction = fitted.reconstruct(X[:9])
    assert reconstruction.shape == (9, X.shape[1])
    np.testing.assert_allclose(
        reconstruction, fitted.inverse_transform(fitted.transform(X[:9])), atol=1e-10
    )
    np.testing.assert_array_equal(reconstruction, fitted.reconstruct(X[:9]))


# ----------------------------------------------------------------------
# scores: the ELBO in nats
# ----------------------------------------------------------------------
def test_score_samples_is_deterministic_and_finite(fitted, digits):
    X, _ = digits
    scores = fitted.score_samples(X)
    assert scores.shape == (X.shape[0],)
    assert np.all(np.isfinite(scores))
    np.testing.assert_array_equal(scores, fitted.score_samples(X))
    # a sample's score does not depend on the other samples
    np.testing.assert_allclose(fitted.score_samples(X[::-1])[::-1], scores, atol=1e-9)


@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_scores_and_training_loss_are_one_elbo(digits, loss):
    # The Keras loss (standardised units, keras.ops) and score_samples (data
    # units, NumPy) come from one definition: at the same latent code they
    # differ exactly by the change of variables of the standardisation.
    X, _ = digits
    vae = VariationalAutoencoderTransformer(2, loss=loss, **FAST).fit(X)
    rows = X[:5]
    mean, log_var = vae._posterior(rows)
    decoded = vae.inverse_transform(mean)
    elbo_at_mean = vae._log_likelihood(rows, decoded) - np.sum(
        0.5 * (mean**2 + np.exp(log_var) - 1.0 - log_var), axis=1
    )
    floatx = keras.backend.floatx()
    for i in range(len(rows)):
        standardized = ((rows[i : i + 1] - vae.mean_) / vae.scale_).astype(floatx)
        z_mean, z_log_var = (np.asarray(a, floatx) for a in (mean[i : i + 1], log_var[i : i + 1]))
        loss_value = vae.model_.compute_loss(
            y=standardized,
            y_pred=(vae.decoder_(z_mean), z_mean, z_log_var),
        )
        change_of_variables = rows.shape[1] * math.log(vae.scale_)
        assert float(loss_value) + change_of_variables == pytest.approx(
            -elbo_at_mean[i], rel=1e-4
        )


def test_score_is_mean_of_score_samples(fitted, digits):
    X, _ = digits
    assert fitted.score(X) == pytest.approx(np.mean(fitted.score_samples(X)), rel=1e-12)


def test_elbo_higher_for_digits_than_for_noise(fitted, digits, noise):
    X, _ = digits
    assert np.median(fitted.score_samples(X)) > np.max(fitted.score_samples(noise))


def test_scores_are_densities_in_the_data_units(fitted, digits):
    # Standardisation makes the fit on 10 X the fit on X; the density of 10 X
    # is that of X divided by 10 per feature: log-det -n_features * log(10).
    X, _ = digits
    scaled = VariationalAutoencoderTransformer(2, **FAST).fit(10 * X)
    np.testing.assert_allclose(
        scaled.transform(10 * X), fitted.transform(X), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        scaled.score_samples(10 * X),
        fitted.score_samples(X) - X.shape[1] * math.log(10),
        rtol=1e-5,
    )
    assert scaled.noise_scale_ == pytest.approx(10 * fitted.noise_scale_, rel=1e-5)


def test_importance_weighted_log_likelihood(fitted, digits):
    X, _ = digits
    estimate = fitted.log_likelihood(X, n_importance_samples=50, random_state=0)
    assert estimate.shape == (X.shape[0],)
    np.testing.assert_array_equal(
        estimate, fitted.log_likelihood(X, n_importance_samples=50, random_state=0)
    )
    # a tighter bound than the ELBO, on average
    assert np.mean(estimate) > np.mean(fitted.score_samples(X))


def test_bernoulli_likelihood(digits):
    X, _ = digits
    vae = VariationalAutoencoderTransformer(
        2, **{**FAST, "loss": "binary_crossentropy"}
    ).fit(X)
    assert vae.noise_scale_ is None
    reconstruction = vae.reconstruct(X)
    assert np.all((reconstruction >= 0) & (reconstruction <= 1))
    scores = vae.score_samples(X)
    # Bernoulli log-probabilities and minus a KL divergence: never positive
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)


# ----------------------------------------------------------------------
# generation and posterior collapse
# ----------------------------------------------------------------------
def test_sample_shape_and_reproducibility(fitted, digits):
    X, _ = digits
    samples = fitted.sample(5, random_state=0)
    assert samples.shape == (5, X.shape[1])
    assert np.all(np.isfinite(samples))
    np.testing.assert_array_equal(samples, fitted.sample(5, random_state=0))
    assert not np.allclose(samples, fitted.sample(5, random_state=1))
    assert fitted.sample().shape == (1, X.shape[1])


def test_collapse_diagnostics(fitted):
    assert fitted.kl_per_dimension_.shape == (2,)
    assert np.all(fitted.kl_per_dimension_ >= 0)
    assert 0 <= fitted.n_active_components_ <= 2


def test_higher_beta_gives_lower_kl(digits):
    X, _ = digits
    params = {**FAST, "epochs": 10}
    kl = {
        beta: VariationalAutoencoderTransformer(2, beta=beta, **params)
        .fit(X)
        .kl_per_dimension_.sum()
        for beta in (0.1, 10.0)
    }
    assert kl[10.0] < kl[0.1]


# ----------------------------------------------------------------------
# copies and saving
# ----------------------------------------------------------------------
def test_pickle_round_trip(fitted, digits):
    X, _ = digits
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(
        restored.sample(3, random_state=0), fitted.sample(3, random_state=0)
    )


def test_model_saves_and_loads(fitted, digits, tmp_path):
    X, _ = digits
    path = tmp_path / "vae.keras"
    fitted.model_.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, VariationalAutoencoderModel)
    assert isinstance(loaded.sampling, Sampling)
    inputs = ((X - fitted.mean_) / fitted.scale_).astype("float32")
    for got, expected in zip(
        loaded.encoder.predict_on_batch(inputs), fitted.encoder_.predict_on_batch(inputs)
    ):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.log_noise_scale),
        keras.ops.convert_to_numpy(fitted.model_.log_noise_scale),
    )


def test_sampling_layer_is_seeded():
    mean, log_var = np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")
    first = Sampling(seed=1)([mean, log_var])
    np.testing.assert_array_equal(first, Sampling(seed=1)([mean, log_var]))
    assert not np.allclose(first, Sampling(seed=2)([mean, log_var]))


# ----------------------------------------------------------------------
# scikit-learn composition
# ----------------------------------------------------------------------
def test_pipeline_with_classifier(digits):
    X, y = digits
    pipe = make_pipeline(
        VariationalAutoencoderTransformer(2, **FAST), LogisticRegression(max_iter=200)
    ).fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert 0.0 <= pipe.score(X, y) <= 1.0


def test_grid_search_without_scorer_uses_elbo(digits):
    X, _ = digits
    search = GridSearchCV(
        VariationalAutoencoderTransformer(**FAST),
        {"beta": [0.5, 1.0]},
        cv=ShuffleSplit(n_splits=1, test_size=0.25, random_state=0),
        refit=False,
    ).fit(X)
    assert search.best_params_["beta"] in (0.5, 1.0)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# ----------------------------------------------------------------------
# images and custom networks
# ----------------------------------------------------------------------
def test_conv_architecture_on_images(digits):
    X, _ = digits
    images = X[:40].reshape(-1, 8, 8)
    params = {**FAST, "epochs": 1, "architecture": "conv", "filters": (4,)}
    vae = VariationalAutoencoderTransformer(3, **params).fit(images)
    assert vae.transform(images).shape == (40, 3)
    assert vae.reconstruct(images).shape == images.shape
    assert vae.sample(2, random_state=0).shape == (2, 8, 8)
    assert np.all(np.isfinite(vae.score_samples(images)))


def test_subclassed_encoder_raises_clear_error():
    class Opaque(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(TypeError, match="log-variance head"):
        add_log_variance_head(Opaque())


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------
@pytest.mark.parametrize("beta", [-1.0, "high"])
def test_invalid_beta_raises_at_fit(digits, beta):
    X, _ = digits
    with pytest.raises(InvalidParameterError, match="beta"):
        VariationalAutoencoderTransformer(2, beta=beta, **FAST).fit(X)


@pytest.mark.parametrize(
    "method, args",
    [("sample", ()), ("log_likelihood", ("X",)), ("transform", ("X",))],
)
def test_methods_before_fit_raise_not_fitted(digits, method, args):
    X, _ = digits
    args = [X if a == "X" else a for a in args]
    with pytest.raises(NotFittedError):
        getattr(VariationalAutoencoderTransformer(2), method)(*args)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_sample_counts_raise(fitted, digits, bad):
    X, _ = digits
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        fitted.sample(bad)
    with pytest.raises(ValueError, match="n_importance_samples must be a positive"):
        fitted.log_likelihood(X[:3], n_importance_samples=bad)


def test_codes_come_from_the_fitted_size_after_set_params(fitted, digits):
    # raising n_components after fit must not return a log-variance as a code
    X, _ = digits
    codes, std = fitted.transform(X[:5], return_std=True)
    changed = pickle.loads(pickle.dumps(fitted)).set_params(n_components=3)
    np.testing.assert_array_equal(changed.transform(X[:5]), codes)
    np.testing.assert_array_equal(changed.score_samples(X[:5]), fitted.score_samples(X[:5]))
    assert changed.sample(2, random_state=0).shape == (2, X.shape[1])
    assert len(changed.get_feature_names_out()) == 2
