"""Training from out-of-core rows: shuffled blocks, held-out rows, batches.

Each epoch reads every training block of ``StreamedRows`` exactly once, in
an order seeded by the estimator's seed + epoch (the rule of the in-memory shuffle),
and shuffles rows inside a buffer of ``BUFFER_BLOCKS`` consecutive blocks
of that order. Each batch therefore mixes rows from at most
``BUFFER_BLOCKS`` blocks of ``_streaming.BLOCK_BYTES``: for data stored
sorted (by class, by time), shuffle the file once beforehand. The
validation rows are a seeded set of rows of every block (each block holds
its share of ``validation_fraction``), read again, in file order, after
each epoch. A separate target (the denoiser's clean ``y``) is read by the
same row ranges. ``streamed_epochs`` feeds skae's compiled loop,
``streamed_fit_data`` Keras's ``Model.fit``.
"""

import itertools

import keras
import numpy as np

from .._input.bundle import Rows
from .distribution import shard_multiple
from .training import check_validation_size

# Training shuffles rows within this many blocks at a time.
BUFFER_BLOCKS = 4


def _validation_rows(X, fraction, seed):
    """``{block start: boolean mask of its held-out rows}``, seeded by ``seed``.

    Block ``[a, b)`` holds ``floor(fraction * b) - floor(fraction * a)`` of
    them: ``floor(fraction * n_samples)`` in all, as in memory.
    """
    masks = {}
    for index, start in enumerate(X.block_starts()):
        stop = min(start + X.block_rows, X.shape[0])
        count = int(np.floor(fraction * stop)) - int(np.floor(fraction * start))
        mask = np.zeros(stop - start, dtype=bool)
        mask[np.random.RandomState([seed, index]).permutation(stop - start)[:count]] = True
        masks[start] = mask
    return masks


def _in_batches(chunks, batch_size, multiple_of=1):
    """``Rows`` of row arrays regrouped as ``(k, batch_size, ...)`` arrays, the rest ``(1, r, ...)``.

    Under a JAX ``DataParallel`` over ``multiple_of`` devices (``batch_size``
    is a multiple of it) the rest is cut to a multiple of it too: at most
    ``multiple_of - 1`` rows of an epoch are left out, as in memory.
    """
    carry = None
    for chunk in chunks:
        present = chunk.present()
        chunk = chunk.arrays()
        chunk = chunk if carry is None else tuple(map(np.concatenate, zip(carry, chunk)))
        whole = len(chunk[0]) // batch_size * batch_size
        if whole:
            yield Rows.from_arrays(
                [a[:whole].reshape((-1, batch_size) + a.shape[1:]) for a in chunk], present
            )
        # a copy of the few rows left (not a view that keeps the chunk),
        # and the chunk let go before the next is read
        carry = tuple(a[whole:].copy() for a in chunk)
        del chunk
    if carry is not None:
        carry = tuple(a[: len(a) - len(a) % multiple_of] for a in carry)
        if len(carry[0]):
            yield Rows.from_arrays([a[None] for a in carry], present)


class _EpochStream:
    """The training and validation ``Rows`` of each epoch, as network arrays."""

    def __init__(self, estimator, rows, seed, initial_epoch, validation):
        # epoch k shuffles with seed + k; the split and the held-out inputs
        # take the first epoch's seed
        self.estimator, self.rows = estimator, rows
        self.base_seed, self.seed = seed, seed + initial_epoch
        self.X = rows.inputs
        self.floatx = keras.backend.floatx()
        self.weights = (
            None if rows.sample_weight is None else rows.sample_weight.astype(self.floatx)
        )
        self.masks = None
        n_val = 0
        if validation:
            n_val = check_validation_size(self.X.shape[0], estimator.validation_fraction)
            self.masks = _validation_rows(self.X, estimator.validation_fraction, seed)
        self.n_train, self.n_val = self.X.shape[0] - n_val, n_val
        self.batch_size = min(estimator.batch_size, self.X.shape[0])
        self.multiple_of = shard_multiple(estimator.distribution)

    def n_batches(self, n_rows):
        """Batches ``_in_batches`` makes of ``n_rows`` rows."""
        rest = n_rows % self.batch_size
        return n_rows // self.batch_size + int(rest - rest % self.multiple_of > 0)

    def _inputs(self, rows):
        standardized = self.estimator._standardize(rows)
        return self.estimator._to_network(standardized, self.floatx)

    def _block(self, start, keep_held_out):
        """A block's training (or held-out) ``Rows`` (read, not yet network
        arrays; no weights) and their indices in X."""
        stop = start + self.X.block_rows
        block = Rows(*(None if a is None else a[start:stop] for a in self.rows[:3]))
        index = np.arange(start, start + block.n_samples)
        if self.masks is None:
            return block, index
        mask = self.masks[start] if keep_held_out else ~self.masks[start]
        return block.take(mask), index[mask]

    def _network(self, block, index):
        """``block`` as the network's arrays, with the weights of its rows."""
        return Rows(
            self._inputs(block.inputs),
            None if block.target is None else self._inputs(block.target),
            None if block.condition is None else np.asarray(block.condition, self.floatx),
            None if self.weights is None else self.weights[index],
        )

    def training(self, epoch):
        """The epoch's shuffled training ``Rows``, ``(k, batch_size, ...)`` at a time.

        Without a target the network learns to output its inputs (not copied).
        """
        random = np.random.RandomState(self.base_seed + epoch)
        starts = random.permutation(np.asarray(self.X.block_starts()))

        def buffers():
            for first in range(0, len(starts), BUFFER_BLOCKS):
                blocks = [self._block(s, False) for s in starts[first : first + BUFFER_BLOCKS]]
                read, index = zip(*blocks)
                index = np.concatenate(index)
                order = random.permutation(len(index))
                rows = Rows(*(None if a[0] is None else np.concatenate(a) for a in zip(*read)))
                arrays = self._network(rows.take(order), index[order])
                # only the yielded arrays live on while the next buffer is read
                del blocks, read, rows, index, order
                yield arrays
                del arrays

        return _in_batches(buffers(), self.batch_size, self.multiple_of)

    def validation(self):
        """The held-out ``Rows``: inputs as ``_validation_inputs`` makes them, clean targets."""

        def chunks():
            for index, start in enumerate(self.X.block_starts()):
                if not self.masks[start].any():
                    continue
                block, rows_index = self._block(start, True)
                held_out = self._network(block, rows_index)
                inputs = self.estimator._validation_inputs(held_out.inputs, self.seed + index)
                target = held_out.inputs if held_out.target is None else held_out.target
                yield held_out._replace(inputs=inputs, target=target)

        return _in_batches(chunks(), self.batch_size, self.multiple_of)




