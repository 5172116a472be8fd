"""The inference every skae autoencoder shares: one path, and the public methods on it.

Every prediction goes through ``_forward``: validated rows (or a ``Rows``
bundle with a condition) standardised in their own precision, run through
the estimator's compiled ``_encode_batch``/``_decode_batch`` in bounded
chunks (``_engine.inference``), and returned in the input's dtype and
shape. ``PredictionMixin`` holds it for ``BaseAutoencoder``, together with
``transform``, ``inverse_transform``, ``reconstruct``, ``score_samples``
and ``score``.
"""

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

from .._concurrency import consistent
from .._engine.inference import (
    inference_function,
    lent_to_backend,
    networks_for,
    run_in_chunks,
)
from .._engine.one_row_scores import one_row_scorer
from .._input.bundle import Rows
from .._input.dask import lazy_on_dask
from .._input.streaming import StreamedRows
from .._validation import FLOAT_DTYPES, check_finite_scores


def check_fitted(estimator):
    """``check_is_fitted(estimator)``, at the cost of ``__sklearn_is_fitted__`` when fitted.

    scikit-learn's check reads the estimator's tags first, a tenth of a
    one-row ``transform``; a fitted estimator's own O(1) answer makes it
    unnecessary, and an unfitted one gets scikit-learn's check and error.
    """
    if not estimator.__sklearn_is_fitted__():
        check_is_fitted(estimator)


