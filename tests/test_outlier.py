"""AutoencoderOutlierDetector as a scikit-learn outlier detector: scores,
offset_ and contamination, predictions, per-feature errors, threshold
calibration, composition, errors, reproducibility, copies and the
variational backbone."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

from .conftest import FAST


@pytest.fixture(scope="module")
def fitted(digits):
    """Fitted on the digits with contamination=0.1. Never mutate it."""
    X, _ = digits
    return AutoencoderOutlierDetector(2, **FAST).fit(X)


# ----------------------------------------------------------------------
# scores, offset_ and predictions
# ----------------------------------------------------------------------
def test_scores_are_minus_the_mean_squared_standardised_error(fitted, digits):
    X, _ = digits
    scores = fitted.score_samples(X)
    assert scores.dtype == np.float64 and scores.shape == (len(X),)
    expected = -np.mean(((X - fitted.reconstruct(X)) / fitted.scale_) ** 2, axis=1)
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    np.testing.assert_allclose(fitted.decision_function(X), scores - fitted.offset_)


def test_scores_are_deterministic_and_independent_of_the_batch(fitted, digits):
    X, _ = digits
    scores = fitted.score_samples(X)
    np.testing.assert_array_equal(fitted.score_samples(X), scores)
    np.testing.assert_array_equal(fitted.score_samples(X[7:19]), scores[7:19])
    np.testing.assert_array_equal(fitted.score_samples(X[::-1]), scores[::-1])


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_outlier_fraction_on_training_data_is_contamination(digits, contamination):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, contamination=contamination, **FAST)
    predictions = detector.fit_predict(X)
    assert predictions.dtype.kind == "i"
    assert set(np.unique(predictions)) == {-1, 1}
    n_ties = np.sum(detector.score_samples(X) == detector.offset_)
    assert abs(np.sum(predictions == -1) - contamination * len(X)) <= max(n_ties, 1)


def test_predict_agrees_with_decision_function(fitted, digits):
    X, _ = digits
    decision = fitted.decision_function(X)
    np.testing.assert_array_equal(fitted.predict(X), np.where(decision < 0, -1, 1))


@pytest.mark.parametrize("backbone", ["autoencoder", "variational"])
def test_auto_contamination_is_a_robust_fence_on_the_errors(digits, backbone):
    # 3 robust standard deviations above the median: of the squared errors'
    # cube roots, or of minus the ELBOs (tests/test_small_data.py has more)
    X, _ = digits
    detector = AutoencoderOutlierDetector(
        2, contamination="auto", backbone=backbone, **FAST
    ).fit(X)
    errors = -detector.score_samples(X)
    spread = np.cbrt(errors) if backbone == "autoencoder" else errors
    median = np.median(spread)
    mad_to_std = 1 / norm.ppf(0.75)  # 1.4826
    fence = median + 3 * mad_to_std * np.median(np.abs(spread - median))
    fence = fence**3 if backbone == "autoencoder" else fence
    assert detector.offset_ == pytest.approx(-fence, rel=1e-9)
    np.testing.assert_array_equal(detector.predict(X) == -1, errors > fence)


def test_partial_fit_updates_offset(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, **FAST).partial_fit(X)
    first = detector.offset_
    detector.partial_fit(X)
    assert detector.offset_ != first
    expected = np.percentile(detector.score_samples(X), 10)
    assert detector.offset_ == pytest.approx(expected)


def test_normal_data_scores_higher_than_other_digits(digits):
    X, y = digits
    detector = AutoencoderOutlierDetector(4, **{**FAST, "epochs": 20}).fit(X[y == 0])
    assert np.mean(detector.score_samples(X[y == 0])) > np.mean(
        detector.score_samples(X[y != 0])
    )


# ----------------------------------------------------------------------
# per-feature errors
# ----------------------------------------------------------------------
def test_feature_errors_explain_the_scores(fitted, digits):
    X, _ = digits
    errors = fitted.feature_errors(X)
    assert errors.shape == X.shape and errors.dtype == np.float64
    scores = fitted.score_samples(X)
    np.testing.assert_allclose(-errors.mean(axis=1), scores, rtol=1e-12)


def test_feature_errors_point_at_the_anomalous_feature(fitted, digits):
    X, _ = digits
    sample = X[:1].copy()
    sample[0, 27] = 5.0  # far outside the [0, 1] of the training data
    assert np.argmax(fitted.feature_errors(sample)[0]) == 27


def test_feature_errors_keep_pandas_names_and_index(digits):
    X, _ = digits
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    detector = AutoencoderOutlierDetector(2, **FAST).fit(frame)
    part = frame.iloc[10:15]
    errors = detector.feature_errors(part)
    assert isinstance(errors, pd.DataFrame)
    assert list(errors.columns) == list(frame.columns)
    assert list(errors.index) == list(part.index)


# ----------------------------------------------------------------------
# calibrating the threshold
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_on_part(digits):
    """Fitted on the first 100 digits other than 0; the others are held out."""
    X, y = digits
    normal = X[y != 0]
    return AutoencoderOutlierDetector(2, **FAST).fit(normal[:100]), normal[100:]


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.2])
def test_set_threshold_reaches_the_false_positive_rate(trained_on_part, rate):
    detector, held_out = trained_on_part
    detector = copy.deepcopy(detector)
    assert detector.set_threshold(held_out, false_positive_rate=rate) is detector
    flagged = np.mean(detector.predict(held_out) == -1)
    assert flagged <= rate
    assert flagged >= rate - 1 / len(held_out)


def test_fit_sets_the_offset_from_contamination_again(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, **FAST).fit(X)
    from_contamination = detector.offset_
    detector.set_threshold(X[:50], false_positive_rate=0.5)
    assert detector.offset_ != from_contamination
    assert detector.fit(X).offset_ == from_contamination


@pytest.mark.parametrize("rate", [0, 1, -0.1, "1%"])
def test_set_threshold_rejects_bad_rates(fitted, digits, rate):
    X, _ = digits
    with pytest.raises(ValueError, match="false_positive_rate must be a number in"):
        fitted.set_threshold(X, false_positive_rate=rate)


# ----------------------------------------------------------------------
# API surface and errors
# ----------------------------------------------------------------------
def test_is_a_detector_not_a_transformer(fitted, digits):
    X, _ = digits
    assert not hasattr(fitted, "transform")
    assert not hasattr(fitted, "inverse_transform")
    assert fitted.reconstruct(X[:3]).shape == (3, X.shape[1])


@pytest.mark.parametrize("contamination", [0.0, 0.6, -0.1, "most"])
def test_contamination_out_of_range_raises(digits, contamination):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, contamination=contamination, **FAST)
    with pytest.raises(InvalidParameterError, match="contamination"):
        detector.fit(X)


@pytest.mark.parametrize(
    "method", ["predict", "decision_function", "score_samples", "feature_errors"]
)
def test_methods_before_fit_raise_not_fitted(digits, method):
    X, _ = digits
    with pytest.raises(NotFittedError):
        getattr(AutoencoderOutlierDetector(2, **FAST), method)(X)


def test_wrong_number_of_features_raises(fitted, digits):
    X, _ = digits
    with pytest.raises(ValueError, match="X has 63 features"):
        fitted.predict(X[:, :63])


# ----------------------------------------------------------------------
# composition
# ----------------------------------------------------------------------
def test_pipeline_passes_labels_through_unused(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), AutoencoderOutlierDetector(2, **FAST))
    predictions = pipe.fit(X, y).predict(X)
    assert set(np.unique(predictions)) <= {-1, 1}
    np.testing.assert_allclose(
        pipe.decision_function(X),
        pipe[-1].decision_function(pipe[0].transform(X)),
    )


def test_grid_search_with_an_explicit_scorer(digits):
    X, y = digits
    is_normal = np.where(y == 0, 1, -1)  # inliers are the positive class
    search = GridSearchCV(
        AutoencoderOutlierDetector(**FAST),
        {"n_components": [2, 4]},
        scoring="roc_auc",  # ranks samples by decision_function
        cv=StratifiedShuffleSplit(n_splits=1, test_size=0.5, random_state=0),
    ).fit(X, is_normal)
    scores = search.cv_results_["mean_test_score"]
    assert np.all((scores >= 0) & (scores <= 1))
    assert search.best_params_["n_components"] in (2, 4)
    assert search.predict(X).shape == y.shape


# ----------------------------------------------------------------------
# reproducibility and copies
# ----------------------------------------------------------------------
def test_same_random_state_gives_the_same_scores(fitted, digits):
    X, _ = digits
    again = AutoencoderOutlierDetector(2, **FAST).fit(X)
    np.testing.assert_array_equal(again.score_samples(X), fitted.score_samples(X))
    assert again.offset_ == fitted.offset_


def test_pickle_round_trip_keeps_scores_and_offset(fitted, digits):
    X, _ = digits
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))
    assert restored.offset_ == fitted.offset_
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


# ----------------------------------------------------------------------
# images
# ----------------------------------------------------------------------
def test_images_get_per_pixel_errors_in_their_shape():
    images = np.random.RandomState(0).rand(24, 9, 7)
    params = {**FAST, "architecture": "conv", "filters": (4,)}
    detector = AutoencoderOutlierDetector(3, **params).fit(images)
    assert detector.predict(images).shape == (24,)
    errors = detector.feature_errors(images)
    assert errors.shape == images.shape
    np.testing.assert_allclose(
        -errors.reshape(24, -1).mean(axis=1), detector.score_samples(images), rtol=1e-12
    )


# ----------------------------------------------------------------------
# the variational backbone
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def variational(digits):
    """Fitted with backbone="variational" on the digits. Never mutate it."""
    X, _ = digits
    return AutoencoderOutlierDetector(2, backbone="variational", **FAST).fit(X)


def test_variational_backbone_predicts_the_contamination_fraction(variational, digits):
    X, _ = digits
    predictions = variational.predict(X)
    assert predictions.dtype.kind == "i"
    assert set(np.unique(predictions)) == {-1, 1}
    n_ties = np.sum(variational.score_samples(X) == variational.offset_)
    assert abs(np.sum(predictions == -1) - 0.1 * len(X)) <= max(n_ties, 1)
    np.testing.assert_array_equal(
        predictions, np.where(variational.decision_function(X) < 0, -1, 1)
    )


def test_variational_scores_are_the_deterministic_elbo(variational, digits):
    X, _ = digits
    scores = variational.score_samples(X)
    assert scores.dtype == np.float64 and scores.shape == (len(X),)
    seen = (X - variational.center_) / variational.scale_  # what the backbone sees
    np.testing.assert_array_equal(scores, variational.backbone_.score_samples(seen))
    np.testing.assert_array_equal(variational.score_samples(X), scores)
    np.testing.assert_array_equal(variational.score_samples(X[7:19]), scores[7:19])
    assert isinstance(variational.backbone_, VariationalAutoencoderTransformer)
    np.testing.assert_allclose(
        variational.reconstruct(X[:5]),
        variational.backbone_.reconstruct(seen[:5]) * variational.scale_
        + variational.center_,
    )


def test_variational_scores_noise_below_the_training_data(variational, digits):
    X, _ = digits
    noise = np.random.RandomState(0).rand(50, X.shape[1])
    assert np.mean(variational.score_samples(noise)) < np.mean(
        variational.score_samples(X)
    )


def test_variational_pickle_round_trip_keeps_scores(variational, digits):
    X, _ = digits
    restored = pickle.loads(pickle.dumps(variational))
    np.testing.assert_array_equal(
        restored.score_samples(X), variational.score_samples(X)
    )
    assert restored.offset_ == variational.offset_
    np.testing.assert_array_equal(
        restored.backbone_.transform(X), variational.backbone_.transform(X)
    )


def test_variational_partial_fit_and_switching_backbone(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, backbone="variational", **FAST)
    detector.partial_fit(X).partial_fit(X)
    assert detector.n_iter_ == detector.backbone_.n_iter_ == 2
    expected = np.percentile(detector.score_samples(X), 10)
    assert detector.offset_ == pytest.approx(expected)
    detector.set_params(backbone="autoencoder").fit(X)
    assert type(detector.backbone_) is AutoencoderTransformer
    scores = detector.score_samples(X)
    errors = ((X - detector.reconstruct(X)) / detector.scale_) ** 2
    np.testing.assert_allclose(scores, -np.mean(errors, axis=1), rtol=1e-12)


def test_backbone_is_the_transformer_with_the_detector_s_parameters(fitted, digits):
    # composition: the detector owns a fitted AutoencoderTransformer made from
    # its own parameters and scores through its public methods
    X, _ = digits
    seen = (X - fitted.center_) / fitted.scale_  # what the backbone sees
    # the detector's layer defaults differ from the transformer's
    layers = {"dropout": fitted.dropout, "batch_normalization": fitted.batch_normalization}
    transformer = AutoencoderTransformer(2, **layers, **FAST).fit(seen)
    assert type(fitted.backbone_) is AutoencoderTransformer
    assert fitted.backbone_.get_params() == transformer.get_params()
    np.testing.assert_array_equal(fitted.score_samples(X), transformer.score_samples(seen))
    assert fitted.n_features_in_ == transformer.n_features_in_
    assert fitted.history_ == transformer.history_
    assert not hasattr(fitted, "model_")


@pytest.mark.parametrize("n_features, expected", [(2, 2), (23, 2), (30, 3), (64, 8), (784, 8)])
def test_auto_code_is_an_eighth_of_the_features_between_2_and_8(n_features, expected):
    # the default chosen by leave-one-data-set-out (benchmarks/outlier_lodo.py)
    X = np.random.default_rng(0).normal(size=(40, n_features))
    detector = AutoencoderOutlierDetector(**{**FAST, "epochs": 1}).fit(X)
    assert detector.n_components == "auto"
    assert detector.n_components_ == detector.backbone_.n_components == expected
    # the same network as the code size given outright
    given = AutoencoderOutlierDetector(expected, **{**FAST, "epochs": 1}).fit(X)
    np.testing.assert_array_equal(detector.score_samples(X), given.score_samples(X))


def test_warm_start_keeps_training_the_same_backbone(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, warm_start=True, **FAST).fit(X)
    backbone = detector.backbone_
    detector.set_params(epochs=2).fit(X)
    assert detector.backbone_ is backbone
    assert detector.n_iter_ == FAST["epochs"] + 2
    assert detector.offset_ == pytest.approx(np.percentile(detector.score_samples(X), 10))


def test_unfitted_detector_has_no_fitted_attributes():
    detector = AutoencoderOutlierDetector()
    for name in ("n_features_in_", "history_", "image_shape_", "backbone_", "offset_"):
        assert not hasattr(detector, name)


def test_bad_backbone_raises(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, backbone="vae", **FAST)
    with pytest.raises(InvalidParameterError, match="backbone"):
        detector.fit(X)


# ----------------------------------------------------------------------
# per-feature scaling
# ----------------------------------------------------------------------
def _units(seed=0):
    """Rows whose features come in units 0.01 to 100, and an anomaly in the smallest."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(80, 4)) @ np.diag([0.01, 1.0, 10.0, 100.0])
    odd = X[:1].copy()
    odd[0, 0] = 0.1  # ten standard deviations out, in the smallest unit
    return X, odd


