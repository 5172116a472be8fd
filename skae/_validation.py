"""Input checks shared by the estimators, the Displays and the command line.

Data flows one way: user array -> these checks (shape, dtype, feature names,
images) -> the Keras model. This module imports neither Keras,
TensorFlow nor scikit-learn, so the Displays, the command line and the pure
Keras builders of ``skae.architectures`` can use it; pandas and polars frames
are recognised by their attributes, without importing either.
"""

import numbers
import operator

import numpy as np

FLOAT_DTYPES = (np.float64, np.float32)


def positive_int_sequence(value):
    """Whether ``value`` is a sequence of positive integers (bools excluded)."""
    try:
        sizes = tuple(value)
    except TypeError:
        return False
    return all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
        for s in sizes
    )


def as_int(value, name):
    """``value`` as a Python int; NumPy integers included, floats refused.

    Keras layers accept Python ints only ("expected a positive integer.
    Received: units=2" for ``np.int64(2)``), and GridSearchCV's ``np.arange``
    or an array of layer sizes hand NumPy integers.
    """
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type "
            f"{type(value).__name__}. Pass an int such as {name}=2."
        ) from None


def as_int_tuple(values, name):
    """``values`` as a tuple of Python ints (see :func:`as_int`)."""
    try:
        return tuple(as_int(v, name) for v in values)
    except TypeError:
        raise TypeError(
            f"{name} must hold integers, got {values!r}. Pass a tuple of ints "
            f"such as {name}=(64, 32)."
        ) from None


def _column_dtypes(X):
    """``{column: dtype}`` of a pandas or polars frame, else None.

    Duck-typed: pandas frames have ``dtypes.items()``; polars frames have
    ``columns`` and a ``schema`` mapping (their ``dtypes`` is a list).
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):
        return dict(dtypes.items())
    schema = getattr(X, "schema", None)
    if hasattr(X, "columns") and hasattr(schema, "items"):
        return dict(schema.items())
    return None


def _is_numeric_dtype(dtype):
    kind = getattr(dtype, "kind", None)
    if isinstance(kind, str):  # NumPy and pandas dtypes
        return kind in "biufc"
    is_numeric = getattr(dtype, "is_numeric", None)  # polars dtypes
    if callable(is_numeric):
        # polars counts Boolean apart; pandas (kind "b") takes it as 0/1
        return bool(is_numeric()) or str(dtype) == "Boolean"
    return False


def reject_non_numeric(X, estimator_name):
    """Raise a clear error for string or categorical input.

    Without this, strings reach NumPy's float conversion and fail with a
    message that names neither the column nor the fix. pandas and polars
    frames get the columns named.
    """
    dtypes = _column_dtypes(X)
    if dtypes is not None:
        bad = [str(name) for name, dtype in dtypes.items() if not _is_numeric_dtype(dtype)]
        if bad:
            raise ValueError(
                f"{estimator_name} needs numeric input, but column(s) {bad} of X "
                "are not numeric (strings, categories or objects). Encode them "
                "first, for example with a sklearn.compose.ColumnTransformer that "
                "applies OneHotEncoder to them, or drop them."
            )
        return
    dtype = getattr(X, "dtype", None)
    if dtype is not None and dtype.kind in "USO":
        try:
            np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            if dtype.kind == "O":
                raise  # scikit-learn's checks expect NumPy's own message here
            raise ValueError(
                f"{estimator_name} needs numeric input, but X holds strings "
                f"({exc}). Encode them first, for example with OneHotEncoder."
            ) from None


def is_plain_float_rows(X, n_features):
    """Whether scikit-learn's ``validate_data`` would return X as it is.

    True for a NumPy array (not a subclass) of rows of ``n_features``
    float32 or float64 values, at least one row, all finite: the input of a
    one-row request, checked in microseconds. False says nothing about X
    (it may be fine, or wrong): the caller then runs the full checks, which
    accept, convert or reject it with their own messages.
    """
    if not (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in FLOAT_DTYPES
        and X.shape[0] >= 1
        and X.shape[1] == n_features
    ):
        return False
    # scikit-learn's own first pass: a sum is finite if every value is (an
    # overflowing sum only sends X to the full checks)
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()))


def check_image_shape(image_shape, n_features=None, *, name="image_shape"):
    """``image_shape`` as ``(height, width, channels)``, checked against n_features.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)``.
    n_features : int, default=None
        Values per sample; when given, the shape must hold exactly that many.
    name : str, default="image_shape"
        The parameter's name in error messages.

    Returns
    -------
    shape : tuple of int
        ``(height, width, channels)``; ``channels`` is 1 for ``(height, width)``.
    """
    try:
        shape = tuple(int(s) for s in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) == 2:
        shape += (1,)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{name} must be (height, width) or (height, width, channels) of "
            f"positive integers, got {image_shape!r}."
        )
    if n_features is not None and int(np.prod(shape)) != n_features:
        raise ValueError(
            f"{name}={image_shape!r} holds {int(np.prod(shape))} values, but each "
            f"sample has {n_features} features. Pass {name}=(height, width, "
            "channels) with height * width * channels equal to the number of "
            "features."
        )
    return shape


def check_sequence_shape(sequence_shape, n_features=None, *, name="sequence_shape"):
    """``sequence_shape`` as ``(timesteps, features)``, checked against n_features.

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(timesteps, features)`` of one window of a series.
    n_features : int, default=None
        Values per sample; when given, the shape must hold exactly that many.
    name : str, default="sequence_shape"
        The parameter's name in error messages.

    Returns
    -------
    shape : tuple of int
        ``(timesteps, features)`` as Python ints.
    """
    try:
        shape = tuple(int(s) for s in sequence_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(
            f"{name} must be (timesteps, features) of positive integers, got "
            f"{sequence_shape!r}."
        )
    if n_features is not None and shape[0] * shape[1] != n_features:
        raise ValueError(
            f"{name}={sequence_shape!r} holds {shape[0] * shape[1]} values, but each "
            f"sample has {n_features} features. Pass {name}=(timesteps, features) "
            "with timesteps * features equal to the number of features."
        )
    return shape


def image_array_shape(X, *, sequence=False):
    """``(X as an array, (height, width, channels))`` if X holds images, else ``(X, None)``.

    Images are arrays ``(n_samples, height, width)`` (one channel) or
    ``(n_samples, height, width, channels)``. With ``sequence`` (an estimator
    of ``architecture="sequence"``), a 3-D array is windows of a series
    ``(n_windows, timesteps, features)``, and its shape is ``(timesteps,
    features)``; a 4-D array is refused. Anything else is returned as it is,
    for scikit-learn's own validation to accept or reject.
    """
    ndim = getattr(X, "ndim", None)
    if ndim is None and not hasattr(X, "shape"):
        converted = np.asarray(X)
        ndim = converted.ndim if converted.dtype.kind in "biuf" else None
        if ndim in (3, 4):
            X = converted
    if ndim not in (3, 4):
        return X, None
    if sequence:
        if ndim == 4:
            raise ValueError(
                f"architecture='sequence' reads windows of a series, arrays of shape "
                f"(n_windows, timesteps, features), but X has shape {tuple(X.shape)}. "
                "Pass 3-D windows, or use architecture='conv' for images."
            )
        return X, tuple(int(n) for n in X.shape[1:])
    return X, tuple(X.shape[1:]) + ((1,) if ndim == 3 else ())


def rows_as_given(rows, image_shape, ndim):
    """Reshape rows ``(n, n_features)`` to the user's form of ``ndim`` dims."""
    if ndim == 2 or image_shape is None:
        return rows
    shape = image_shape if ndim == 4 else image_shape[:2]
    return rows.reshape((len(rows),) + tuple(shape))


