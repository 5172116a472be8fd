"""Training machinery: standardisation statistics, batches, callbacks.

Used by ``BaseAutoencoder._initialize`` and ``BaseAutoencoder._train``;
nothing here knows which estimator it trains.
"""

import numbers
import threading
import weakref

import keras
import numpy as np
from sklearn.utils.validation import _check_sample_weight

from .._compat import seeded_shuffle
from .._input.bundle import Rows
from .distribution import shard_multiple

# Training steps per call of Keras's compiled train function: on CPU, running
# 32 steps per call instead of one cuts the Python and dispatch cost per
# step; the updates, and so the losses, are identical.
STEPS_PER_EXECUTION = 32


class _SeededBatches(keras.utils.PyDataset):
    """Shuffled batches of in-memory arrays, reshuffled at each epoch from a seed.

    What Keras's own array adapter does on JAX, but without its global
    ``np.random.permutation``: the epochs' orders come from
    ``np.random.RandomState(seed)`` alone.
    """

    def __init__(self, arrays, batch_size, seed, multiple_of=1):
        super().__init__()
        self._arrays = arrays
        self._n_rows = len(keras.tree.flatten(arrays)[0])
        self._batch_size = batch_size
        self._multiple_of = multiple_of
        self._random = None if seed is None else np.random.RandomState(seed)
        self.on_epoch_end()

    def __len__(self):
        return -(-self._n_rows // self._batch_size)

    def __getitem__(self, index):
        rows = self._order[index * self._batch_size : (index + 1) * self._batch_size]
        # a batch sharded over devices splits evenly: the last one drops its
        # remainder (fewer rows than devices; others at each shuffled epoch)
        rows = rows[: len(rows) - len(rows) % self._multiple_of]
        # several hosts (keras.distribution.initialize): each process feeds
        # its share of the global batch, and JAX assembles them in order
        distribution = keras.distribution.distribution() if self._multiple_of > 1 else None
        processes = getattr(distribution, "num_processes", 1)
        if processes > 1:
            share = len(rows) // processes
            start = distribution.data_shard_id * share
            rows = rows[start : start + share]
        return keras.tree.map_structure(lambda array: array[rows], self._arrays)

    def on_epoch_end(self):
        n_rows = self._n_rows
        self._order = np.arange(n_rows) if self._random is None else self._random.permutation(n_rows)


def in_memory_batches(arrays, batch_size, shuffle_seed=None, multiple_of=1):
    """``(x, y[, sample_weight])`` arrays as ``Model.fit`` reads them fastest.

    ``arrays`` is ``Rows.network_data()`` (``x`` may be ``(inputs,
    condition)``); a trailing None (no weights) is dropped.

    On TensorFlow, given numpy arrays ``fit`` rebuilds its input pipeline
    (index shuffling, slicing and prefetching functions) at every epoch,
    about 25 ms each time: a quarter of the training time of the digits. A
    plain ``tf.data`` pipeline over the arrays (shuffle, batch) restarts for
    almost nothing, gives the same epochs, batches and partial last batch,
    and with ``shuffle_seed`` reshuffles the rows at every epoch in an order
    that seed alone determines (``_compat.seeded_shuffle``). On other
    backends Keras reads arrays batch by batch already, but shuffles them
    with NumPy's global generator (PyTorch's on PyTorch): ``_SeededBatches``
    does the same reading from its own seeded generator. With ``multiple_of`` > 1 (a batch sharded
    over that many devices on JAX, see ``_distribution.shard_multiple``),
    batches are cut to a multiple of it there, validation batches included.

    Returns the keyword arguments of ``fit`` for training data
    (``shuffle_seed`` given), or the ``validation_data`` value.
    """
    if len(arrays) == 3 and arrays[2] is None:
        arrays = arrays[:2]
    if keras.backend.backend() != "tensorflow":
        if shuffle_seed is None:
            return arrays if multiple_of == 1 else _SeededBatches(arrays, batch_size, None, multiple_of)
        batches = _SeededBatches(arrays, batch_size, shuffle_seed, multiple_of)
        return dict(x=batches, shuffle=False)
    import tensorflow as tf

    tensors = {}  # one tensor per distinct array: the target may be the input
    dataset = tf.data.Dataset.from_tensor_slices(
        keras.tree.map_structure(
            lambda a: tensors.setdefault(id(a), tf.convert_to_tensor(a)), arrays
        )
    )
    if shuffle_seed is None:
        return dataset.batch(batch_size)
    dataset = seeded_shuffle(dataset, len(keras.tree.flatten(arrays)[0]), shuffle_seed)
    # shuffle=False: the dataset shuffles itself (fit would warn otherwise)
    return dict(x=dataset.batch(batch_size), shuffle=False)


def apply_learning_rate(optimizer, new, old):
    """Warm start: give ``optimizer`` the ``learning_rate`` set since the last fit."""
    numbers_both = isinstance(new, numbers.Real) and isinstance(old, numbers.Real)
    if new is old or (numbers_both and new == old):
        return
    if not numbers_both:
        raise ValueError(
            "learning_rate changed between a schedule and a number since the "
            "last fit; a warm start can only change a number to another. Fit "
            "with warm_start=False to train with the new learning_rate."
        )
    optimizer.learning_rate.assign(float(new))


def holds_out_validation(n_samples, validation_fraction):
    """Whether ``validation_fraction`` of ``n_samples`` rows is a split at all.

    True when ``floor(validation_fraction * n_samples)`` rows can be held out
    and at least one row is left to train on: 10 rows or more with the
    default ``validation_fraction=0.1``. Otherwise a fit with early stopping
    trains on every row without it (``uses_validation``), as it would with
    ``early_stopping=False``, instead of refusing data this small.
    """
    n_val = int(np.floor(validation_fraction * n_samples))
    return 1 <= n_val < n_samples


def uses_validation(estimator, n_samples, partial):
    """Whether a fit of ``estimator`` on ``n_samples`` rows holds some out.

    Early stopping, only in ``fit`` (never ``partial_fit``), and only where
    ``validation_fraction`` of the rows is at least one row
    (``holds_out_validation``).
    """
    return (
        bool(estimator.early_stopping)
        and not partial
        and holds_out_validation(n_samples, estimator.validation_fraction)
    )


def validation_split(n_samples, validation_fraction, seed):
    """Sorted ``(train, validation)`` row indices, the split seeded by ``seed``."""
    n_val = check_validation_size(n_samples, validation_fraction)
    order = np.random.RandomState(seed).permutation(n_samples)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def check_validation_size(n_samples, validation_fraction):
    """The number of held-out rows, or a clear error if none or all would be."""
    n_val = int(np.floor(validation_fraction * n_samples))
    if n_val < 1 or n_val >= n_samples:
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves "
            f"{'no validation' if n_val < 1 else 'no training'} sample with "
            f"n_samples={n_samples}. Use more samples, a "
            f"{'larger' if n_val < 1 else 'smaller'} validation_fraction, or "
            "early_stopping=False."
        )
    return n_val


