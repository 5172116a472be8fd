"""Training on in-memory data on TensorFlow: one compiled call per epoch.

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

Shuffling: epoch ``e`` visits the rows in the order
``tf.random.experimental.stateless_shuffle(range(n), seed=(seed, e))``,
every row once, with the batches cut in that order (the last one partial).
"""

import collections
import json
import threading

import keras
import numpy as np

from ._compat import flat_call, no_retracing_warning, symbolic_build

# idle trainers kept per architecture, and architectures kept (least
# recently used dropped first): a grid search over a few networks reuses all
MAX_IDLE_PER_KEY = 2
MAX_KEYS = 16

# False: every fit goes through Keras's Model.fit, as before this module
# (benchmarks/small_fits.py times both in one run)
ENABLED = True

_pool = collections.OrderedDict()  # key -> [_Trainer, ...]
_pool_lock = threading.Lock()


def usable(estimator, data_is_streamed):
    """Whether a fit of ``estimator`` goes through the compiled epoch loop."""
    return (
        ENABLED
        and keras.backend.backend() == "tensorflow"
        and not data_is_streamed
        and estimator.distribution is None
        and not estimator.run_eagerly
    )


def clear_cache():
    """Drop every cached trainer (their compiled functions go with them)."""
    with _pool_lock:
        _pool.clear()


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
    rows = tuple(
        None if a is None else (np.dtype(a.dtype).name, tuple(a.shape[1:])) for a in arrays
    )
    return _canonical(config), rows


class _EpochFunction:
    """The compiled epoch of one model: train on every batch, then validate."""

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self._tf = tf
        self._functions = {}
        self.n_traces = 0
        jit = getattr(model, "jit_compile", False) is True
        self._train_step = tf.function(model.train_step, jit_compile=jit, reduce_retracing=True)
        self._test_step = tf.function(model.test_step, jit_compile=jit, reduce_retracing=True)

    def _logs(self):
        logs = {}
        for metric in self.model.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return logs

    def _reset_metrics(self):
        for metric in self.model.metrics:
            metric.reset_state()

    def _batches(self, step, arrays, order, batch_size):
        tf = self._tf
        n_batches = (tf.shape(order)[0] + batch_size - 1) // batch_size
        for i in tf.range(n_batches):
            rows = order[i * batch_size : (i + 1) * batch_size]
            step(tuple(tf.gather(a, rows) for a in arrays))

    def _function(self, train, validation):
        tf = self._tf
        specs = tuple(
            tuple(tf.TensorSpec((None,) + tuple(a.shape[1:]), a.dtype) for a in arrays)
            for arrays in (train, validation)
        )
        function = self._functions.get(specs)
        if function is not None:
            return function

        def epoch(train, validation, seed, batch_size):
            self.n_traces += 1
            self._reset_metrics()
            n = tf.shape(train[0])[0]
            order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=seed)
            self._batches(self._train_step, train, order, batch_size)
            train_logs = self._logs()
            val_logs = {}
            if validation:
                self._reset_metrics()
                rows = tf.range(tf.shape(validation[0])[0])
                self._batches(self._test_step, validation, rows, batch_size)
                val_logs = self._logs()
            return train_logs, val_logs

        signature = (*specs, tf.TensorSpec((2,), tf.int64), tf.TensorSpec((), tf.int32))
        with no_retracing_warning():
            concrete = tf.function(epoch, input_signature=signature).get_concrete_function()
        function = flat_call(concrete)
        self._functions[specs] = function
        return function

    def __call__(self, train, validation, seed, batch_size):
        tf = self._tf
        function = self._function(train, validation)
        train_logs, val_logs = function(
            train, validation, tf.constant(seed, tf.int64), tf.constant(batch_size, tf.int32)
        )
        logs = {k: float(v) for k, v in train_logs.items()}
        logs.update({f"val_{k}": float(v) for k, v in val_logs.items()})
        return logs


