"""Quiet start-up for skae's entry points (command line, demo, tests).

This module imports neither Keras nor TensorFlow: it must run before them.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow_startup():
    """Import TensorFlow with its C++ start-up log lines hidden.

    TensorFlow's GPU build prints "Could not find cuda drivers" and "failed
    call to cuInit" through absl before ``TF_CPP_MIN_LOG_LEVEL`` is read. This
    silences file descriptor 2 only while TensorFlow is imported and looks for
    devices, so Python warnings and errors raised later still reach the user.
    Does nothing when TensorFlow is already imported or is not installed, and
    is never called by ``import skae`` itself.
    """
    # Keras imports TensorFlow for its data pipelines on every backend.
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced():
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()
        except ImportError:
            return
