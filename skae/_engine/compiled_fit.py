"""skae's training loop on TensorFlow: one compiled call per epoch.

Keras's ``Model.fit`` costs a new model about 1.8 s of tracing before its
first step (the training and the validation functions), and then some 10 ms
of Python per epoch (a new iterator, callbacks, logs): on a small data set
that is almost all of a fit. Here one ``tf.function`` runs a whole epoch,
shuffling, every training step (Keras's own ``train_step``, so losses,
regularisation and the optimizer are Keras's) and the validation loss, and
returns the epoch's logs; Keras's callbacks (early stopping, learning-rate
reduction, progress bar, the user's) are driven around it epoch by epoch,
as ``fit`` drives them.

The compiled function is kept for the next estimator with the same network:
each architecture (the model's config and compile config, with layer names
and seeds left out) has a pool of private *trainer* models. A fit takes an
idle trainer (or builds one), copies its own model's state into it (weights,
random-generator states, optimizer state), trains it, and copies the state
back. No two fits share a trainer at the same time, and a trainer holds
nothing of a fit once its state is copied back: results depend on the
estimator's own seeds only, whichever trainer ran them, in any thread.

In memory (``InMemory``), epoch ``e`` visits the rows in the order
``tf.random.experimental.stateless_shuffle(range(n), seed=(seed, e))``,
every row once, with the batches cut in that order (the last one partial).
Streamed data (``Streamed``) keeps the stream's own order and batches, and
runs each group of batches the stream reads as one compiled call.
"""

import collections
import json
import threading
import weakref

import keras
import numpy as np

from .._compat import no_retracing_warning
from .._input.bundle import first_rows
from .._input.streaming import StreamedRows
from . import eager_fit, initial_state
from .distribution import distributed
from .epochs import Streamed, build, run_epochs
from .streamed_training import streamed_epochs, streamed_fit_data
from .trainer import Trainer, state
from .training import (
    in_memory_arrays,
    in_memory_fit_data,
    training_callbacks,
    uses_validation,
)

# idle trainers kept per architecture, and architectures kept (least
# recently used dropped first): a grid search over a few networks reuses all
MAX_IDLE_PER_KEY = 2
MAX_KEYS = 16

# False: every fit goes through Keras's Model.fit, as before this module
# (benchmarks/small_fits.py times both in one run)
ENABLED = True

_pool = collections.OrderedDict()  # key -> [Trainer, ...]
_pool_lock = threading.Lock()
# model -> the architecture key it trained under (``trained_architecture``)
_trained = weakref.WeakKeyDictionary()


def train_epochs(estimator, rows, *, seed, epochs, partial):
    """Train ``estimator.model_`` ``epochs`` more epochs; return the epochs' logs.

    ``seed`` (the estimator's, drawn from its ``random_state`` when it was
    built) seeds the split and the shuffles: ``seed + epoch`` each epoch.

    ``rows`` is the validated ``Rows`` (in memory, or ``StreamedRows``).
    On TensorFlow the compiled loop of this module runs, on PyTorch the
    eager loop of ``eager_fit``; on JAX, or with a ``distribution`` or
    ``run_eagerly`` on TensorFlow, Keras's ``Model.fit``. Sets
    ``estimator.early_stopping_``: whether this fit held rows out for early
    stopping (``training.uses_validation``).
    """
    initial_epoch = len(estimator.history_.get("loss", ()))
    # too few rows to hold any out: trained as with early_stopping=False
    validation = uses_validation(estimator, rows.n_samples, partial)
    estimator.early_stopping_ = validation
    callbacks = training_callbacks(estimator, validation, partial)
    streamed = isinstance(rows.inputs, StreamedRows)
    compiled, eager = usable(estimator), eager_fit.usable(estimator)
    if not (compiled or eager):
        if streamed:
            data = streamed_fit_data(estimator, rows, seed, initial_epoch, validation=validation)
        else:
            data = in_memory_fit_data(estimator, rows, seed + initial_epoch, validation=validation)
        with no_retracing_warning(), distributed(estimator):
            return estimator.model_.fit(
                **data,
                epochs=initial_epoch + epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
                verbose=estimator.verbose,
            ).history
    if streamed:
        stream, sample = streamed_epochs(estimator, rows, seed, initial_epoch, validation=validation)
        data = Streamed(stream, validation, sample)
    else:
        train, val = in_memory_arrays(estimator, rows, seed + initial_epoch, validation=validation)
        batch_size = min(estimator.batch_size, train.n_samples)
        in_memory = InMemory if compiled else eager_fit.InMemory
        data = in_memory(train, val, seed=seed, batch_size=batch_size)
    learning = None
    if "model_" not in vars(estimator):  # a fresh fit whose model waits (``deferrable``)
        key = initial_state.parameters_key(estimator, data.sample)
        try:
            recipe = initial_state.lookup(key) if key is not None else None
        except KeyError:  # the first fit of these parameters: its model teaches the recipe
            recipe = None
            learning = key
        if recipe is not None:
            history = _fit_from_recipe(
                estimator, recipe, data, epochs=epochs, callbacks=callbacks
            )
            if history is not None:
                return history
        stream = initial_state.RecordingRandom(estimator._seed)
        estimator._build_model(stream)
        if learning is not None:
            learning = (learning, stream)
    if eager:
        return eager_fit.fit(
            estimator.model_,
            data,
            epochs=initial_epoch + epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=estimator.verbose,
        )
    return fit(
        estimator.model_,
        data,
        epochs=initial_epoch + epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        verbose=estimator.verbose,
        # the user's callbacks keep the model they trained: the estimator's own
        reuse=not estimator.callbacks,
        learning=learning,
    )


