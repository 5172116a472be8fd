"""What the outlier detector shows of a sample: its reconstruction, its errors per feature."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._concurrency import consistent
from .._input.dask import lazy_on_dask
from .._validation import rows_as_given


class ExplanationMixin:
    """``reconstruct`` and ``feature_errors`` of ``AutoencoderOutlierDetector``."""

    @consistent
    @lazy_on_dask("like_input")
    def reconstruct(self, X):
        """The backbone's reconstruction of X (the decoder's mean for a VAE).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to reconstruct.

        Returns
        -------
        X_reconstructed : ndarray of the shape of X
            ``backbone_.reconstruct(X)``, in X's float dtype and shape.
        """
        check_is_fitted(self)
        if self._reads_condition_columns(False):
            scaled, condition = self._backbone_input(X, reset=False)
            restored = self.backbone_.reconstruct(scaled, condition) * self.scale_ + self.center_
            return restored.astype(scaled.dtype, copy=False)
        rows, shape, ndim = self._rows(X, reset=False)
        restored = self.backbone_.reconstruct(rows_as_given(self._standardized(rows), shape, ndim))
        restored = restored.reshape(len(rows), -1) * self.scale_ + self.center_
        return rows_as_given(restored.astype(rows.dtype, copy=False), shape, ndim)

    @consistent
    @lazy_on_dask("like_input")
    def feature_errors(self, X):
        """Squared reconstruction error of each feature of each sample.

        Shows which features make a sample anomalous. Errors are measured in
        the units the backbone sees, each feature divided by ``scale_``, so
        that their row mean is minus ``score_samples`` (with the variational
        backbone, the errors are those of the decoder's mean and the scores
        are ELBOs instead).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to explain.

        Returns
        -------
        errors : ndarray or pandas.DataFrame of the shape of X
            ``((X - reconstruct(X)) / scale_) ** 2`` as float64: a DataFrame
            with X's columns and index when X is one, images when X holds
            images.
        """
        check_is_fitted(self)
        inputs = self._backbone_input(X, reset=False)
        scaled = inputs[0]
        restored = self.backbone_.reconstruct(*inputs)
        errors = (np.asarray(scaled, dtype=np.float64) - restored) ** 2
        if hasattr(X, "columns") and hasattr(X, "index"):
            import pandas as pd

            columns = X.columns
            if self._reads_condition_columns(False):  # the measured columns only
                columns = columns.delete(self.condition_columns_)
            return pd.DataFrame(errors, columns=columns, index=X.index)
        return errors
