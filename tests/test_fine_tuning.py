"""Tests of skae.fine_tuning: the scikeras bridge for supervised fine-tuning."""

import pickle
import random
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import skae._compat
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.fine_tuning import (
    ENCODER_NAME,
    EncoderClassifier,
    EncoderRegressor,
    encoder_classifier,
    encoder_regressor,
)

from .conftest import FAST

# The subprocesses import the skae under test, not an installed copy.
SKAE_ROOT = str(Path(skae._compat.__file__).resolve().parents[1])

# Fine-tuning settings that keep each fit well under a second.
TUNE_FAST = dict(epochs=3, freeze_epochs=1, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:200] / 16.0, y[:200]


@pytest.fixture(scope="module")
def dense_ae(data):
    return AutoencoderTransformer(n_components=4, **FAST).fit(data[0])


@pytest.fixture(scope="module")
def conv_ae(data):
    images = data[0].reshape(-1, 8, 8)
    return AutoencoderTransformer(
        n_components=4, architecture="conv", filters=(4,), **FAST
    ).fit(images)


@pytest.fixture(scope="module")
def vae(data):
    return VariationalAutoencoderTransformer(n_components=4, **FAST).fit(data[0])


def codes_in_network(estimator, X):
    """The codes the fitted network computes from raw X (before its head)."""
    model = estimator.model_
    hidden = np.asarray(X, dtype="float32").reshape(len(X), -1)
    for layer in ("standardize", "to_image", ENCODER_NAME):
        if layer in [existing.name for existing in model.layers]:
            hidden = model.get_layer(layer)(hidden)
    return keras.ops.convert_to_numpy(hidden)


def weights_of(model):
    return [np.array(w) for w in model.get_weights()]


def same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


class WeightRecorder(keras.callbacks.Callback):
    """Encoder and head weights at the end of each epoch."""

    def __init__(self):
        super().__init__()
        self.encoder, self.head = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.encoder.append(weights_of(self.model.get_layer(ENCODER_NAME)))
        self.head.append(weights_of(self.model.get_layer("head")))


def test_classifier_predicts_labels_and_probabilities(data, dense_ae):
    X, y = data
    labels = np.array([f"digit {d}" for d in y])
    clf = encoder_classifier(dense_ae, **TUNE_FAST).fit(X, labels)
    assert isinstance(clf, EncoderClassifier)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))
    predicted = clf.predict(X)
    assert predicted.shape == (len(X),)
    assert set(predicted) <= set(labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) == np.mean(predicted == labels)


def test_binary_classification(data, dense_ae):
    X, y = data
    clf = encoder_classifier(dense_ae, **TUNE_FAST).fit(X, y % 2)
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert set(clf.predict(X)) <= {0, 1}


def test_regressor_learns_a_target(data, dense_ae):
    X, _ = data
    target = 4 * X.mean(axis=1)
    reg = encoder_regressor(
        dense_ae, epochs=40, freeze_epochs=5, optimizer__learning_rate=1e-2, random_state=0
    ).fit(X, target)
    assert isinstance(reg, EncoderRegressor)
    assert is_regressor(reg)
    assert reg.predict(X).shape == (len(X),)
    assert reg.history_["loss"][-1] < 0.2 * reg.history_["loss"][0]
    assert reg.score(X, target) > 0.5