def deferrable(estimator):
    """Whether a fresh fit of ``estimator`` may leave building its model to ``train_epochs``.

    It may where the compiled loop trains it on a pooled trainer (no
    callbacks of the user's, who would see the model), and where every
    hook that builds or reads the networks is skae's own: a recipe
    (``initial_state``) stands for what they build.
    """
    hooks = (
        "_assemble", "_build_networks", "_compile", "_compile_options", "_networks",
        "_link_networks", "_new_model",
        "_encode_batch", "_decode_batch", "_build_model",
    )
    cls = type(estimator)
    return (
        initial_state.ENABLED
        and usable(estimator)
        and not estimator.callbacks
        and all(getattr(cls, hook).__module__.startswith("skae.") for hook in hooks)
    )


def _fit_from_recipe(estimator, recipe, data, *, epochs, callbacks):
    """A fresh fit without the estimator's model: a trainer starts from the recipe's state.

    The trained state comes back as tensors (``initial_state.FittedState``),
    with whether its weights are finite (``training.check_training_finite``).
    """
    trainer = _checkout(recipe.template, recipe.architecture, data.sample)
    if trainer is None:  # none to be had: the estimator builds its model
        return None
    trainer.load(recipe.values(estimator._seed))
    try:
        history = run_epochs(
            trainer.model, trainer.epoch, data, epochs, 0, callbacks, estimator.verbose
        )
        values = trainer.read()
        n_weights = len(trainer.model.weights)
    finally:
        _checkin(recipe.architecture, trainer)
    finite = all(np.all(np.isfinite(keras.ops.convert_to_numpy(v))) for v in values[:n_weights])
    estimator._fitted_state = initial_state.FittedState(
        recipe, values, finite, estimator.get_params(deep=False)
    )
    return history


def usable(estimator):
    """Whether a fit of ``estimator`` goes through the compiled epoch loop."""
    return (
        ENABLED
        and keras.backend.backend() == "tensorflow"
        and estimator.distribution is None
        and not estimator.run_eagerly
    )


def clear_cache():
    """Drop every cached trainer (their compiled functions go with them) and recipe."""
    with _pool_lock:
        _pool.clear()
    initial_state.clear()


def _canonical(config):
    """``config`` with seeds removed and layer names replaced by their rank."""
    names = {}

    def collect(node):
        if isinstance(node, dict):
            for key in sorted(node):
                if key == "name" and isinstance(node[key], str):
                    names.setdefault(node[key], f"#{len(names)}")
                collect(node[key])
        elif isinstance(node, (list, tuple)):
            for item in node:
                collect(item)

    def rewrite(node):
        if isinstance(node, dict):
            return {k: rewrite(v) for k, v in node.items() if k != "seed"}
        if isinstance(node, (list, tuple)):
            return [rewrite(item) for item in node]
        if isinstance(node, str):
            return names.get(node, node)
        return node

    collect(config)
    return json.dumps(rewrite(config), sort_keys=True, default=repr)


def architecture_key(model, arrays):
    """What a compiled epoch function depends on: the network, its compile
    options, and the shapes and dtypes of one row of each array."""
    config = keras.saving.serialize_keras_object(model)
    compile_config = config.get("compile_config") or {}
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict):
        # a float learning rate is a variable, copied with the optimizer's
        # state: one trainer serves every learning rate
        inner = optimizer.get("config", {})
        if isinstance(inner.get("learning_rate"), (int, float)):
            inner["learning_rate"] = None
    rows = keras.tree.map_structure(
        lambda a: (np.dtype(a.dtype).name, tuple(a.shape[1:])), arrays
    )
    return _canonical(config), json.dumps(rows)


