"""Training epoch by epoch, whatever computes an epoch.

Keras's ``Model.fit`` runs its callbacks around every batch; skae's own
loops (``compiled_fit`` on TensorFlow, ``eager_fit`` on PyTorch) compute a
whole epoch at once and run Keras's callbacks around each epoch, as ``fit``
would around an epoch of one batch. What they share is here: that driver
(``run_epochs``), streamed data fed group by group (``Streamed``), and the
epoch's logs as floats.

An epoch function (``function`` below) has ``reset()`` (start an epoch's
metrics) and ``logs()`` (the metrics' results), as ``MetricLogs`` gives
them, and ``steps(group, *, training)``
(train or test on each batch of a group of batches, a ``Rows``).
"""

import keras

from .._input.bundle import first_rows


def floats(train_logs, val_logs):
    """One epoch's logs as Python floats, the validation ones prefixed ``val_``."""
    logs = {k: float(v) for k, v in train_logs.items()}
    logs.update({f"val_{k}": float(v) for k, v in val_logs.items()})
    return logs


class MetricLogs:
    """An epoch function's ``logs()`` and ``reset()``, over its ``model``'s metrics."""

    def logs(self):
        """The metrics' results: tensors in a traced function, else eager."""
        logs = {}
        for metric in self.model.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return logs

    def reset(self):
        for metric in self.model.metrics:
            metric.reset_state()


class Streamed:
    """Rows streamed by ``streamed_training._EpochStream``: its groups of batches.

    ``stream.training(epoch)`` yields groups of shuffled batches,
    ``stream.validation()`` groups of held-out batches, each a ``Rows`` of
    arrays ``(k, batch, ...)`` and one call of the epoch function's
    ``steps`` (one compiled call on TensorFlow).
    """

    def __init__(self, stream, validation, sample):
        self.stream, self.validation = stream, validation
        self.sample = sample
        self.n_batches = stream.n_batches(stream.n_train)

    def epoch(self, function, epoch):
        # each group is let go before the stream reads the next (a for
        # loop would keep it while the next is made: twice the memory)
        function.reset()
        for group in self.stream.training(epoch):
            function.steps(group, training=True)
            del group
        train_logs, val_logs = function.logs(), {}
        if self.validation:
            function.reset()
            for group in self.stream.validation():
                function.steps(group, training=False)
                del group
            val_logs = function.logs()
        return floats(train_logs, val_logs)


def build(model, sample):
    """Create every variable training needs (the network's, the compiled loss's, the optimizer's).

    ``sample`` is one row of ``Rows.network_data()``. The model and its
    compiled loss build on it, run eagerly; the optimizer on the trainable
    variables. The run changes nothing the model already held: a sampling
    layer's random state, say, is put back. Keras's own
    ``Trainer._symbolic_build`` builds symbolically instead; it is private
    and saves nothing (``benchmarks/private_apis.py``).
    """
    held = [(v, keras.ops.copy(v.value)) for v in model.variables]
    x, y, *weight = first_rows(sample)
    model.compute_loss(x, y, model(x), *weight)
    for variable, value in held:
        variable.assign(value)
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def run_epochs(model, function, data, epochs, initial_epoch, callbacks, verbose):
    """Keras's callbacks around one epoch after another, as ``fit`` calls them.

    ``data.epoch(function, epoch)`` trains ``model`` one epoch and returns
    its logs as floats (``val_`` ones included); the callbacks see one
    batch per epoch, at its end. Returns the history as a dict.
    """
    history = keras.callbacks.History()  # last, as fit puts it: it logs what the others added
    callback_list = keras.callbacks.CallbackList(
        [*callbacks, history], model=model, verbose=verbose, epochs=epochs, steps=data.n_batches,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        callback_list.on_train_batch_begin(0)
        logs = data.epoch(function, epoch)
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        callback_list.on_train_batch_end(data.n_batches - 1, train_logs)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return history.history
