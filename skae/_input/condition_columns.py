"""Conditions given as columns of X: split off, encoded, fed beside the rest.

``condition_columns`` names columns of X (by name in a pandas or polars
frame, by position in any X) that a conditional model reads as the context
of each row and does not reconstruct or score. ``split_columns`` separates
them from the measured columns; ``ColumnConditions`` learns at fit how to
turn them into the numbers the network reads: a column of strings,
categories, objects (or of a NumPy array of strings) becomes one-hot columns
of the categories seen at fit; a numeric (or boolean) column is read as it
is, and standardised inside the model with its mean and variance at fit.
"""

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from .._validation import FLOAT_DTYPES, _column_dtypes, _is_numeric_dtype, reject_non_numeric
from .dask import is_dask_collection
from .streaming import is_out_of_core

HANDLE_UNKNOWN = ("error", "ignore")


def _names(X):
    columns = getattr(X, "columns", None)
    return None if columns is None else [str(c) for c in columns]


def condition_positions(X, condition_columns, owner):
    """Positions in X of ``condition_columns`` (names or positions), checked."""
    columns = condition_columns
    if isinstance(columns, (str, int, np.integer)):
        columns = [columns]
    columns = list(columns)
    n_features = X.shape[1] if len(getattr(X, "shape", ())) == 2 else None
    if n_features is None:
        raise ValueError(
            f"{owner} with condition_columns reads X as a table (n_samples, "
            f"n_features), got X of shape {getattr(X, 'shape', None)}."
        )
    names = _names(X)
    positions = []
    for column in columns:
        if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
            position = int(column)
            if not -n_features <= position < n_features:
                raise ValueError(
                    f"condition_columns holds position {column}, but X has "
                    f"{n_features} columns."
                )
            positions.append(position % n_features)
        elif isinstance(column, str):
            if names is None:
                raise ValueError(
                    f"condition_columns names column {column!r}, but X has no column "
                    "names (a NumPy array): give positions, or X as a DataFrame."
                )
            if column not in names:
                raise ValueError(
                    f"condition_columns names column {column!r}, which X does not "
                    f"have; its columns are {names}."
                )
            positions.append(names.index(column))
        else:
            raise TypeError(
                "condition_columns must hold column names (str) or positions (int), "
                f"got {column!r}."
            )
    if not positions or len(set(positions)) != len(positions):
        raise ValueError(
            f"condition_columns must name distinct columns of X, got {condition_columns!r}."
        )
    if len(positions) == n_features:
        raise ValueError(
            f"condition_columns names all {n_features} columns of X: leave at least "
            "one column to reconstruct."
        )
    return positions


def _take(X, positions):
    """The columns ``positions`` of X, as X's own kind of table."""
    if hasattr(X, "iloc"):  # pandas
        return X.iloc[:, positions]
    if hasattr(X, "select") and hasattr(X, "columns"):  # polars
        return X.select([X.columns[i] for i in positions])
    return np.asarray(X)[:, positions]


def _column(X, position):
    """One column of X as a 1-D NumPy array."""
    if hasattr(X, "iloc"):
        return X.iloc[:, position].to_numpy()
    if hasattr(X, "select") and hasattr(X, "columns"):
        return X[X.columns[position]].to_numpy()
    return np.asarray(X)[:, position]


def split_columns(X, positions):
    """``(measured, context)``: X without the condition columns, and their values.

    ``measured`` keeps X's kind (a frame stays a frame, with its names);
    ``context`` is a list of 1-D arrays, one per condition column.
    """
    n_features = X.shape[1]
    kept = [i for i in range(n_features) if i not in set(positions)]
    return _take(X, kept), [_column(X, i) for i in positions]


def _categorical(X, position):
    dtypes = _column_dtypes(X)
    if dtypes is not None:
        return not _is_numeric_dtype(list(dtypes.values())[position])
    return np.asarray(X).dtype.kind in "USO"


