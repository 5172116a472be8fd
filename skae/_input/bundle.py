"""The rows that flow through skae: one named bundle of aligned arrays.

From validation to batches, to the trainer, to the network, every path
carries one ``Rows``: the samples' inputs, what the network learns to
output, a condition the network reads beside the inputs, and the samples'
weights. A model with a second input (a condition) is then a change where
the bundle is made (the estimator's hooks) and where its network is built,
not along the way: the training loops, the streamed epochs and the
validation split take every array of the bundle, row for row.
"""

from typing import Any, NamedTuple

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras


class Rows(NamedTuple):
    """Aligned arrays of the same samples, row for row.

    Attributes
    ----------
    inputs : ndarray or StreamedRows
        What the encoder reads: validated rows ``(n, n_features)`` (or, on
        the way to the network, standardised samples of the network's shape).
    target : ndarray or StreamedRows or None
        What the network learns to output, row for row; None for the inputs
        themselves (an autoencoder), so that they are never copied twice.
    condition : ndarray or StreamedRows or None
        Rows ``(n, n_conditions)`` the network reads beside the inputs
        (encoder and decoder alike) and does not reconstruct; None for none.
    sample_weight : ndarray or None
        The weight of each sample in the loss.
    """

    inputs: Any
    target: Any = None
    condition: Any = None
    sample_weight: Any = None

    @property
    def n_samples(self):
        return self.inputs.shape[0]

    def map(self, function):
        """``function`` of every array given; None stays None."""
        return Rows(*(None if array is None else function(array) for array in self))

    def take(self, index):
        """The rows ``index`` of every array (in memory)."""
        return self.map(lambda array: array[index])

    def present(self):
        """Which of the four arrays are given: a static layout for compiled calls."""
        return tuple(array is not None for array in self)

    def arrays(self):
        """The given arrays, in order (see ``present`` and ``from_arrays``)."""
        return tuple(array for array in self if array is not None)

    @classmethod
    def from_arrays(cls, arrays, present):
        """The ``Rows`` whose ``arrays()`` are ``arrays`` and ``present()`` is ``present``."""
        given = iter(arrays)
        return cls(*(next(given) if here else None for here in present))

    def network_data(self):
        """``(x, y)`` or ``(x, y, sample_weight)`` as Keras's ``train_step`` reads them.

        ``x`` is the inputs, or ``(inputs, condition)``; ``y`` the target,
        or the inputs themselves.
        """
        x = self.inputs if self.condition is None else (self.inputs, self.condition)
        y = self.inputs if self.target is None else self.target
        return (x, y) if self.sample_weight is None else (x, y, self.sample_weight)


def first_rows(data, n=1):
    """The first ``n`` rows of every array of a (nested) structure of arrays."""
    return keras.tree.map_structure(lambda array: array[:n], data)
