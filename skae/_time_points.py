"""Values of sliding windows gathered back to the time points they cover.

The arithmetic of ``SlidingWindows.point_scores``, ``point_values`` and
``point_errors``: windows of ``width`` steps starting at sorted, unique
``starts``; the windows covering point ``t`` are a run of them.
"""

import numpy as np

# time points per block when the windows covering them are gathered
_POINTS_PER_BLOCK = 2**18


def covering_counts(starts, width, n_times):
    """Number of windows (sorted ``starts``, ``width`` steps) covering each time point."""
    t = np.arange(n_times)
    last = np.searchsorted(starts, t, side="right") - 1
    first = np.searchsorted(starts, t - width + 1, side="left")
    return last - first + 1


def covering_means(values, starts, n_times):
    """For each time point, the mean of the values it takes in the windows covering it.

    ``values``: ``(n_windows, width, ...)`` as in ``covering_maxima``; float64.
    """
    width = values.shape[1]
    sums = np.zeros((n_times, *values.shape[2:]))
    for k in range(width):  # starts are unique, so no index repeats
        sums[starts + k] += values[:, k]
    counts = covering_counts(starts, width, n_times)
    return sums / counts.reshape((-1,) + (1,) * (sums.ndim - 1))


def reduce_covering(scores, starts, width, n_times, reduce):
    """For each time point, ``reduce`` of the scores of the windows covering it.

    The windows covering point ``t`` are a run ``first[t] .. last[t]`` of the
    sorted starts; points are gathered a block at a time, so memory is a few
    arrays of ``_POINTS_PER_BLOCK`` values beside the result.
    """
    if reduce == "mean":
        cumulative = np.concatenate([[0.0], np.cumsum(scores, dtype=np.float64)])
        out = np.empty(n_times, dtype=np.float64)
    else:
        out = np.empty(n_times, dtype=scores.dtype)
        combine = np.minimum if reduce == "min" else np.maximum
    for begin in range(0, n_times, _POINTS_PER_BLOCK):
        t = np.arange(begin, min(begin + _POINTS_PER_BLOCK, n_times))
        last = np.searchsorted(starts, t, side="right") - 1
        first = np.searchsorted(starts, t - width + 1, side="left")
        if reduce == "mean":
            out[t] = (cumulative[last + 1] - cumulative[first]) / (last - first + 1)
            continue
        block = scores[first]
        for offset in range(1, int(np.max(last - first)) + 1):
            # past a point's last window, the index stays on it: no change
            block = combine(block, scores[np.minimum(first + offset, last)])
        out[t] = block
    return out


def covering_maxima(values, starts, n_times):
    """For each time point, the largest value it takes in the windows covering it.

    ``values``: ``(n_windows, width, ...)``, window ``i``'s values at each of
    its steps (``starts[i] + k``); the result is ``(n_times, ...)``, each
    trailing entry (a feature) reduced on its own. Starts are unique, so at
    a given step ``k`` no point repeats: one vectorised maximum per step.
    """
    out = np.full((n_times, *values.shape[2:]), -np.inf)
    for k in range(values.shape[1]):
        points = starts + k
        out[points] = np.maximum(out[points], values[:, k])
    return out