class _Trainer:
    """A private copy of a network, compiled, with its compiled epoch."""

    def __init__(self, model):
        self.model = model
        self.epoch = _EpochFunction(model)


def _state(model):
    optimizer = model.optimizer
    return list(model.variables) + (list(optimizer.variables) if optimizer is not None else [])


def _copy_state(source, target):
    for s, t in zip(_state(source), _state(target), strict=True):
        t.assign(s)


def _compatible(a, b):
    sa, sb = _state(a), _state(b)
    return len(sa) == len(sb) and all(
        tuple(x.shape) == tuple(y.shape) and x.dtype == y.dtype for x, y in zip(sa, sb)
    )


def _build(model, arrays):
    """Create every variable training needs (compiled loss, optimizer)."""
    symbolic_build(model, tuple(a[:1] for a in arrays))


def _checkout(model, key, arrays):
    """An idle trainer for ``key``, or a new one rebuilt from ``model``."""
    with _pool_lock:
        idle = _pool.get(key)
        if idle:
            _pool.move_to_end(key)
            return idle.pop()
    try:
        clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
        _build(clone, arrays)
    except Exception:  # a network Keras cannot rebuild from its config
        return None
    if not _compatible(model, clone):
        return None
    return _Trainer(clone)


def _checkin(key, trainer):
    with _pool_lock:
        idle = _pool.setdefault(key, [])
        _pool.move_to_end(key)
        if len(idle) < MAX_IDLE_PER_KEY:
            idle.append(trainer)
        while len(_pool) > MAX_KEYS:
            _pool.popitem(last=False)


def fit(
    model, train, validation, *, seed, batch_size, epochs, initial_epoch, callbacks, verbose,
    reuse=True,
):
    """Train ``model`` on in-memory arrays; return its history as a dict.

    Parameters
    ----------
    model : keras.Model
        A compiled model; trained in place.
    train, validation : tuple of ndarray
        ``(x, y)`` or ``(x, y, sample_weight)``; ``validation`` may be empty.
    seed : int
        Epoch ``e``'s order of the training rows is fixed by ``(seed, e)``.
    batch_size : int
    epochs, initial_epoch : int
        Train epochs ``initial_epoch`` to ``epochs - 1``.
    callbacks : list of keras.callbacks.Callback
    verbose : int
    reuse : bool, default=True
        Train a pooled trainer (compiled once per architecture) and copy the
        state back. False when the user's callbacks are given: they see,
        and may keep, the model they trained, which must be the estimator's
        own, never a shared trainer.
    """
    train = tuple(a for a in train if a is not None)
    validation = tuple(a for a in validation if a is not None)
    key = architecture_key(model, train + validation) if reuse else None
    if key is not None and model.optimizer is not None and not model.optimizer.built:
        # the state a trainer hands back includes the optimizer's
        model.optimizer.build(model.trainable_variables)
    trainer = _checkout(model, key, train) if key is not None else None
    if trainer is None:
        _build(model, train)
        trainer, key = _Trainer(model), None
    else:
        _copy_state(model, trainer.model)
    try:
        history = _run(
            trainer, train, validation, seed=seed, batch_size=batch_size, epochs=epochs,
            initial_epoch=initial_epoch, callbacks=callbacks, verbose=verbose,
        )
    finally:
        if key is not None:
            _copy_state(trainer.model, model)
            _checkin(key, trainer)
    return history


def _run(trainer, train, validation, *, seed, batch_size, epochs, initial_epoch, callbacks, verbose):
    model = trainer.model
    n_batches = -(-len(train[0]) // batch_size)
    history = keras.callbacks.History()  # last, as fit puts it: it logs what the others added
    callback_list = keras.callbacks.CallbackList(
        [*callbacks, history], model=model, verbose=verbose, epochs=epochs, steps=n_batches,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        callback_list.on_train_batch_begin(0)
        logs = trainer.epoch(train, validation, (seed, epoch), batch_size)
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        callback_list.on_train_batch_end(n_batches - 1, train_logs)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return history.history
