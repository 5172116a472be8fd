"""Workarounds for the versions of Keras, TensorFlow and scikeras skae runs on.

Each names what it works around, so that it can be dropped once the
upstream behaviour changes. Nothing here is imported for its side effects:
``import skae`` changes nothing in Keras, TensorFlow or scikeras.
"""

import contextlib
import copy
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
# TensorFlow and Keras internals
#
# Each is kept because benchmarks/private_apis.py measures that it buys at
# least 10% of a figure users see (docs/benchmarks/private_apis.md); each
# falls back to public calls if the internal moves, and
# tests/test_compat.py forces that fallback and compares its results.
# ----------------------------------------------------------------------


def concrete_function_call(concrete, variables=(), *, remapper=True):
    """``concrete``, a TensorFlow ``ConcreteFunction`` of one tensor, as a plain call.

    ``ConcreteFunction.__call__`` binds and canonicalises its arguments in
    Python first, and its ``call_flat`` then builds the call's options and
    enters three contexts before TensorFlow runs the graph: together more
    than half of a one-row ``transform`` (``benchmarks/private_apis.py``).
    The function returned here runs the traced graph (its ``inference_fn``)
    as ``call_flat`` does in the end, one ``execute`` of the function's op,
    with the tensor, the variables' handles and the captured inputs, and
    call options fixed once (with ``remapper=False``, Grappler's remapper
    off: see ``without_remapper``). It returns the one output tensor. Falls
    back to ``concrete`` itself, called in ``without_remapper`` as asked, if
    TensorFlow's internals moved or if the function has other than one
    output: the same graph with the same options, so the same results bit
    for bit.

    ``variables``: TensorFlow variables the function takes after the tensor
    (traced as ``function(tensor, variables)``); each call passes their
    handles, so the graph reads the variables' values of the moment. Or
    tensors (traced as tensors), passed as they are.
    """
    variables = list(variables)
    try:
        return _direct_call(concrete, variables, remapper)
    except Exception:  # noqa: BLE001 - TensorFlow moved its internals
        pass
    call = (lambda tensor: concrete(tensor, variables)) if variables else concrete
    if remapper:
        return call
    return _without_remapper_call(call)


def _direct_call(concrete, variables, remapper):
    """``concrete`` as one ``execute`` of its function's op, the call options fixed."""
    from tensorflow.python.eager import context, execute

    inference = concrete.inference_fn
    if len(concrete.outputs) != 1:
        raise ValueError("not one output")
    name = inference.name.decode()
    ctx = context.context()
    options = ctx.function_call_options
    if not remapper:
        options = _remapper_off(options.config_proto_serialized, options.executor_type)
    attrs = ("executor_type", "", "config_proto", options.as_attrs()["config_proto"])
    from tensorflow import Variable

    # a variable's handle (read at each call), or a tensor as it is
    inputs = [v.handle if isinstance(v, Variable) else v for v in variables]
    inputs += list(concrete.captured_inputs)
    if len(inference.cached_definition.signature.input_arg) != 1 + len(inputs):
        raise ValueError("not a function of one tensor and the variables")
    run = execute.execute

    def call(tensor):
        return run(name, num_outputs=1, inputs=[tensor, *inputs], attrs=attrs, ctx=ctx)[0]

    # the function stays registered with TensorFlow while its concrete
    # function lives: the call holds it, as call_flat's bound method did
    call.concrete = concrete
    return call


def _without_remapper_call(call):
    """``call`` made without Grappler's remapper (``without_remapper``)."""

    def in_options(tensor):
        with without_remapper():
            return call(tensor)

    return in_options


def without_remapper():
    """A context manager: TensorFlow functions called meanwhile skip Grappler's remapper.

    On oneDNN builds of TensorFlow (the default on x86), Grappler's remapper
    asks of every ``MatMul`` whether oneDNN can fuse it, and for float64
    (which oneDNN does not handle) logs "Not handling type DT_DOUBLE" to
    stderr through TensorFlow's C++ logging, once per matrix product of
    every float64 inference function it optimises: forty lines for the
    README's five lines of code. No fusion is made for float64 either way,
    so the graph that runs computes the same results bit for bit
    (``tests/test_compat.py``); and no public option turns one Grappler
    pass off for one function rather than for the whole process.

    This sets the options of TensorFlow's function calls for the calling
    thread only (``context.function_call_options``, which
    ``tf.experimental.function_executor_type`` sets too), with the
    remapper off and the rest of the process's configuration as it is, and
    restores them on exit. A function is optimised on its first call, with
    the options of that call: skae makes every call of a float64 inference
    function, the first included, in this context. Falls back to a context
    that changes nothing (the lines come back, the results do not change)
    if TensorFlow's internals moved.
    """
    try:
        from tensorflow.python.eager import context

        ctx = context.context()
        saved = ctx.function_call_options
        # a copy: tf.experimental.function_executor_type, nested inside,
        # changes the thread's current options in place
        options = copy.copy(_remapper_off(saved.config_proto_serialized, saved.executor_type))
    except Exception:  # noqa: BLE001 - TensorFlow moved its internals
        return contextlib.nullcontext()
    return _function_call_options(ctx, options, saved)


