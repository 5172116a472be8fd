"""Every workaround for scikeras, scikit-learn, Keras and TensorFlow, in one place.

scikeras is no longer maintained upstream; each fix below names what it works
around so that it can be dropped once the upstream behaviour changes.
"""

import contextlib
import logging
import random
import sys

import keras
import numpy as np

_SCIKERAS_WAS_IMPORTED = "scikeras" in sys.modules
_KERAS_PICKLE_METHODS = {
    cls: {name: vars(cls).get(name) for name in ("__reduce__", "__deepcopy__")}
    for cls in (
        keras.Model,
        keras.losses.Loss,
        keras.metrics.Metric,
        keras.optimizers.Optimizer,
    )
}

from scikeras.wrappers import BaseWrapper  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.utils.metaestimators import available_if  # noqa: E402


def _restore_keras_pickling():
    """Undo scikeras's global patch of Keras's pickling methods.

    ``import scikeras`` replaces ``keras.Model.__reduce__``/``__deepcopy__``
    (and those of losses, metrics and optimizers) for every Keras user in the
    process. Keras 3 pickles models natively, so importing skae must not change
    how a user's own models pickle. When the user imported scikeras before
    skae, the patch is theirs and stays.
    """
    if _SCIKERAS_WAS_IMPORTED:
        return
    for cls, methods in _KERAS_PICKLE_METHODS.items():
        for name, original in methods.items():
            if original is None:
                if name in vars(cls):
                    delattr(cls, name)
            else:
                setattr(cls, name, original)


_restore_keras_pickling()


if "_more_tags" in vars(BaseWrapper) and "__sklearn_tags__" not in vars(BaseWrapper):
    # scikeras 0.13 defines the pre-1.6 ``_more_tags`` only; scikit-learn >= 1.6
    # ignores it and ``check_estimator_tags_renamed`` rejects any subclass.
    def _base_wrapper_sklearn_tags(self):
        return super(BaseWrapper, self).__sklearn_tags__()

    BaseWrapper.__sklearn_tags__ = _base_wrapper_sklearn_tags


class ScikerasBase(BaseWrapper):
    """scikeras's ``BaseWrapper`` with scikit-learn's estimator protocol restored.

    ``BaseWrapper`` reads its parameters from the instance ``__dict__`` (so
    ``**kwargs`` parameters are missing from the ``__init__`` signature),
    accepts unknown "routed" parameters in ``set_params`` that ``clone`` then
    silently drops, and prints every parameter in its repr. skae estimators
    declare every parameter in ``__init__``, as scikit-learn requires.
    """

    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    set_params = BaseEstimator.set_params
    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        return BaseEstimator.__sklearn_tags__(self)


def _tf_global_seed():
    """TensorFlow's global seed, or None when TensorFlow is not importable."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None, None
    try:
        from tensorflow.python.eager import context
    except ImportError:  # pragma: no cover - layout of a future TensorFlow
        return tf, None
    return tf, context.global_seed()


@contextlib.contextmanager
def seeded(seed):
    """Seed every global generator that Keras training draws from, then restore them.

    Keras initializers without a seed draw from Python's ``random``; Keras's
    array data adapter shuffles with TensorFlow's global seed (TensorFlow
    backend) or NumPy's global generator (JAX backend); ``keras.random``
    without a seed uses Keras's global seed generator. All of them are saved,
    seeded with ``seed``, and put back exactly as they were on exit, so a
    user's own global random state is unchanged by a fit.
    """
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    python_state = random.getstate()
    numpy_state = np.random.get_state()
    keras_seed = global_state.get_global_attribute("global_random_seed")
    keras_generator = global_state.get_global_attribute(
        seed_generator.GLOBAL_SEED_GENERATOR
    )
    tf, tf_seed = _tf_global_seed()
    try:
        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        global_state.set_global_attribute("global_random_seed", keras_seed)
        global_state.set_global_attribute(
            seed_generator.GLOBAL_SEED_GENERATOR, keras_generator
        )
        if tf is not None:
            tf.random.set_seed(tf_seed)


def _never(estimator):
    return False


# ``BaseWrapper`` methods that are wrong for skae's estimators: ``hasattr``
# must be False for them, or scikit-learn treats a transformer as a predictor.
ScikerasBase.predict = available_if(_never)(BaseWrapper.predict)
ScikerasBase.initialize = available_if(_never)(BaseWrapper.initialize)


class _RetracingFilter(logging.Filter):
    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _RetracingFilter()


@contextlib.contextmanager
def no_retracing_warning():
    """Hide TensorFlow's "triggered tf.function retracing" warning meanwhile.

    Keras compiles one predict function per model, and TensorFlow counts the
    tracings of all of them together: fitting a few models in a loop (as
    GridSearchCV does) makes it warn about retracing although each model is
    traced once. Only that message is filtered, only during skae's calls.
    """
    logger = logging.getLogger("tensorflow")
    logger.addFilter(_RETRACING_FILTER)
    try:
        yield
    finally:
        logger.removeFilter(_RETRACING_FILTER)


def backend_computes_float64():
    """Whether the Keras backend can compute in float64 without global changes.

    JAX truncates float64 to float32 unless the process-wide
    ``jax_enable_x64`` flag is on, which skae must not switch on for the user.
    """
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


def compiles_per_batch_shape():
    """Whether the backend compiles a new program for every new batch size.

    JAX's jit does; TensorFlow's predict function relaxes to a dynamic batch
    dimension after the second shape it sees.
    """
    return keras.backend.backend() == "jax"


# ----------------------------------------------------------------------
# The scikeras bridge (skae.fine_tuning)
#
# Only skae.fine_tuning calls this, so scikeras is imported when the bridge
# is, never by ``import skae``. Its one import stays here, with it.
# ----------------------------------------------------------------------
import functools  # noqa: E402


@functools.cache
def scikeras_wrappers():
    """scikeras's ``KerasClassifier`` and ``KerasRegressor``, mended for scikit-learn.

    scikeras 0.13 declares its estimator type with ``_estimator_type`` and
    ``_more_tags``, which scikit-learn >= 1.6 no longer reads, and
    ``BaseEstimator.__sklearn_tags__`` comes before ``ClassifierMixin``'s in
    its method resolution order: ``is_classifier`` is False for a
    ``KerasClassifier``, so ``cross_val_score`` and ``GridSearchCV`` split
    classes with ``KFold`` instead of ``StratifiedKFold``, and
    ``is_regressor`` is False for a ``KerasRegressor``. The subclasses
    returned here declare their type in ``__sklearn_tags__``, as
    ``ClassifierMixin`` and ``RegressorMixin`` do; scikeras's own classes are
    left as they are. Cached: every call returns the same two classes.

    Returns
    -------
    classifier, regressor : type
        Subclasses of ``scikeras.wrappers.KerasClassifier`` and
        ``scikeras.wrappers.KerasRegressor``.
    """
    from scikeras.wrappers import KerasClassifier, KerasRegressor
    from sklearn.utils import ClassifierTags, RegressorTags

    class TaggedKerasClassifier(KerasClassifier):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.estimator_type = "classifier"
            tags.classifier_tags = tags.classifier_tags or ClassifierTags()
            tags.target_tags.required = True
            return tags

    class TaggedKerasRegressor(KerasRegressor):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.estimator_type = "regressor"
            tags.regressor_tags = tags.regressor_tags or RegressorTags()
            tags.target_tags.required = True
            return tags

    return TaggedKerasClassifier, TaggedKerasRegressor