class InMemory:
    """In-memory training (and validation) ``Rows``; each epoch one compiled call.

    Epoch ``e`` visits the training rows in the order
    ``tf.random.experimental.stateless_shuffle(range(n), seed=(seed, e))``.
    """

    def __init__(self, train, validation, *, seed, batch_size):
        import tensorflow as tf

        train = train.network_data()
        validation = () if validation is None else validation.network_data()
        self.sample = first_rows(train)
        # one tensor per distinct array, made once: the target is often the
        # input itself, and every epoch reads the same tensors
        tensors = {}

        def tensor(array):
            if id(array) not in tensors:
                tensors[id(array)] = tf.convert_to_tensor(array)
            return tensors[id(array)]

        self.train = tf.nest.map_structure(tensor, train)
        self.validation = tf.nest.map_structure(tensor, validation)
        self.seed, self.batch_size = seed, batch_size
        self.n_batches = -(-len(tf.nest.flatten(train)[0]) // batch_size)
        self._bound = None, None

    def epoch(self, function, epoch):
        bound_to, run = self._bound
        if bound_to is not function:
            run = function.bind(self.train, self.validation, self.batch_size)
            self._bound = function, run
        return run((self.seed, epoch))


def _compatible(a, b):
    sa, sb = state(a), state(b)
    return len(sa) == len(sb) and all(
        tuple(x.shape) == tuple(y.shape) and x.dtype == y.dtype for x, y in zip(sa, sb)
    )


def _checkout(model, key, arrays):
    """An idle trainer for ``key``, or a new one rebuilt from ``model``."""
    with _pool_lock:
        idle = _pool.get(key)
        if idle:
            _pool.move_to_end(key)
            return idle.pop()
    try:
        clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
        build(clone, arrays)
    except Exception:  # a network Keras cannot rebuild from its config
        return None
    if not _compatible(model, clone):
        return None
    return Trainer(clone)


def _checkin(key, trainer):
    with _pool_lock:
        idle = _pool.setdefault(key, [])
        _pool.move_to_end(key)
        if len(idle) < MAX_IDLE_PER_KEY:
            idle.append(trainer)
        while len(_pool) > MAX_KEYS:
            _pool.popitem(last=False)


def fit(model, data, *, epochs, initial_epoch, callbacks, verbose, reuse=True, learning=None):
    """Train ``model`` on ``data``; return its history as a dict.

    Parameters
    ----------
    model : keras.Model
        A compiled model; trained in place.
    data : InMemory or Streamed
        The epochs' batches.
    epochs, initial_epoch : int
        Train epochs ``initial_epoch`` to ``epochs - 1``.
    callbacks : list of keras.callbacks.Callback
    verbose : int
    reuse : bool, default=True
        Train a pooled trainer (compiled once per architecture) and copy the
        state back. False when the user's callbacks are given: they see,
        and may keep, the model they trained, which must be the estimator's
        own, never a shared trainer.
    learning : tuple or None
        ``(parameters key, initial_state.RecordingRandom)``: ``model`` is
        fresh from that stream; learn its recipe before it trains.
    """
    key = None
    if reuse:
        try:
            key = architecture_key(model, data.sample)
        except Exception:  # a config Keras cannot serialise: the model trains itself
            key = None
    if key is not None and model.optimizer is not None and not model.optimizer.built:
        # the state a trainer hands back includes the optimizer's
        model.optimizer.build(model.trainable_variables)
    trainer = _checkout(model, key, data.sample) if key is not None else None
    if trainer is None:
        build(model, data.sample)
        trainer, key = Trainer(model, pooled=False), None
    else:
        if learning is not None:
            initial_state.learn(learning[0], model, learning[1], key)
        trainer.copy_state(model, into_trainer=True)
    try:
        history = run_epochs(
            trainer.model, trainer.epoch, data, epochs, initial_epoch, callbacks, verbose
        )
    finally:
        if key is not None:
            trainer.copy_state(model, into_trainer=False)
            _checkin(key, trainer)
    if key is not None:
        with _pool_lock:
            _trained[model] = key
    return history


def register_trained(model, key):
    """Record that ``model`` holds the state of a fit under the architecture ``key``."""
    with _pool_lock:
        _trained[model] = key


def trained_architecture(model):
    """The architecture key ``model`` last trained under in a pooled trainer, or None.

    Models of one key share the structure of their variables: what
    ``_inference.shared_inference_function`` shares a compiled call on.
    """
    with _pool_lock:
        return _trained.get(model)
