"""AnomalyScoreDisplay: histogram of outlier scores with the detector's threshold."""

import numpy as np

from ._shared import (
    axes,
    check_one_label_per_sample,
    estimator_name,
    fill_display_docs,
    final_estimator,
    set_title,
)


@fill_display_docs
class AnomalyScoreDisplay:
    """Histogram of outlier scores with the detector's threshold.

    Scores follow scikit-learn's convention (``score_samples``: higher is
    more normal); the threshold is the detector's ``offset_``, so samples
    left of it are predicted outliers. With labels ``y``, one histogram per
    label shows how well the scores separate them.

    Use :meth:`from_estimator` with any fitted detector that has
    ``score_samples`` (and ``offset_``), skae's ``AutoencoderOutlierDetector``
    or scikit-learn's ``IsolationForest`` alike.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        The scores (higher = more normal).
    offset : float, default=None
        The threshold; not drawn when None.
    y : array-like of shape (n_samples,), default=None
        Labels splitting the histogram: +1 / -1 (inlier / outlier, the
        outlier detectors' convention) or any other classes.
    {estimator_name}

    Attributes
    ----------
    patches_ : list of matplotlib.container.BarContainer
        The histogram bars, one container per label.
    threshold_line_ : matplotlib.lines.Line2D or None
        The threshold; None without ``offset``.
    {plot_attributes}

    See Also
    --------
    skae.AutoencoderOutlierDetector : Scores by reconstruction error.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderOutlierDetector
    >>> from skae.plotting import AnomalyScoreDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> detector = AutoencoderOutlierDetector(epochs=3, random_state=0)
    >>> detector = detector.fit(X[:200] / 16)
    >>> display = AnomalyScoreDisplay.from_estimator(detector, X[200:400] / 16)
    >>> float(display.threshold_line_.get_xdata()[0]) == detector.offset_
    True
    """

    def __init__(self, scores, *, offset=None, y=None, estimator_name=None):
        self.scores = scores
        self.offset = offset
        self.y = y
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, name=None, ax=None, **kwargs):
        """Score X with a fitted detector and plot the histogram.

        Parameters
        ----------
        estimator : estimator instance
            A fitted outlier detector with ``score_samples``, or a
            ``Pipeline`` ending with one; its ``offset_`` (when it has one)
            is drawn as the threshold.
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        y : array-like of shape (n_samples,), default=None
            Labels splitting the histogram, e.g. +1 for inliers and -1 for
            outliers.
        {name_ax_kwargs}

        Returns
        -------
        {display}
        """
        scores = np.asarray(estimator.score_samples(X), dtype=np.float64)
        check_one_label_per_sample(y, len(scores))
        display = cls(
            scores,
            offset=getattr(final_estimator(estimator), "offset_", None),
            y=y,
            estimator_name=estimator_name(estimator, name),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, bins=30, name=None, **kwargs):
        """Plot the histogram and the threshold.

        Parameters
        ----------
        {ax}
        bins : int or sequence, default=30
            Bins shared by every label, as in ``numpy.histogram_bin_edges``.
        {plot_name}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.hist``.

        Returns
        -------
        {display}
        """
        scores = np.asarray(self.scores, dtype=np.float64)
        self.figure_, self.ax_ = axes(ax, (6, 4))
        edges = np.histogram_bin_edges(scores[np.isfinite(scores)], bins=bins)
        kwargs = {"alpha": 0.6 if self.y is not None else 0.85, **kwargs}
        self.patches_ = []
        for label, mask in _groups(self.y, len(scores)):
            self.patches_.append(
                self.ax_.hist(scores[mask], bins=edges, label=label, **kwargs)[2]
            )
        self.threshold_line_ = None
        if self.offset is not None:
            offset = float(self.offset)
            self.ax_.axvspan(
                min(edges[0], offset), offset, color="tab:red", alpha=0.08,
                label="predicted outliers",
            )
            self.threshold_line_ = self.ax_.axvline(
                offset, color="tab:red", linestyle="--",
                label=f"threshold (offset_ = {offset:.3g})",
            )
        self.ax_.set_xlabel("score_samples (higher = more normal)")
        self.ax_.set_ylabel("number of samples")
        set_title(self.ax_, "Anomaly scores", name or self.estimator_name)
        if self.y is not None or self.offset is not None:
            self.ax_.legend(loc="upper left", fontsize="small")
        return self


def _groups(y, n_samples):
    """``(label, mask)`` of each histogram: one per class of y, or one in all."""
    if y is None:
        return [(None, np.ones(n_samples, dtype=bool))]
    y = np.asarray(y)
    classes = np.unique(y)
    if set(classes.tolist()) <= {-1, 1}:
        names = {1: "inliers (y = 1)", -1: "outliers (y = -1)"}
        return [(names[c], y == c) for c in (1, -1) if c in classes]
    return [(f"y = {c}", y == c) for c in classes]
