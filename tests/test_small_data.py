"""scikit-learn's PCA and IsolationForest test ideas on skae's estimators.

A new user's first tries: fits on two or three rows with the default early
stopping, a one-row fit, constant data, the toy outliers of
``IsolationForest``'s tests with ``contamination="auto"``, Gaussian blobs
that "auto" must leave alone, and float32 kept from the input to the scores.
"""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.datasets import make_blobs

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConditionalVariationalAutoencoder,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._estimators.outlier_scores import (
    AUTO_Z,
    MAD_TO_STD,
    auto_offset,
    robust_upper_fence,
)

from .conftest import FAST

# the defaults' split rule: early stopping on, validation_fraction=0.1
SPLIT = {**FAST, "early_stopping": True}

FOUR = [
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
    DenoisingAutoencoder,
    AutoencoderOutlierDetector,
]
FIVE = FOUR + [ConditionalVariationalAutoencoder]

# sklearn/ensemble/tests/test_iforest.py::test_iforest_works: the last two
# rows are outliers (as scikit-learn 1.9 writes it, and as earlier releases did)
TOY = [[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1], [7, 4], [-5, 9]]
TOY_BEFORE = [[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1], [6, 3], [-4, 7]]
TOY_LABELS = [1] * 6 + [-1] * 2


def rows(n, n_features=4, seed=0):
    return np.random.RandomState(seed).rand(n, n_features)


def conditions(cls, n):
    """``(y,)`` of two alternating classes for the conditional model, else ``()``."""
    return (np.arange(n) % 2,) if cls is ConditionalVariationalAutoencoder else ()


def scores(estimator, X, *y):
    return estimator.score_samples(X, *y)


# ----------------------------------------------------------------------
# a handful of rows: too few to hold one out, trained on all of them
# ----------------------------------------------------------------------
@pytest.mark.parametrize("n_samples", [2, 3])
@pytest.mark.parametrize("cls", FIVE, ids=lambda cls: cls.__name__)
def test_a_few_rows_train_without_a_validation_split(cls, n_samples):
    X = rows(n_samples)
    y = conditions(cls, n_samples)
    estimator = cls(1, **SPLIT).fit(X, *y)
    assert estimator.early_stopping_ is False
    assert "val_loss" not in estimator.history_
    assert estimator.n_iter_ == SPLIT["epochs"] == len(estimator.history_["loss"])
    result = scores(estimator, X, *y)
    assert result.shape == (n_samples,) and np.all(np.isfinite(result))
    if hasattr(estimator, "transform"):
        assert estimator.transform(X, *y).shape == (n_samples, 1)


def test_too_few_rows_train_exactly_as_without_early_stopping():
    X = rows(5)
    with_rule = AutoencoderTransformer(2, **SPLIT).fit(X)
    without = AutoencoderTransformer(2, **{**SPLIT, "early_stopping": False}).fit(X)
    assert dict(with_rule.history_) == dict(without.history_)
    for a, b in zip(with_rule.model_.get_weights(), without.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "n_samples, validation_fraction, held_out",
    [(9, 0.1, False), (10, 0.1, True), (2, 0.5, True), (3, 0.3, False), (4, 0.3, True)],
)
def test_a_validation_split_is_kept_wherever_it_holds_a_row(
    n_samples, validation_fraction, held_out
):
    params = {**SPLIT, "validation_fraction": validation_fraction}
    estimator = AutoencoderTransformer(2, **params).fit(rows(n_samples))
    assert estimator.early_stopping_ is held_out
    assert ("val_loss" in estimator.history_) is held_out


def test_the_detector_says_whether_its_backbone_stopped_early():
    few = AutoencoderOutlierDetector(1, **SPLIT).fit(rows(5))
    enough = AutoencoderOutlierDetector(1, **SPLIT).fit(rows(30))
    assert few.early_stopping_ is False and enough.early_stopping_ is True
    assert enough.early_stopping_ is enough.backbone_.early_stopping_


def test_partial_fit_never_holds_rows_out():
    estimator = AutoencoderTransformer(2, **SPLIT).fit(rows(30))
    assert estimator.early_stopping_ is True
    estimator.partial_fit(rows(30))
    assert estimator.early_stopping_ is False