class PredictionMixin:
    """The one inference path and the public inference methods of ``BaseAutoencoder``.

    Reads the fitted state (``mean_``, ``scale_``, the networks, the
    inference cache ``_inference``) and the hooks ``BaseAutoencoder``
    documents; defines no hook of its own.
    """

    # ------------------------------------------------------------------
    # the one inference path
    # ------------------------------------------------------------------
    def _to_network(self, rows, dtype):
        """Rows ``(n, n_features)`` as the network's input, in ``dtype``."""
        return np.asarray(rows, dtype=dtype).reshape((len(rows),) + self._network_shape())

    def _standardize(self, X, *, in_place=False):
        # in X's own precision: float32 rows stay float32 (no float64 copy);
        # in place (X a private chunk) the same bits without a temporary
        dtype = X.dtype if X.dtype in FLOAT_DTYPES else np.dtype(np.float64)
        mean, scale = self.mean_.astype(dtype, copy=False), dtype.type(self.scale_)
        if in_place and X.dtype == dtype:
            return np.divide(np.subtract(X, mean, out=X), scale, out=X)
        return (X - mean) / scale

    def _unstandardize(self, X):
        dtype = X.dtype if X.dtype in FLOAT_DTYPES else np.dtype(np.float64)
        return X * dtype.type(self.scale_) + self.mean_.astype(dtype, copy=False)

    def _networks_for(self, dtype):
        """Encoder and decoder computing in ``dtype`` (built once per fit)."""
        return networks_for(self, self._inference, dtype)

    def _one_row_scorer(self, dtype):
        """One row's float64 score in one compiled call (``one_row_scorer``), or None."""
        return one_row_scorer(self, self._inference, dtype, self._network_shape())

    def _inference_function(self, dtype, sample_shape, *, encode, decode, condition_shape=None):
        """The compiled ``_encode_batch`` and/or ``_decode_batch`` (looked up once per fit)."""
        return inference_function(
            self,
            self._inference,
            dtype,
            sample_shape,
            encode=encode,
            decode=decode,
            condition_shape=condition_shape,
        )

    def _forward(self, X, *, encode=True, decode=True):
        """Run X through the encoder and/or decoder in bounded-size chunks.

        X is validated rows (or codes, with ``encode=False``), or a ``Rows``
        of them with a condition, which the hooks then get beside each batch.
        Computes in X's float precision (float64 input is run through a float64
        copy of the network) and returns X's dtype. Every public inference
        method goes through here.
        """
        rows = X if isinstance(X, Rows) else Rows(X)
        X = rows.inputs
        dtype = X.dtype
        sample_shape = self._network_shape() if encode else X.shape[1:]
        condition_shape = None if rows.condition is None else tuple(rows.condition.shape[1:])
        network = self._inference_function(
            dtype, sample_shape, encode=encode, decode=decode, condition_shape=condition_shape
        )
        # an out-of-core input's chunks are private copies: standardised in
        # place and lent to the backend, without chunk-sized temporaries
        streamed = isinstance(X, StreamedRows)

        def step(batch, condition=None):
            if encode:
                batch = self._to_network(self._standardize(batch, in_place=streamed), dtype)
            batch = lent_to_backend(batch) if streamed else batch
            batch = network(batch if condition is None else (batch, condition.astype(dtype)))
            if decode:
                batch = self._unstandardize(batch.reshape(len(batch), -1))
            return batch

        chunks = X.private_chunks() if streamed else None
        return run_in_chunks(X, step, dtype, chunks, condition=rows.condition)

    # ------------------------------------------------------------------
    # public inference
    # ------------------------------------------------------------------
    @consistent
    @lazy_on_dask("rows")
    def transform(self, X):
        """Encode X into its codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to encode: rows, or images ``(n_samples, height, width)`` or
            ``(n_samples, height, width, channels)``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in X's float dtype.
        """
        check_fitted(self)
        X = self._check_input(X, reset=False)
        return self._codes(self._forward(X, decode=False))

    @consistent
    @lazy_on_dask("decoded")
    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features) or image array
            The decoded data, in the codes' float dtype, shaped like the data
            seen in ``fit`` (rows, or images of ``image_shape_``).
        """
        Z = self._checked_codes(X)
        return self._rows_as_given(self._forward(Z, encode=False), self._fit_ndim)

    def _checked_codes(self, X):
        """Codes given to ``inverse_transform``, validated: ``n_components_`` floats a row."""
        check_fitted(self)
        Z = check_array(X, dtype=FLOAT_DTYPES, input_name="X")
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}."
                f"inverse_transform expects codes with n_components="
                f"{self.n_components_} features."
            )
        return Z

    @consistent
    @lazy_on_dask("like_input")
    def reconstruct(self, X):
        """Encode then decode X: its reconstruction by the autoencoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to reconstruct: rows, or images ``(n_samples, height, width)``
            or ``(n_samples, height, width, channels)``.

        Returns
        -------
        X_reconstructed : ndarray of the shape of X
            The reconstruction, in X's float dtype and shape.
        """
        check_fitted(self)
        ndim = np.ndim(X)
        X = self._check_input(X, reset=False)
        return self._rows_as_given(self._forward(X), ndim)

    @consistent
    @lazy_on_dask("values")
    def score_samples(self, X):
        """Minus the mean squared reconstruction error of each sample.

        Higher is better reconstructed (more typical of the training data).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((X - reconstruct(X)) ** 2, axis=1)``, computed in float64
            and returned in X's float dtype (float32 for float32 X).
        """
        check_fitted(self)
        return self._finite_scores(self._check_input(X, reset=False))

    def _finite_scores(self, X):
        """``_score_samples`` of validated X (rows, or a ``Rows``), in X's float dtype.

        Refused with a clear error where a score is not finite
        (``check_finite_scores``). Every ``score_samples`` ends here.
        """
        dtype = (X.inputs if isinstance(X, Rows) else X).dtype
        with np.errstate(over="ignore", invalid="ignore"):  # refused just below
            scores = self._score_samples(X)
        return check_finite_scores(scores, type(self).__name__, dtype)

    def score(self, X, y=None, sample_weight=None):
        """Mean of ``score_samples``: minus the mean squared reconstruction error.

        Higher is better, so ``GridSearchCV`` can tune an autoencoder without
        a scorer, as it does ``PCA``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
        """
        return float(np.average(self.score_samples(X), weights=sample_weight))
