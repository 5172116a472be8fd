"""A fit that raises changes nothing (skae._estimators.fit_state)."""

import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)

from .conftest import FAST


class _Boom(Exception):
    pass


class _RaiseAtEpoch(keras.callbacks.Callback):
    """Raise once the fit's ``epoch + 1``-th epoch has trained (weights updated)."""

    def __init__(self, epoch=0):
        super().__init__()
        self.epoch = epoch

    def on_train_begin(self, logs=None):
        self.seen = 0

    def on_epoch_end(self, epoch, logs=None):
        self.seen += 1
        if self.seen == self.epoch + 1:
            raise _Boom("interrupted by a callback")


class _PoisonWeights(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])


def _snapshot(estimator, X):
    # a fit from a recipe builds its model when first asked for: ask first
    estimator.model_
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}
    history = {k: list(v) for k, v in estimator.history_.items()}
    return sorted(fitted), history, estimator.transform(X), estimator.get_params(deep=False)


def _assert_unchanged(before, estimator, X):
    names, history, codes, params = before
    after = _snapshot(estimator, X)
    assert after[0] == names
    assert after[1] == history
    np.testing.assert_array_equal(after[2], codes)


ESTIMATORS = [AutoencoderTransformer, VariationalAutoencoderTransformer, DenoisingAutoencoder]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_failed_first_fit_leaves_estimator_unfitted(Estimator, digits):
    X, _ = digits
    est = Estimator(2, **{**FAST, "callbacks": [_RaiseAtEpoch(1)]})
    before = dict(vars(est))
    with pytest.raises(_Boom):
        est.fit(X)
    assert vars(est) == before
    with pytest.raises(NotFittedError):
        est.transform(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_failed_refit_keeps_the_previous_model(Estimator, digits):
    X, _ = digits
    est = Estimator(2, **FAST).fit(X)
    before = _snapshot(est, X)
    model = est.model_
    with pytest.raises(_Boom):
        est.set_params(callbacks=[_RaiseAtEpoch(0)]).fit(X)
    assert est.model_ is model
    _assert_unchanged(before, est, X)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_failed_continued_training_restores_weights_and_optimizer(how, digits):
    X, _ = digits
    est = AutoencoderTransformer(2, **{**FAST, "warm_start": how == "warm_start"}).fit(X)
    before = _snapshot(est, X)
    iterations = int(est.model_.optimizer.iterations)
    est.set_params(callbacks=[_RaiseAtEpoch(0)])
    with pytest.raises(_Boom):
        est.fit(X) if how == "warm_start" else est.partial_fit(X)
    _assert_unchanged(before, est, X)
    assert int(est.model_.optimizer.iterations) == iterations
    # and it trains on from there as if the failed call never happened
    est.set_params(callbacks=None)
    twin = AutoencoderTransformer(2, **{**FAST, "warm_start": how == "warm_start"}).fit(X)
    for model in (est, twin):
        model.fit(X) if how == "warm_start" else model.partial_fit(X)
    np.testing.assert_array_equal(est.transform(X), twin.transform(X))


def test_diverged_warm_start_keeps_the_previous_model(digits):
    X, _ = digits
    est = AutoencoderTransformer(2, **{**FAST, "warm_start": True}).fit(X)
    before = _snapshot(est, X)
    with pytest.raises(ValueError, match="diverged"):
        est.set_params(callbacks=[_PoisonWeights()]).fit(X)
    _assert_unchanged(before, est, X)


def test_failed_detector_refit_keeps_its_threshold_and_backbone(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(**{**FAST, "warm_start": True}).fit(X)
    offset, backbone = detector.offset_, detector.backbone_
    scores = detector.score_samples(X)
    with pytest.raises(_Boom):
        detector.set_params(callbacks=[_RaiseAtEpoch(0)], epochs=2).fit(X)
    assert detector.offset_ == offset
    assert detector.backbone_ is backbone
    assert backbone.epochs == FAST["epochs"]  # its parameters too
    np.testing.assert_array_equal(detector.score_samples(X), scores)


def test_failed_first_detector_fit_leaves_it_unfitted(digits):
    X, _ = digits
    detector = AutoencoderOutlierDetector(**{**FAST, "callbacks": [_RaiseAtEpoch(0)]})
    with pytest.raises(_Boom):
        detector.fit(X)
    with pytest.raises(NotFittedError):
        detector.predict(X)
    assert not hasattr(detector, "backbone_")