# ----------------------------------------------------------------------
# one row (PCA fits it; IsolationForest fits it and calls it an inlier)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("cls", FOUR, ids=lambda cls: cls.__name__)
def test_a_single_row_fits(cls):
    X = rows(1)
    estimator = cls(2, **SPLIT).fit(X)
    assert estimator.early_stopping_ is False
    assert np.all(np.isfinite(estimator.score_samples(X)))
    if hasattr(estimator, "transform"):
        assert estimator.transform(X).shape == (1, 2)
    else:
        assert estimator.predict(X).tolist() == [1]


def test_the_conditional_model_says_why_one_row_is_too_few():
    with pytest.raises(ValueError, match="at least 2 classes in y.*got 1 class"):
        ConditionalVariationalAutoencoder(1, **SPLIT).fit(rows(1), [0])


# ----------------------------------------------------------------------
# IsolationForest's ideas for the detector
# ----------------------------------------------------------------------
@pytest.mark.parametrize("contamination", [0.1, "auto"])
@pytest.mark.parametrize(
    "X",
    [np.ones((20, 4)), np.repeat(rows(1), 20, axis=0)],
    ids=["ones", "one row repeated"],
)
def test_constant_training_data_has_no_outliers(X, contamination):
    # test_iforest_with_uniform_data: equal scores, none below the threshold
    detector = AutoencoderOutlierDetector(1, contamination=contamination, **SPLIT).fit(X)
    assert np.all(detector.predict(X) == 1)


@pytest.mark.parametrize("contamination", [0.1, "auto"])
def test_scores_are_decision_function_plus_offset_on_three_rows(contamination):
    # test_score_samples: the scores do not depend on contamination
    X_train, X_new = [[1, 1], [1, 2], [2, 1]], [[2.0, 2.0]]
    detector = AutoencoderOutlierDetector(1, contamination=contamination, **SPLIT).fit(X_train)
    reference = AutoencoderOutlierDetector(1, contamination=0.25, **SPLIT).fit(X_train)
    np.testing.assert_allclose(
        detector.score_samples(X_new), detector.decision_function(X_new) + detector.offset_
    )
    np.testing.assert_array_equal(detector.score_samples(X_new), reference.score_samples(X_new))


@pytest.mark.parametrize("toy", [TOY, TOY_BEFORE], ids=["toy", "toy before 1.9"])
@pytest.mark.parametrize(
    "backbone, contamination",
    [("autoencoder", 0.25), ("autoencoder", "auto"), ("variational", 0.25)],
)
def test_the_toy_outliers_score_lowest_and_are_predicted(toy, backbone, contamination):
    # test_iforest_works, with a code narrower than the two features (as
    # PCA's n_components), the default network and training
    detector = AutoencoderOutlierDetector(
        1, backbone=backbone, contamination=contamination, random_state=0
    ).fit(toy)
    errors = -detector.decision_function(toy)
    assert np.min(errors[-2:]) > np.max(errors[:-2])
    np.testing.assert_array_equal(detector.predict(toy), TOY_LABELS)


@pytest.mark.parametrize("toy", [TOY, TOY_BEFORE], ids=["toy", "toy before 1.9"])
def test_the_elbo_ranks_the_toy_outliers_lowest(toy):
    # the VAE's score includes how unlikely a sample's code is; a plain
    # autoencoder's squared error (the transformers') learns the two
    # outliers as well as the rest, as PCA's reconstruction error does
    vae = VariationalAutoencoderTransformer(
        1, hidden_layer_sizes=(16,), epochs=100, random_state=0
    ).fit(toy)
    elbo = vae.score_samples(toy)
    assert np.max(elbo[-2:]) < np.min(elbo[:-2])


@pytest.mark.parametrize("backbone", ["autoencoder", "variational"])
def test_auto_contamination_flags_few_rows_of_gaussian_blobs(backbone):
    X, _ = make_blobs(random_state=0)
    detector = AutoencoderOutlierDetector(
        backbone=backbone, contamination="auto", random_state=0
    ).fit(X)
    assert np.mean(detector.predict(X) == -1) <= 0.05


# ----------------------------------------------------------------------
# the "auto" rule itself
# ----------------------------------------------------------------------
def test_the_fence_is_median_plus_three_robust_standard_deviations():
    assert AUTO_Z == 3 and MAD_TO_STD == pytest.approx(1 / norm.ppf(0.75))
    values = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    # median 3, deviations 2, 1, 0, 1, 97: MAD 1
    assert robust_upper_fence(values) == pytest.approx(3.0 + 3 / norm.ppf(0.75))


