"""Inference machinery: compiled calls, bounded chunks, padding, precision copies.

Every prediction of every estimator runs through ``run_in_chunks`` (see
``BaseAutoencoder._forward``), in chunks of at most ``INFERENCE_BATCH_SIZE``
rows, so memory stays bounded however many rows are asked for; each chunk
goes through one function of ``compile_for_inference``.
"""

import collections
import contextlib
import threading

import keras
import numpy as np

from .._compat import no_retracing_warning
from .._input.chunks import ALIGNMENT, INFERENCE_BATCH_SIZE
from .compiled_fit import trained_architecture
from .tf_calls import call_options, numpy_call, one_row_program, traced

# Held while an estimator builds an inference function (a float64 copy of
# its networks, a tracing): threads sharing one estimator build each
# function once, and never trace the same Keras model at the same time.
BUILD_LOCK = threading.RLock()



def backend_computes_float64():
    """Whether the Keras backend can compute in float64 without global changes.

    JAX truncates float64 to float32 unless the process-wide
    ``jax_enable_x64`` flag is on, which skae must not switch on for the user.
    Keras's PyTorch backend follows JAX's default with no flag to change it:
    its type promotion (``keras.backend.result_type``) turns float64 into
    float32, so ``ops.matmul`` of two float64 tensors computes in float32
    (a float64 copy of a network would still round its products to float32).
    """
    backend = keras.backend.backend()
    if backend == "torch":
        return False
    if backend != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


def compiles_per_batch_shape():
    """Whether the backend compiles a new program for every new batch size.

    JAX's jit does; TensorFlow's predict function relaxes to a dynamic batch
    dimension after the second shape it sees.
    """
    return keras.backend.backend() == "jax"


def pad_rows(batch, step=1024):
    """Zero rows appended up to a size from a short fixed list (at most one chunk).

    Backends that compile one program per input shape (JAX) then compile a
    bounded number of programs whatever the row counts asked for: powers of
    two up to ``step`` rows, multiples of ``step`` above (26 sizes for chunks
    of 16,384 rows), so padding costs at most 2x on tiny batches and under
    ``step`` rows on large ones.
    """
    n_rows = len(batch)
    if n_rows <= step:
        size = 1 << max(n_rows - 1, 0).bit_length()
    else:
        size = -(-n_rows // step) * step
    size = min(size, INFERENCE_BATCH_SIZE)
    if size == n_rows:
        return batch
    padding = np.zeros((size - n_rows,) + batch.shape[1:], dtype=batch.dtype)
    return np.concatenate([batch, padding])


def float64_copy(model):
    """The same network with float64 weights and arithmetic, for inference.

    float32 results for a row change by about 3e-8 with its position in the
    batch (oneDNN blocks the matrix products by batch size); float64 inference
    keeps those changes near 1e-15.
    """
    return network_copy(model, "float64")


def network_copy(model, dtype):
    """A copy of the network ``model`` with its own variables, computing in ``dtype``.

    Built from the layers' configs (unset seeds filled with 0: the copy only
    ever infers, and Python's global ``random`` is left alone), holding a
    copy of ``model``'s weights.
    """

    def in_dtype(layer):
        config = fill_unset_seeds(layer.get_config(), lambda: 0)
        config["dtype"] = dtype
        return layer.__class__.from_config(config)

    inputs = [keras.Input(batch_shape=t.shape, dtype=dtype) for t in model.inputs]
    copy = keras.models.clone_model(
        model,
        input_tensors=inputs if len(inputs) > 1 else inputs[0],
        clone_function=in_dtype,
    )
    copy.set_weights(model.get_weights())
    return copy


def fill_unset_seeds(config, next_seed):
    """A layer config whose unset seeds (initializers, dropout) are filled.

    Keras draws a seed from Python's global ``random`` for every initializer
    or random layer built with ``seed=None``; a layer rebuilt from this
    config takes ``next_seed()`` instead, and leaves the user's generator
    alone.
    """
    if isinstance(config, dict):
        return {
            key: next_seed()
            if key == "seed" and value is None
            else fill_unset_seeds(value, next_seed)
            for key, value in config.items()
        }
    if isinstance(config, list):
        return [fill_unset_seeds(value, next_seed) for value in config]
    return config


def networks_in_precision(networks, dtype):
    """``networks`` computing in ``dtype``: themselves, or float64 copies.

    float64 copies only where the backend computes in float64 and the
    networks are not already float64; a network Keras cannot clone (a
    subclassed user model) is used as it is.
    """
    if np.dtype(dtype).name == keras.backend.floatx() or not backend_computes_float64():
        return networks
    try:
        return tuple(float64_copy(network) for network in networks)
    except Exception:  # noqa: BLE001 - e.g. subclassed user models
        return networks


def run_in_chunks(X, step, dtype, chunks=None, condition=None):
    """``step`` applied to bounded chunks of X's rows, assembled into one array.

    ``step(chunk)`` returns one output row per input row; on backends that
    compile per batch shape the chunk is padded (see ``pad_rows``) and the
    padding's outputs dropped. The result has ``dtype``. ``chunks`` yields
    ``(start, rows)`` of X's consecutive chunks of at most
    ``INFERENCE_BATCH_SIZE`` rows; by default X's slices of that many rows.
    With ``condition`` (a ``Rows`` condition, row for row with X),
    ``step(chunk, condition_chunk)`` gets the same rows of it.
    """
    pad = compiles_per_batch_shape()
    if chunks is None and condition is None and not pad and X.shape[0] <= INFERENCE_BATCH_SIZE:
        # one chunk (a one-row request, say): its result is the output, uncopied
        return np.asarray(step(X), dtype=dtype)
    if chunks is None:
        chunks = (
            (start, X[start : start + INFERENCE_BATCH_SIZE])
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE)
        )
    out = None
    for start, chunk in chunks:
        n_rows = len(chunk)
        arguments = [chunk]
        if condition is not None:
            arguments.append(np.asarray(condition[start : start + n_rows]))
        if pad:
            arguments = [pad_rows(argument) for argument in arguments]
        result = np.asarray(step(*arguments))[:n_rows]
        if out is None:
            out = np.empty((X.shape[0],) + result.shape[1:], dtype=dtype)
        out[start : start + n_rows] = result
    return out


