"""One estimator, several threads (the user guide's reproducibility page, "Threads").

Each race runs in a loop: a fit in one thread, and in another pickles,
files, deep copies or predictions of the same estimator, taken as fast as
they come. Every one must hold exactly the model from before the fit or
the one after it (the same outputs bit for bit, the same history), or be
unfitted during a first fit: never a mix of the two, never a model with
untrained weights, never an error of Python's.
"""

import copy
import io
import pickle
import threading
from functools import partial

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConditionalVariationalAutoencoder,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._concurrency import PRIVATE

# tiny networks: a fit takes some 50 ms, a pickle some 25 ms
TINY = {
    "hidden_layer_sizes": (4,),
    "epochs": 2,
    "batch_size": 32,
    "early_stopping": False,
    "reduce_lr_on_plateau": False,
}
CLASSES = [
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
    DenoisingAutoencoder,
    ConditionalVariationalAutoencoder,
    AutoencoderOutlierDetector,
]


def _data(seed, n_samples=64):
    """Rows of 6 features and two classes; each seed different data."""
    rng = np.random.RandomState(seed)
    return rng.rand(n_samples, 6), rng.randint(0, 2, n_samples)


def _fit_args(est, X, y):
    return (X, y) if isinstance(est, ConditionalVariationalAutoencoder) else (X,)


def _outputs(est, X, y):
    """What the model computes, one call a method: codes, or the detector's
    scores against its threshold and its training scores."""
    if isinstance(est, AutoencoderOutlierDetector):
        return est.decision_function(X), est.predict_proba(X), est.predict_confidence(X)
    return (est.transform(*_fit_args(est, X, y)),)


def _equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _model(est, X, y):
    """``(outputs, history)``, or None for an unfitted estimator."""
    try:
        outputs = _outputs(est, X, y)
    except NotFittedError:
        return None
    return outputs, {key: list(values) for key, values in est.history_.items()}


def _same(a, b):
    return a is not None and b is not None and _equal(a[0], b[0]) and a[1] == b[1]


class _InThread(threading.Thread):
    """``call()`` in a thread; ``finish`` joins it and raises what it raised."""

    def __init__(self, call):
        super().__init__(daemon=True)
        self._call, self._error = call, None

    def run(self):
        try:
            self._call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            self._error = exc

    def finish(self):
        self.join()
        if self._error is not None:
            raise self._error


def _taken_during(call, take, keep=4):
    """Run ``call`` in a thread; ``take()`` again and again until it ends.

    Returns the first and the last ``keep - 1`` things taken (the last
    near the end of the fit, when it publishes; checking each costs a load).
    """
    thread = _InThread(call)
    thread.start()
    taken = []
    while True:
        alive = thread.is_alive()
        taken.append(take())
        if not alive:
            break
    thread.finish()
    return taken if len(taken) <= keep else [taken[0], *taken[1 - keep :]]


def _pickled(est):
    data = pickle.dumps(est)
    return lambda: pickle.loads(data)


def _saved(est):
    buffer = io.BytesIO()
    est.save(buffer)
    return lambda: skae.load(io.BytesIO(buffer.getvalue()))


def _deep_copied(est):
    copied = copy.deepcopy(est)
    return lambda: copied


SNAPSHOTS = [_pickled, _saved, _deep_copied]


# ----------------------------------------------------------------------
# pickles, files and copies taken while another thread fits
# ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", CLASSES)
def test_snapshots_during_a_refit_hold_the_previous_or_the_new_model(Estimator):
    X_test, y_test = _data(100)
    est = Estimator(2, random_state=0, **TINY)
    est.fit(*_fit_args(est, *_data(0)))
    n_refits = 10 if Estimator in (AutoencoderTransformer, AutoencoderOutlierDetector) else 5
    outcomes = []
    for i in range(1, n_refits + 1):
        previous = _model(est, X_test, y_test)
        est.set_params(random_state=i)
        args = _fit_args(est, *_data(i % 3))
        take = SNAPSHOTS[i % len(SNAPSHOTS)]
        snapshots = _taken_during(partial(est.fit, *args), partial(take, est))
        new = _model(est, X_test, y_test)
        assert not _same(new, previous)
        for restore in snapshots:
            model = _model(restore(), X_test, y_test)
            outcomes.append("previous" if _same(model, previous) else _same(model, new))
    assert set(outcomes) <= {"previous", True}, outcomes
    assert "previous" in outcomes  # the race was run