def make_optimizer(optimizer, learning_rate):
    """A fresh Keras optimizer from a name, a class or an instance."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        # a fresh copy: never train (and so mutate) the user's instance
        return optimizer.__class__.from_config(optimizer.get_config())
    if isinstance(optimizer, str):
        optimizer = type(keras.optimizers.get(optimizer))
    return optimizer(learning_rate=learning_rate)


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training when the loss becomes NaN or infinite, silently.

    Keras's ``TerminateOnNaN`` prints "Invalid loss, terminating training"
    to stdout whatever the verbosity; skae reports divergence itself, with a
    ValueError, once training has stopped.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.model.stop_training = True


class _StepCountProgbar(keras.callbacks.ProgbarLogger):
    """Keras's progress bar, counting steps right with ``steps_per_execution``.

    Keras reports the last step of each call of its compiled function, so an
    epoch of 6 steps run 32 steps per call reads "32/6"; the count is
    capped at the epoch's number of steps.
    """

    def on_train_batch_end(self, batch, logs=None):
        if self.target is not None:
            batch = min(batch, self.target - 1)
        super().on_train_batch_end(batch, logs)


def _improved(current, best, min_delta):
    """Whether the loss ``current`` beats ``best`` by more than ``min_delta``.

    The comparison Keras's ``EarlyStopping`` and ``ReduceLROnPlateau`` make
    (``MonitorCallback._is_improvement``): ``current + min_delta < best``,
    both sides in float32, as ``keras.ops.less`` of two Python floats
    computes it; here on the host, where Keras runs an eager op for it at
    every epoch of every fit (``benchmarks/outlier_fit_time.py``).
    """
    return best is None or np.float32(current + min_delta) < np.float32(best)


class _EarlyStopping(keras.callbacks.Callback):
    """Stop when the loss stops improving; restore the best epoch's weights.

    Keras's ``EarlyStopping(restore_best_weights=True)`` as Keras 3.15
    decides it (the same epochs, the same weights), without its per-epoch
    eager comparison (``_improved``) and its snapshot of the first epoch's
    weights taken twice. On a model of the compiled loop's pool, the
    snapshots are that trainer's compiled reads and writes
    (``weight_snapshots``): the same values, about a tenth of the time of
    ``get_weights``.
    """

    def __init__(self, monitor, patience, min_delta):
        super().__init__()
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)

    def set_model(self, model):
        super().set_model(model)
        snapshots = weight_snapshots(model)
        self._read, self._write = snapshots or (model.get_weights, model.set_weights)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            return
        self.wait += 1
        if _improved(current, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = float(current), epoch, 0
            self.best_weights = self._read()
        elif self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self._write(self.best_weights)


class _ReduceLROnPlateau(keras.callbacks.Callback):
    """Halve the learning rate when the loss stops improving.

    Keras's ``ReduceLROnPlateau`` (no cooldown) as Keras 3.15 decides it,
    the learning rate of each epoch logged as ``learning_rate``, without its
    per-epoch eager comparison (``_improved``).
    """

    def __init__(self, monitor, factor, patience, min_delta, min_lr):
        super().__init__()
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.min_delta, self.min_lr = abs(min_delta), min_lr

    def on_train_begin(self, logs=None):
        self.best, self.wait = None, 0

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        logs = logs if logs is not None else {}
        learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        logs["learning_rate"] = learning_rate  # History records it, as Keras's does
        current = logs.get(self.monitor)
        if current is None:
            return
        if _improved(current, self.best, self.min_delta):
            self.best, self.wait = float(current), 0
            return
        self.wait += 1
        if self.wait >= self.patience and learning_rate > np.float32(self.min_lr):
            optimizer.learning_rate = max(learning_rate * self.factor, self.min_lr)
            self.wait = 0


# a pooled trainer's model -> a weak reference to its trainer
# (``trainer.Trainer``), which takes its weight snapshots
_trainers = weakref.WeakKeyDictionary()
_trainers_lock = threading.Lock()


def register_trainer(model, trainer):
    """Let ``weight_snapshots(model)`` find ``trainer``, held weakly.

    A weak value: the trainer holds its model, and must not outlive the
    pool through this registry.
    """
    with _trainers_lock:
        _trainers[model] = weakref.ref(trainer)


def weight_snapshots(model):
    """``trainer.weight_snapshots()`` of ``model``'s registered trainer, else None."""
    with _trainers_lock:
        reference = _trainers.get(model)
    trainer = None if reference is None else reference()
    return None if trainer is None else trainer.weight_snapshots()


