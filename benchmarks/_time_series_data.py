"""The series of ``time_series.py`` and the five anomaly types it injects into them.

The types are those of Lai et al., "Revisiting Time Series Outlier Detection:
Definitions and Benchmarks" (NeurIPS 2021 datasets and benchmarks track):
point global, point contextual, and the collective shapelet, seasonal and
trend outliers. Everything is seeded by the ``seed`` given; nothing is
downloaded (the real series ship with Matplotlib).
"""

import numpy as np

ANOMALY_TYPES = ("point global", "point contextual", "shapelet", "seasonal", "trend")
SERIES = ("synthetic", "eeg", "membrane")
POINTS_PER_TYPE, SEGMENTS_PER_TYPE = 10, 3


def load_series(name, seed, *, quick=False):
    """``(train, test)``: a series split in time, each ``(n_times, n_features)``."""
    if name == "synthetic":
        n_train, n_test = (1000, 800) if quick else (3000, 2000)
        series = synthetic(n_train + n_test, seed)
        return series[:n_train], series[n_train:]
    from matplotlib import cbook

    if name == "eeg":
        # 800 steps of 4 channels, as Matplotlib's mri_with_eeg example reads it
        with cbook.get_sample_data("eeg.dat") as file:
            series = np.fromfile(file, dtype=np.float64).reshape(800, 4)
        return series[:400], series[400:]
    if name == "membrane":
        with cbook.get_sample_data("membrane.dat") as file:
            series = np.fromfile(file, dtype=np.float32).astype(np.float64)[::4, None]
        if quick:
            series = series[:1600]
        half = len(series) // 2
        return series[:half], series[half:]
    raise ValueError(f"unknown series {name!r}; one of {SERIES}")


def synthetic(n_times, seed):
    """Three features of a period drawn in [30, 60]: sines, harmonics, noise."""
    rng = np.random.default_rng(seed)
    period = rng.uniform(30, 60)
    phase = 2 * np.pi * np.arange(n_times) / period
    series = np.column_stack(
        [
            np.sin(phase),
            np.sin(phase + 1.0) + 0.5 * np.sin(2 * phase),
            np.cos(phase) * 0.8 + 0.3 * np.sin(3 * phase + 0.5),
        ]
    )
    return series + 0.05 * rng.standard_normal(series.shape)


def inject(test, train, kind, period, seed):
    """``(series, labels)``: ``test`` with anomalies of one type, and the changed points.

    Point types change ``POINTS_PER_TYPE`` single points; collective types
    ``SEGMENTS_PER_TYPE`` segments of ``period`` steps (shorter in a series too
    short for them), apart from each other and from the ends. Each anomaly
    is in one feature drawn at random.
    Amplitudes are in units of the training series' standard deviation.
    """
    rng = np.random.default_rng([seed, ANOMALY_TYPES.index(kind)])
    series = np.array(test, dtype=np.float64, copy=True)
    n_times, n_features = series.shape
    std, median = train.std(axis=0), np.median(train, axis=0)
    low, high = train.min(axis=0), train.max(axis=0)
    labels = np.zeros(n_times, dtype=int)
    if kind.startswith("point"):
        times = rng.choice(np.arange(period, n_times - period), POINTS_PER_TYPE, replace=False)
        for t in times:
            f = rng.integers(n_features)
            sign = rng.choice([-1.0, 1.0])
            if kind == "point global":
                series[t, f] = median[f] + sign * rng.uniform(3.5, 5.0) * std[f]
            else:
                value = series[t, f] + sign * rng.uniform(1.0, 1.5) * std[f]
                if not low[f] <= value <= high[f]:  # off its context, within the range
                    value = series[t, f] - sign * rng.uniform(1.0, 1.5) * std[f]
                series[t, f] = np.clip(value, low[f], high[f])
            labels[t] = 1
        return series, labels
    # segments apart from each other: one in each of SEGMENTS_PER_TYPE slots,
    # at most half a slot long (a short series' segments are shorter than period)
    slot = (n_times - 2 * period) // SEGMENTS_PER_TYPE
    length = min(period, slot // 2)
    for i in range(SEGMENTS_PER_TYPE):
        begin = period + i * slot + rng.integers(0, max(1, slot - 2 * length))
        end = begin + length
        f = rng.integers(n_features)
        segment = series[begin:end, f]
        if kind == "shapelet":  # another shape: a ramp across the segment's range
            ramp = np.arange(length) / length
            series[begin:end, f] = segment.min() + ramp * (segment.max() - segment.min())
        elif kind == "seasonal":  # the series itself at twice the speed
            series[begin:end, f] = series[begin : begin + 2 * length : 2, f]
        elif kind == "trend":
            series[begin:end, f] = segment + np.linspace(0, 2.0 * std[f], length)
        else:
            raise ValueError(f"unknown anomaly type {kind!r}; one of {ANOMALY_TYPES}")
        labels[begin:end] = 1
    return series, labels
