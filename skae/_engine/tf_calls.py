"""Compiled TensorFlow calls of NumPy rows: tracing, call options, one-row programs.

``compile_for_inference`` and the shared calls of ``inference`` trace the
networks once (``traced``) and call the result through ``numpy_call``:
batches through the traced graph, a single row through an XLA program of
the same graph (``OneRowProgram``), the cheapest call TensorFlow has for it.
"""

import contextlib
import threading

import numpy as np

from .._compat import concrete_function_call, without_remapper
from .._input.chunks import aligned_empty
from .._startup import quiet_native_logs

# Switch for the one-row XLA programs: False sends every call through the
# traced graph (what a TensorFlow build without XLA gets on its own).
ONE_ROW_XLA = True


def traced(function, *signature):
    """``function``'s TensorFlow concrete function for ``signature``, traced without AutoGraph.

    The hooks are ``keras.ops`` code (export and every backend run them):
    converting their source with AutoGraph is most of a first inference
    call's tracing. A hook that needs it (Python control flow on a tensor)
    fails that tracing, and is traced again with AutoGraph.
    """
    import tensorflow as tf

    try:
        return tf.function(function, autograph=False).get_concrete_function(*signature)
    except (TypeError, tf.errors.OperatorNotAllowedInGraphError):
        return tf.function(function).get_concrete_function(*signature)


def call_options(dtype):
    """The context every call of a compiled TensorFlow function of ``dtype`` runs in.

    float64 functions run without Grappler's remapper
    (``_compat.without_remapper``): it would log a line to stderr for each
    of their matrix products, and fuses none of them. Every call, the first
    (which optimises the graph) included, must run in this context.
    """
    return without_remapper if np.dtype(dtype) == np.float64 else contextlib.nullcontext


def numpy_call(concrete, variables, dtype, one_row=None):
    """``concrete`` (TensorFlow) as a function of numpy rows of ``dtype``.

    ``concrete`` is traced as ``function(tensor)``, or as
    ``function(tensor, variables)`` given ``variables``; it is called
    without its binding (``_compat.concrete_function_call``), with the
    options of ``call_options``; a single row through ``one_row`` (a
    ``OneRowProgram``) where given. ``tf.constant`` converts the rows: it is
    what ``tf.convert_to_tensor`` does to a NumPy array, without the
    dispatch around it.

    TensorFlow's single-threaded executor
    (``tf.experimental.function_executor_type``) ran these calls until
    issue 27: with one row on XLA it no longer bought a tenth of any figure
    (``benchmarks/private_apis.py``).
    """
    import tensorflow as tf

    call = concrete_function_call(concrete, variables, remapper=np.dtype(dtype) != np.float64)
    constant = tf.constant
    if one_row is None or not ONE_ROW_XLA:
        return lambda batch: call(constant(batch)).numpy()
    single = None

    def run(batch):
        nonlocal single
        if len(batch) != 1:
            return call(constant(batch)).numpy()
        if single is None:
            single = one_row.bind(variables) or call
        return single(row_tensor(batch)).numpy()

    return run


def row_tensor(row):
    """One row as a tensor: over a private aligned copy, through DLPack.

    ``tf.constant`` makes a tensor of the context's device (a copy of the
    row, even on the CPU), and a call given it costs more than one given a
    tensor made without a device: a one-row ``transform`` here took 0.16-0.18
    ms with it, 0.13-0.17 ms without (``benchmarks/inference_latency.py``,
    two runs each, December 2026). DLPack
    (``tf.experimental.dlpack.from_dlpack``) makes a tensor over the memory
    as it is, which TensorFlow requires 64-byte aligned: the row is copied
    into a fresh aligned array first (no one else holds it, so nothing can
    change it during the call). ``tf.constant`` where DLPack fails.
    """
    import tensorflow as tf

    copy = aligned_empty(row.shape, row.dtype)
    copy[...] = row
    try:
        return tf.experimental.dlpack.from_dlpack(copy.__dlpack__())
    except Exception:  # noqa: BLE001 - no DLPack in this TensorFlow or NumPy
        return tf.constant(row)


