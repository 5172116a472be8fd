"""Workarounds for the versions of Keras, TensorFlow and scikeras skae runs on.

Each names what it works around, so that it can be dropped once the
upstream behaviour changes. Nothing here is imported for its side effects:
``import skae`` changes nothing in Keras, TensorFlow or scikeras.
"""

import contextlib
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