def _sample(estimator, stream):
    """One row of every array the stream yields, as ``network_data`` (zeros)."""
    x = np.zeros((1,) + tuple(estimator._network_shape()), stream.floatx)
    condition = stream.rows.condition
    return Rows(
        x,
        None,
        None if condition is None else np.zeros((1,) + condition.shape[1:], stream.floatx),
        None if stream.weights is None else stream.weights[:1],
    ).network_data()


def streamed_epochs(estimator, rows, seed, initial_epoch, *, validation):
    """The inputs' rows (and a target's, a condition's) streamed for ``compiled_fit.fit``.

    Returns ``(stream, sample)``: the epochs' stream and one row of each
    array, as ``Rows.network_data`` gives them.
    """
    stream = _EpochStream(estimator, rows, seed, initial_epoch, validation)
    return stream, _sample(estimator, stream)


def streamed_fit_data(estimator, rows, seed, initial_epoch, *, validation):
    """``Model.fit`` keyword arguments that stream the rows (see the module docstring)."""
    stream = _EpochStream(estimator, rows, seed, initial_epoch, validation)
    epochs = itertools.count(initial_epoch)
    batches = stream.n_batches(stream.n_train)
    if keras.backend.backend() != "tensorflow":
        # shuffle=False: Keras would shuffle the batch indices with Python's
        # global random; the stream shuffles itself
        training = _StreamedBatches(lambda: stream.training(next(epochs)), batches)
        kwargs = dict(x=training, shuffle=False)
        if validation:
            val_batches = stream.n_batches(stream.n_val)
            kwargs["validation_data"] = _StreamedBatches(stream.validation, val_batches)
        return kwargs
    import tensorflow as tf

    sample = Rows(*(None if a is None else a[:1] for a in stream.rows))
    specs = {
        "inputs": tf.TensorSpec((None, None) + tuple(estimator._network_shape()), stream.floatx),
        "condition": None
        if sample.condition is None
        else tf.TensorSpec((None, None) + tuple(sample.condition.shape[1:]), stream.floatx),
        "sample_weight": None
        if stream.weights is None
        else tf.TensorSpec((None, None), stream.floatx),
    }

    def dataset(generator, present, n_batches):
        spec = Rows(specs["inputs"], specs["inputs"], specs["condition"], specs["sample_weight"])
        signature = tuple(s for s, here in zip(spec, present) if here)
        data = tf.data.Dataset.from_generator(
            lambda: (group.arrays() for group in generator()), output_signature=signature
        )
        data = data.unbatch().apply(tf.data.experimental.assert_cardinality(n_batches))
        # without a target the inputs are the target: mapped inside TensorFlow, not copied
        data = data.map(lambda *arrays: Rows.from_arrays(arrays, present).network_data())
        return data.prefetch(2)

    present = Rows(
        True, sample.target is not None, sample.condition is not None, stream.weights is not None
    )
    train = dataset(lambda: stream.training(next(epochs)), tuple(present), batches)
    kwargs = dict(x=train, shuffle=False)
    if validation:
        kwargs["validation_data"] = dataset(
            stream.validation, tuple(present._replace(target=True)), stream.n_batches(stream.n_val)
        )
    return kwargs


class _StreamedBatches(keras.utils.PyDataset):
    """Batches of a stream, for backends other than TensorFlow.

    Keras reads a PyDataset's batches in order (one worker); each pass from
    batch 0 starts the next epoch's stream, whose ``Rows`` groups become
    batches as ``Rows.network_data`` gives them.
    """

    def __init__(self, make_batches, n_batches):
        super().__init__()
        self._make_batches = make_batches
        self._n_batches = n_batches
        self._batches = None
        self._next = 0

    def __len__(self):
        return self._n_batches

    def __getitem__(self, index):
        if index == 0 or self._batches is None:
            self._batches = (
                Rows.from_arrays([a[i] for a in group.arrays()], group.present()).network_data()
                for group in self._make_batches()
                for i in range(group.n_samples)
            )
            self._next = 0
        if index != self._next:
            raise IndexError("streamed batches are read in order, from batch 0")
        self._next += 1
        return next(self._batches)
