"""From a long series to windows, and from window scores back to time points.

:class:`SlidingWindows` cuts a series ``(n_times, n_features)`` into the
windows ``(n_windows, width, n_features)`` that ``architecture="sequence"``
reads, so that ``Pipeline([("windows", SlidingWindows(...)), ("detector",
AutoencoderOutlierDetector(architecture="sequence"))])`` scores windows, and
:meth:`SlidingWindows.point_scores` turns those window scores into one score
per time point. Nothing here is random, and nothing imports Keras.
"""

import math
import mmap
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._time_points import covering_maxima, covering_means, reduce_covering
from ._validation import FLOAT_DTYPES, reject_non_numeric

REDUCTIONS = ("min", "max", "mean")


def _is_dask(X):
    return type(X).__module__.startswith("dask.")


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes")


def _string_columns(X):
    """The column names of a frame, when they are all strings; else None."""
    if not _is_frame(X):
        return None
    names = list(X.columns)
    if names and all(isinstance(name, str) for name in names):
        return np.asarray(names, dtype=object)
    return None


class SlidingWindows(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Cut a series ``(n_times, n_features)`` into overlapping windows.

    Window ``i`` holds the time steps ``start_i`` to ``start_i + width - 1``,
    with ``start_i = i * stride``; when the last of those windows stops
    short of the series' end, one more window, ending exactly at the last
    time step, is added, so that every time point is in at least one window
    (:meth:`window_starts`). The windows are what ``architecture="sequence"``
    reads, and :meth:`point_scores` maps one value per window (a detector's
    scores or labels) back to one per time point.

    A transformer that returns more or fewer samples than it is given: put it
    first in a ``Pipeline``, whose later steps then see windows, and
    ``y`` (when a later step reads one) must be given per window.

    Parameters
    ----------
    width : int, default=32
        Time steps per window.
    stride : int, default=1
        Time steps between the starts of two consecutive windows; ``stride =
        width`` cuts the series into adjacent windows.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (channels) of the series seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X is a DataFrame with
        string column names.

    See Also
    --------
    skae.AutoencoderOutlierDetector : Detects anomalous windows with
        ``architecture="sequence"``.

    Notes
    -----
    ``transform`` copies the windows into memory (``n_windows * width *
    n_features`` values). A series larger than memory (a NumPy memmap, an
    HDF5 or Zarr array) is read a block of windows at a time with
    :meth:`iter_windows`; a Dask array is cut lazily by ``transform`` itself.
    ``fit`` reads only X's shape and column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.preprocessing import SlidingWindows
    >>> series = np.arange(20.0).reshape(10, 2)
    >>> windows = SlidingWindows(width=4, stride=3).fit(series)
    >>> windows.transform(series).shape
    (3, 4, 2)
    >>> windows.window_starts(len(series))
    array([0, 3, 6])
    >>> windows.point_scores(np.array([0.0, 5.0, 1.0]), len(series), reduce="max")
    array([0., 0., 0., 5., 5., 5., 5., 1., 1., 1.])
    """

    _parameter_constraints = {
        "width": [Interval(numbers.Integral, 1, None, closed="left")],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, width=32, stride=1):
        self.width = width
        self.stride = stride

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------
    # the series
    # ------------------------------------------------------------------
    def _series_shape(self, X):
        """``(n_times, n_features)`` of X, read without loading it."""
        name = type(self).__name__
        reject_non_numeric(X, name)
        if _is_dask(X) and hasattr(X, "to_dask_array"):  # a Dask DataFrame or Series
            X = X.to_dask_array(lengths=True)
        shape = getattr(X, "shape", None)
        if shape is None:
            X = np.asarray(X)
            shape = X.shape
        if len(shape) == 1:
            raise ValueError(
                f"{name} cuts a series of shape (n_times, n_features), but X is 1-D, "
                f"of shape {tuple(shape)}. Reshape your data: a series of one "
                "feature as X.reshape(-1, 1) (a pandas Series as series.to_frame())."
            )
        if len(shape) != 2:
            raise ValueError(
                f"{name} cuts a series of shape (n_times, n_features), but X has "
                f"shape {tuple(shape)}. Pass the series itself, one row per time "
                "step; X already cut into windows goes straight to an estimator "
                "with architecture='sequence'."
            )
        n_times = shape[0]
        if isinstance(n_times, float) and math.isnan(n_times):  # a Dask array, unknown sizes
            raise ValueError(
                f"{name} needs the length of the series, but this Dask collection's "
                "is unknown. Call X.compute_chunk_sizes() (or "
                "to_dask_array(lengths=True)) first."
            )
        return int(n_times), int(shape[1])

    def _checked_length(self, n_times):
        if n_times < self.width:
            raise ValueError(
                f"The series has {n_times} time steps (n_samples={n_times}), fewer "
                f"than width={self.width}: not one window fits. Lower width, or "
                "pass a longer series."
            )
        return n_times

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number (and names) of the series' features.

        Parameters
        ----------
        X : array-like, DataFrame or Dask array of shape (n_times, n_features)
            The series, one row per time step (a DataFrame's index, the time
            stamps, is not read). Its values are checked (numbers, finite);
            of a Dask series, only its shape and column names are read.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        n_times, n_features = self._series_shape(X)
        if not _is_dask(X):
            validate_data(self, X, dtype="numeric", accept_sparse=False)
        else:
            self.n_features_in_ = n_features
            names = _string_columns(X)
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        self._checked_length(n_times)
        return self

    def _check_series(self, X):
        """``n_times`` of X, checked against what fit saw."""
        check_is_fitted(self)
        n_times, n_features = self._series_shape(X)
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} was fitted "
                f"on a series of {self.n_features_in_}. Pass a series with the "
                "fitted features."
            )
        fitted, names = getattr(self, "feature_names_in_", None), _string_columns(X)
        if fitted is not None and names is not None and list(names) != list(fitted):
            raise ValueError(
                f"X's columns {list(names)} are not those seen in fit, "
                f"{list(fitted)}: pass them in the fitted order."
            )
        return self._checked_length(n_times)

    def window_starts(self, n_times):
        """The time step each window starts at, for a series of ``n_times`` steps.

        Parameters
        ----------
        n_times : int
            Length of the series.

        Returns
        -------
        starts : ndarray of shape (n_windows,)
            ``0, stride, 2 * stride, ...`` while a whole window fits, then
            ``n_times - width`` when the last of those ends before the
            series does.
        """
        n_times = self._checked_length(int(n_times))
        starts = np.arange(0, n_times - self.width + 1, self.stride)
        if starts[-1] + self.width < n_times:
            starts = np.append(starts, n_times - self.width)
        return starts

    # ------------------------------------------------------------------
    # series -> windows
    # ------------------------------------------------------------------
    def transform(self, X):
        """Cut X into its windows.

        Parameters
        ----------
        X : array-like, DataFrame or Dask array of shape (n_times, n_features)
            The series, with the features seen in fit.

        Returns
        -------
        windows : ndarray or Dask array of shape (n_windows, width, n_features)
            The windows, in time order (see :meth:`window_starts`); float32
            and float64 series keep their dtype, others become float64. A Dask
            series gives a lazy Dask array.
        """
        if _is_dask(X):
            return self._lazy_windows(X, self.window_starts(self._check_series(X)))
        check_is_fitted(self)
        n_times = self._series_shape(X)[0]  # a clear message for 1-D or 3-D X
        values = validate_data(self, X, reset=False, dtype=FLOAT_DTYPES, accept_sparse=False)
        starts = self.window_starts(n_times)
        view = np.lib.stride_tricks.sliding_window_view(values, self.width, axis=0)
        return np.ascontiguousarray(view.transpose(0, 2, 1)[starts])

    def _lazy_windows(self, X, starts):
        import dask.array as da

        if hasattr(X, "to_dask_array"):  # a Dask DataFrame
            X = X.to_dask_array(lengths=True)
        if X.dtype not in FLOAT_DTYPES:
            X = X.astype(np.float64)
        view = da.lib.stride_tricks.sliding_window_view(X, self.width, axis=0)
        return view[starts].transpose(0, 2, 1)

    def iter_windows(self, X, *, batch_windows=4096):
        """Yield X's windows a block at a time, reading only the rows each needs.

        For a series larger than memory (a NumPy memmap, an HDF5 or Zarr
        array, anything sliced along its first axis): at most
        ``batch_windows`` windows are in memory at once, and the blocks
        together are exactly ``transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_times, n_features)
            The series, with the features seen in fit; each block's values
            are checked as the estimator reading them checks them.
        batch_windows : int, default=4096
            Windows per block.

        Yields
        ------
        windows : ndarray of shape (n_block_windows, width, n_features)
            The next block of windows.

        Examples
        --------
        >>> import numpy as np
        >>> from skae.preprocessing import SlidingWindows
        >>> series = np.arange(10.0).reshape(-1, 1)
        >>> windows = SlidingWindows(4, stride=2).fit(series)
        >>> [block.shape for block in windows.iter_windows(series, batch_windows=2)]
        [(2, 4, 1), (2, 4, 1)]
        """
        n_times = self._check_series(X)
        starts = self.window_starts(n_times)
        batch_windows = int(batch_windows)
        if batch_windows < 1:
            raise ValueError(f"batch_windows must be a positive int, got {batch_windows}.")
        for first in range(0, len(starts), batch_windows):
            block = starts[first : first + batch_windows]
            begin, end = int(block[0]), int(block[-1]) + self.width
            rows = X.iloc[begin:end] if _is_frame(X) else _rows(X, begin, end)
            view = np.lib.stride_tricks.sliding_window_view(_values(rows), self.width, axis=0)
            windows = np.ascontiguousarray(view.transpose(0, 2, 1)[block - begin])
            del rows, view  # a memmap of the block's rows is unmapped here
            yield windows

    def get_feature_names_out(self, input_features=None):
        """Names of the values of a flattened window.

        A window flattened as ``windows.reshape(n_windows, -1)`` (what a
        dense estimator reads) holds, for each time step of the window, each
        feature: ``f"{feature}_t{k}"`` with ``k`` the step within the window.

        Parameters
        ----------
        input_features : array-like of str, default=None
            The series' feature names; ``feature_names_in_`` or ``x0, x1,
            ...`` when None.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``width * n_features_in_`` names.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [f"{name}_t{k}" for k in range(self.width) for name in names], dtype=object
        )

    # ------------------------------------------------------------------
    # windows -> time points
    # ------------------------------------------------------------------
    def point_scores(self, window_scores, series, *, reduce="min"):
        """One value per time point from one value per window.

        Each time point takes ``reduce`` of the values of the windows that
        cover it (every point is in at least one window, at most
        ``ceil(width / stride)`` and one more at the series' end):

        - ``"min"`` (default): the lowest. For scikit-learn's scores, where
          lower is more abnormal (``score_samples``, ``decision_function``),
          a point is as abnormal as the most abnormal window it is in; for
          ``predict``'s labels, a point is -1 (an outlier) when any window
          covering it is.
        - ``"max"``: the highest, the same rule for anomaly scores where
          higher is more abnormal.
        - ``"mean"``: the mean, which smooths (a point near an anomaly shares
          some of its windows); as float64.

        Parameters
        ----------
        window_scores : array-like of shape (n_windows,)
            One value per window of ``transform(series)``, in its order: the
            output of ``Pipeline([("windows", self), ("detector",
            detector)]).score_samples(series)``, say. A Dask array is
            computed (it holds one value per window).
        series : int, array-like, DataFrame or Series
            The series the windows were cut from, or its length. A pandas
            series or DataFrame gives a pandas Series on its index (the time
            stamps).
        reduce : {"min", "max", "mean"}, default="min"
            How the values of the windows covering a point combine.

        Returns
        -------
        point_scores : ndarray of shape (n_times,) or pandas.Series
            One value per time point; a pandas Series indexed like
            ``series`` when it is a pandas object.
        """
        check_is_fitted(self)
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}.")
        n_times, pandas_series = _time_axis(series)
        index = None if pandas_series is None else pandas_series.index
        starts = self.window_starts(n_times)
        if _is_dask(window_scores):
            window_scores = window_scores.compute()
        scores = np.asarray(window_scores)
        if scores.ndim != 1 or len(scores) != len(starts):
            raise ValueError(
                f"window_scores has shape {scores.shape}, but a series of {n_times} "
                f"time steps is cut into {len(starts)} windows of width={self.width} "
                f"and stride={self.stride}: pass one value per window of this "
                "transformer's windows of that series."
            )
        points = reduce_covering(scores, starts, self.width, n_times, reduce)
        if index is None:
            return points
        import pandas as pd

        return pd.Series(points, index=index, name=f"{reduce}_window_score")

    def point_values(self, window_values, series):
        """One row per time point from windows of values: the mean over covering windows.

        Where :meth:`point_scores` maps one number per window back to time,
        this maps whole windows back, a value per time step and feature:
        time point ``t`` takes the mean of the values the windows covering it
        hold at ``t``. Applied to a detector's reconstructions of the
        windows, it gives the series as the model reconstructs it.

        Parameters
        ----------
        window_values : array-like of shape (n_windows, width, n_features)
            Windows in the order of ``transform(series)``: an estimator's
            ``reconstruct`` of them, say. Flattened windows ``(n_windows,
            width * n_features)`` are read too. A Dask array is computed.
        series : int, array-like, DataFrame or Series
            The series the windows were cut from, or its length. A pandas
            DataFrame gives a DataFrame on its index, with its columns.

        Returns
        -------
        point_values : ndarray of shape (n_times, n_features) or DataFrame
            The mean of the covering windows' values at each time point and
            feature, as float64.

        Examples
        --------
        >>> import numpy as np
        >>> from skae.preprocessing import SlidingWindows
        >>> series = np.arange(6.0).reshape(-1, 1)
        >>> windows = SlidingWindows(width=3, stride=1).fit(series)
        >>> values = windows.transform(series) + np.arange(4.0).reshape(-1, 1, 1)
        >>> windows.point_values(values, series).ravel()  # window i adds i
        array([0. , 1.5, 3. , 5. , 6.5, 8. ])
        """
        values, starts, n_times, frame = self._gathered(window_values, series, "window_values")
        points = covering_means(values, starts, n_times)
        if frame is None or not _is_frame(frame):
            return points
        import pandas as pd

        return pd.DataFrame(points, index=frame.index, columns=frame.columns)

    def point_errors(self, window_errors, series):
        """One anomaly score per time point from a detector's errors on the windows.

        Where :meth:`point_scores` knows one score per window, a
        reconstruction detector knows where in each window its errors lie
        (``AutoencoderOutlierDetector.feature_errors``: a squared error per
        time step and feature). A time point's score adds two mean squared
        errors, each from the largest errors over the windows covering the
        point:

        - **its own**: each feature's largest error at the point, averaged
          over the features. It picks the point out of its windows: a spike
          shares every window covering it with its neighbours, so window
          scores alone rate them all as high as the spike.
        - **the window's**: the largest of the covering windows' errors
          averaged over their steps and features (minus the detector's
          ``score_samples`` of each): an anomaly spread over a segment (a
          changed shape or season) makes each point moderately wrong and
          the whole window clearly so.

        The two are in the same units, and a point is as abnormal as its
        worst window, as in :meth:`point_scores`. Higher is more abnormal.
        ``benchmarks/time_series.py`` measures this rule against window
        scores alone and against other ways of gathering the errors.

        Parameters
        ----------
        window_errors : array-like of shape (n_windows, width, n_features)
            Non-negative errors of the windows of ``transform(series)``, in
            their order: ``detector.feature_errors(windows)``, say. Flattened
            windows ``(n_windows, width * n_features)`` are read too (a
            dense detector's). A Dask array is computed.
        series : int, array-like, DataFrame or Series
            The series the windows were cut from, or its length. A pandas
            object gives a pandas Series on its index (the time stamps).

        Returns
        -------
        point_errors : ndarray of shape (n_times,) or pandas.Series
            Each time point's score, as float64.

        Examples
        --------
        >>> import numpy as np
        >>> from skae.preprocessing import SlidingWindows
        >>> windows = SlidingWindows(width=3, stride=1).fit(np.zeros((6, 1)))
        >>> errors = np.zeros((4, 3, 1))
        >>> errors[1, 2] = 3.0  # window 1 misses its last step, time point 3
        >>> windows.point_errors(errors, 6)
        array([0., 1., 1., 4., 0., 0.])
        """
        values, starts, n_times, frame = self._gathered(window_errors, series, "window_errors")
        own = covering_maxima(values, starts, n_times).mean(axis=1)
        whole = reduce_covering(values.mean(axis=(1, 2)), starts, self.width, n_times, "max")
        points = own + whole
        if frame is None:
            return points
        import pandas as pd

        return pd.Series(points, index=frame.index, name="point_error")

    def _gathered(self, window_values, series, name):
        """``(values (n_windows, width, n_features) float64, starts, n_times, pandas series or None)``."""
        check_is_fitted(self)
        n_times, frame = _time_axis(series)
        starts = self.window_starts(n_times)
        if _is_dask(window_values):
            window_values = window_values.compute()
        values = np.asarray(window_values, dtype=np.float64)
        n_features = self.n_features_in_
        if values.ndim == 2 and values.shape[1] == self.width * n_features:
            values = values.reshape(len(values), self.width, n_features)
        if values.shape != (len(starts), self.width, n_features):
            raise ValueError(
                f"{name} has shape {values.shape}, but a series of {n_times} "
                f"time steps is cut into {len(starts)} windows of shape "
                f"({self.width}, {n_features}): pass the values of this "
                "transformer's windows of that series, in their order."
            )
        return values, starts, n_times, frame