def test_network_takes_raw_rows_with_the_transformers_standardisation(data, dense_ae):
    # Frozen throughout, the network's codes are the transformer's codes of
    # the same raw rows: standardisation and encoder are both inside it.
    X, y = data
    clf = encoder_classifier(dense_ae, epochs=2, freeze_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(codes_in_network(clf, X), dense_ae.transform(X), atol=1e-5)


def test_encoder_frozen_for_freeze_epochs_then_trained(data, dense_ae):
    X, y = data
    recorder = WeightRecorder()
    clf = encoder_classifier(
        dense_ae, epochs=4, freeze_epochs=2, callbacks=[recorder], random_state=0
    ).fit(X, y)
    pretrained = weights_of(dense_ae.encoder_)
    assert len(recorder.encoder) == 4
    assert same_weights(recorder.encoder[0], pretrained)
    assert same_weights(recorder.encoder[1], pretrained)
    assert not same_weights(recorder.encoder[2], pretrained)
    assert not same_weights(recorder.encoder[3], recorder.encoder[2])
    # the head trains from the first epoch
    assert not same_weights(recorder.head[1], recorder.head[0])
    assert len(clf.history_["loss"]) == 4


def test_partial_fit_continues_the_freezing_schedule(data, dense_ae):
    X, y = data
    clf = encoder_classifier(dense_ae, freeze_epochs=2, random_state=0)
    pretrained = weights_of(dense_ae.encoder_)
    after = []
    for _ in range(3):
        clf.partial_fit(X, y)
        after.append(weights_of(clf.model_.get_layer(ENCODER_NAME)))
    assert same_weights(after[0], pretrained)
    assert same_weights(after[1], pretrained)
    assert not same_weights(after[2], pretrained)
    assert len(clf.history_["loss"]) == 3


def test_source_transformer_is_unchanged(data, dense_ae):
    X, y = data
    params = dense_ae.get_params()
    weights = weights_of(dense_ae.model_)
    codes = dense_ae.transform(X)
    clf = encoder_classifier(dense_ae, epochs=3, freeze_epochs=0, random_state=0).fit(X, y)
    fine_tuned = weights_of(clf.model_.get_layer(ENCODER_NAME))
    assert not same_weights(fine_tuned, weights_of(dense_ae.encoder_))
    assert same_weights(weights_of(dense_ae.model_), weights)
    np.testing.assert_array_equal(dense_ae.transform(X), codes)
    assert dense_ae.get_params() == params


def test_clone_and_pickle_round_trip(data, dense_ae):
    X, y = data
    clf = encoder_classifier(dense_ae, **TUNE_FAST).fit(X, y)
    proba = clf.predict_proba(X)

    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), proba, atol=1e-6)

    twin = clone(clf)
    assert twin.transformer is clf.transformer  # frozen: shared, still fitted
    assert not hasattr(twin, "model_")
    np.testing.assert_allclose(twin.fit(X, y).predict_proba(X), proba, atol=1e-5)


def test_sklearn_tags_workaround_stratifies_cross_validation(data, dense_ae):
    # Without TaggedKerasClassifier's __sklearn_tags__, is_classifier is False
    # and cross-validation uses KFold: on labels sorted by class, the test
    # folds then hold only some of the classes.
    X, y = data
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    clf = encoder_classifier(dense_ae, epochs=1, freeze_epochs=1, random_state=0)
    assert is_classifier(clf)
    result = cross_validate(clf, X, y, cv=3, return_indices=True)
    for test in result["indices"]["test"]:
        assert set(y[test]) == set(y)
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))


def test_scikeras_classes_themselves_are_not_patched():
    from scikeras.wrappers import KerasClassifier, KerasRegressor

    assert skae._compat.scikeras_wrappers() is skae._compat.scikeras_wrappers()
    classifier, regressor = skae._compat.scikeras_wrappers()
    assert issubclass(classifier, KerasClassifier)
    assert issubclass(regressor, KerasRegressor)
    assert "__sklearn_tags__" not in vars(KerasClassifier)
    assert "__sklearn_tags__" not in vars(KerasRegressor)


def test_grid_search_over_own_and_routed_parameters(data, dense_ae):
    X, y = data
    clf = encoder_classifier(dense_ae, epochs=2, random_state=0)
    grid = GridSearchCV(
        clf, {"freeze_epochs": [0, 2], "optimizer__learning_rate": [1e-3, 1e-2]}, cv=2
    ).fit(X, y)
    assert grid.best_params_["freeze_epochs"] in (0, 2)
    assert grid.best_estimator_.optimizer__learning_rate in (1e-3, 1e-2)
    assert grid.predict(X).shape == (len(X),)


