"""TimeSeriesAnomalyDisplay: a series, its reconstruction, and the point score beneath."""

import numpy as np

from ._shared import (
    estimator_name,
    fill_display_docs,
    final_estimator,
    pyplot,
    reconstruct,
    set_title,
)

# height of the series panel to that of the score panel
HEIGHT_RATIOS = (2, 1)
# features named in the legend; more are counted
MAX_LEGEND_FEATURES = 6


@fill_display_docs
class TimeSeriesAnomalyDisplay:
    """A series with its reconstruction, and the anomaly score of each time point.

    Two panels share the time axis: above, each feature of the series (solid)
    with the model's reconstruction of it (dashed, the same colour); below,
    the score of each time point with the detector's threshold. Time points
    scored below the threshold (predicted anomalous) are shaded on both
    panels and marked on the score.

    Scores follow scikit-learn's convention (``score_samples``: higher is
    more normal), as in :class:`AnomalyScoreDisplay`. A point's score and
    reconstruction come from the windows covering it
    (:meth:`skae.preprocessing.SlidingWindows.point_scores` and
    :meth:`~skae.preprocessing.SlidingWindows.point_values`).

    The two panels: ``ax_`` (the series, with the title) and
    ``score_ax_``. ``plot(ax=...)`` draws the series on ``ax`` and, without
    ``score_ax``, splits ``ax``'s cell of its figure's grid into the two
    panels, as scikit-learn's ``PartialDependenceDisplay`` treats one Axes
    as the room for several.

    Use :meth:`from_estimator` with a fitted ``Pipeline([("windows",
    SlidingWindows(...)), ("detector", detector)])`` (or a detector and its
    windows), or :meth:`from_predictions` with values already computed.

    Parameters
    ----------
    series : array-like of shape (n_times, n_features)
        The series.
    reconstruction : array-like of shape (n_times, n_features) or None
        The model's reconstruction of each time point; not drawn when None.
    scores : array-like of shape (n_times,)
        The score of each time point (higher = more normal).
    threshold : float, default=None
        Points scored below it are flagged; not drawn when None.
    time : array-like of shape (n_times,), default=None
        The time of each point (numbers or datetimes); ``0, 1, ...`` when
        None.
    feature_names : array-like of str, default=None
        Names of the features, for the legend.
    {estimator_name}

    Attributes
    ----------
    flagged_ : ndarray of shape (n_times,), dtype=bool
        The points scored below ``threshold`` (none without it).
    series_lines_ : list of matplotlib.lines.Line2D
        The features drawn, one line each.
    reconstruction_lines_ : list of matplotlib.lines.Line2D
        Their reconstructions; empty without ``reconstruction``.
    score_line_ : matplotlib.lines.Line2D
        The point scores.
    threshold_line_ : matplotlib.lines.Line2D or None
        The threshold; None without ``threshold``.
    flagged_points_ : matplotlib.collections.PathCollection
        The flagged points, marked on the score.
    score_ax_ : matplotlib.axes.Axes
        Axes with the scores, below ``ax_``.
    {plot_attributes}

    See Also
    --------
    skae.preprocessing.SlidingWindows : Cuts a series into windows.
    AnomalyScoreDisplay : Histogram of a detector's scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import Pipeline
    >>> from skae import AutoencoderOutlierDetector
    >>> from skae.plotting import TimeSeriesAnomalyDisplay
    >>> from skae.preprocessing import SlidingWindows
    >>> t = np.arange(600)
    >>> series = np.c_[np.sin(t / 5), np.cos(t / 7)]
    >>> series[400:405, 0] += 3  # an anomaly
    >>> pipe = Pipeline([
    ...     ("windows", SlidingWindows(width=16, stride=4)),
    ...     ("detector", AutoencoderOutlierDetector(
    ...         architecture="sequence", filters=(8,), epochs=3, random_state=0)),
    ... ]).fit(series[:300])
    >>> display = TimeSeriesAnomalyDisplay.from_estimator(pipe, series)
    >>> display.scores.shape, display.reconstruction.shape
    ((600,), (600, 2))
    """

    def __init__(
        self,
        series,
        reconstruction,
        scores,
        *,
        threshold=None,
        time=None,
        feature_names=None,
        estimator_name=None,
    ):
        self.series = series
        self.reconstruction = reconstruction
        self.scores = scores
        self.threshold = threshold
        self.time = time
        self.feature_names = feature_names
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls, estimator, series, *, windows=None, reduce="min", name=None, ax=None,
        score_ax=None, **kwargs,
    ):
        """Score and reconstruct a series with a fitted detector, and plot them.

        The series is cut into windows (in memory: a series to draw), the
        windows are scored (``score_samples``) and reconstructed, and both are
        mapped back to time points by the windows' ``point_scores`` (with
        ``reduce``) and ``point_values`` (the mean over the windows covering
        a point).

        Parameters
        ----------
        estimator : estimator instance
            A fitted ``Pipeline`` whose first step is a fitted
            :class:`~skae.preprocessing.SlidingWindows` and whose last is a
            detector with ``score_samples`` and ``reconstruct`` (its
            ``offset_`` is the threshold); or, with ``windows``, the detector
            (or a Pipeline of what follows the windows) alone.
        series : array-like or DataFrame of shape (n_times, n_features)
            The series to draw; a DataFrame's index is the time axis and its
            columns name the features.
        windows : SlidingWindows, default=None
            The fitted windows the estimator reads, when it is not a
            Pipeline starting with them.
        reduce : {"min", "max", "mean"}, default="min"
            How the scores of the windows covering a point combine (see
            ``SlidingWindows.point_scores``): by default, a point scores as
            its most abnormal window, so that the flagged points are those
            of the windows ``predict`` flags.
        {name}
        ax : matplotlib.axes.Axes, default=None
            Axes for the series; a new figure when None. Without
            ``score_ax``, its cell of the figure's grid is split into the
            two panels.
        score_ax : matplotlib.axes.Axes, default=None
            Axes for the scores.
        **kwargs : dict
            Keyword arguments passed to ``plot``.

        Returns
        -------
        {display}
        """
        windows, model = _windows_and_model(estimator, windows)
        n_times = len(series)
        cut = windows.transform(series)
        window_scores = np.asarray(model.score_samples(cut), dtype=np.float64)
        reconstructed = reconstruct(model, cut)
        display = cls(
            _values(series),
            windows.point_values(reconstructed, n_times),
            windows.point_scores(window_scores, n_times, reduce=reduce),
            threshold=getattr(final_estimator(estimator), "offset_", None),
            time=getattr(series, "index", None),
            feature_names=_feature_names(series),
            estimator_name=estimator_name(estimator, name),
        )
        return display.plot(ax=ax, score_ax=score_ax, **kwargs)

    @classmethod
    def from_predictions(
        cls, series, scores, reconstruction=None, *, windows=None, threshold=None,
        reduce="min", name=None, ax=None, score_ax=None, **kwargs,
    ):
        """Plot scores (and reconstructions) already computed, per point or per window.

        With ``windows``, ``scores`` and ``reconstruction`` are those of the
        windows (one score per window; windows of values), e.g. gathered
        block by block from ``SlidingWindows.iter_windows``, and are mapped
        back to time points here; without it, they are per time point.

        Parameters
        ----------
        series : array-like or DataFrame of shape (n_times, n_features)
            The series; a DataFrame's index is the time axis.
        scores : array-like of shape (n_times,) or (n_windows,)
            Scores, higher = more normal.
        reconstruction : array-like, default=None
            ``(n_times, n_features)``, or with ``windows`` ``(n_windows,
            width, n_features)``; not drawn when None.
        windows : SlidingWindows, default=None
            The fitted windows ``scores`` and ``reconstruction`` are of.
        threshold : float, default=None
            Points scored below it are flagged (a detector's ``offset_``).
        reduce : {"min", "max", "mean"}, default="min"
            With ``windows``, how the scores of the windows covering a point
            combine.
        name : str, default=None
            Name shown in the title.
        ax : matplotlib.axes.Axes, default=None
            Axes for the series; a new figure when None.
        score_ax : matplotlib.axes.Axes, default=None
            Axes for the scores; ``ax``'s cell is split when None.
        {plot_kwargs}

        Returns
        -------
        {display}
        """
        n_times = len(series)
        if windows is not None:
            scores = windows.point_scores(scores, n_times, reduce=reduce)
            if reconstruction is not None:
                reconstruction = windows.point_values(reconstruction, n_times)
        display = cls(
            _values(series),
            reconstruction,
            np.asarray(scores, dtype=np.float64),
            threshold=threshold,
            time=getattr(series, "index", None),
            feature_names=_feature_names(series),
            estimator_name=name,
        )
        return display.plot(ax=ax, score_ax=score_ax, **kwargs)

    def plot(self, ax=None, *, score_ax=None, features=None, name=None, **kwargs):
        """Plot the series, its reconstruction, the scores and the flagged points.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes for the series; a new figure when None. Without
            ``score_ax``, ``ax`` is moved to the upper part of its cell of
            the figure's grid and the scores are drawn on new Axes below.
        score_ax : matplotlib.axes.Axes, default=None
            Axes for the scores.
        features : array-like of int, default=None
            Indices of the features drawn; all when None.
        {plot_name}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.plot`` for
            the score line.

        Returns
        -------
        {display}
        """
        series = _as_2d(self.series, "series")
        n_times, n_features = series.shape
        reconstruction = None
        if self.reconstruction is not None:
            reconstruction = _as_2d(self.reconstruction, "reconstruction")
            if reconstruction.shape != series.shape:
                raise ValueError(
                    f"reconstruction has shape {reconstruction.shape} but series has "
                    f"shape {series.shape}; give one reconstructed row per time point."
                )
        scores = np.asarray(self.scores, dtype=np.float64).ravel()
        if len(scores) != n_times:
            raise ValueError(
                f"scores has {len(scores)} values but the series has {n_times} time "
                "points; give one score per point (or use from_predictions with "
                "windows= for one per window)."
            )
        time = np.arange(n_times) if self.time is None else np.asarray(self.time)
        if len(time) != n_times:
            raise ValueError(f"time has {len(time)} values, the series {n_times} points.")
        features = range(n_features) if features is None else [int(f) for f in features]
        for feature in features:
            if not 0 <= feature < n_features:
                raise ValueError(
                    f"features holds {feature}, but the series has {n_features} "
                    f"features (0 to {n_features - 1})."
                )
        names = (
            [f"x{i}" for i in range(n_features)]
            if self.feature_names is None
            else [str(n) for n in self.feature_names]
        )
        self.flagged_ = (
            np.zeros(n_times, dtype=bool)
            if self.threshold is None
            else scores < float(self.threshold)
        )
        self.figure_, self.ax_, self.score_ax_ = _panels(ax, score_ax)

        colours = pyplot().rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
        self.series_lines_, self.reconstruction_lines_ = [], []
        for i, feature in enumerate(features):
            colour = colours[i % len(colours)]
            (line,) = self.ax_.plot(
                time, series[:, feature], color=colour, linewidth=1.0, label=names[feature]
            )
            self.series_lines_.append(line)
            if reconstruction is not None:
                (line,) = self.ax_.plot(
                    time, reconstruction[:, feature], color=colour, linestyle="--",
                    linewidth=1.0, alpha=0.8, label=f"_{names[feature]}, reconstructed",
                )
                self.reconstruction_lines_.append(line)
        kwargs = {"color": "black", "linewidth": 1.0, **kwargs}
        (self.score_line_,) = self.score_ax_.plot(time, scores, label="point score", **kwargs)
        self.threshold_line_ = None
        if self.threshold is not None:
            self.threshold_line_ = self.score_ax_.axhline(
                float(self.threshold), color="tab:red", linestyle="--",
                label=f"threshold ({float(self.threshold):.3g})",
            )
        self.flagged_points_ = self.score_ax_.scatter(
            time[self.flagged_], scores[self.flagged_], color="tab:red", s=8, zorder=3,
            label=f"flagged ({int(self.flagged_.sum())} points)",
        )
        for panel in (self.ax_, self.score_ax_):
            if self.flagged_.any():
                panel.fill_between(
                    time, 0, 1, where=self.flagged_, step="mid", color="tab:red",
                    alpha=0.12, linewidth=0, transform=panel.get_xaxis_transform(),
                )
        self.ax_.set_ylabel("value")
        self.ax_.tick_params(labelbottom=False)
        self.score_ax_.set_ylabel("score\n(higher = more normal)")
        self.score_ax_.set_xlabel("time")
        self._series_legend()
        self.score_ax_.legend(loc="lower left", fontsize="x-small")
        set_title(self.ax_, "Time series anomalies", name or self.estimator_name)
        return self


    def _series_legend(self):
        """A legend of the first features drawn, and of the reconstruction's style."""
        from matplotlib.lines import Line2D

        handles = self.series_lines_[:MAX_LEGEND_FEATURES]
        if len(self.series_lines_) > MAX_LEGEND_FEATURES:
            handles = handles + [
                Line2D(
                    [], [], linestyle="none",
                    label=f"(+{len(self.series_lines_) - MAX_LEGEND_FEATURES} features)",
                )
            ]
        if self.reconstruction_lines_:
            handles = handles + [
                Line2D([], [], color="grey", linestyle="--", label="reconstructed")
            ]
        self.ax_.legend(
            handles=handles, loc="upper left", fontsize="x-small",
            ncols=min(len(handles), 4),
        )