def fitted_image_shape(estimator, given, n_features):
    """``image_shape_`` at fit: the images' shape, or ``input_shape``, or None.

    With ``architecture="sequence"``, the windows' ``(timesteps, features)``
    (of 3-D X, or of ``input_shape``), never None. ``given`` is the shape of
    the images or windows in X (None for rows); the
    estimator's ``input_shape`` and ``architecture`` are checked against it
    and against ``n_features``.
    """
    if estimator.architecture == "sequence":
        return _fitted_sequence_shape(estimator, given, n_features)
    declared = None
    if estimator.input_shape is not None:
        declared = check_image_shape(estimator.input_shape, name="input_shape")
        if given is not None and given != declared:
            raise ValueError(
                f"input_shape={estimator.input_shape!r} does not match the images "
                f"in X, of shape {given}. Drop input_shape (it is read from "
                "image arrays) or pass images of that shape."
            )
        check_image_shape(estimator.input_shape, n_features, name="input_shape")
    shape = given or declared
    if estimator.architecture == "conv" and shape is None:
        raise ValueError(
            f"architecture='conv' needs images, but X is 2-D "
            f"{type(estimator).__name__} input without input_shape. Pass X of "
            "shape (n_samples, height, width) or (n_samples, height, width, "
            "channels), or flattened rows with input_shape=(height, width, "
            "channels)."
        )
    return shape


def _fitted_sequence_shape(estimator, given, n_features):
    """``image_shape_`` of ``architecture="sequence"``: ``(timesteps, features)``."""
    declared = None
    if estimator.input_shape is not None:
        declared = check_sequence_shape(estimator.input_shape, name="input_shape")
        if given is not None and given != declared:
            raise ValueError(
                f"input_shape={estimator.input_shape!r} does not match the windows "
                f"in X, of shape {given}. Drop input_shape (it is read from 3-D "
                "arrays) or pass windows of that shape."
            )
        check_sequence_shape(estimator.input_shape, n_features, name="input_shape")
    shape = given or declared
    if shape is None:
        raise ValueError(
            f"architecture='sequence' needs windows of a series, but X is 2-D "
            f"{type(estimator).__name__} input without input_shape. Pass X of shape "
            "(n_windows, timesteps, features), for example cut from a series "
            "(n_times, features) by skae.preprocessing.SlidingWindows, or "
            "flattened windows with input_shape=(timesteps, features)."
        )
    return shape


def check_finite_scores(scores, estimator_name, dtype=np.float64):
    """``scores`` in ``dtype``, or a clear error when some overflowed to infinity or NaN.

    Scores are computed in float64 and returned in the scored rows' float
    ``dtype``: float32 rows get float32 scores, as scikit-learn's
    ``LocalOutlierFactor`` and ``PCA`` keep float32. Squared errors of values
    far beyond the training data's (near 1e154 and more) overflow float64;
    in float32, beyond about 1e19. An infinite score would rank nothing and
    poison every mean computed from it.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        raise ValueError(
            f"{estimator_name} cannot score some rows of X: their squared errors "
            "overflow float64 (values far beyond 1e150 in magnitude). Rescale X "
            "as the training data was, or drop those rows."
        )
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore"):  # refused just below
        narrowed = scores.astype(dtype, copy=False)
    if narrowed is not scores and not np.isfinite(narrowed).all():
        raise ValueError(
            f"{estimator_name} cannot return the scores of some rows of X in "
            f"{dtype.name}, X's dtype: they lie beyond {np.finfo(dtype).max:.3g} in "
            "magnitude. Pass X as float64, or rescale X as the training data was."
        )
    return narrowed
