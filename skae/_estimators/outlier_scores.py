"""The detector's statistics: scaling, threshold, probabilities and confidence.

Pure NumPy functions of fitted arrays, so that ``AutoencoderOutlierDetector``
holds only the estimator's protocol and these can be read and tested alone.
"""

import numpy as np
from scipy.special import ndtr
from scipy.stats import binom

from .._input.statistics import robust_center_scale

# contamination="auto": a training sample is an outlier when its error lies
# more than this many robust standard deviations above the median error
# (Iglewicz and Hoaglin's modified z-score; see ``auto_offset``)
AUTO_Z = 3.0
# a normal distribution's standard deviation from its median absolute
# deviation (1 / Phi^-1(3/4)), and from its mean absolute deviation (sqrt(pi/2))
MAD_TO_STD = 1.482602218505602
MEAN_DEVIATION_TO_STD = 1.2533141373155003

# Features whose spread is below this fraction of the data's global scale
# (constant in the training data, as a digit's blank border pixels) keep the
# global scale, as StandardScaler keeps a constant feature's units: dividing
# by a near-zero spread would make any change there swamp every score.
# Anything above is divided by its own spread (a wine class has a feature at
# 1.1e-3 of its global scale).
MIN_RELATIVE_SCALE = 1e-6

# the interquartile range of a standard normal, so that "robust" and
# "standard" scales agree on Gaussian features
NORMAL_IQR = 1.3489795003921634


# n_components="auto": an eighth of the features, within these bounds (chosen
# by leave-one-data-set-out on benchmarks/outlier_lodo.py's extended suite)
AUTO_COMPONENTS_PER_FEATURE = 1 / 8
AUTO_COMPONENTS_BOUNDS = (2, 8)


def resolved_n_components(n_components, n_features):
    """``n_components`` with "auto" resolved for ``n_features`` values per sample.

    "auto": ``n_features // 8``, at least 2 and at most 8 (2 up to 23
    features, 8 from 64 on: 3 for breast cancer's 30, 8 for 8x8 digits and
    MNIST's 784 pixels).
    """
    if n_components != "auto":
        return n_components
    low, high = AUTO_COMPONENTS_BOUNDS
    return int(min(high, max(low, int(n_features * AUTO_COMPONENTS_PER_FEATURE))))


def resolved_scaling(scaling, loss, rows):
    """``scaling`` with "auto" resolved for the training ``rows``."""
    if loss == "binary_crossentropy":
        return "global"
    if scaling == "auto":
        on_unit_scale = len(rows) and rows.min() >= 0 and rows.max() <= 1
        return "global" if on_unit_scale else "standard"
    return scaling


def center_and_scale(rows, scaling):
    """Per-feature center and scale of the training rows, as ``scaling`` says.

    ``rows`` may be ``StreamedRows`` (out of core): "standard" then comes
    from the statistics of its checking pass; "robust" (percentiles) needs
    the rows in memory.
    """
    n_features = rows.shape[1]
    if scaling == "global":
        return np.zeros(n_features), np.ones(n_features)
    summary = getattr(rows, "summary", None)
    if summary is not None:
        if scaling != "standard":
            raise ValueError(
                f"scaling={scaling!r} needs percentiles of X in memory, but X is out of "
                f"core ({rows.shape[0]:,} rows). Use scaling='standard' or 'global', or "
                "load X with np.asarray."
            )
        mean, scale = summary()["center_scale"]
        spread = summary()["feature_std"] / scale
        spread = np.where(spread < MIN_RELATIVE_SCALE, 1.0, spread)
        return mean, spread * scale
    # overflow-safe: refuses values beyond 1e150, and the features are
    # measured in units of the data's global scale
    mean, scale = robust_center_scale(rows)
    shrunk = (np.asarray(rows, dtype=np.float64) - mean) / scale
    if scaling == "standard":
        center, spread = np.zeros(n_features), shrunk.std(axis=0)
    else:
        q1, median, q3 = np.percentile(shrunk, [25, 50, 75], axis=0)
        center, spread = median, (q3 - q1) / NORMAL_IQR
    spread = np.where(spread < MIN_RELATIVE_SCALE, 1.0, spread)
    return mean + center * scale, spread * scale


