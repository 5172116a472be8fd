"""skae's training loop on PyTorch: Keras's own steps, epoch by epoch, eagerly.

Keras's ``Model.fit`` on PyTorch feeds every epoch through a
``torch.utils.data.DataLoader``, which draws a seed from PyTorch's global
generator each time it starts (its ``_base_seed``): every fit would move
the user's generator on, and skae leaves global state as it found it. Here
the rows are tensors made once, sliced into batches in an order that the
estimator's seed alone determines (``np.random.RandomState([seed,
epoch])``), and each batch goes through Keras's own train function (its
``train_step``: the loss, regularisation and optimizer are Keras's);
validation runs Keras's test function. Keras's callbacks are run around
each epoch (``epochs.run_epochs``), as the compiled loop on TensorFlow does,
which also spares ``fit``'s per-batch callbacks and data loader: 0.95x the
time of the same fit through ``Model.fit`` on the digits (4.64 s against
4.90 s, ``benchmarks/backends.py``). The rest is Keras's layers run from
Python at every step (about 2 ms a step for skae's default dense network);
``torch.compile`` (``jit_compile=True``) spends longer compiling than a
small fit takes.

Streamed rows (``epochs.Streamed``) go through the same steps, group by
group of batches.
"""

import keras
import numpy as np

from .._input.bundle import Rows, first_rows
from .epochs import MetricLogs, build, floats, run_epochs

# False: every fit on PyTorch goes through Keras's Model.fit
# (benchmarks/backends.py times both in one run)
ENABLED = True


def usable(estimator):
    """Whether a fit of ``estimator`` goes through this module's loop."""
    return ENABLED and keras.backend.backend() == "torch"


class _EagerEpochs(MetricLogs):
    """Keras's train and test functions of one model, batch by batch."""

    def __init__(self, model):
        import torch

        self.model = model
        self._torch = torch
        model.make_train_function()
        model.make_test_function()

    def _function(self, training):
        # the torch module's mode too, as fit sets it: a user's layer of
        # torch modules may read it rather than Keras's training argument
        if training:
            self.model.train()
            return self.model.train_function
        self.model.eval()
        return self.model.test_function

    def epoch(self, train, validation, order, batch_size):
        """Train on ``train`` in ``order``, then test on ``validation``; the logs as floats."""
        order = self._torch.as_tensor(order)
        self.reset()
        step = self._function(training=True)
        for start in range(0, len(order), batch_size):
            step([_rows(train, order[start : start + batch_size])])
        train_logs, val_logs = self.logs(), {}
        step = self._function(training=False)
        if validation:
            self.reset()
            for start in range(0, len(keras.tree.flatten(validation)[0]), batch_size):
                rows = slice(start, start + batch_size)
                step([keras.tree.map_structure(lambda a: a[rows], validation)])
            val_logs = self.logs()
        return floats(train_logs, val_logs)

    def steps(self, group, *, training):
        """Train (or test) on each batch of ``group``, a ``Rows`` of arrays ``(k, batch, ...)``.

        Metrics go on accumulating: ``reset`` starts an epoch. A group
        without a target trains the inputs to reconstruct themselves.
        """
        present = group.present()
        arrays = [self._torch.as_tensor(a) for a in group.arrays()]
        step = self._function(training)
        for i in range(len(arrays[0])):
            step([Rows.from_arrays([a[i] for a in arrays], present).network_data()])
        self.model.eval()


def _rows(tensors, rows):
    """``tensors`` at ``rows``, each distinct tensor gathered once (the target is often the input)."""
    gathered = {}

    def gather(tensor):
        if id(tensor) not in gathered:
            gathered[id(tensor)] = tensor.index_select(0, rows)
        return gathered[id(tensor)]

    return keras.tree.map_structure(gather, tensors)


class InMemory:
    """In-memory training (and validation) ``Rows``, as tensors made once.

    Epoch ``e`` visits the training rows in the order
    ``np.random.RandomState([seed, e]).permutation(n)``, in batches cut in
    that order (the last one partial); validation rows in their order.
    """

    def __init__(self, train, validation, *, seed, batch_size):
        import torch

        train = train.network_data()
        validation = () if validation is None else validation.network_data()
        self.sample = first_rows(train)
        tensors = {}  # one tensor per distinct array: the target is often the input

        def tensor(array):
            if id(array) not in tensors:
                tensors[id(array)] = torch.as_tensor(array)
            return tensors[id(array)]

        self.train = keras.tree.map_structure(tensor, train)
        self.validation = keras.tree.map_structure(tensor, validation)
        self.seed, self.batch_size = seed, batch_size
        self.n_rows = len(keras.tree.flatten(train)[0])
        self.n_batches = -(-self.n_rows // batch_size)

    def epoch(self, function, epoch):
        order = np.random.RandomState([self.seed, epoch]).permutation(self.n_rows)
        return function.epoch(self.train, self.validation, order, self.batch_size)


def fit(model, data, *, epochs, initial_epoch, callbacks, verbose):
    """Train ``model`` on ``data`` (``InMemory`` or ``epochs.Streamed``); its history as a dict.

    The variables ``fit`` would create on its first batch are created first
    (``epochs.build``); after training, the optimizer's
    ``finalize_variable_values`` runs, as ``fit`` runs it (it puts an
    optimizer's moving averages in place, if it keeps any).
    """
    build(model, data.sample)
    function = _EagerEpochs(model)
    history = run_epochs(model, function, data, epochs, initial_epoch, callbacks, verbose)
    if isinstance(model.optimizer, keras.optimizers.Optimizer) and epochs > initial_epoch:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    return history
