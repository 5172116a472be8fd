"""The outlier detector's input: validated, then standardised feature by feature.

``AutoencoderOutlierDetector`` rescales X before its backbone sees it, so it
validates X itself (with the backbone's checks) and holds the per-feature
``center_`` and ``scale_``; out-of-core X is validated and standardised
block by block as the backbone reads it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._concurrency import consistent
from .._input.condition_columns import fitted_conditions, read_columns
from .._input.rows import validated_rows
from .._input.streaming import (
    ScaledRows,
    StreamedRows,
    is_out_of_core,
    read_all,
    streams,
)
from .._validation import rows_as_given
from .outlier_scores import center_and_scale, resolved_scaling


class ScaledInputMixin:
    """``_rows`` and ``_scaled``: the detector's X, as rows and as its backbone sees it."""

    def _rows(self, X, *, reset, stream=False):
        """``(X validated as rows, image shape or None, X's ndim)``.

        The checks are the backbone's own (``_input.validated_rows``), run
        here because the detector rescales X before the backbone sees it; the
        backbone then checks the rescaled array again, cheaply. With
        ``stream``, large out-of-core X comes back as ``StreamedRows``: its
        first rows checked now, every block when it is read.
        """
        if stream and streams(X):
            first, shape, ndim = self._rows(read_all(X[:2]), reset=reset)
            return StreamedRows(X, first.dtype, first.shape[1], type(self).__name__), shape, ndim
        if is_out_of_core(X):
            X = read_all(X)  # what the method returns is X-sized: loaded
        return validated_rows(self, X, reset=reset)

    def _scaled(self, X, *, reset, stream=False):
        """X standardised with ``center_`` and ``scale_``, in X's form (rows or images).

        With ``stream``, large out-of-core X is standardised as the backbone
        reads it, block by block (``ScaledRows``), and never loaded whole.
        """
        rows, shape, ndim = self._rows(X, reset=reset, stream=stream)
        if reset:
            self._fit_scaling(rows)
        if isinstance(rows, StreamedRows):
            # the form rows_as_given gives in-memory X
            sample_shape = rows_as_given(np.empty((0, rows.shape[1])), shape, ndim).shape[1:]
            return ScaledRows(rows, self.center_, self.scale_, sample_shape)
        return rows_as_given(self._standardized(rows), shape, ndim)

    def _standardized(self, rows):
        """Validated rows scaled with ``center_`` and ``scale_``, in the rows' dtype."""
        return ((rows - self.center_) / self.scale_).astype(rows.dtype, copy=False)

    def _fit_scaling(self, rows):
        self.scaling_ = resolved_scaling(self.scaling, self.loss, rows)
        self.center_, self.scale_ = center_and_scale(rows, self.scaling_)

    # ------------------------------------------------------------------
    # condition columns: the context of each row, read beside the rest
    # ------------------------------------------------------------------
    def _reads_condition_columns(self, reset):
        if reset:
            return self.condition_columns is not None
        return "condition_columns_" in vars(self)

    def _backbone_input(self, X, *, reset, stream=False):
        """The arguments of the backbone's methods for X: ``(scaled,)``, or
        ``(scaled measured columns, encoded condition columns)``."""
        if not self._reads_condition_columns(reset):
            return (self._scaled(X, reset=reset, stream=stream),)
        rows, condition = self._split_condition_columns(X, reset=reset)
        if reset:
            self._fit_scaling(rows)
        return self._standardized(rows), condition

    @consistent
    def encode_conditions(self, y):
        """The condition columns' values as an exported detector reads them.

        With ``condition_columns``, ``export`` writes a model with two
        inputs: ``"X"``, the other columns (float32), and ``"condition"``,
        this encoding of the condition columns (float32).

        Parameters
        ----------
        y : DataFrame or array-like of shape (n_samples, n_condition_columns)
            The values of the condition columns, in the order of
            ``condition_columns``.

        Returns
        -------
        conditions : ndarray of shape (n_samples, n_conditions)
            One-hot columns of the categorical ones, the numeric ones as they
            are, as float64.
        """
        check_is_fitted(self)
        if "condition_columns_" not in vars(self):
            raise ValueError(
                f"This {type(self).__name__} was fitted without condition_columns: "
                "it reads no conditions."
            )
        encoding = self._condition_encoding()
        return encoding.encode(encoding.context_of(y, type(self).__name__), type(self).__name__)

    def _condition_encoding(self):
        return fitted_conditions(self)

    def _split_condition_columns(self, X, *, reset):
        """``(measured rows, encoded condition)`` of X, the columns fitted at reset."""
        return read_columns(self, X, reset=reset)