def _panels(ax, score_ax):
    """``(figure, series axes, score axes)``: given, or made, sharing the time axis."""
    if ax is None and score_ax is None:
        figure, (ax, score_ax) = pyplot().subplots(
            2, 1, figsize=(9, 5), sharex=True, height_ratios=HEIGHT_RATIOS,
            layout="constrained",
        )
        return figure, ax, score_ax
    if ax is None:
        raise ValueError("score_ax is given without ax: pass both, or neither.")
    if score_ax is None:
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if spec is None:
            raise ValueError(
                "ax is not in a grid of subplots (it was placed by hand), so it "
                "can not be split into the series and score panels: pass score_ax too."
            )
        upper, lower = spec.subgridspec(2, 1, height_ratios=HEIGHT_RATIOS)
        ax.set_subplotspec(upper)
        score_ax = ax.figure.add_subplot(lower, sharex=ax)
    elif score_ax.figure is not ax.figure:
        raise ValueError("ax and score_ax must be in the same figure.")
    return ax.figure, ax, score_ax


def _windows_and_model(estimator, windows):
    """The fitted SlidingWindows, and what reads their windows."""
    if windows is not None:
        return windows, estimator
    steps = getattr(estimator, "steps", None)
    first = steps[0][1] if steps else None
    if first is None or not hasattr(first, "point_scores"):
        raise TypeError(
            f"{type(estimator).__name__} does not start with SlidingWindows: pass "
            "Pipeline([('windows', SlidingWindows(...)), ('detector', detector)]), "
            "or the detector with windows=<the fitted SlidingWindows>."
        )
    rest = estimator[1:]
    return first, (rest[-1] if len(rest) == 1 else rest)


def _values(series):
    """A series' values as a float64 ndarray."""
    values = series.to_numpy() if hasattr(series, "to_numpy") else np.asarray(series)
    return np.asarray(values, dtype=np.float64)


def _as_2d(values, what):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2:
        raise ValueError(
            f"{what} must be of shape (n_times, n_features), got shape {values.shape}."
        )
    return values


def _feature_names(series):
    columns = getattr(series, "columns", None)
    if columns is not None:
        return [str(c) for c in columns]
    name = getattr(series, "name", None)  # a pandas Series
    return None if name is None else [str(name)]
