"""Training from out-of-core rows: shuffled blocks, held-out rows, batches.

Each epoch reads every training block of ``StreamedRows`` exactly once, in
an order seeded by ``_seed + epoch`` (the rule of the in-memory shuffle),
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
    """Row arrays regrouped as ``(k, batch_size, ...)`` arrays, the rest ``(1, r, ...)``.

    Under a JAX ``DataParallel`` over ``multiple_of`` devices (``batch_size``
    is a multiple of it) the rest is cut to a multiple of it too: at most
    ``multiple_of - 1`` rows of an epoch are left out, as in memory.
    """
    carry = None
    for chunk in chunks:
        chunk = chunk if carry is None else tuple(map(np.concatenate, zip(carry, chunk)))
        whole = len(chunk[0]) // batch_size * batch_size
        if whole:
            yield tuple(
                a[:whole].reshape((-1, batch_size) + a.shape[1:]) for a in chunk
            )
        # a copy of the few rows left (not a view that keeps the chunk),
        # and the chunk let go before the next is read
        carry = tuple(a[whole:].copy() for a in chunk)
        del chunk
    if carry is not None:
        carry = tuple(a[: len(a) - len(a) % multiple_of] for a in carry)
        if len(carry[0]):
            yield tuple(a[None] for a in carry)


class _EpochStream:
    """The training and validation rows of each epoch, as network inputs."""

    def __init__(self, estimator, X, target, sample_weight, seed, validation):
        self.estimator, self.X, self.target, self.seed = estimator, X, target, seed
        self.floatx = keras.backend.floatx()
        self.weights = None if sample_weight is None else sample_weight.astype(self.floatx)
        self.masks = None
        n_val = 0
        if validation:
            n_val = check_validation_size(X.shape[0], estimator.validation_fraction)
            self.masks = _validation_rows(X, estimator.validation_fraction, seed)
        self.n_train, self.n_val = X.shape[0] - n_val, n_val
        self.batch_size = min(estimator.batch_size, X.shape[0])
        self.multiple_of = shard_multiple(estimator.distribution)

    def n_batches(self, n_rows):
        """Batches ``_in_batches`` makes of ``n_rows`` rows."""
        rest = n_rows % self.batch_size
        return n_rows // self.batch_size + int(rest - rest % self.multiple_of > 0)

    def _inputs(self, rows):
        standardized = self.estimator._standardize(rows)
        return self.estimator._to_network(standardized, self.floatx)

    def _rows(self, start, keep_held_out):
        """A block's training (or held-out) rows, their targets (or None) and
        their indices in X."""
        stop = start + self.X.block_rows
        rows = self.X[start:stop]
        targets = None if self.target is None else self.target[start:stop]
        index = np.arange(start, start + len(rows))
        if self.masks is None:
            return rows, targets, index
        mask = self.masks[start] if keep_held_out else ~self.masks[start]
        return rows[mask], None if targets is None else targets[mask], index[mask]

    def _with_weights(self, arrays, index):
        return arrays if self.weights is None else arrays + (self.weights[index],)

    def training(self, epoch):
        """The epoch's shuffled training rows, ``(k, batch_size, ...)`` at a time.

        Each group is ``(x, [weights])`` (the target is x itself), or ``(x,
        y, [weights])`` with a separate target.
        """
        random = np.random.RandomState(self.estimator._seed + epoch)
        starts = random.permutation(np.asarray(self.X.block_starts()))

        def buffers():
            for first in range(0, len(starts), BUFFER_BLOCKS):
                blocks = [self._rows(s, False) for s in starts[first : first + BUFFER_BLOCKS]]
                rows, targets, index = zip(*blocks)
                rows, index = np.concatenate(rows), np.concatenate(index)
                order = random.permutation(len(rows))
                arrays = (self._inputs(rows[order]),)
                if self.target is not None:
                    arrays += (self._inputs(np.concatenate(targets)[order]),)
                arrays = self._with_weights(arrays, index[order])
                # only the yielded arrays live on while the next buffer is read
                del blocks, rows, targets, index, order
                yield arrays
                del arrays

        return _in_batches(buffers(), self.batch_size, self.multiple_of)

    def validation(self):
        """The held-out rows (as ``_validation_inputs`` makes them) and targets."""

        def chunks():
            for index, start in enumerate(self.X.block_starts()):
                if not self.masks[start].any():
                    continue
                rows, targets, rows_index = self._rows(start, True)
                inputs = self._inputs(rows)
                held_out = self.estimator._validation_inputs(inputs, self.seed + index)
                targets = inputs if targets is None else self._inputs(targets)
                yield self._with_weights((held_out, targets), rows_index)

        return _in_batches(chunks(), self.batch_size, self.multiple_of)


def _stream(estimator, X, target, sample_weight, initial_epoch, validation):
    target = None if target is X else target
    seed = estimator._seed + initial_epoch
    return _EpochStream(estimator, X, target, sample_weight, seed, validation)


def streamed_epochs(estimator, X, target, sample_weight, initial_epoch, *, validation):
    """X's rows (and ``target``'s, unless it is X) streamed for ``compiled_fit.fit``.

    Returns ``(stream, sample, input_is_target)``: the epochs' stream, one
    row of each array, and whether the target is the input itself.
    """
    stream = _stream(estimator, X, target, sample_weight, initial_epoch, validation)
    x = np.zeros((1,) + tuple(estimator._network_shape()), stream.floatx)
    sample = (x, x) + (() if stream.weights is None else (stream.weights[:1],))
    return stream, sample, stream.target is None


def streamed_fit_data(estimator, X, target, sample_weight, initial_epoch, *, validation):
    """``Model.fit`` keyword arguments that stream X's rows (see the module docstring)."""
    stream = _stream(estimator, X, target, sample_weight, initial_epoch, validation)
    input_is_target = stream.target is None
    epochs = itertools.count(initial_epoch)
    batches = stream.n_batches(stream.n_train)
    if keras.backend.backend() != "tensorflow":
        # shuffle=False: Keras would shuffle the batch indices with Python's
        # global random; the stream shuffles itself
        training = _StreamedBatches(
            lambda: stream.training(next(epochs)), batches, input_is_target
        )
        kwargs = dict(x=training, shuffle=False)
        if validation:
            val_batches = stream.n_batches(stream.n_val)
            kwargs["validation_data"] = _StreamedBatches(stream.validation, val_batches, False)
        return kwargs
    import tensorflow as tf

    network_shape = (None, None) + tuple(estimator._network_shape())
    spec = tf.TensorSpec(network_shape, stream.floatx)
    weights = () if stream.weights is None else (tf.TensorSpec((None, None), stream.floatx),)

    def dataset(generator, signature, n_batches):
        data = tf.data.Dataset.from_generator(generator, output_signature=signature)
        data = data.unbatch().apply(tf.data.experimental.assert_cardinality(n_batches))
        return data.prefetch(2)

    # an autoencoder's target is its input: mapped inside TensorFlow, not copied
    targets = () if input_is_target else (spec,)
    train = dataset(lambda: stream.training(next(epochs)), (spec, *targets, *weights), batches)
    if input_is_target:
        train = train.map(lambda x, *w: (x, x, *w))
    kwargs = dict(x=train, shuffle=False)
    if validation:
        kwargs["validation_data"] = dataset(
            stream.validation, (spec, spec, *weights), stream.n_batches(stream.n_val)
        )
    return kwargs


class _StreamedBatches(keras.utils.PyDataset):
    """Batches of a stream, for backends other than TensorFlow.

    Keras reads a PyDataset's batches in order (one worker); each pass from
    batch 0 starts the next epoch's stream. With ``input_is_target``, the
    stream's ``(x, [weights])`` become ``(x, x, [weights])``.
    """

    def __init__(self, make_batches, n_batches, input_is_target):
        super().__init__()
        self._make_batches = make_batches
        self._n_batches = n_batches
        self._input_is_target = input_is_target
        self._batches = None
        self._next = 0

    def __len__(self):
        return self._n_batches

    def __getitem__(self, index):
        if index == 0 or self._batches is None:
            self._batches = (
                batch for group in self._make_batches() for batch in zip(*group)
            )
            self._next = 0
        if index != self._next:
            raise IndexError("streamed batches are read in order, from batch 0")
        self._next += 1
        batch = next(self._batches)
        return (batch[0], *batch) if self._input_is_target else batch
