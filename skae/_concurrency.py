"""One estimator, several threads: its fitted state is published whole, and read whole.

A fit from scratch (``fit``, the first ``partial_fit``) runs on a private
copy of the estimator (``fitted_aside``), which shares the estimator's
attribute values but has its own attribute dict: the estimator keeps its
previous model, or stays unfitted, until the fit ends and the new fitted
attributes are swapped in, in one step. Training in place (``warm_start``, later
calls of ``partial_fit``) changes the estimator's own network, so it runs
inside ``changing``, which holds the estimator's lock for the whole fit.

Readers get one model, never a mix of two:

- ``__getstate__`` (pickle, ``copy.deepcopy``, joblib, skops), ``save`` and
  ``export`` hold the estimator's lock (``state_lock``) while they read it:
  a fit from scratch publishes before or after them, never during; training
  in place waits for them, or they for it.
- Inference methods (``consistent``) take no lock on their usual path, so
  that threads predicting at once run in parallel: each reads the state's
  version before and after its call, and calls again under the lock in the
  rare case a fit published meanwhile (or waits, under the lock, for
  training in place to end).

The lock and the version live in the instance dict under private names
(``PRIVATE``): not parameters, left out of every state that is pickled,
copied or saved, and made afresh on first use (after ``sklearn.clone`` or
unpickling).
"""

import contextlib
import functools
import threading

# instance-dict keys of the lock and the version; never pickled or published
LOCK = "_state_lock"
VERSION = "_state_version"
PRIVATE = (LOCK, VERSION)


def state_lock(estimator):
    """The estimator's own re-entrant lock, made on first use.

    Parameters
    ----------
    estimator : object
        Any object with an instance dict.

    Returns
    -------
    lock : threading.RLock
        The same lock for every caller: ``dict.setdefault`` picks one if
        two threads make it at once.
    """
    state = vars(estimator)
    lock = state.get(LOCK)
    if lock is None:
        lock = state.setdefault(LOCK, threading.RLock())
    return lock


def without_private(state):
    """A copy of ``state`` (a dict of attributes) without the lock and the version.

    ``dict(state)`` copies in one step (no Python code runs meanwhile), so
    another thread adding an attribute cannot break the copy.
    """
    copy = dict(state)
    for key in PRIVATE:
        copy.pop(key, None)
    return copy


@contextlib.contextmanager
def changing(estimator):
    """Hold the estimator's lock while its state changes in place.

    Inference methods (``consistent``) called meanwhile from other threads
    wait until the block ends, and then read the changed state; those
    already running call again. Re-entrant: nested in the same thread, it
    is one change.

    Parameters
    ----------
    estimator : object
        The estimator whose attributes or networks the block changes.

    Yields
    ------
    None
    """
    with state_lock(estimator):
        state = vars(estimator)
        version = state.get(VERSION, 0)
        if version % 2:  # already changing, in this thread (the lock is held)
            yield
            return
        state[VERSION] = version + 1
        try:
            yield
        finally:
            state[VERSION] = version + 2


def consistent(method):
    """Decorate an inference method to read one fitted state, whatever other threads fit.

    No lock on the usual path: the state's version is read before and
    after the call, and the call is made again under the estimator's lock
    if it changed meanwhile (a fit published a new model), or at once under
    the lock if training in place is under way. An exception raised while
    the state changed is taken as a symptom of the change (attributes of
    two models): the call is made again too.

    Parameters
    ----------
    method : callable
        ``method(self, ...)``, reading the estimator's fitted state.

    Returns
    -------
    wrapper : callable
        The method, with the same signature and docstring.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        state = vars(self)
        version = state.get(VERSION, 0)
        if not version % 2:
            try:
                result = method(self, *args, **kwargs)
            except Exception:
                if state.get(VERSION, 0) == version:
                    raise
            else:
                if state.get(VERSION, 0) == version:
                    return result
        with state_lock(self):
            return method(self, *args, **kwargs)

    return wrapper


def _copy(estimator):
    """A copy of ``estimator`` with a dict of its own holding the same values."""
    cls = type(estimator)
    copy = cls.__new__(cls)
    vars(copy).update(without_private(vars(estimator)))
    return copy


@contextlib.contextmanager
def fitted_aside(estimator):
    """Fit a private copy of ``estimator``, then give the estimator its state, whole.

    The copy, of the same class, has a dict of its own holding the
    estimator's attributes (the same values, not copies). A fit from
    scratch reads the parameters and sets new fitted attributes, rather
    than changing the values of the old ones in place: the estimator keeps
    its own as they were until the block ends, and what they are (training
    in place may be under way in another thread) does not change the new
    model. When the block ends without an exception, every attribute of the
    estimator but its parameters is replaced by the copy's, and those the
    copy lacks are removed, in one step under the estimator's lock
    (``changing``); the parameters stay as they are, whatever
    ``set_params`` another thread called meanwhile. If the block raises,
    the estimator is left as it was.

    Parameters
    ----------
    estimator : BaseEstimator

    Yields
    ------
    fitted : BaseEstimator
        The copy to fit.
    """
    fitted = _copy(estimator)
    yield fitted
    params = set(type(estimator)._get_param_names())
    new = {k: v for k, v in without_private(vars(fitted)).items() if k not in params}
    with changing(estimator):
        state = vars(estimator)
        for key in set(state) - params - set(PRIVATE) - set(new):
            del state[key]
        state.update(new)


def snapshot(estimator):
    """A copy of ``estimator`` as it is now, that later fits from scratch leave alone.

    Of the same class, with a dict of its own holding the estimator's
    attributes, read under its lock: never in the middle of training in
    place, or of a new model being published. Fits from scratch put new
    values in the estimator's own dict, so the copy keeps the model of now;
    training in place would still change the networks both hold.

    Parameters
    ----------
    estimator : object

    Returns
    -------
    copy : object
        Of the same class, predicting as ``estimator`` does now.
    """
    with state_lock(estimator):
        return _copy(estimator)


def read_now(estimator):
    """A stand-in for ``estimator`` that pickles, copies and saves as it is now.

    Of the same class, its dict holding ``estimator.__getstate__()`` (plain
    data: the networks as bytes), which its own ``__getstate__`` gives back
    unchanged. For a nested estimator (the detector's backbone) read under
    its owner's lock, which pickle would otherwise read later, when the
    owner's lock is no longer held.

    Parameters
    ----------
    estimator : object
        An estimator whose ``__getstate__`` gives back its own output
        unchanged (skae's).

    Returns
    -------
    stand_in : object
        Only to be pickled, copied or saved: it has no live networks.
    """
    cls = type(estimator)
    stand_in = cls.__new__(cls)
    vars(stand_in).update(estimator.__getstate__())
    return stand_in


class WholeStateMixin:
    """``__getstate__`` and ``__setstate__`` of an estimator read whole.

    The state is read under the estimator's lock (one model, never half of
    a fit's), without the lock and its version; each estimator it owns,
    named in ``_owned_estimators``, is read at the same time (``read_now``),
    since training in place may change it as soon as the lock is released,
    before pickle gets to it. Placed before the classes whose
    ``__getstate__`` it reads.
    """

    _owned_estimators = ()

    def __getstate__(self):
        with state_lock(self):
            state = without_private(super().__getstate__())
            for name in self._owned_estimators:
                if state.get(name) is not None:
                    state[name] = read_now(state[name])
        return state

    def __setstate__(self, state):
        super().__setstate__(without_private(state))
