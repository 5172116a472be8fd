"""Workarounds for the versions of Keras, TensorFlow and scikeras skae runs on.

Each names what it works around, so that it can be dropped once the
upstream behaviour changes. Nothing here is imported for its side effects:
``import skae`` changes nothing in Keras, TensorFlow or scikeras.
"""

import contextlib
import functools
import logging


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


# ----------------------------------------------------------------------
# The scikeras bridge (skae.fine_tuning)
#
# Only skae.fine_tuning calls this, so scikeras is imported when the bridge
# is, never by ``import skae``.
# ----------------------------------------------------------------------


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
