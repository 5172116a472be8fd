"""In-memory X as every estimator checks it, flattened to rows.

The detector validates X before its backbone (it rescales X first), with
the same checks: both call ``validated_rows``.
"""

import numpy as np
from sklearn.utils.validation import validate_data

from .._validation import (
    FLOAT_DTYPES,
    image_array_shape,
    is_plain_float_rows,
    reject_non_numeric,
)


def validated_rows(estimator, X, *, reset, check_image_shape=None):
    """``(rows, image shape or None, X's ndim)``: in-memory X checked, as rows.

    Every estimator's checks: numeric input, image arrays ``(n, H, W)`` and
    ``(n, H, W, C)`` (windows ``(n, timesteps, features)`` with
    ``architecture="sequence"``) flattened to rows (``check_image_shape(shape)`` first,
    if given), then scikit-learn's ``validate_data`` (NaN, infinities, the
    number of features, feature names). Plain float rows of the fitted width
    are returned unchanged without ``validate_data`` when not fitting: what
    it would return, without its 0.1 ms; anything else (NaN, names, other
    types) takes the full checks.
    """
    if (
        not reset
        and "feature_names_in_" not in vars(estimator)
        and is_plain_float_rows(X, estimator.n_features_in_)
    ):
        return X, None, 2
    reject_non_numeric(X, type(estimator).__name__)
    X, shape = image_array_shape(X, sequence=is_sequence(estimator))
    ndim = 2 if shape is None else len(X.shape)
    if check_image_shape is not None:
        check_image_shape(shape)
    if shape is not None:
        X = np.asarray(X).reshape(len(X), -1)
    rows = validate_data(estimator, X, reset=reset, dtype=FLOAT_DTYPES, accept_sparse=False)
    return rows, shape, ndim


def is_sequence(estimator):
    """Whether ``estimator`` reads 3-D arrays as windows ``(n, timesteps, features)``."""
    return getattr(estimator, "architecture", None) == "sequence"


def check_image_shape(estimator, shape):
    """Raise unless images of ``shape`` (None: rows) are what ``estimator``'s fit saw."""
    fitted = getattr(estimator, "image_shape_", None)
    if shape is not None and fitted != shape and is_sequence(estimator):
        raise ValueError(
            f"X holds windows of shape {shape} (timesteps, features), but "
            f"{type(estimator).__name__} was fitted on windows of shape {fitted}. "
            "Cut windows of the fitted width from series of the fitted features "
            "(skae.preprocessing.SlidingWindows), or fit on windows of this shape."
        )
    if shape is not None and fitted != shape:
        fitted = "rows of features" if fitted is None else f"images of shape {fitted}"
        raise ValueError(
            f"X holds images of shape {shape} (height, width, channels), but "
            f"{type(estimator).__name__} was fitted on {fitted}. Resize or crop the "
            "images to match, or fit the estimator on images of this shape."
        )