def lent_to_backend(batch):
    """``batch`` as the compiled call's input, sharing its memory where safe.

    ``tf.convert_to_tensor`` copies a NumPy array, even an aligned one: a
    chunk-sized copy (1 MB for 4,096 rows of 64 float32). On TensorFlow, a
    C-contiguous, writeable array starting on a multiple of ``ALIGNMENT``
    (``aligned_empty``) becomes a tensor over its memory through DLPack
    instead (TensorFlow aborts the process on memory less aligned than
    Eigen's 64 bytes, hence the check). The tensor holds a reference to the
    array; the caller must not modify the array before the call's output is
    copied out. Anything else is returned as it is.
    """
    if (
        keras.backend.backend() != "tensorflow"
        or not isinstance(batch, np.ndarray)
        or batch.ctypes.data % ALIGNMENT
        or not (batch.flags.c_contiguous and batch.flags.writeable)
    ):
        return batch
    import tensorflow as tf

    try:
        return tf.experimental.dlpack.from_dlpack(batch.__dlpack__())
    except Exception:  # noqa: BLE001 - no DLPack in this TensorFlow or NumPy
        return batch


def compile_for_inference(function, variables, sample_shape, dtype, condition_shape=None):
    """``function`` of a batch, compiled once: numpy rows in, numpy out.

    Keras's ``predict_on_batch`` costs about 0.5 ms per call on TensorFlow
    whatever the batch (a function-cache lookup, argument binding, then the
    call), three quarters of a one-row ``transform``. On TensorFlow this
    builds one concrete function for batches of any size, called without
    the binding (``_compat.concrete_function_call``), and a single row
    through an XLA program of it (``tf_calls.OneRowProgram``). On JAX, ``jax.jit`` with the ``variables``'
    current values passed in as arguments (as Keras's own predict does), so
    that the compiled program reads the weights of the moment; it compiles
    once per batch shape, hence ``run_in_chunks``'s padding. Other backends
    run ``function`` eagerly.

    Parameters
    ----------
    function : callable
        Backend tensor ``(n, *sample_shape)`` -> backend tensor, built from
        Keras models called with ``training=False``.
    variables : list of keras.Variable
        Every variable ``function`` reads.
    sample_shape : tuple of int
        Shape of one input sample.
    dtype : numpy dtype
        dtype of the input batches.
    condition_shape : tuple of int, default=None
        Shape of one sample's condition: ``function`` then takes a batch
        ``(inputs, condition)``, both of ``dtype`` (see ``Rows``), and so
        does the call returned.

    Returns
    -------
    call : callable
        numpy array ``(n, *sample_shape)`` of ``dtype`` -> numpy array.
    """
    backend = keras.backend.backend()
    dtype = np.dtype(dtype).name
    if backend == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None,) + tuple(sample_shape), dtype)
        if condition_shape is not None:
            specs = (spec, tf.TensorSpec((None,) + tuple(condition_shape), dtype))
            concrete = traced(function, specs)
            options = call_options(dtype)

            def run_with_condition(batch):
                with options():
                    return concrete(tuple(map(tf.constant, batch))).numpy()

            return run_with_condition
        concrete = traced(function, spec)
        one_row = one_row_program(concrete, (), sample_shape, dtype)
        return numpy_call(concrete, (), dtype, one_row)
    if backend == "jax":
        import jax

        def stateless(values, batch):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return function(batch)

        jitted = jax.jit(stateless)
        return lambda batch: np.asarray(jitted([v.value for v in variables], batch))

    def eager(batch):
        batch = keras.tree.map_structure(keras.ops.convert_to_tensor, batch)
        return keras.ops.convert_to_numpy(function(batch))

    if backend == "torch":
        import torch

        def without_gradients(batch):
            with torch.no_grad():
                return eager(batch)

        return without_gradients
    return eager


