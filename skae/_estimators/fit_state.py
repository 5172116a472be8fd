"""A failed fit changes nothing: the estimator's state is put back as it was."""

import contextlib
from collections import defaultdict

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras

from .._concurrency import PRIVATE, without_private


def _variables(model):
    optimizer = getattr(model, "optimizer", None)
    return list(model.variables) + (list(optimizer.variables) if optimizer is not None else [])


@contextlib.contextmanager
def restored_on_error(estimator, *, model=None, params_of=None):
    """Run a fit; if it raises (any exception, interruptions included), undo it.

    The estimator's attributes are put back as they were: an unfitted
    estimator stays unfitted, a fitted one keeps its fitted attributes and
    history. ``model``, a Keras model the fit trains in place (a warm start,
    ``partial_fit``), gets its variables and its optimizer's back.
    ``params_of``, an estimator whose parameters the fit may set, gets them
    back too. For training in place only: a fit from scratch trains a
    private copy of the estimator (``_concurrency.fitted_aside``), which a
    failure simply drops.
    """
    # the lock and its version (skae._concurrency) are the estimator's own,
    # never put back
    saved = without_private(vars(estimator))
    history = {k: list(v) for k, v in saved.get("history_", {}).items()}
    variables = _variables(model) if model is not None else []
    values = [keras.ops.convert_to_numpy(v.value) for v in variables]
    params = params_of.get_params(deep=False) if params_of is not None else None
    try:
        yield
    except BaseException:
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
        if params is not None:
            params_of.set_params(**params)
        state = vars(estimator)
        for key in set(state) - set(PRIVATE):
            del state[key]
        state.update(saved)
        if "history_" in saved:
            estimator.history_ = defaultdict(list, history)
        raise