def training_callbacks(estimator, validation, partial):
    """skae's callbacks for one fit (plus the user's).

    With ``validation`` (``uses_validation``), early stopping and the
    learning-rate reduction watch the validation loss; otherwise there is no
    early stopping, and the reduction watches the training loss.
    """
    monitor = "val_loss" if validation else "loss"
    callbacks = [_StopOnNonFiniteLoss()]
    user_callbacks = list(estimator.callbacks or [])
    if validation:
        callbacks.append(
            _EarlyStopping(monitor, patience=estimator.n_iter_no_change, min_delta=estimator.tol)
        )
    schedule_given = not isinstance(estimator.learning_rate, numbers.Real)
    if estimator.reduce_lr_on_plateau and not partial and not schedule_given:
        callbacks.append(
            _ReduceLROnPlateau(
                monitor,
                factor=0.5,
                patience=max(1, estimator.n_iter_no_change // 2),
                min_delta=estimator.tol,
                min_lr=1e-6,
            )
        )
    callbacks += user_callbacks
    if estimator.verbose and not any(
        isinstance(callback, keras.callbacks.ProgbarLogger) for callback in callbacks
    ):
        # Keras then adds no progress bar of its own; last, as Keras puts its
        # own, so the epoch line shows what the other callbacks logged
        callbacks.append(_StepCountProgbar())
    return callbacks


def check_callbacks(callbacks):
    """Raise a clear TypeError unless each callback is a Keras callback.

    Otherwise Keras fails inside ``fit`` with "'object' object has no
    attribute 'set_model'".
    """
    for position, callback in enumerate(callbacks or ()):
        if isinstance(callback, keras.callbacks.Callback):
            continue
        if isinstance(callback, type) and issubclass(callback, keras.callbacks.Callback):
            raise TypeError(
                f"callbacks[{position}] is the class {callback.__name__}, not an "
                f"instance of it: pass {callback.__name__}(...). Each callback must be "
                "a keras.callbacks.Callback instance."
            )
        raise TypeError(
            f"callbacks[{position}] is of type {type(callback).__name__}, but each "
            "callback must be a keras.callbacks.Callback instance, such as "
            "keras.callbacks.CSVLogger('training.csv'). Subclass "
            "keras.callbacks.Callback for your own."
        )


def check_training_rows(estimator, X, sample_weight):
    """Checks on validated training rows that only fitting needs.

    Returns ``sample_weight`` validated (float64), or None.
    """
    if estimator.loss == "binary_crossentropy" and (X.min() < 0 or X.max() > 1):
        raise ValueError(
            "loss='binary_crossentropy' needs X in [0, 1], but X ranges from "
            f"{X.min():g} to {X.max():g}. Scale it with MinMaxScaler, or use "
            "loss='mse'."
        )
    if sample_weight is None:
        return None
    return _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )


def in_memory_arrays(estimator, rows, seed, *, validation):
    """Training and validation ``Rows`` of network arrays.

    ``rows`` (validated, in memory) standardised by the fitted ``estimator``
    in Keras's float type (the inputs and a separate target; a condition is
    cast, the weights too), split with ``seed``; the
    validation ``Rows`` is None without ``validation``. An autoencoder's
    target is its input (``target`` None): one array serves as both, so
    large data is not copied twice. Held-out inputs are as the network meets
    them in training (``_validation_inputs``), their target the clean ones.
    """
    floatx = keras.backend.floatx()

    def network(array):
        return estimator._to_network(estimator._standardize(array), floatx)

    network_rows = Rows(
        network(rows.inputs),
        None if rows.target is None else network(rows.target),
        None if rows.condition is None else np.asarray(rows.condition, dtype=floatx),
        None if rows.sample_weight is None else rows.sample_weight.astype(floatx),
    )
    if not validation:
        return network_rows, None
    train, val = validation_split(rows.n_samples, estimator.validation_fraction, seed)
    held_out = network_rows.take(val)
    held_out = held_out._replace(
        inputs=estimator._validation_inputs(held_out.inputs, seed),
        target=held_out.inputs if held_out.target is None else held_out.target,
    )
    return network_rows.take(train), held_out