@contextlib.contextmanager
def _function_call_options(ctx, options, saved):
    ctx.function_call_options = options
    try:
        yield
    finally:
        ctx.function_call_options = saved


@functools.lru_cache(maxsize=8)
def _remapper_off(config_proto_serialized, executor_type):
    """Function call options of this config and executor, the remapper switched off."""
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.eager import context

    config = config_pb2.ConfigProto()
    config.ParseFromString(config_proto_serialized or b"")
    config.graph_options.rewrite_options.remapping = rewriter_config_pb2.RewriterConfig.OFF
    return context.FunctionCallOptions(executor_type=executor_type, config_proto=config)


# What tf.data's shuffle takes for its first seed when no global TensorFlow
# seed was set (``random_seed.DEFAULT_GRAPH_SEED``).
_DEFAULT_GRAPH_SEED = 87654321


def seeded_shuffle(dataset, buffer_size, seed):
    """``dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)``, global seed aside.

    ``tf.data.Dataset.shuffle(seed=...)`` mixes the process-global TensorFlow
    seed into its order (``tf.random.set_seed`` by anyone, anywhere, changes
    it), and skae must neither read nor set global state. This builds the
    same shuffle op with both of its seeds given: those ``shuffle`` uses in
    a process where no global seed was set, whatever the global seed is. No
    public tf.data op shuffles from a seed alone: the public pipelines that
    do (stateless index shuffles in a ``map``) cost about twice the time
    per epoch; this saves a third of a ``Model.fit`` training
    (``benchmarks/private_apis.py``).

    Falls back to the public call if TensorFlow's internals moved: the same
    order bit for bit, unless a global TensorFlow seed was set.
    """
    try:
        return _shuffle_with_seeds(dataset, buffer_size, seed)
    except Exception:  # noqa: BLE001 - TensorFlow moved its internals
        return dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)


def _shuffle_with_seeds(dataset, buffer_size, seed):
    """The dataset ``shuffle(seed=seed)`` builds without a global seed, built directly."""
    from tensorflow.python.data.ops import dataset_ops
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import gen_dataset_ops

    seeds = (_DEFAULT_GRAPH_SEED, seed % (2**31 - 1))

    class _SeededShuffleDataset(dataset_ops.UnaryUnchangedStructureDataset):
        def __init__(self, input_dataset):
            self._input_dataset = input_dataset
            self._name = None
            variant = gen_dataset_ops.shuffle_dataset_v3(
                input_dataset._variant_tensor,
                buffer_size=ops.convert_to_tensor(buffer_size, dtype="int64"),
                seed=seeds[0],
                seed2=seeds[1],
                seed_generator=gen_dataset_ops.dummy_seed_generator(),
                reshuffle_each_iteration=True,
                **self._common_args,
            )
            super().__init__(input_dataset, variant)

    return _SeededShuffleDataset(dataset)


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

    scikit-learn 1.6 reads the tags of a class whose bases define
    ``_more_tags`` (scikeras's) by calling every ``__sklearn_tags__`` of the
    method resolution order on its own, ``RegressorMixin``'s and
    ``ClassifierMixin``'s included, whose ``super()`` (``object``, scikeras
    putting ``BaseEstimator`` first) has none: ``_DefaultTags``, last in the
    order, gives them the defaults. scikit-learn >= 1.7 never gets there.

    Returns
    -------
    classifier, regressor : type
        Subclasses of ``scikeras.wrappers.KerasClassifier`` and
        ``scikeras.wrappers.KerasRegressor``.
    """
    from scikeras.wrappers import KerasClassifier, KerasRegressor
    from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

    class _DefaultTags:
        def __sklearn_tags__(self):
            return Tags(estimator_type=None, target_tags=TargetTags(required=False))

    class TaggedKerasClassifier(KerasClassifier, _DefaultTags):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.estimator_type = "classifier"
            tags.classifier_tags = tags.classifier_tags or ClassifierTags()
            tags.target_tags.required = True
            return tags

    class TaggedKerasRegressor(KerasRegressor, _DefaultTags):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.estimator_type = "regressor"
            tags.regressor_tags = tags.regressor_tags or RegressorTags()
            tags.target_tags.required = True
            return tags

    return TaggedKerasClassifier, TaggedKerasRegressor
