"""Training machinery: standardisation statistics, batches, callbacks, seeding.

Used by ``_BaseAutoencoder._initialize`` and ``_BaseAutoencoder._train``;
nothing here knows which estimator it trains.
"""

import contextlib
import numbers
import random
import sys

import keras
import numpy as np
from sklearn.utils.validation import _check_sample_weight

# Training steps per call of Keras's compiled train function: on CPU, running
# 32 steps per call instead of one cuts the Python and dispatch cost per
# step; the updates, and so the losses, are identical.
STEPS_PER_EXECUTION = 32


def robust_center_scale(X, block_rows=65536):
    """Per-feature mean and one global scale, without overflow for huge values.

    Computed in float64 over blocks of rows: the temporaries stay a few MB
    however many rows X has.
    """
    blocks = [X[start : start + block_rows] for start in range(0, len(X), block_rows)]
    magnitude = max(float(np.max(np.abs(block))) for block in blocks)
    if not np.isfinite(magnitude):
        raise ValueError(
            "X has values too large for float64 arithmetic (up to "
            f"{magnitude}); rescale the data, e.g. with StandardScaler."
        )
    if magnitude == 0:
        return np.zeros(X.shape[1:]), 1.0

    def shrunk(block):
        return np.asarray(block, dtype=np.float64) / magnitude

    mean = sum(shrunk(block).sum(axis=0) for block in blocks) / len(X)
    squares = sum(float(np.sum((shrunk(block) - mean) ** 2)) for block in blocks)
    scale = np.sqrt(squares / X.size)
    if scale == 0:
        scale = 1.0 / magnitude
    return mean * magnitude, float(scale * magnitude)


def in_memory_batches(arrays, batch_size, shuffle_seed=None):
    """``(x, y, sample_weight)`` arrays as ``Model.fit`` reads them fastest.

    On TensorFlow, given numpy arrays ``fit`` rebuilds its input pipeline (index
    shuffling, slicing and prefetching functions) at every epoch, about 25 ms
    each time: a quarter of the training time of the digits. A plain
    ``tf.data`` pipeline over the arrays (shuffle, batch) restarts for almost
    nothing and gives the same epochs, batches and partial last batch as
    ``fit`` on arrays. With ``shuffle_seed`` the rows are reshuffled at every
    epoch in an order that seed determines. Other backends read numpy arrays
    batch by batch already and get them back as they are.

    Returns the keyword arguments of ``fit`` for training data
    (``shuffle_seed`` given), or the ``validation_data`` value.
    """
    if arrays[2] is None:
        arrays = arrays[:2]
    if keras.backend.backend() != "tensorflow":
        if shuffle_seed is None:
            return arrays
        return dict(
            x=arrays[0],
            y=arrays[1],
            sample_weight=arrays[2] if len(arrays) == 3 else None,
            batch_size=batch_size,
            shuffle=True,
        )
    import tensorflow as tf

    tensors = {}  # one tensor per distinct array: the target may be the input
    dataset = tf.data.Dataset.from_tensor_slices(
        tuple(tensors.setdefault(id(a), tf.convert_to_tensor(a)) for a in arrays)
    )
    if shuffle_seed is None:
        return dataset.batch(batch_size)
    dataset = dataset.shuffle(
        len(arrays[0]), seed=shuffle_seed, reshuffle_each_iteration=True
    )
    # shuffle=False: the dataset shuffles itself (fit would warn otherwise)
    return dict(x=dataset.batch(batch_size), shuffle=False)


def validation_split(n_samples, validation_fraction, seed):
    """Sorted ``(train, validation)`` row indices, the split seeded by ``seed``."""
    n_val = int(np.floor(validation_fraction * n_samples))
    if n_val < 1 or n_val >= n_samples:
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves "
            f"{'no validation' if n_val < 1 else 'no training'} sample with "
            f"n_samples={n_samples}. Use more samples, a "
            f"{'larger' if n_val < 1 else 'smaller'} validation_fraction, or "
            "early_stopping=False."
        )
    order = np.random.RandomState(seed).permutation(n_samples)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def make_optimizer(optimizer, learning_rate):
    """A fresh Keras optimizer from a name, a class or an instance."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        # a fresh copy: never train (and so mutate) the user's instance
        return optimizer.__class__.from_config(optimizer.get_config())
    if isinstance(optimizer, str):
        optimizer = type(keras.optimizers.get(optimizer))
    return optimizer(learning_rate=learning_rate)


def training_callbacks(estimator, monitor, partial):
    """skae's callbacks for one fit (plus the user's), watching ``monitor``."""
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if estimator.early_stopping and not partial:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=estimator.n_iter_no_change,
                min_delta=estimator.tol,
                restore_best_weights=True,
            )
        )
    schedule_given = not isinstance(estimator.learning_rate, numbers.Real)
    if estimator.reduce_lr_on_plateau and not partial and not schedule_given:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=0.5,
                patience=max(1, estimator.n_iter_no_change // 2),
                min_delta=estimator.tol,
                min_lr=1e-6,
            )
        )
    return callbacks + list(estimator.callbacks or [])


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


def _tf_global_seed():
    """TensorFlow's global seed, or None when TensorFlow is not importable."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None, None
    try:
        from tensorflow.python.eager import context
    except ImportError:  # pragma: no cover - layout of a future TensorFlow
        return tf, None
    return tf, context.global_seed()


@contextlib.contextmanager
def seeded(seed):
    """Seed every global generator that Keras training draws from, then restore them.

    Keras initializers without a seed draw from Python's ``random``; Keras's
    array data adapter shuffles with TensorFlow's global seed (TensorFlow
    backend) or NumPy's global generator (JAX backend); ``keras.random``
    without a seed uses Keras's global seed generator. All of them are saved,
    seeded with ``seed``, and put back exactly as they were on exit, so a
    user's own global random state is unchanged by a fit. Not thread-safe:
    issue 12 replaces it with explicitly seeded random operations.
    """
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    python_state = random.getstate()
    numpy_state = np.random.get_state()
    keras_seed = global_state.get_global_attribute("global_random_seed")
    keras_generator = global_state.get_global_attribute(
        seed_generator.GLOBAL_SEED_GENERATOR
    )
    tf, tf_seed = _tf_global_seed()
    try:
        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        global_state.set_global_attribute("global_random_seed", keras_seed)
        global_state.set_global_attribute(
            seed_generator.GLOBAL_SEED_GENERATOR, keras_generator
        )
        if tf is not None:
            tf.random.set_seed(tf_seed)


def check_training_rows(estimator, X, sample_weight):
    """Checks on validated training rows that only fitting needs.

    Returns ``sample_weight`` validated (float64), or None.
    """
    n_samples = X.shape[0]
    if n_samples < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs at least 2 samples to fit, got "
            f"n_samples = {n_samples} (1 sample)."
        )
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