def in_memory_fit_data(estimator, rows, seed, *, validation):
    """``Model.fit`` keyword arguments for arrays: training and validation batches.

    The in-memory twin of ``streamed_training.streamed_fit_data``, for the fits
    ``Model.fit`` runs (other backends, a ``distribution``, ``run_eagerly``):
    the ``Rows`` of ``in_memory_arrays``, split and shuffled with ``seed``
    (the estimator's seed plus the first epoch's number).
    """
    train, val = in_memory_arrays(estimator, rows, seed, validation=validation)
    batch_size = min(estimator.batch_size, train.n_samples)
    multiple_of = shard_multiple(estimator.distribution)
    fit_kwargs = {}
    if val is not None:
        fit_kwargs["validation_data"] = in_memory_batches(
            val.network_data(), batch_size, multiple_of=multiple_of
        )
    return dict(
        **in_memory_batches(
            train.network_data(), batch_size, shuffle_seed=seed, multiple_of=multiple_of
        ),
        **fit_kwargs,
    )


# Reconstructions larger than this many times the largest standardised input
# (or than this, for inputs below 1) mean the network diverged, even where
# batch normalisation kept the loss finite (1e11 losses were seen).
DIVERGENCE_FACTOR = 1e4
# training rows the bound is checked on (one forward pass, in inference mode)
DIVERGENCE_ROWS = 256


def exploded(estimator, rows):
    """Whether the trained network's outputs dwarf the standardised inputs it was given."""
    if rows is None or not isinstance(rows.inputs, np.ndarray):
        return False  # streamed rows: the finite checks only
    sample = rows.take(slice(0, DIVERGENCE_ROWS))
    if "_fitted_state" in vars(estimator):
        # a fit from a recipe has no networks of its own: the compiled
        # inference reads its state (deterministic, as the hooks are)
        inputs = estimator._standardize(sample.inputs)
        reconstruction = estimator._standardize(estimator._forward(sample))
        return not _within_bound(reconstruction, inputs)
    floatx = keras.backend.floatx()
    inputs = estimator._to_network(estimator._standardize(sample.inputs), floatx)
    # the inference hooks, eagerly: deterministic, and no random layer's
    # state advances (a VAE's model would draw its latent codes)
    # tensors throughout: Keras refuses a call that mixes them with arrays
    condition = None
    if sample.condition is not None:
        condition = keras.ops.convert_to_tensor(sample.condition.astype(floatx))

    def given(batch):
        return batch if condition is None else (batch, condition)

    encoded = estimator._encode_batch(
        estimator.encoder_, given(keras.ops.convert_to_tensor(inputs))
    )
    reconstruction = estimator._decode_batch(estimator.decoder_, given(encoded))
    return not _within_bound(keras.ops.convert_to_numpy(reconstruction), inputs)


def _within_bound(reconstruction, inputs):
    largest = float(np.max(np.abs(reconstruction)))
    return largest <= DIVERGENCE_FACTOR * max(1.0, float(np.max(np.abs(inputs))))


def check_training_finite(estimator, rows=None):
    """Raise if ``estimator``'s loss or weights became NaN or infinite, or its
    outputs on the first training ``rows`` exploded.

    The estimator's fit then puts its previous state back.
    """
    losses = estimator.history_.get("loss", [])
    state = vars(estimator).get("_fitted_state")
    if state is not None:  # a fit from a recipe: its weights checked as they came back
        weights_finite = state.finite
    else:
        weights_finite = all(
            np.all(np.isfinite(keras.ops.convert_to_numpy(w))) for w in estimator.model_.weights
        )
    if np.all(np.isfinite(losses)) and weights_finite and not exploded(estimator, rows):
        return
    raise ValueError(
        f"Training of {type(estimator).__name__} diverged: the loss became NaN or "
        "infinite, or the network's outputs grew far beyond the data, so the model "
        "was discarded and the estimator left as it was. Lower learning_rate, scale "
        "X (e.g. with StandardScaler), or check X for extreme values."
    )
