"""Data-parallel training on Keras's own distribution (the ``distribution`` parameter).

One context manager, ``distributed``, entered around building and compiling
the model (``BaseAutoencoder._initialize``) and around training it
(``BaseAutoencoder._train``). What it takes is what the backend offers:

- TensorFlow: a ``tf.distribute.Strategy`` (``MirroredStrategy`` over the
  local devices). The model's variables are created mirrored inside
  ``strategy.scope()``, and Keras splits each batch of the ``tf.data``
  pipeline over the replicas.
- JAX: a ``keras.distribution.DataParallel``. ``distribution.scope()`` makes
  it Keras's global distribution for the duration of the block only:
  variables are replicated over its device mesh and each batch is sharded
  along it.

Inference never runs under the distribution: a fitted model predicts
through ``_inference`` like any other, in any process.
"""

import contextlib

import keras

# keras-team/keras#20585: Keras 3's TensorFlow trainer fails with
# MultiWorkerMirroredStrategy (and its experimental alias).
_UNSUPPORTED_STRATEGIES = ("MultiWorkerMirroredStrategy", "CollectiveAllReduceStrategy")


_KERAS_DISTRIBUTIONS = (keras.distribution.DataParallel, keras.distribution.ModelParallel)


def _is_tf_strategy(obj):
    # only ask TensorFlow when it is loaded: on JAX it may not even be installed
    import sys

    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(obj, tf.distribute.Strategy)


def steps_per_execution(distribution, default):
    """Keras's ``steps_per_execution`` for training under ``distribution``.

    One step per call under a ``tf.distribute.Strategy``: Keras 3.15's
    multi-step loop on TensorFlow fails there ("You must feed a value for
    placeholder tensor" from its ``has_next`` condition in the replica
    context; measured with TensorFlow 2.21, cf. keras-team/keras#19246).
    One step per call on PyTorch too: Keras's torch trainer runs eagerly,
    step by step, and refuses any other value at ``fit``.
    """
    if keras.backend.backend() == "torch" or _is_tf_strategy(distribution):
        return 1
    return default


def shard_multiple(distribution):
    """Rows every training batch must be a multiple of under ``distribution``.

    JAX shards each batch evenly over the devices of a ``DataParallel``
    (``jax.make_array_from_process_local_data`` refuses a remainder);
    TensorFlow's ``MirroredStrategy`` splits uneven batches itself.
    """
    if isinstance(distribution, keras.distribution.DataParallel):
        return n_replicas(distribution)
    return 1


def n_replicas(distribution):
    """Number of model replicas (devices) a batch is split over; 1 for None."""
    if distribution is None:
        return 1
    if _is_tf_strategy(distribution):
        return int(distribution.num_replicas_in_sync)
    return int(distribution.device_mesh.devices.size)


def check_distribution(estimator):
    """Raise a clear error unless ``estimator.distribution`` fits the backend.

    Returns the number of replicas.
    """
    distribution = estimator.distribution
    name = type(estimator).__name__
    if distribution is None:
        return 1
    backend = keras.backend.backend()
    given = f"{type(distribution).__module__}.{type(distribution).__qualname__}"
    if backend == "tensorflow":
        if _is_tf_strategy(distribution) and not getattr(estimator, "_tf_distribute_ready", True):
            raise ValueError(
                f"{name} cannot train under a tf.distribute strategy yet: its "
                "replicas disagree on the gradients of the variational layers "
                "(a collective shape mismatch in Keras 3.15 / TensorFlow 2.21). "
                "Train it with distribution=None, or on the JAX backend with "
                "keras.distribution.DataParallel."
            )
        if isinstance(distribution, _KERAS_DISTRIBUTIONS):
            raise TypeError(
                f"distribution={distribution!r} is a keras.distribution object, "
                f"which Keras supports on the JAX backend only, but {name} runs on "
                "TensorFlow. Pass a tf.distribute.MirroredStrategy() instead, or "
                "set KERAS_BACKEND=jax."
            )
        if not _is_tf_strategy(distribution):
            raise TypeError(
                f"distribution must be None or a tf.distribute.Strategy on the "
                f"TensorFlow backend, such as tf.distribute.MirroredStrategy(); "
                f"got {given}."
            )
        if type(distribution).__name__ in _UNSUPPORTED_STRATEGIES:
            raise ValueError(
                f"distribution={type(distribution).__name__}: Keras 3 does not "
                "support MultiWorkerMirroredStrategy on TensorFlow "
                "(keras-team/keras#20585). Use tf.distribute.MirroredStrategy() "
                "for the devices of one machine, or Keras's JAX backend with "
                "keras.distribution.DataParallel for several machines."
            )
        return n_replicas(distribution)
    if backend == "jax":
        if _is_tf_strategy(distribution):
            raise TypeError(
                f"distribution={type(distribution).__name__} is a "
                f"tf.distribute.Strategy, which works on the TensorFlow backend "
                f"only, but {name} runs on JAX. Pass keras.distribution."
                "DataParallel(devices=keras.distribution.list_devices()) instead, "
                "or set KERAS_BACKEND=tensorflow."
            )
        if not isinstance(distribution, keras.distribution.DataParallel):
            raise TypeError(
                "distribution must be None or a keras.distribution.DataParallel on "
                "the JAX backend, such as keras.distribution.DataParallel("
                f"devices=keras.distribution.list_devices()); got {given}."
            )
        if distribution.num_processes > 1:
            _check_multi_process(estimator, distribution)
        replicas = n_replicas(distribution)
        if estimator.batch_size % replicas:
            raise ValueError(
                f"batch_size={estimator.batch_size} cannot be split evenly over the "
                f"{replicas} devices of distribution, as JAX needs. Use a multiple "
                f"of {replicas}, such as {replicas * max(1, estimator.batch_size // replicas)}."
            )
        return replicas
    raise ValueError(
        f"distribution is supported on the TensorFlow and JAX backends only, but "
        f"Keras runs on {backend!r}. Use distribution=None, or set KERAS_BACKEND "
        "to tensorflow or jax."
    )


def _check_multi_process(estimator, distribution):
    import numbers

    if distribution.auto_shard_dataset:
        raise ValueError(
            f"distribution spans {distribution.num_processes} processes, so build it "
            "with keras.distribution.DataParallel(devices=..., "
            "auto_shard_dataset=False): skae gives each process its share of every "
            "batch itself (Keras's auto-sharding is for tf.data datasets)."
        )
    if not isinstance(estimator.random_state, numbers.Integral):
        raise ValueError(
            f"distribution spans {distribution.num_processes} processes, which must "
            "agree on the validation split and the shuffles: give every process "
            f"the same integer random_state (got {estimator.random_state!r}) and "
            "the same X."
        )


@contextlib.contextmanager
def distributed(estimator):
    """Checks ``estimator.distribution``, then runs the block under it (if any).

    On JAX, ``DataParallel.scope()`` sets Keras's global distribution for
    the block only and restores the previous one after it.
    """
    check_distribution(estimator)
    if estimator.distribution is None:
        yield
        return
    with estimator.distribution.scope():
        yield