# Compiled inference functions shared by every fitted estimator of one
# architecture (TensorFlow): (estimator class, architecture, dtype, sample
# shape, kind) -> _SharedFunction. Least recently used dropped first.
MAX_SHARED_FUNCTIONS = 64
_shared = collections.OrderedDict()


class _SharedFunction:
    """One architecture's inference, traced once, reading any estimator's weights.

    A private copy of the networks (in the inference dtype) is traced with
    its variables replaced, through a ``keras.StatelessScope``, by variables
    passed as arguments (cast to the copy's dtypes); each estimator binds
    its own variables' handles, so a call reads that estimator's current
    weights, and nothing of one estimator stays in the function.
    """

    def __init__(self, estimator, own, dtype, sample_shape, encode, decode, networks=None):
        import tensorflow as tf

        if networks is None:
            networks = estimator.encoder_, estimator.decoder_
        encoder, decoder = (network_copy(network, dtype) for network in networks)
        private = _unique_variables([encoder] * encode + [decoder] * decode)
        network = network_hooks(estimator, encoder, decoder, encode, decode)

        def function(batch, weights):
            values = [(v, keras.ops.cast(w, v.dtype)) for v, w in zip(private, weights)]
            with keras.StatelessScope(state_mapping=values):
                return network(batch)

        spec = tf.TensorSpec((None,) + tuple(sample_shape), dtype)
        arguments = weight_arguments(own)
        self.signature = _signature(own)
        self.dtype = dtype
        self.function, self.sample_shape = function, tuple(sample_shape)
        self.concrete = concrete = traced(function, spec, arguments)
        self.one_row = one_row_program(concrete, arguments, sample_shape, dtype, function)

    def bind(self, variables):
        """A numpy call reading ``variables`` (Keras variables of this architecture, or
        the tensors of a fit's state)."""
        return numpy_call(self.concrete, weight_arguments(variables), self.dtype, self.one_row)


def weight_arguments(variables):
    """What a shared call is given: each Keras variable's own, or a state's tensor."""
    return [v.value if isinstance(v, keras.Variable) else v for v in variables]


def network_hooks(estimator, encoder, decoder, encode, decode):
    """``estimator``'s ``_encode_batch`` and/or ``_decode_batch`` as one function of a batch."""

    def network(batch):
        # with a condition, each hook gets (its batch, the condition)
        batch, condition = batch if isinstance(batch, tuple) else (batch, None)

        def given(batch):
            return batch if condition is None else (batch, condition)

        if encode:
            batch = estimator._encode_batch(encoder, given(batch))
        if decode:
            batch = estimator._decode_batch(decoder, given(batch))
        return batch

    return network


def _unique_variables(networks):
    return list({id(v): v for n in networks for v in n.variables}.values())


def _signature(variables):
    return [(tuple(v.shape), keras.backend.standardize_dtype(v.dtype)) for v in variables]


def _defining_class(cls, name):
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def overridden_together(cls, method, companion):
    """Whether ``cls`` defines ``companion`` where it defines ``method``, or below.

    A hook's companion (what a shared call keys on, how an export computes
    the same) must be written by whoever wrote the hook: a subclass that
    overrides ``method`` alone inherits a companion that knows nothing of it.
    """
    return issubclass(_defining_class(cls, companion), _defining_class(cls, method))


def _shares_inference(cls):
    """Whether ``cls``'s inference hooks may share one compiled call per architecture.

    They may when ``_inference_key`` (what they read besides the networks,
    part of the shared call's key) is defined beside them or below: a
    subclass that overrides ``_encode_batch`` or ``_decode_batch`` alone
    may read parameters no key covers, so it compiles its own call.
    """
    return all(
        overridden_together(cls, hook, "_inference_key")
        for hook in ("_encode_batch", "_decode_batch")
    )


def shared_variables(estimator, encode, decode):
    """The variables of ``estimator``'s networks that its inference reads, in order."""
    return _unique_variables([estimator.encoder_] * encode + [estimator.decoder_] * decode)


