"""What the outlier detector makes of its threshold: probabilities, confidence, calibration.

``ThresholdMixin`` holds ``AutoencoderOutlierDetector``'s methods that read
``offset_`` and ``training_scores_`` beside ``decision_function``; their
statistics are ``outlier_scores``'s NumPy functions.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._concurrency import changing, consistent
from .._input.dask import lazy_on_dask
from .outlier_scores import exceed_confidence, outlier_probability


class ThresholdMixin:
    """``predict_proba``, ``predict_confidence`` and ``set_threshold``."""

    @consistent
    @lazy_on_dask("probabilities")
    def predict_proba(self, X):
        """Probability of each sample to be an inlier and an outlier.

        A probit calibration of ``decision_function`` around the threshold:
        the outlier probability is ``Phi(-decision_function(X) / spread)``,
        with ``Phi`` the standard normal distribution function and ``spread``
        the robust standard deviation (interquartile range / 1.349) of
        ``training_scores_``. It is 0.5 at ``offset_``, above 0.5 exactly
        where ``predict`` says -1, and moves from 0 to 1 as a sample's score
        falls from well above the threshold to well below it, in units of
        the spread of the training scores. It is a monotone rescaling of the
        scores, not a calibrated frequency: to calibrate, set the threshold
        on held-out normal data with ``set_threshold``. (PyOD's
        ``predict_proba`` has the same two columns; its "unify" method
        centres a Gaussian on the mean of the training scores instead of the
        threshold, so 0.5 there does not match its ``predict``.)

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Column 0: probability of being an inlier; column 1: of being an
            outlier (as PyOD's). Rows sum to 1.
        """
        outlier = outlier_probability(self.decision_function(X), self.training_scores_)
        return np.column_stack([1.0 - outlier, outlier])

    @consistent
    @lazy_on_dask("values")
    def predict_confidence(self, X):
        """Confidence in each prediction of ``predict``, in [0, 1].

        ExCeeD (Perini et al., 2020), as PyOD's ``predict_confidence``: the
        probability that the prediction would stay the same had the detector
        been trained on another sample of the same size. A sample's
        outlyingness is its rank among the ``n`` training scores (``k`` of
        them score at least as high); with a uniform prior, the probability
        that a new training sample is more normal is ``p = (1 + k) / (2 +
        n)``, and the sample is flagged when more than ``n - m`` of ``n``
        training samples are, ``m`` being the number of training samples
        below ``offset_``. The confidence is that binomial probability,
        ``1 - binom.cdf(n - m, n, p)``, for predicted outliers, and one minus
        it for inliers: near 1 far from the threshold, about 0.5 at it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to predict.

        Returns
        -------
        confidence : ndarray of shape (n_samples,)
            Confidence in ``predict(X)``, as float64.

        References
        ----------
        L. Perini, V. Vercruyssen and J. Davis, "Quantifying the confidence
        of anomaly detectors in their example-wise predictions", ECML PKDD
        2020.
        """
        return exceed_confidence(self.decision_function(X), self.training_scores_, self.offset_)

    def set_threshold(self, X, *, false_positive_rate=0.01):
        """Move ``offset_`` to flag a given fraction of held-out normal data.

        For a detector trained on normal data, ``contamination`` sets the
        threshold on the training data, which the model fits better than new
        data. Calibrating it on normal samples held out from training
        instead targets the false-positive rate on new normal data.
        ``offset_`` becomes the ``false_positive_rate`` quantile of
        ``score_samples(X)`` (the nearest score at or below it), so at most
        that fraction of X is predicted to be outliers. ``fit`` and
        ``partial_fit`` set ``offset_`` from ``contamination`` again.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Normal (inlier) samples not used for training.
        false_positive_rate : float, default=0.01
            Target fraction of normal samples flagged as outliers, in (0, 1).

        Returns
        -------
        self : object
            The detector, with the new ``offset_``.
        """
        check_is_fitted(self)
        if not (
            isinstance(false_positive_rate, numbers.Real)
            and 0 < false_positive_rate < 1
        ):
            raise ValueError(
                "false_positive_rate must be a number in (0, 1), such as 0.01 for "
                f"1% of normal samples flagged; got {false_positive_rate!r}."
            )
        # one model's scores and threshold, whatever other threads fit
        with changing(self):
            scores = self.score_samples(X)
            self.offset_ = float(np.quantile(scores, false_positive_rate, method="lower"))
        return self
