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


def concrete_function_call(concrete, variables=()):
    """``concrete``, a TensorFlow ``ConcreteFunction`` of one tensor, as a plain call.

    ``ConcreteFunction.__call__`` binds and canonicalises its arguments in
    Python first: 0.1 to 0.15 ms per call, more than the network itself on
    one row. The function returned here calls the traced graph (its
    ``inference_fn``) with the tensor and the captured variables directly,
    as ``__call__`` does in the end; it returns the one output tensor. Falls
    back to ``concrete`` itself if TensorFlow's internals moved, or if the
    function has other than one output.

    ``variables``: TensorFlow variables the function takes after the tensor
    (traced as ``function(tensor, variables)``); each call passes their
    handles, so the graph reads the variables' values of the moment.
    """
    inference = getattr(concrete, "inference_fn", None)
    variables = list(variables)
    if not callable(getattr(inference, "call_flat", None)) or len(concrete.outputs) != 1:
        if variables:
            return lambda tensor: concrete(tensor, variables)
        return concrete
    handles = [v.handle for v in variables]

    def call(tensor):
        return inference.call_flat(tensor, *handles, *concrete.captured_inputs)[0]

    return call


def variables_call(concrete):
    """``concrete``, traced as ``function(variables)``, as a call on any variables like them.

    TensorFlow passes variables given as arguments to a traced function by
    handle: the traced graph reads and writes whichever variables (of the
    traced shapes and dtypes) a call passes. The call returned passes the
    handles straight to the graph, as ``concrete_function_call`` does.
    """
    inference = getattr(concrete, "inference_fn", None)
    if not callable(getattr(inference, "call_flat", None)):
        return lambda variables: concrete(list(variables))

    def call(variables):
        return inference.call_flat(*[v.handle for v in variables], *concrete.captured_inputs)

    return call


def seeded_shuffle(dataset, buffer_size, seed):
    """``dataset.shuffle(buffer_size, reshuffle_each_iteration=True)``, seeded by ``seed`` alone.

    ``tf.data.Dataset.shuffle(seed=...)`` mixes the process-global TensorFlow
    seed into its order (``tf.random.set_seed`` by anyone, anywhere, changes
    it), and skae must neither read nor set global state. This builds the
    same shuffle op with both of its seeds given: those ``shuffle`` would use
    after ``tf.random.set_seed(seed)``. Falls back to the public call if
    TensorFlow's internals moved.
    """
    try:
        from tensorflow.python.data.ops import dataset_ops
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import gen_dataset_ops
    except ImportError:  # pragma: no cover - layout of a future TensorFlow
        return dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    maxint32 = 2**31 - 1
    seeds = (seed % maxint32, seed % maxint32)
    if seeds == (0, 0):
        seeds = (0, maxint32)

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


def save_keras_model(model, fileobj):
    """Write ``model`` as a ``.keras`` archive into the binary file ``fileobj``.

    Keras's ``saving_lib.save_model`` takes file objects (its public
    ``keras.saving.save_model`` only paths); fall back to a temporary file.
    """
    try:
        from keras.src.saving import saving_lib
    except ImportError:  # pragma: no cover - Keras moved its internals
        saving_lib = None
    if saving_lib is not None:
        saving_lib.save_model(model, fileobj)
        return
    import os
    import tempfile

    import keras

    with tempfile.TemporaryDirectory() as folder:  # pragma: no cover
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as file:
            fileobj.write(file.read())


def load_keras_model(fileobj, custom_objects=None):
    """Load a ``.keras`` archive from ``fileobj`` with ``safe_mode=True``."""
    try:
        from keras.src.saving import saving_lib
    except ImportError:  # pragma: no cover - Keras moved its internals
        saving_lib = None
    if saving_lib is not None:
        return saving_lib.load_model(fileobj, custom_objects=custom_objects, safe_mode=True)
    import os
    import tempfile

    import keras

    with tempfile.TemporaryDirectory() as folder:  # pragma: no cover
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as file:
            file.write(fileobj.read())
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=True)


def symbolic_build(model, data_batch):
    """Create the variables ``fit`` would create on its first batch.

    Keras's ``Trainer._symbolic_build`` builds the layers, the compiled loss
    and metrics, and the optimizer from the shapes of ``data_batch`` (an
    ``(x, y)`` or ``(x, y, sample_weight)`` tuple of arrays), without
    running a step. Falls back to building the optimizer and computing the
    loss of the batch once if that private method moved.
    """
    build = getattr(model, "_symbolic_build", None)
    if build is not None:
        build(data_batch=data_batch)
        return
    x, y, *weight = data_batch  # pragma: no cover - layout of a future Keras
    model.compute_loss(x, y, model(x), *weight)
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def flat_call(concrete):
    """``concrete``, a TensorFlow ``ConcreteFunction``, called without its binding.

    The twin of ``concrete_function_call`` for any nest of tensors in and
    out: flattens the arguments, calls the traced graph with the captured
    variables, and packs the outputs as the function returns them (saves
    about 1 ms per call of a function of a dozen arguments). Falls back to
    ``concrete`` itself if TensorFlow's internals moved.
    """
    import tensorflow as tf

    inference = getattr(concrete, "inference_fn", None)
    structure = getattr(concrete, "structured_outputs", None)
    if not callable(getattr(inference, "call_flat", None)) or structure is None:
        return concrete

    def call(*args):
        flat = [tf.convert_to_tensor(a) for a in tf.nest.flatten(args)]
        outputs = inference.call_flat(*flat, *concrete.captured_inputs)
        return tf.nest.pack_sequence_as(structure, outputs, expand_composites=True)

    return call
