"""The outlier detector's input: validated, then standardised feature by feature.

``AutoencoderOutlierDetector`` rescales X before its backbone sees it, so it
validates X itself (with the backbone's checks) and holds the per-feature
``center_`` and ``scale_``; out-of-core X is validated and standardised
block by block as the backbone reads it.
"""

import numpy as np

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
            self.scaling_ = resolved_scaling(self.scaling, self.loss, rows)
            self.center_, self.scale_ = center_and_scale(rows, self.scaling_)
        if isinstance(rows, StreamedRows):
            # the form rows_as_given gives in-memory X
            sample_shape = rows_as_given(np.empty((0, rows.shape[1])), shape, ndim).shape[1:]
            return ScaledRows(rows, self.center_, self.scale_, sample_shape)
        scaled = ((rows - self.center_) / self.scale_).astype(rows.dtype, copy=False)
        return rows_as_given(scaled, shape, ndim)