def test_conv_transformer_takes_images_or_rows(data, conv_ae):
    X, y = data
    images = X.reshape(-1, 8, 8)
    frozen = dict(epochs=1, freeze_epochs=1, random_state=0)
    on_images = encoder_classifier(conv_ae, **frozen).fit(images, y)
    assert on_images.predict(images).shape == (len(X),)
    np.testing.assert_allclose(
        codes_in_network(on_images, images), conv_ae.transform(images), atol=1e-5
    )
    on_rows = encoder_classifier(conv_ae, **frozen).fit(X, y)
    np.testing.assert_allclose(
        on_rows.predict_proba(X), on_images.predict_proba(images), atol=1e-5
    )


def test_vae_fine_tunes_the_posterior_mean(data, vae):
    X, y = data
    clf = encoder_classifier(vae, epochs=1, freeze_epochs=1, random_state=0).fit(X, y)
    np.testing.assert_allclose(codes_in_network(clf, X), vae.transform(X), atol=1e-5)
    assert len(clf.model_.get_layer(ENCODER_NAME).outputs) == 1


def test_detector_fine_tunes_the_network_it_owns(data):
    X, y = data
    detector = AutoencoderOutlierDetector(4, **FAST).fit(X)
    clf = encoder_classifier(detector, epochs=1, freeze_epochs=1, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        codes_in_network(clf, X), detector.backbone_.transform(X), atol=1e-5
    )


def test_unfitted_transformer_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet.*encoder_classifier"):
        encoder_classifier(AutoencoderTransformer())
    with pytest.raises(NotFittedError, match="encoder_regressor"):
        encoder_regressor(FrozenEstimator(AutoencoderTransformer()))


def test_non_skae_objects_raise_type_error(data, dense_ae):
    X, y = data
    with pytest.raises(TypeError, match="fitted skae estimator.*LogisticRegression"):
        encoder_classifier(LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match="Functional"):
        encoder_regressor(dense_ae.encoder_)
    pipe = make_pipeline(MinMaxScaler(), dense_ae)
    with pytest.raises(TypeError, match=r"FrozenEstimator\(pipe\[:-1\]\)"):
        encoder_classifier(pipe)


def test_a_conditional_encoder_is_refused(data):
    from skae import ConditionalVariationalAutoencoder

    X, y = data
    cvae = ConditionalVariationalAutoencoder(2, **FAST).fit(X, y)
    with pytest.raises(TypeError, match="also reads each sample's condition"):
        encoder_classifier(cvae)


def test_wrong_number_of_features_is_named(data, dense_ae):
    X, y = data
    with pytest.raises(ValueError, match="X has 63 features, but the encoder was fitted with 64"):
        encoder_classifier(dense_ae, **TUNE_FAST).fit(X[:, 1:], y)


def test_random_state_leaves_global_random_state_as_it_was(data, dense_ae):
    X, y = data
    python_state, numpy_state = random.getstate(), np.random.get_state()
    encoder_classifier(dense_ae, **TUNE_FAST).fit(X, y).predict(X)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(after, numpy_state))


# That ``import skae`` imports no scikeras is tests/test_compat.py's job.
def test_importing_the_bridge_imports_scikeras():
    code = "import sys, skae.fine_tuning; assert 'scikeras' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=SKAE_ROOT)


def test_a_seeded_fit_repeats_itself_with_a_validation_split_and_class_weight(data, dense_ae):
    # on PyTorch the bridge shuffles, splits and weights the rows itself
    # (scikeras does not seed PyTorch): as Keras would, from random_state alone
    X, y = data
    params = dict(epochs=3, freeze_epochs=1, random_state=0, validation_split=0.2)
    fits = [
        encoder_classifier(dense_ae, **params, class_weight={0: 2.0, 1: 0.5}).fit(X, y)
        for _ in range(2)
    ]
    assert len(fits[0].history_["val_loss"]) == 3
    assert fits[0].history_ == fits[1].history_
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    unweighted = encoder_classifier(dense_ae, **params).fit(X, y)
    assert unweighted.history_["loss"] != fits[0].history_["loss"]