def _time_axis(series):
    """``(n_times, the series if it is a pandas object in memory, else None)``.

    ``series`` is a series (any array-like, frame or Dask collection) or its
    length; a pandas DataFrame or Series keeps its time stamps.
    """
    if isinstance(series, numbers.Integral) and not isinstance(series, bool):
        return int(series), None
    pandas_series = series if hasattr(series, "iloc") and not _is_dask(series) else None
    return _length(series), pandas_series


def _length(series):
    """Number of time steps of a series (any array-like, frame or Dask collection)."""
    if _is_dask(series) and hasattr(series, "to_dask_array"):
        series = series.to_dask_array(lengths=True)
    shape = getattr(series, "shape", None)
    return int(shape[0]) if shape is not None else len(series)


def _rows(X, begin, end):
    """``X[begin:end]``; of a whole file mapped by np.memmap, a mapping of those rows only.

    Pages of a memory map that were read stay in the process's resident memory
    as long as the map is open, so slicing one memmap of the whole file would
    grow it by the whole file; mapping each block's rows on their own, and
    closing that map once the block is copied, keeps it at one block.
    """
    whole_file = (
        isinstance(X, np.memmap)
        and isinstance(X.base, mmap.mmap)  # the map of the file, not a view of it
        and X.filename is not None
        and X.mode != "c"  # copy-on-write: its changes are not in the file
        and X.flags.c_contiguous
        and X.ndim == 2
    )
    if not whole_file or end <= begin:
        return X[begin:end]
    return np.memmap(
        X.filename, dtype=X.dtype, mode="r", offset=X.offset + begin * X.strides[0],
        shape=(end - begin, X.shape[1]),
    )


def _values(X):
    """A series' values as a float array (a view of X when it is one already)."""
    values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    if values.dtype not in FLOAT_DTYPES:
        values = values.astype(np.float64)
    return values