@pytest.mark.parametrize("scaling", ["standard", "robust"])
def test_per_feature_scaling_is_unit_free(scaling):
    X, odd = _units()
    units = np.array([1e3, 1.0, 0.1, 1e-2])
    params = dict(scaling=scaling, **FAST)
    raw = AutoencoderOutlierDetector(2, **params).fit(X)
    rescaled = AutoencoderOutlierDetector(2, **params).fit(X * units)
    np.testing.assert_allclose(
        raw.score_samples(X), rescaled.score_samples(X * units), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(rescaled.scale_, raw.scale_ * units, rtol=1e-10)


def test_standard_scaling_finds_an_anomaly_in_a_small_unit_global_does_not():
    X, odd = _units()
    ranks = {}
    # without batch normalization, which would standardise the units itself
    plain = dict(FAST, batch_normalization=False, dropout=0.0)
    for scaling in ("standard", "global"):
        detector = AutoencoderOutlierDetector(2, scaling=scaling, **plain).fit(X)
        ranks[scaling] = np.mean(detector.score_samples(X) < detector.score_samples(odd))
    assert ranks["standard"] == 0  # scores below every training row
    assert ranks["global"] > 0  # training rows score lower: lost in the large units


def test_scaling_statistics(digits):
    X, _ = digits
    standard = AutoencoderOutlierDetector(2, scaling="standard", **FAST).fit(X)
    assert standard.scaling_ == "standard"
    constant = X.std(axis=0) == 0
    assert constant.any()  # the digits' blank border
    np.testing.assert_allclose(standard.center_, X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(standard.scale_[~constant], X.std(axis=0)[~constant])
    # constant features keep the global scale instead of dividing by zero
    assert np.all(standard.scale_[constant] > 0.1)
    global_ = AutoencoderOutlierDetector(2, scaling="global", **FAST).fit(X)
    np.testing.assert_array_equal(global_.center_, 0)
    np.testing.assert_array_equal(global_.scale_, 1)
    bce = AutoencoderOutlierDetector(2, loss="binary_crossentropy", **FAST).fit(X)
    np.testing.assert_array_equal(bce.scale_, 1)


def test_auto_scaling_keeps_data_on_one_unit_scale_as_it_is(digits):
    # pixels in [0, 1]: scaling them one by one would let a rarely-lit pixel
    # swamp the scores (issue 5's digits goal fails with "standard")
    X, _ = digits
    auto = AutoencoderOutlierDetector(2, **FAST).fit(X)
    assert auto.scaling_ == "global"
    global_ = AutoencoderOutlierDetector(2, scaling="global", **FAST).fit(X)
    np.testing.assert_array_equal(auto.score_samples(X), global_.score_samples(X))
    # any value outside [0, 1]: features in their own units, standardised
    shifted = AutoencoderOutlierDetector(2, **FAST).fit(X * 16)
    assert shifted.scaling_ == "standard"
    np.testing.assert_allclose(shifted.scale_[X.std(axis=0) > 0], (X * 16).std(axis=0)[X.std(axis=0) > 0])


def test_partial_fit_keeps_the_scaling(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, scaling="standard", **FAST).partial_fit(X)
    scale = detector.scale_.copy()
    detector.partial_fit(X[:50] * 2)
    np.testing.assert_array_equal(detector.scale_, scale)


# ----------------------------------------------------------------------
# outlier probabilities and confidence
# ----------------------------------------------------------------------
def test_predict_proba_is_monotone_in_the_score_and_agrees_with_predict(fitted, digits):
    X, _ = digits
    X = np.vstack([X, X[:20] * 3])  # some far outliers
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    order = np.argsort(fitted.score_samples(X))
    assert np.all(np.diff(proba[order, 1]) <= 0)  # lower score, likelier outlier
    np.testing.assert_array_equal(proba[:, 1] > 0.5, fitted.predict(X) == -1)
    assert proba[-20:, 1].min() > 0.99


def test_predict_proba_is_one_half_at_the_threshold(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(2, **FAST).fit(X)
    detector.offset_ = float(detector.score_samples(X[:1])[0])
    np.testing.assert_allclose(detector.predict_proba(X[:1]), [[0.5, 0.5]])


def test_predict_confidence(fitted, digits):
    X, _ = digits
    X = np.vstack([X, X[:20] * 3])
    confidence = fitted.predict_confidence(X)
    assert confidence.shape == (len(X),) and confidence.dtype == np.float64
    assert np.all((confidence >= 0) & (confidence <= 1))
    decision = fitted.decision_function(X)
    # sure far from the threshold, unsure next to it
    assert confidence[-20:].min() > 0.99
    assert confidence[np.argmax(decision)] > 0.99
    nearest = np.argmin(np.abs(decision))
    assert confidence[nearest] < 0.9
    # ExCeeD by hand for the training scores' own extremes
    n = len(fitted.training_scores_)
    m = int(np.sum(fitted.training_scores_ < fitted.offset_))
    from scipy.stats import binom

    lowest = np.argmin(fitted.score_samples(X))
    expected = 1 - binom.cdf(n - m, n, (1 + n) / (2 + n))
    assert confidence[lowest] == pytest.approx(expected)


def test_training_scores_are_the_fitted_scores(fitted, digits):
    X, _ = digits
    np.testing.assert_array_equal(fitted.training_scores_, fitted.score_samples(X))


def test_predict_and_decision_follow_a_subclass_that_scores_its_own_way(digits):
    # predict and decision_function score through score_samples, as
    # scikit-learn's detectors do, also where a subclass builds on it
    X = digits[0].astype(np.float32)

    class Shifted(AutoencoderOutlierDetector):
        def score_samples(self, X):
            return super().score_samples(X) + 1.0

    plain = AutoencoderOutlierDetector(2, **FAST).fit(X)
    shifted = Shifted(2, **FAST).fit(X)
    np.testing.assert_allclose(shifted.score_samples(X), plain.score_samples(X) + 1.0, rtol=1e-6)
    np.testing.assert_array_equal(
        shifted.decision_function(X), shifted.score_samples(X) - shifted.offset_
    )
    np.testing.assert_array_equal(
        shifted.predict(X), np.where(shifted.decision_function(X) < 0, -1, 1)
    )
    # one plain row: the detector's own scores, as a batch's row
    np.testing.assert_allclose(plain.decision_function(X[:1]), plain.decision_function(X)[:1], rtol=1e-5)