class ColumnConditions:
    """How condition columns become the network's condition (plain data).

    Attributes
    ----------
    categories : list of (ndarray or None)
        For each condition column, its categories seen at fit (one-hot), or
        None for a numeric column.
    mean, variance : ndarray of shape (n_conditions,)
        Statistics of the encoded conditions the model standardises with:
        one-hot columns get 0 and 1 (read as they are).
    handle_unknown : {"error", "ignore"}
        A category not seen at fit: an error, or a row of zeros.
    """

    def __init__(self, categories, mean, variance, handle_unknown):
        self.categories = categories
        self.mean = mean
        self.variance = variance
        self.handle_unknown = handle_unknown

    @property
    def n_conditions(self):
        return len(self.mean)

    def statistics(self):
        """``(mean, variance)`` the model standardises the encoded columns with."""
        return self.mean, self.variance

    def one_label(self, y, owner):
        """Whether ``y`` is the condition columns' values of one sample."""
        k = len(self.categories)
        if hasattr(y, "columns"):
            return False
        return np.ndim(y) == 0 if k == 1 else np.ndim(y) == 1 and len(y) == k

    def context_of(self, y, owner):
        """The condition columns in ``y`` (a frame of them, or ``(n, k)`` values), a list."""
        k = len(self.categories)
        if hasattr(y, "columns"):
            if len(y.columns) != k:
                raise ValueError(
                    f"y has {len(y.columns)} columns, but {owner} reads {k} condition "
                    "columns: give exactly those, in the order of condition_columns."
                )
            return [_column(y, i) for i in range(k)]
        values = np.asarray(y, dtype=object if np.asarray(y).dtype.kind in "USO" else None)
        if values.ndim == 1 and k == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != k:
            raise ValueError(
                f"y must hold the {k} condition column(s) of each sample, (n_samples, "
                f"{k}), got shape {values.shape}."
            )
        return [values[:, i] for i in range(k)]

    @classmethod
    def fit(cls, X, positions, context, handle_unknown, owner):
        if handle_unknown not in HANDLE_UNKNOWN:
            raise ValueError(
                f"handle_unknown must be one of {HANDLE_UNKNOWN}, got {handle_unknown!r}."
            )
        categories, means, variances = [], [], []
        for position, values in zip(positions, context):
            if _categorical(X, position):
                seen = _categories(values, owner)
                categories.append(seen)
                means.append(np.zeros(len(seen)))
                variances.append(np.ones(len(seen)))
            else:
                numbers = _numbers(values, owner)
                categories.append(None)
                variance = numbers.var()
                means.append(np.array([numbers.mean()]))
                variances.append(np.array([variance if variance > 0 else 1.0]))
        return cls(categories, np.concatenate(means), np.concatenate(variances), handle_unknown)

    def encode(self, context, owner):
        """The condition columns as the network reads them, ``(n, n_conditions)``."""
        blocks = []
        for seen, values in zip(self.categories, context):
            if seen is None:
                blocks.append(_numbers(values, owner)[:, None])
                continue
            values = _labels(values, owner)
            index = np.minimum(np.searchsorted(seen, values), len(seen) - 1)
            known = seen[index] == values
            if not known.all() and self.handle_unknown == "error":
                raise ValueError(
                    f"A condition column holds categories {owner} was not fitted on: "
                    f"{sorted(set(values[~known].tolist()))[:5]}; it knows "
                    f"{seen.tolist()}. Pass handle_unknown='ignore' to read them as "
                    "none of the known categories (a row of zeros)."
                )
            one_hot = np.zeros((len(values), len(seen)))
            rows = np.flatnonzero(known)
            one_hot[rows, index[known]] = 1.0
            blocks.append(one_hot)
        return np.hstack(blocks)


def _labels(values, owner):
    values = np.asarray(values)
    if values.dtype.kind == "O":
        missing = [v is None or (isinstance(v, float) and np.isnan(v)) for v in values]
        if any(missing):
            raise ValueError(
                f"A condition column of X holds missing values; {owner} needs a "
                "category in every row (fill them, for example with 'missing')."
            )
    return values


def _categories(values, owner):
    values = _labels(values, owner)
    try:
        return np.unique(values)
    except TypeError:
        raise ValueError(
            f"A condition column of X mixes types ({sorted({type(v).__name__ for v in values})}): "
            f"{owner} one-hot encodes a column of one type; convert it, for example "
            "with .astype(str)."
        ) from None


def _numbers(values, owner):
    numbers = np.asarray(values, dtype=np.float64)
    if not np.isfinite(numbers).all():
        raise ValueError(
            f"A numeric condition column of X holds NaN or infinity; {owner} needs "
            "finite context values (impute them first)."
        )
    return numbers


def fitted_conditions(estimator):
    """The ``ColumnConditions`` an estimator learned in ``read_columns``."""
    return ColumnConditions(
        estimator.condition_categories_,
        estimator.condition_mean_,
        estimator.condition_var_,
        estimator._fitted_handle_unknown,
    )


def read_columns(estimator, X, *, reset):
    """``(measured rows, encoded condition)`` of in-memory X.

    ``estimator`` has ``condition_columns`` and ``handle_unknown``: at
    ``reset`` the columns are resolved and their encoding learned into
    ``condition_columns_``, ``condition_categories_``, ``condition_mean_``
    and ``condition_var_``; otherwise the fitted ones are used. The names
    and the number of all of X's columns are checked as scikit-learn's
    ``validate_data`` does; the measured columns must be numeric and finite.
    """
    name = type(estimator).__name__
    if is_out_of_core(X) or is_dask_collection(X):
        raise ValueError(
            f"{name} with condition_columns reads X in memory (a DataFrame or an "
            "array); give a Dask DataFrame to transform, score_samples or predict, "
            "which read its partitions one by one."
        )
    if reset and (estimator.architecture != "dense" or estimator.input_shape is not None):
        raise ValueError(
            "condition_columns reads X as a table: it needs architecture='dense' "
            "and input_shape=None."
        )
    if not hasattr(X, "shape"):
        X = np.asarray(X, dtype=object)
    # the names and the number of all of X's columns, as fitted
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    positions = (
        condition_positions(X, estimator.condition_columns, name)
        if reset
        else estimator.condition_columns_
    )
    measured, context = split_columns(X, positions)
    reject_non_numeric(measured, name)
    rows = check_array(measured, dtype=FLOAT_DTYPES, input_name="X")
    if reset:
        encoding = ColumnConditions.fit(X, positions, context, estimator.handle_unknown, name)
        estimator.condition_columns_ = positions
        estimator.condition_categories_ = encoding.categories
        estimator.condition_mean_, estimator.condition_var_ = encoding.mean, encoding.variance
        estimator._fitted_handle_unknown = estimator.handle_unknown
    return rows, fitted_conditions(estimator).encode(context, name)