def test_the_fence_ignores_up_to_half_the_values():
    inliers = np.linspace(1.0, 2.0, 6)
    fence = robust_upper_fence(inliers)
    for far in (10.0, 1e6):
        contaminated = np.concatenate([inliers, [far, far]])  # 25%, as the toy
        assert robust_upper_fence(contaminated) < 2 * fence
        q1, q3 = np.percentile(contaminated, [25, 75])  # the box plot's fence gives way
        assert q3 + 1.5 * (q3 - q1) > robust_upper_fence(contaminated)


def test_a_zero_mad_falls_back_on_the_mean_deviation():
    values = np.array([1.0, 1.0, 1.0, 1.0, 5.0])
    # median 1, MAD 0; mean deviation 0.8, sqrt(pi / 2) of it a standard deviation
    assert robust_upper_fence(values) == pytest.approx(1.0 + 3 * np.sqrt(np.pi / 2) * 0.8)


@pytest.mark.parametrize("squared_errors", [True, False])
@pytest.mark.parametrize("error", [0.3, 1e-7, 7.1])
def test_equal_training_scores_are_all_inliers(error, squared_errors):
    training = np.full(11, -error)
    assert not np.any(training < auto_offset(training, squared_errors=squared_errors))


def test_squared_errors_are_fenced_on_their_cube_roots():
    errors = np.random.RandomState(0).chisquare(1, 1000) / 3  # long right tail
    roots = np.cbrt(errors)
    median = np.median(roots)
    fence = median + 3 / norm.ppf(0.75) * np.median(np.abs(roots - median))
    assert auto_offset(-errors, squared_errors=True) == pytest.approx(-(fence**3))
    # the raw errors' fence would flag several times as many normal samples
    flagged = np.mean(errors > -auto_offset(-errors, squared_errors=True))
    raw = np.mean(errors > -auto_offset(-errors, squared_errors=False))
    assert flagged < 0.05 < raw


# ----------------------------------------------------------------------
# float32 stays float32 (PCA's and LocalOutlierFactor's outputs do)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("cls", FIVE, ids=lambda cls: cls.__name__)
def test_float32_input_gives_float32_outputs_and_scores(cls):
    X = rows(40, n_features=5)
    y = conditions(cls, len(X))
    estimator = cls(2, **FAST).fit(X.astype(np.float32), *y)
    methods = ["score_samples"]
    methods += ["transform", "reconstruct"] if hasattr(estimator, "transform") else []
    methods += ["decision_function"] if hasattr(estimator, "decision_function") else []
    for dtype in (np.float32, np.float64):
        for method in methods:
            result = getattr(estimator, method)(X.astype(dtype), *y)
            assert result.dtype == dtype, (method, dtype)
    np.testing.assert_allclose(
        scores(estimator, X.astype(np.float32), *y),
        scores(estimator, X, *y),
        rtol=1e-5,
        atol=1e-6,
    )
    integer = scores(estimator, (X * 10).astype(np.int64), *y)
    assert integer.dtype == np.float64


def test_the_detectors_probabilities_stay_float64():
    X = rows(40, n_features=5).astype(np.float32)
    detector = AutoencoderOutlierDetector(2, **FAST).fit(X)
    assert detector.training_scores_.dtype == np.float32
    assert detector.predict_proba(X).dtype == np.float64
    assert detector.predict_confidence(X).dtype == np.float64
    decision = detector.decision_function(X)
    np.testing.assert_array_equal(detector.predict(X), np.where(decision < 0, -1, 1))


def test_float32_scores_too_large_for_float32_say_so():
    X = rows(20, n_features=3)
    estimator = AutoencoderTransformer(1, **FAST).fit(X)
    huge = np.full((1, 3), 1e30, dtype=np.float32)
    with pytest.raises(ValueError, match="in float32.*Pass X as float64"):
        estimator.score_samples(huge)
    assert np.isfinite(estimator.score_samples(huge.astype(np.float64))).all()


def test_dask_scores_keep_float32():
    da = pytest.importorskip("dask.array")
    X = rows(40, n_features=5).astype(np.float32)
    detector = AutoencoderOutlierDetector(2, **FAST).fit(X)
    lazy = detector.decision_function(da.from_array(X, chunks=16))
    assert lazy.dtype == np.float32
    np.testing.assert_array_equal(lazy.compute(), detector.decision_function(X))
