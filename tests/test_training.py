"""skae._engine.training: randomness without global state.

Every random draw of a fit is seeded from ``random_state`` alone: no global
generator (Python, NumPy, TensorFlow, Keras) is read, set or advanced, so a
seeded fit is the same under threads, whatever else draws meanwhile.
"""

import random
import threading

import keras
import numpy as np
import pytest
from sklearn.base import clone

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)

from .conftest import FAST

# dropout and batch normalization too: every kind of random layer skae builds
PARAMS = {**FAST, "dropout": 0.1, "early_stopping": True, "validation_fraction": 0.2}


def _outputs(estimator, X):
    """Everything a fit determines, as arrays to compare bit for bit."""
    network = getattr(estimator, "backbone_", estimator).model_
    return [np.asarray(w) for w in network.get_weights()] + [estimator.score_samples(X)]


def _assert_same(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_a_thread_drawing_from_random_does_not_change_a_seeded_fit(digits):
    X, _ = digits
    quiet = _outputs(AutoencoderTransformer(4, **PARAMS).fit(X), X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            np.random.rand()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        busy = _outputs(AutoencoderTransformer(4, **PARAMS).fit(X), X)
    finally:
        stop.set()
        thread.join()
    _assert_same(busy, quiet)


def test_fits_in_two_threads_equal_the_same_fits_run_serially(digits):
    X, _ = digits
    estimators = [
        VariationalAutoencoderTransformer(2, **{**PARAMS, "random_state": 1}),
        DenoisingAutoencoder(3, **{**PARAMS, "random_state": 2}),
    ]
    serial = [_outputs(clone(est).fit(X), X) for est in estimators]
    for threaded, expected in zip(_fit_in_threads(estimators, X), serial):
        _assert_same(threaded, expected)


def _fit_in_threads(estimators, X):
    """``_outputs`` of each estimator, fitted on X in threads of their own at once."""
    results = [None] * len(estimators)

    def fit(i):
        results[i] = _outputs(estimators[i].fit(X), X)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(len(estimators))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _keras_global_state():
    from keras.src.random.seed_generator import global_seed_generator

    return np.asarray(keras.ops.convert_to_numpy(global_seed_generator().state)).copy()


def _global_state():
    import tensorflow as tf
    from tensorflow.python.eager import context

    return dict(
        python=random.getstate(),
        numpy=np.random.get_state()[1].copy(),
        tf_seed=context.global_seed(),
        tf_next=float(tf.random.uniform(())),
        keras=_keras_global_state(),
    )


@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer(2, **PARAMS),
        VariationalAutoencoderTransformer(2, **PARAMS),
        DenoisingAutoencoder(2, **PARAMS),
        AutoencoderOutlierDetector(2, backbone="variational", **PARAMS),
    ],
    ids=lambda est: type(est).__name__,
)
def test_global_generators_are_left_alone(estimator, digits):
    # after tf.random.set_seed(123), the global TensorFlow sequence must go
    # on as if no fit had happened; Python's, NumPy's and Keras's likewise
    import tensorflow as tf

    X, _ = digits
    # Keras creates its global generator on first use, drawing its seed from
    # Python's random: make it exist before the comparison starts
    keras.random.uniform(())

    def run(work):
        random.seed(123)
        np.random.seed(123)
        tf.random.set_seed(123)
        tf.random.uniform(())  # the sequence has started: a fit must not restart it
        keras_before = _keras_global_state()
        work()
        return {**_global_state(), "keras_before": keras_before}

    def use():
        estimator.fit(X)
        estimator.partial_fit(X)
        estimator.score_samples(X)
        if hasattr(estimator, "transform"):
            estimator.transform(X)
        if hasattr(estimator, "sample"):
            estimator.sample(2, random_state=0)

    without, with_skae = run(lambda: None), run(use)
    assert with_skae["python"] == without["python"]
    np.testing.assert_array_equal(with_skae["numpy"], without["numpy"])
    assert with_skae["tf_seed"] == without["tf_seed"] == 123
    assert with_skae["tf_next"] == without["tf_next"]
    np.testing.assert_array_equal(with_skae["keras"], with_skae["keras_before"])


def test_a_user_s_global_seeds_do_not_change_a_seeded_fit(digits):
    import tensorflow as tf

    X, _ = digits
    reference = _outputs(AutoencoderTransformer(4, **PARAMS).fit(X), X)
    random.seed(7)
    np.random.seed(7)
    tf.random.set_seed(7)
    keras.utils.set_random_seed(7)
    _assert_same(_outputs(AutoencoderTransformer(4, **PARAMS).fit(X), X), reference)


def _keras_early_stopping(monitor, patience, min_delta):
    return keras.callbacks.EarlyStopping(
        monitor=monitor, patience=patience, min_delta=min_delta, restore_best_weights=True
    )


def _keras_plateau(monitor, factor, patience, min_delta, min_lr):
    return keras.callbacks.ReduceLROnPlateau(
        monitor=monitor, factor=factor, patience=patience, min_delta=min_delta, min_lr=min_lr
    )


@pytest.mark.parametrize(
    "params",
    [
        dict(epochs=40, n_iter_no_change=2, tol=1e-3),  # stops early, halves the rate
        dict(epochs=15, early_stopping=False, n_iter_no_change=2, tol=0.1),  # on the loss
    ],
)
def test_skaes_early_stopping_and_plateau_decide_as_keras_callbacks(digits, monkeypatch, params):
    from skae._engine import training

    X = digits[0][:200]
    ours = AutoencoderTransformer(2, random_state=0, **params).fit(X)
    monkeypatch.setattr(training, "_EarlyStopping", _keras_early_stopping)
    monkeypatch.setattr(training, "_ReduceLROnPlateau", _keras_plateau)
    theirs = AutoencoderTransformer(2, random_state=0, **params).fit(X)
    # the same epochs, learning rates and restored weights, bit for bit
    assert ours.history_.keys() == theirs.history_.keys()
    for key, values in theirs.history_.items():
        np.testing.assert_array_equal(ours.history_[key], values)
    assert len(set(ours.history_["learning_rate"])) > 1  # the rate was reduced
    if params.get("early_stopping", True):
        assert len(ours.history_["loss"]) < params["epochs"]  # and training stopped early
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