def robust_upper_fence(values, z=AUTO_Z):
    """``median + z * spread`` of ``values``, the spread a robust standard deviation.

    The spread is the median absolute deviation from the median times
    ``MAD_TO_STD`` (a standard deviation for normal values): it ignores
    up to half of the values however far out they lie, where the
    interquartile range of a box plot's fence ignores a quarter. Where more
    than half the values are equal (a MAD of 0), the mean absolute deviation
    times ``MEAN_DEVIATION_TO_STD`` stands in, as in Iglewicz and Hoaglin's
    modified z-score; where all are equal, the fence is their value.
    """
    values = np.asarray(values, dtype=np.float64)
    median = np.median(values)
    deviations = np.abs(values - median)
    spread = MAD_TO_STD * np.median(deviations)
    if not spread > 0:
        spread = MEAN_DEVIATION_TO_STD * np.mean(deviations)
    return float(median + z * spread)


def auto_offset(scores, *, squared_errors):
    """``offset_`` for ``contamination="auto"``: a robust fence on the training errors.

    The errors are minus the ``scores``. With ``squared_errors`` (the
    autoencoder backbone's mean squared errors, never negative) the fence
    is set on their cube roots: squared errors of normal residuals follow a
    scaled chi-square distribution, long-tailed to the right, whose cube
    root is nearly normal (Wilson and Hilferty, 1931), so that "``AUTO_Z``
    robust standard deviations above the median" means about what it means
    for normal values, instead of flagging the long tail of the errors of
    perfectly normal samples. Otherwise (minus the ELBO, in nats, of any
    sign) the fence is set on the errors themselves.
    """
    errors = -np.asarray(scores, dtype=np.float64)
    if not squared_errors:
        return -robust_upper_fence(errors)
    roots = np.cbrt(errors)
    fence = robust_upper_fence(roots)
    # cubed back, the fence may round below errors it lies on (all equal, say):
    # those stay inliers
    return -max(fence**3, float(np.max(errors[roots <= fence])))


def offset_for_contamination(contamination, scores, *, squared_errors=True):
    """The threshold on ``scores`` that ``contamination`` asks for.

    A fraction: that quantile of the training ``scores``. "auto":
    ``auto_offset``, ``squared_errors`` saying what the scores are minus.
    """
    if contamination == "auto":
        return auto_offset(scores, squared_errors=squared_errors)
    return float(np.percentile(scores, 100.0 * contamination))


def outlier_probability(decision, training_scores):
    """``Phi(-decision / spread)``, spread the training scores' robust deviation.

    In float64 whatever the scores' dtype.
    """
    decision = np.asarray(decision, dtype=np.float64)
    training_scores = np.asarray(training_scores, dtype=np.float64)
    q1, q3 = np.percentile(training_scores, [25, 75])
    spread = (q3 - q1) / NORMAL_IQR
    if not spread > 0:
        spread = float(np.std(training_scores)) or 1.0
    return ndtr(-decision / spread)


def exceed_confidence(decision, training_scores, offset):
    """ExCeeD's confidence in each prediction (see ``predict_confidence``), in float64."""
    decision = np.asarray(decision, dtype=np.float64)
    training = np.sort(np.asarray(training_scores, dtype=np.float64))
    n = len(training)
    n_flagged = int(np.sum(training < offset))
    # training samples scoring at least as high: normal beside the sample
    n_above = n - np.searchsorted(training, decision + offset, side="left")
    outlyingness = (1.0 + n_above) / (2.0 + n)
    outlier = 1.0 - binom.cdf(n - n_flagged, n, outlyingness)
    return np.where(decision < 0, outlier, 1.0 - outlier)
