"""One row's reconstruction score as one XLA program (TensorFlow).

A detector's one-row ``predict`` was the network's call plus numpy around
it: standardising the row, restoring the reconstruction's units, the score's
float64 formula, and a 64-value output to copy back, for one number.
``one_row_scorer`` compiles all of it into the one-row XLA program
(``tf_calls.OneRowProgram``) that ``transform`` already runs: the score's
formula is the estimator's ``_score_batch`` in ``keras.ops``, as ``export``
computes it. Batches keep numpy's formula.
"""

import weakref

import keras
import numpy as np

from .._compat import no_retracing_warning
from .inference import (
    network_hooks,
    networks_for,
    overridden_together,
    shared_function,
    weight_arguments,
)
from .tf_calls import one_row_program, row_tensor

# the program of each architecture's shared inference (``_SharedFunction``),
# built at the first one-row score of any estimator sharing it
_programs = weakref.WeakKeyDictionary()


def one_row_scorer(estimator, cache, dtype, sample_shape):
    """A one-row call: rows ``(1, n_features)`` of ``dtype`` -> their float64 score; or None.

    ``BaseAutoencoder._score_samples`` of one row: the standardisation, the
    network and the score together in one program. Built from the
    architecture's shared inference where there is one (the program is then
    shared too, the weights, ``mean_`` and ``scale_`` its arguments), else
    from the estimator's own networks (a loaded or pickled model: the same
    bits). Looked up once per fit and dtype in ``cache``; None off
    TensorFlow, without the one-row programs (``tf_calls.ONE_ROW_XLA``), for
    a ``_score_batch`` written without ``_inference_key`` beside it (what it
    reads is undeclared, so no program may be shared, and a variant's may
    not be ``keras.ops`` code), or where XLA cannot compile the graph.
    """
    from . import tf_calls

    dtype = np.dtype(dtype)
    sample_shape = tuple(sample_shape)

    def build():
        if (
            keras.backend.backend() != "tensorflow"
            or not tf_calls.ONE_ROW_XLA
            or not overridden_together(type(estimator), "_score_batch", "_inference_key")
        ):
            return False
        import tensorflow as tf

        scaling = [
            tf.constant(np.asarray(estimator.mean_, dtype=dtype)),
            tf.constant(dtype.type(estimator.scale_)),
        ]
        found = shared_function(estimator, dtype, sample_shape, True, True)
        if found is not None:
            shared, own = found
            arguments = [*weight_arguments(own), *scaling]
            program = _programs.get(shared)
            if program is None:
                program = _programs[shared] = _scores_program(
                    shared.function, arguments, sample_shape, dtype, estimator._score_batch
                )
        else:
            encoder, decoder = networks_for(estimator, cache, dtype)
            hooks = network_hooks(estimator, encoder, decoder, True, True)
            arguments = scaling
            with no_retracing_warning():
                program = _scores_program(
                    lambda batch, weights: hooks(batch),
                    arguments,
                    sample_shape,
                    dtype,
                    estimator._score_batch,
                )
        call = None if program is None else program.bind(arguments)
        if call is None:
            return False
        return lambda rows: call(row_tensor(rows)).numpy()

    # built under BUILD_LOCK, which guards _programs too
    return cache.get(("one-row scores", dtype.name, sample_shape), build) or None


def _scores_program(network, arguments, sample_shape, dtype, score_batch):
    """The ``OneRowProgram`` of ``_score_samples`` on one row, around ``network(batch, weights)``.

    ``arguments`` are ``network``'s weights, then ``mean_`` and ``scale_``
    in the rows' dtype. The program is ``_forward``'s ``_standardize``,
    network and ``_unstandardize``, then the score's float64 formula, as
    ops.
    """
    n_features = int(np.prod(sample_shape))
    ops = keras.ops

    def scores(rows, arguments):
        *weights, mean, scale = arguments
        batch = ops.reshape(ops.divide(ops.subtract(rows, mean), scale), (-1, *sample_shape))
        restored = ops.reshape(network(batch, weights), (-1, n_features))
        restored = ops.add(ops.multiply(restored, scale), mean)
        return score_batch(ops.cast(rows, "float64"), ops.cast(restored, "float64"), ops)

    return one_row_program(scores, arguments, (n_features,), np.dtype(dtype).name, scores)