def one_row_program(concrete, arguments, sample_shape, dtype, function=None):
    """The one-row XLA program (``OneRowProgram``) of ``concrete`` for ``dtype`` rows, or None.

    ``concrete`` takes ``(tensor, arguments)``, or ``(tensor)`` without
    ``arguments``. A float64 call given weights as arguments casts them in
    its graph (a float32 network): its program is traced from ``function``
    (the Python function ``concrete`` was traced from) taking float64
    weights instead, cast once when an estimator binds its own; without
    ``function`` such a call has no one-row program.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32 or (dtype == np.float64 and not arguments):
        return OneRowProgram(concrete, arguments, sample_shape, dtype)
    if dtype == np.float64 and function is not None:
        return OneRowProgram(function, arguments, sample_shape, dtype, cast=True)
    return None


class OneRowProgram:
    """The XLA program of a traced graph for one row, compiled on first use.

    A one-row call of the traced graph spends most of its time in
    TensorFlow's function runtime (its executor schedules each op): about
    70 us for the detector's 13-feature network here, of which the matrix
    products are a few. The same graph compiled by XLA
    (``tf.function(jit_compile=True)``) for the shape ``(1, *sample_shape)``
    runs as one program, in about 20 us (``benchmarks/inference_latency.py``).
    It is compiled once (about 0.1 s), at the first one-row call of any
    estimator that shares the graph: the weights are its arguments, as they
    are the graph's. XLA orders the sums of its matrix products its own way,
    so a row predicted alone may differ from the same row predicted in a
    batch in the last bits (float32: about 1e-7 relative; float64: 1e-15),
    as rows already do with the size of their batch. A graph XLA cannot
    compile (an op without an XLA kernel, a TensorFlow built without XLA)
    keeps the traced graph for one row too.

    Every program of a model computes from weights of the rows' dtype, so
    the same model gives the same bits however it was made (fitted, or
    loaded with a float64 copy of its networks): XLA would fuse a float32
    weight's cast into the matrix product differently. With ``cast``, the
    program is traced from the Python ``function`` with float64 weights,
    and ``bind`` casts an estimator's weights once: a float64 copy of the
    networks, as the estimators' own float64 inference makes.
    """

    def __init__(self, concrete, arguments, sample_shape, dtype, *, cast=False):
        self._concrete = concrete
        # whether the graph takes weights: the first estimator to bind its
        # own gives their shapes and dtypes (held no longer than the build)
        self._takes_weights = bool(arguments)
        self._shape = (1,) + tuple(sample_shape)
        self._dtype = np.dtype(dtype).name
        self._cast = cast
        self._program = None
        self._failed = False
        self._lock = threading.Lock()

    def _weights(self, variables):
        import tensorflow as tf

        if not self._cast:
            return list(variables)
        return [tf.cast(v, self._dtype) for v in variables]

    def compiled(self, variables):
        """The XLA program's concrete function, or None if XLA cannot compile the graph.

        Built by the first call, for weights like ``variables``.
        """
        import tensorflow as tf

        with self._lock:
            if self._program is None and not self._failed:
                concrete, variables = self._concrete, list(variables)
                tensor = tf.TensorSpec(self._shape, self._dtype)
                if self._cast:
                    function = concrete
                    signature = (tensor, [tf.TensorSpec(w.shape, self._dtype) for w in variables])
                elif self._takes_weights:
                    function = lambda tensor, weights: concrete(tensor, weights)  # noqa: E731
                    signature = (tensor, variables)
                else:
                    function = lambda tensor: concrete(tensor)  # noqa: E731
                    signature = (tensor,)
                try:
                    program = tf.function(function, jit_compile=True, autograph=False)
                    program = program.get_concrete_function(*signature)
                    weights = (self._weights(variables),) if self._takes_weights else ()
                    with call_options(self._dtype)(), quiet_native_logs():
                        program(tf.zeros(self._shape, self._dtype), *weights)
                except (tf.errors.OpError, NotImplementedError, ValueError, TypeError):
                    self._failed = True
                else:
                    self._program = program
            return self._program

    def bind(self, variables):
        """A call of a one-row tensor reading ``variables``; None without XLA."""
        program = self.compiled(variables)
        if program is None:
            return None
        return concrete_function_call(
            program, self._weights(variables), remapper=self._dtype != "float64"
        )