@pytest.mark.parametrize("Estimator", [AutoencoderTransformer, AutoencoderOutlierDetector])
def test_snapshots_during_a_first_fit_are_unfitted_or_the_new_model(Estimator):
    X_test, y_test = _data(100)
    outcomes = []
    for i in range(6):
        est = Estimator(2, random_state=i, **TINY)
        args = _fit_args(est, *_data(i % 3))
        take = [_pickled, _deep_copied][i % 2]
        snapshots = _taken_during(partial(est.fit, *args), partial(take, est))
        new = _model(est, X_test, y_test)
        for restore in snapshots:
            model = _model(restore(), X_test, y_test)
            outcomes.append("unfitted" if model is None else _same(model, new))
        # a file needs a fitted estimator: refused, clearly, until the fit ends
        est = Estimator(2, random_state=i, **TINY)
        saves = _taken_during(partial(est.fit, *args), partial(_try_save, est))
        for restore in saves:
            model = None if restore is None else _model(restore(), X_test, y_test)
            outcomes.append("unfitted" if model is None else _same(model, new))
    assert set(outcomes) <= {"unfitted", True}, outcomes
    assert "unfitted" in outcomes


def _try_save(est):
    try:
        return _saved(est)
    except NotFittedError:
        return None


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("Estimator", [AutoencoderTransformer, AutoencoderOutlierDetector])
def test_snapshots_during_training_in_place_hold_the_model_before_or_after(Estimator, how):
    # training in place changes the estimator's own network: snapshots wait
    # for it to end (or are taken before it starts)
    X_test, y_test = _data(100)
    est = Estimator(2, random_state=0, warm_start=how == "warm_start", **TINY).fit(_data(0)[0])
    outcomes = []
    for i in range(1, 9):
        previous = _model(est, X_test, y_test)
        X = _data(i % 3)[0]
        train = est.partial_fit if how == "partial_fit" else est.fit
        take = SNAPSHOTS[i % len(SNAPSHOTS)]
        snapshots = _taken_during(partial(train, X), partial(take, est))
        new = _model(est, X_test, y_test)
        assert not _same(new, previous)
        for restore in snapshots:
            model = _model(restore(), X_test, y_test)
            outcomes.append("previous" if _same(model, previous) else _same(model, new))
    assert set(outcomes) <= {"previous", True}, outcomes


# ----------------------------------------------------------------------
# predictions while another thread fits, and many threads predicting
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "Estimator, how",
    [
        (AutoencoderTransformer, "fit"),
        (VariationalAutoencoderTransformer, "fit"),
        (AutoencoderOutlierDetector, "fit"),
        # training in place: predictions wait for it (or come before it)
        (AutoencoderTransformer, "partial_fit"),
        (AutoencoderOutlierDetector, "partial_fit"),
    ],
)
def test_predictions_during_a_fit_come_from_one_model(Estimator, how):
    X_test, y_test = _data(100, n_samples=16)
    est = Estimator(2, random_state=0, **TINY).fit(_data(0)[0])
    outcomes = []
    for i in range(1, 11):
        previous = _outputs(est, X_test, y_test)
        est.set_params(random_state=i)
        X = _data(i % 3)[0]
        # every prediction made during the fit: cheap to check
        got = _taken_during(
            partial(getattr(est, how), X), partial(_outputs, est, X_test, y_test), keep=10**6
        )
        new = _outputs(est, X_test, y_test)
        for out in got:  # each method's output is one model's, whichever
            for value, before, after in zip(out, previous, new, strict=True):
                assert not np.array_equal(before, after)
                outcomes.append(
                    "previous" if np.array_equal(value, before) else np.array_equal(value, after)
                )
    assert set(outcomes) <= {"previous", True}, outcomes


