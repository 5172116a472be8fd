"""Quiet start-up: TensorFlow's import-time lines hidden when skae imports it.

This module imports neither Keras nor TensorFlow: it must run before them.

What skae does about TensorFlow's start-up lines (docs/getting_started.rst,
"A quiet start"): importing TensorFlow writes lines to stderr from C++ (the
oneDNN notice, "Could not find cuda drivers", the CPU-instruction notice,
"failed call to cuInit"), some of them before TensorFlow reads
``TF_CPP_MIN_LOG_LEVEL``, so that no log level hides them. Every skae module
that imports Keras calls :func:`quiet_keras_import` first, which imports
Keras (and so TensorFlow, on Keras's TensorFlow backend) with file
descriptor 2 pointed at ``os.devnull`` meanwhile, then restores it: nothing
is changed for what runs afterwards (no environment variable, no log level).
It does nothing when TensorFlow or Keras is already imported (whoever
imported it first decides what its start-up printed) or when the user set
``TF_CPP_MIN_LOG_LEVEL`` (TensorFlow then logs as that asks).
"""

import contextlib
import os
import sys
import threading

# Two threads swapping file descriptor 2 at once could leave it silenced.
_LOCK = threading.Lock()


@contextlib.contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    _LOCK.acquire()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
        _LOCK.release()


def quiet_keras_import():
    """Import Keras, TensorFlow's start-up lines hidden, if skae is first to import them.

    Called by every skae module that imports Keras, before it does. Silences
    file descriptor 2 while Keras is imported and, on its TensorFlow
    backend, while TensorFlow looks for devices (the "failed call to
    cuInit" line of a GPU build on a machine without a GPU); Python
    exceptions raised by the import still reach the user, as the file
    descriptor is restored before they propagate. Does nothing when
    ``tensorflow`` or ``keras`` is already in ``sys.modules``, when
    ``TF_CPP_MIN_LOG_LEVEL`` is set in the environment, or when Keras is not
    installed (the import that follows then raises as usual).
    """
    if (
        "tensorflow" in sys.modules
        or "keras" in sys.modules
        or "TF_CPP_MIN_LOG_LEVEL" in os.environ
    ):
        return
    with _stderr_silenced():
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_physical_devices()
        except ImportError:
            return


def quiet_tensorflow_startup():
    """Import TensorFlow with its C++ log lines hidden, for skae's own programs.

    For processes skae runs from start to end (the command line, the
    examples, the benchmarks, the test suite); never called by the library
    itself. As :func:`quiet_keras_import`, and besides sets
    ``TF_CPP_MIN_LOG_LEVEL=2`` (unless set already) for the rest of the
    process, hiding TensorFlow's C++ INFO and WARNING lines; errors still
    show. Does nothing when TensorFlow is already imported or is not
    installed.
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


@contextlib.contextmanager
def quiet_native_logs():
    """Hide what TensorFlow's C++ writes to stderr meanwhile, unless the user set a log level.

    For one-time native work skae starts on the user's behalf that logs
    INFO lines no Python logger controls: XLA's first compilation in a
    process ("XLA service ... initialized", "Compiled cluster using XLA!").
    File descriptor 2 points at ``os.devnull`` meanwhile (as for the
    import); with ``TF_CPP_MIN_LOG_LEVEL`` set, TensorFlow logs as that asks.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        yield
        return
    with _stderr_silenced():
        yield
