"""The detector's statistics: scaling, threshold, probabilities and confidence.

Pure NumPy functions of fitted arrays, so that ``AutoencoderOutlierDetector``
holds only the estimator's protocol and these can be read and tested alone.
"""

import numpy as np
from scipy.special import ndtr
from scipy.stats import binom

from .._input.statistics import robust_center_scale

# contamination="auto": Tukey's fence, the end of a box plot's upper whisker.
TUKEY_FENCE = 1.5

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


def offset_for_contamination(contamination, scores):
    """The threshold on ``scores`` that ``contamination`` asks for."""
    if contamination == "auto":
        q1, q3 = np.percentile(-scores, [25, 75])
        return -float(q3 + TUKEY_FENCE * (q3 - q1))
    return float(np.percentile(scores, 100.0 * contamination))


def outlier_probability(decision, training_scores):
    """``Phi(-decision / spread)``, spread the training scores' robust deviation."""
    q1, q3 = np.percentile(training_scores, [25, 75])
    spread = (q3 - q1) / NORMAL_IQR
    if not spread > 0:
        spread = float(np.std(training_scores)) or 1.0
    return ndtr(-decision / spread)


def exceed_confidence(decision, training_scores, offset):
    """ExCeeD's confidence in each prediction (see ``predict_confidence``)."""
    training = np.sort(training_scores)
    n = len(training)
    n_flagged = int(np.sum(training < offset))
    # training samples scoring at least as high: normal beside the sample
    n_above = n - np.searchsorted(training, decision + offset, side="left")
    outlyingness = (1.0 + n_above) / (2.0 + n)
    outlier = 1.0 - binom.cdf(n - n_flagged, n, outlyingness)
    return np.where(decision < 0, outlier, 1.0 - outlier)