def _inference_calls(est, X, y):
    """Every inference method of ``est``, on X as rows of both precisions and one row."""
    if isinstance(est, AutoencoderOutlierDetector):
        methods = [
            est.score_samples,
            est.decision_function,
            est.predict,
            est.predict_proba,
            est.predict_confidence,
            est.feature_errors,
        ]
        return [(m, (rows,)) for m in methods for rows in (X, X[:1], X.astype(np.float32))]
    conditions = (y,) if isinstance(est, ConditionalVariationalAutoencoder) else ()
    calls = []
    for rows in (X, X[:1], X.astype(np.float32)):
        n = len(rows)
        for method in (est.transform, est.reconstruct, est.score_samples):
            calls.append((method, (rows, *[c[:n] for c in conditions])))
        codes = est.transform(X, *conditions)[:n].astype(rows.dtype)
        calls.append((est.inverse_transform, (codes, *[c[:n] for c in conditions])))
    return calls


@pytest.mark.parametrize("Estimator", CLASSES)
def test_threads_predicting_at_once_get_the_serial_results(Estimator):
    X, y = _data(0)
    X_test, y_test = _data(100, n_samples=40)
    reference = Estimator(2, random_state=0, **TINY)
    reference.fit(*_fit_args(reference, X, y))
    serial = [method(*args) for method, args in _inference_calls(reference, X_test, y_test)]
    # the same model, fitted alike, with nothing compiled for inference yet:
    # the threads build its inference functions together
    est = clone(reference)
    est.fit(*_fit_args(est, X, y))
    calls = _inference_calls(est, X_test, y_test)
    start = threading.Barrier(4)
    results = [[] for _ in range(4)]

    def predict(out, order):
        start.wait()
        for _ in range(3):
            for index in order:
                method, args = calls[index]
                out.append((index, method(*args)))

    threads = [
        _InThread(lambda k=k: predict(results[k], np.random.RandomState(k).permutation(len(calls))))
        for k in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.finish()
    for out in results:
        assert len(out) == 3 * len(calls)
        for index, value in out:
            np.testing.assert_array_equal(value, serial[index])


# ----------------------------------------------------------------------
# the lock: the estimator's own, never a parameter or part of its state
# ----------------------------------------------------------------------
def test_the_lock_is_never_a_parameter_nor_part_of_the_state():
    X = _data(0)[0]
    est = AutoencoderOutlierDetector(2, random_state=0, **TINY).fit(X)
    est.set_threshold(X, false_positive_rate=0.1)  # a change under the lock
    assert all(key in vars(est) for key in PRIVATE)
    assert not set(PRIVATE) & set(est.get_params(deep=True))
    assert not set(PRIVATE) & set(est.__getstate__())
    assert not set(PRIVATE) & set(est.__getstate__()["backbone_"].__getstate__())
    buffer = io.BytesIO()
    est.save(buffer)
    copies = [
        pickle.loads(pickle.dumps(est)),
        copy.deepcopy(est),
        skae.load(io.BytesIO(buffer.getvalue())),
    ]
    try:
        import skops.io as sio
    except ImportError:  # skops is optional
        pass
    else:
        copies.append(sio.loads(sio.dumps(est), trusted=skae.trusted_types()))
    for other in copies:
        np.testing.assert_array_equal(other.decision_function(X), est.decision_function(X))
    for other in [*copies, clone(est)]:
        assert not set(PRIVATE) & set(vars(other))  # made when first needed
        other.set_params(random_state=1).fit(X)  # a lock of its own, for publishing
        assert vars(other)["_state_lock"] is not vars(est)["_state_lock"]