def shared_inference_function(estimator, dtype, sample_shape, *, encode, decode):
    """The architecture's shared compiled inference, bound to ``estimator``; or None.

    TensorFlow only, for hooks that declare what they read
    (``_shares_inference``), and only for a model
    the compiled training loop knows the architecture of
    (``_compiled_fit.trained_architecture``): a fit
    then costs no tracing and no copy of the networks at inference, only
    the first fit of each architecture does. None when not shared: the
    estimator compiles its own (``inference_function``).
    """
    found = shared_function(estimator, dtype, sample_shape, encode, decode)
    return None if found is None else found[0].bind(found[1])


def shared_function(estimator, dtype, sample_shape, encode, decode):
    """``(the architecture's _SharedFunction, estimator's own weights)``, or None."""
    if keras.backend.backend() != "tensorflow" or not _shares_inference(type(estimator)):
        return None
    dtype = np.dtype(dtype).name
    # a fit from a recipe: its state's tensors, read through the recipe's
    # template (``initial_state``); else the model's variables
    state = vars(estimator).get("_fitted_state")
    if state is not None:
        architecture = state.recipe.architecture
        networks = estimator._networks(state.recipe.template)
        template = _unique_variables([networks[0]] * encode + [networks[1]] * decode)
        own = [state.values[i] for i in state.recipe.positions(template)]
    else:
        architecture = trained_architecture(estimator.model_)
        networks = None
        own = shared_variables(estimator, encode, decode)
    if architecture is None:
        return None
    key = (
        type(estimator),
        architecture,
        estimator._inference_key(),
        dtype,
        tuple(sample_shape),
        encode,
        decode,
        state is not None,  # tensors, or variables, as arguments
    )
    with BUILD_LOCK:
        shared = _shared.get(key)
        if shared is None:
            try:
                with no_retracing_warning():
                    shared = _SharedFunction(
                        estimator, own, dtype, sample_shape, encode, decode, networks
                    )
            except Exception:  # noqa: BLE001 - a network Keras cannot copy
                return None
            _shared[key] = shared
            while len(_shared) > MAX_SHARED_FUNCTIONS:
                _shared.popitem(last=False)
        _shared.move_to_end(key)
    if _signature(own) != shared.signature:
        return None
    return shared, own


class InferenceCache:
    """What one fitted estimator's inference builds once: precision copies, compiled calls.

    The estimator holds one and hands it to ``networks_for`` and
    ``inference_function``; a fit replaces it with an empty one. Threads
    sharing an estimator build each entry once (``BUILD_LOCK``).
    """

    def __init__(self):
        self._entries = {}

    def get(self, key, build):
        """The entry ``key``, built by ``build()`` the first time it is asked for."""
        entry = self._entries.get(key)
        if entry is None:
            with BUILD_LOCK:
                entry = self._entries.get(key)
                if entry is None:
                    entry = self._entries[key] = build()
        return entry


def networks_for(estimator, cache, dtype):
    """The fitted ``estimator``'s encoder and decoder computing in ``dtype``.

    Built once per fit and dtype, kept in ``cache`` (an ``InferenceCache``).
    """
    dtype = np.dtype(dtype).name
    return cache.get(
        ("networks", dtype),
        lambda: networks_in_precision((estimator.encoder_, estimator.decoder_), dtype),
    )


def inference_function(
    estimator, cache, dtype, sample_shape, *, encode, decode, condition_shape=None
):
    """The compiled ``_encode_batch`` and/or ``_decode_batch`` of ``estimator``.

    Looked up once per fit, dtype, sample shape and kind, in ``cache``: the
    shared function of its architecture (``shared_inference_function``), or
    else one compiled for it alone. Encoding and decoding together are one
    compiled function: a reconstruction costs one call of the backend, not
    two. Only the build traces, so only the build hides TensorFlow's
    retracing warning.
    """

    def build():
        # a condition's network is its own (the shared calls take one input)
        shared = condition_shape is None and shared_inference_function(
            estimator, dtype, sample_shape, encode=encode, decode=decode
        )
        return shared or _own_inference_function(
            estimator, cache, dtype, sample_shape, encode, decode, condition_shape
        )

    return cache.get(("function", dtype, sample_shape, encode, decode, condition_shape), build)


def _own_inference_function(
    estimator, cache, dtype, sample_shape, encode, decode, condition_shape=None
):
    """``estimator``'s inference compiled for it alone (its networks, or their float64 copy)."""
    encoder, decoder = networks_for(estimator, cache, dtype)
    network = network_hooks(estimator, encoder, decoder, encode, decode)
    variables = _unique_variables([encoder] * encode + [decoder] * decode)
    with no_retracing_warning():
        return compile_for_inference(network, variables, sample_shape, dtype, condition_shape)
