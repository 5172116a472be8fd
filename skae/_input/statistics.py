"""Standardisation statistics of rows, without overflow for huge values."""

import numpy as np

# Beyond this magnitude, squared reconstruction errors (losses and scores)
# can overflow float64 (max 1.8e308), whatever the standardisation.
MAX_ABS_VALUE = 1e150


def robust_center_scale(X, block_rows=65536):
    """Per-feature mean and one global scale, without overflow for huge values.

    Computed in float64 over blocks of rows: the temporaries stay a few MB
    however many rows X has.
    """
    blocks = [X[start : start + block_rows] for start in range(0, len(X), block_rows)]
    magnitude = max(float(np.max(np.abs(block))) for block in blocks)
    check_magnitude(magnitude)
    if magnitude == 0:
        return np.zeros(X.shape[1:]), 1.0

    def shrunk(block):
        return np.asarray(block, dtype=np.float64) / magnitude

    mean = sum(shrunk(block).sum(axis=0) for block in blocks) / len(X)
    squares = sum(float(np.sum((shrunk(block) - mean) ** 2)) for block in blocks)
    scale = np.sqrt(squares / X.size)
    if scale == 0:
        scale = 1.0 / magnitude
    return mean * magnitude, float(scale * magnitude)


def check_magnitude(magnitude):
    """Refuse data whose squared errors could overflow float64."""
    if not magnitude <= MAX_ABS_VALUE:
        raise ValueError(
            f"X has values up to {magnitude:.3g} in magnitude: beyond "
            f"{MAX_ABS_VALUE:.0e}, squared reconstruction errors overflow float64, "
            "so scores would be infinite. Rescale X first, e.g. divide it by a "
            "power of ten (StandardScaler overflows on such values too)."
        )
