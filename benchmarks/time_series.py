"""Time series: anomalous time points found through windows, against the usual baselines.

What it measures
----------------
* **Detection.** Series with the five anomaly types of Lai et al.,
  "Revisiting Time Series Outlier Detection" (NeurIPS 2021 datasets and
  benchmarks track): point global, point contextual, shapelet, seasonal and
  trend. Each series is split in time: the first part (clean) trains every
  method, the second is scored after anomalies of one type are injected (one
  test series per type, the same training fit for the five). The series:

  - ``synthetic``: three features made by this script's seeded generator
    (sines of a period drawn in [30, 60], a harmonic, a phase-shifted copy,
    noise), 3,000 training and 2,000 test steps;
  - ``eeg``: matplotlib's sample EEG recording (``eeg.dat``, 800 steps of 4
    channels; 400 training, 400 test), shipped with Matplotlib;
  - ``membrane``: matplotlib's sample membrane-potential trace
    (``membrane.dat``, 12,000 steps, every 4th kept: 1,500 training, 1,500
    test).

  Injection (``inject``): 10 single points per point type (global: the
  feature's median plus or minus 3.5 to 5 training standard deviations;
  contextual: plus or minus 1 to 1.5 standard deviations, clipped to the
  training range, so within the global range but off its context); 3
  segments of one window width (shorter in the EEG's 400 test steps) per
  collective type (shapelet: a ramp across the segment's range; seasonal: the series itself at twice the
  speed; trend: a ramp rising to 2 standard deviations), each in one feature
  drawn at random. Labels are the changed points (point-wise).

  Every method reads the same sliding windows of the standardised series
  (``StandardScaler`` fitted on the training part): ``width`` by a rule fixed
  before any scoring, from the training series alone (``window_width``:
  the period where the mean autocorrelation of the features peaks, rounded
  up to a multiple of 8, within [16, 96]; 32 when it has no peak), stride 1.
  Window scores become point scores with ``SlidingWindows.point_scores`` and
  its default rule (a point is as abnormal as the most abnormal window
  covering it), for every method but skae's: a reconstruction detector
  knows where in a window its errors lie, and its point scores are
  ``SlidingWindows.point_errors`` of its ``feature_errors`` (each
  feature's largest error at the point, averaged over the features, plus
  its worst window's error, both over the windows covering it). The sequence detector's window scores through ``point_scores`` are
  reported beside it (``skae sequence, window scores``), as a reference,
  not a baseline. Methods:

  - ``skae sequence``: ``AutoencoderOutlierDetector(architecture="sequence",
    random_state=seed)``, every other parameter its default;
  - ``skae dense``: ``AutoencoderOutlierDetector(random_state=seed)`` on the
    flattened windows;
  - ``IsolationForest(random_state=seed)`` and
    ``LocalOutlierFactor(novelty=True)`` on the flattened windows;
  - ``matrix profile``: the discord score of each test window, its
    z-normalised Euclidean distance to the nearest training window (an
    AB-join, the distance stumpy's ``stump(T_test, m, T_train)`` computes),
    summed over the features; computed here with NumPy, so that it runs
    without stumpy;
  - ``PyOD AutoEncoder`` on the flattened windows, where PyOD is installed.

  Point-wise ROC AUC and average precision, means over seeds 0, 1, 2 (the
  generator's and the models' seeds), and fit and score times.

* **Bounded memory on disk.** A ``10**7 x 8`` float32 series in a ``.npy``
  memmap (``10**5`` with ``--quick``), cut with ``SlidingWindows(32,
  stride=16).iter_windows`` and scored by a sequence detector block by block,
  then mapped to point scores: the peak resident memory above the process's
  resident memory before scoring (in a fresh process), all of it and the
  anonymous (not file-backed) part, and the throughput.

* **Training speed.** Seconds per window per epoch of the sequence network
  (``AutoencoderTransformer(architecture="sequence")``, default layers,
  no early stopping) against a plain Keras ``Conv1D`` autoencoder of the
  same layers (and the same number of weights) trained with ``Model.fit``,
  both for ``SPEED_EPOCHS`` epochs on the same windows, 10 % of them held
  out for the validation loss as skae does, one run.

Goals: mean point-wise ROC AUC of the sequence detector at least the best
baseline's, and on no anomaly type more than 0.05 below the best baseline;
the memmap scored within +400 MB; the sequence network at least as fast per
window as the plain Keras one.

Outputs: ``time_series.md`` in ``--output-dir`` (default ``docs/benchmarks``).

Usage::

    python benchmarks/time_series.py            # about 20 minutes on 2 CPUs
    python benchmarks/time_series.py --quick    # smoke run; not a measurement
    python benchmarks/time_series.py --check    # exit 1 if a goal fails
"""

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.neighbors import LocalOutlierFactor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from _common import goal_line, measured_by, versions_line  # noqa: E402
from _time_series_data import ANOMALY_TYPES, load_series, inject  # noqa: E402
from skae import AutoencoderOutlierDetector  # noqa: E402
from skae.preprocessing import SlidingWindows  # noqa: E402

SCRIPT = "benchmarks/time_series.py"
SEEDS = (0, 1, 2)
SEQUENCE = "skae sequence"
SKAE = (SEQUENCE, "skae dense")
WINDOW_RULE = "skae sequence, window scores"  # a reference row, not a baseline
BASELINES = ("skae dense", "IsolationForest", "LOF", "matrix profile", "PyOD AutoEncoder")
MEMMAP_STEPS, QUICK_MEMMAP_STEPS, MEMMAP_FEATURES = 10**7, 10**5, 8
MEMMAP_WIDTH, MEMMAP_STRIDE = 32, 16
MEMORY_LIMIT_MB = 400
SPEED_EPOCHS, SPEED_WINDOWS = 5, 4000


# ----------------------------------------------------------------------
# windows and methods
# ----------------------------------------------------------------------
def window_width(train):
    """The window width, from the training series alone.

    The lag (2 to 200) where the autocorrelation averaged over the features
    is highest after it first turns negative, rounded up to a multiple of 8
    and kept within [16, 96]; 32 when it never turns negative.
    """
    x = train - train.mean(axis=0)
    n = len(x)
    spectrum = np.fft.rfft(x, n=2 * n, axis=0)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[: min(n // 2, 201)].mean(axis=1)
    acf /= acf[0]
    negative = np.flatnonzero(acf[2:] < 0)
    if not len(negative):
        return 32
    first = negative[0] + 2
    period = first + int(np.argmax(acf[first:]))
    return int(min(96, max(16, 8 * int(np.ceil(period / 8)))))


def matrix_profile_scores(train_windows, test_windows):
    """Each test window's z-normalised distance to its nearest training window.

    Summed over the features; higher is more abnormal. The distance of two
    z-normalised windows of length m is ``sqrt(2 m (1 - correlation))``.
    """
    m = train_windows.shape[1]

    def znorm(w):
        w = w - w.mean(axis=1, keepdims=True)
        std = w.std(axis=1, keepdims=True)
        return w / np.where(std > 1e-8, std, 1.0)

    a, b = znorm(test_windows), znorm(train_windows)
    total = np.zeros(len(a))
    for f in range(a.shape[2]):
        best = np.full(len(a), -np.inf)
        for start in range(0, len(b), 2048):
            corr = a[:, :, f] @ b[start : start + 2048, :, f].T / m
            best = np.maximum(best, corr.max(axis=1))
        total += np.sqrt(np.maximum(2 * m * (1 - best), 0.0))
    return total


def pyod_autoencoder(seed):
    """PyOD's AutoEncoder, or None when PyOD (or its torch) is not installed."""
    try:
        from pyod.models.auto_encoder import AutoEncoder
    except ImportError:
        return None
    return AutoEncoder(random_state=seed, verbose=0)


def _fit(name, seed, train_windows):
    """``(fitted model, fit seconds, reads flattened windows)``; None if unavailable."""
    flat = name != SEQUENCE
    if name == SEQUENCE:
        model = AutoencoderOutlierDetector(architecture="sequence", random_state=seed)
    elif name == "skae dense":
        model = AutoencoderOutlierDetector(random_state=seed)
    elif name == "IsolationForest":
        model = IsolationForest(random_state=seed)
    elif name == "LOF":
        model = LocalOutlierFactor(novelty=True)
    else:
        model = pyod_autoencoder(seed)
        if model is None:
            return None
    X = train_windows.reshape(len(train_windows), -1) if flat else train_windows
    start = time.perf_counter()
    model.fit(X)
    return model, time.perf_counter() - start, flat


def evaluate(series_name, seed, quick):
    """Every method's point-wise ROC AUC and AP on each anomaly type of one series."""
    train, test = load_series(series_name, seed, quick=quick)
    scaler = StandardScaler().fit(train)
    train, test = scaler.transform(train), scaler.transform(test)
    width = window_width(train)
    windows = SlidingWindows(width, stride=1).fit(train)
    train_windows = windows.transform(train).astype(np.float32)
    tests = {kind: inject(test, train, kind, width, seed) for kind in ANOMALY_TYPES}
    results = {}
    for name in (SEQUENCE, *BASELINES):
        fitted = {}
        for kind, (series, labels) in tests.items():
            test_windows = windows.transform(series).astype(np.float32)
            if name == "matrix profile":
                start = time.perf_counter()
                mp = matrix_profile_scores(train_windows, test_windows)
                out = mp, None, time.perf_counter() - start  # no fit: all of it is scoring
            else:  # one fit per series and seed, made on the first type's turn
                out = _scores_with_fit(name, seed, train_windows, test_windows, fitted)
            if out is None:
                break
            window_scores, fit_s, score_s = out
            if name in SKAE:  # the detector's errors, (n_windows, width * n_features) or 3-D
                errors = window_scores
                points = windows.point_errors(errors, len(series))
                if name == SEQUENCE:
                    window_mean = errors.reshape(len(errors), -1).mean(axis=1)  # -score_samples
                    reference = -windows.point_scores(-window_mean, len(series))
                    results[WINDOW_RULE, kind] = _metrics(labels, reference, fit_s, score_s)
            else:
                points = -windows.point_scores(-window_scores, len(series))
            results[name, kind] = _metrics(labels, points, fit_s, score_s)
    return width, results


def _metrics(labels, points, fit_s, score_s):
    return {
        "auc": roc_auc_score(labels, points),
        "ap": average_precision_score(labels, points),
        "fit_s": fit_s,
        "score_s": score_s,
    }


def _scores_with_fit(name, seed, train_windows, test_windows, fitted):
    """Score with the model fitted once per series and seed (fitted on first call)."""
    if "model" not in fitted:
        out = _fit(name, seed, train_windows)
        if out is None:
            return None
        fitted["model"], fitted["fit_s"], fitted["flat"] = out
    model = fitted["model"]
    X_test = test_windows.reshape(len(test_windows), -1) if fitted["flat"] else test_windows
    start = time.perf_counter()
    if name == "PyOD AutoEncoder":
        scores = model.decision_function(X_test)  # PyOD: higher = more abnormal
    elif name in SKAE:
        scores = model.feature_errors(X_test)  # for SlidingWindows.point_errors
    else:
        scores = -model.score_samples(X_test)  # scikit-learn's: lower = more abnormal
    return scores, fitted["fit_s"], time.perf_counter() - start


def detection(quick):
    """``(widths, rows)``: per series the widths used, and per (method, series,
    type) the list of each seed's results."""
    from _time_series_data import SERIES

    widths, rows = {}, {}
    for series_name in SERIES:
        for seed in SEEDS:
            start = time.perf_counter()
            width, results = evaluate(series_name, seed, quick)
            widths.setdefault(series_name, []).append(width)
            for (method, kind), result in results.items():
                rows.setdefault((method, series_name, kind), []).append(result)
            print(
                f"{series_name} seed {seed}: width {width}, "
                f"{time.perf_counter() - start:.0f} s",
                file=sys.stderr,
            )
    return widths, rows


# ----------------------------------------------------------------------
# a series on disk, in bounded memory (run in a fresh process)
# ----------------------------------------------------------------------
def _resident_mb():
    """``(resident, anonymous)`` MB of this process, from /proc/self/status."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["RssAnon"].split()[0]) / 1024


def memmap_worker(path, model_path):
    """Score the memmap's windows block by block; print a JSON line of the figures."""
    import pickle
    import threading

    detector = pickle.loads(Path(model_path).read_bytes())
    series = np.load(path, mmap_mode="r")
    windows = SlidingWindows(MEMMAP_WIDTH, stride=MEMMAP_STRIDE).fit(series[:MEMMAP_WIDTH])
    detector.score_samples(windows.transform(np.asarray(series[: 64 * MEMMAP_WIDTH])))  # warm-up
    before, before_anon = _resident_mb()
    peak = {"rss": before, "anon": before_anon}
    done = threading.Event()

    def sample():  # the peak of anonymous memory is not kept by the kernel
        while not done.is_set():
            rss, anon = _resident_mb()
            peak["rss"], peak["anon"] = max(peak["rss"], rss), max(peak["anon"], anon)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    blocks = windows.iter_windows(series, batch_windows=8192)
    window_scores = np.concatenate([detector.score_samples(block) for block in blocks])
    points = windows.point_scores(window_scores, len(series))
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    rss, anon = _resident_mb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "windows": len(window_scores),
                "points": len(points),
                "rss_mb": max(peak["rss"], rss) - before,
                "anon_mb": max(peak["anon"], anon) - before_anon,
            }
        )
    )


def memory(quick):
    """Write the memmap, fit a small sequence detector, score in a fresh process."""
    import pickle

    n_times = QUICK_MEMMAP_STEPS if quick else MEMMAP_STEPS
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "series.npy"
        series = np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(n_times, MEMMAP_FEATURES)
        )
        phase = 2 * np.pi * np.arange(MEMMAP_FEATURES) / MEMMAP_FEATURES
        for begin in range(0, n_times, 10**6):
            t = np.arange(begin, min(begin + 10**6, n_times))[:, None]
            block = np.sin(2 * np.pi * t / 50 + phase)
            series[begin : begin + len(t)] = block + 0.05 * rng.standard_normal(block.shape)
        series.flush()
        train = np.asarray(series[:20_000])
        del series
        windows = SlidingWindows(MEMMAP_WIDTH, stride=MEMMAP_STRIDE).fit(train)
        detector = AutoencoderOutlierDetector(architecture="sequence", epochs=5, random_state=0)
        detector.fit(windows.transform(train))
        model_path = Path(folder) / "detector.pkl"
        model_path.write_bytes(pickle.dumps(detector))
        out = subprocess.run(
            [sys.executable, __file__, "--memmap-worker", str(path), str(model_path)],
            capture_output=True, text=True, check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["n_times"] = n_times
    return result


# ----------------------------------------------------------------------
# training speed against plain Keras
# ----------------------------------------------------------------------
def plain_keras_conv1d(timesteps, features, seed, *, batch_normalization, dropout):
    """Keras's Conv1D autoencoder with the sequence network's default layers.

    Conv1D 32, 64, 128 (kernel 3, stride 2, ReLU; batch normalisation and
    spatial dropout as asked), a dense code of 2, and the mirror with
    Conv1DTranspose; padded and cropped as skae's builders do.
    """
    import keras

    from skae.architectures.sequence import sequence_padding

    keras.utils.set_random_seed(seed)
    left, right = sequence_padding(timesteps, 2, 3)
    length = (timesteps + left + right) // 8
    inputs = keras.Input((timesteps, features))
    x = keras.layers.ZeroPadding1D((left, right))(inputs)
    for filters in (32, 64, 128):
        x = keras.layers.Conv1D(filters, 3, strides=2, padding="same")(x)
        if batch_normalization:
            x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        if dropout:
            x = keras.layers.SpatialDropout1D(dropout)(x)
    x = keras.layers.Dense(2)(keras.layers.Flatten()(x))
    x = keras.layers.Dense(length * 128, activation="relu")(x)
    x = keras.layers.Reshape((length, 128))(x)
    for filters in (128, 64, 32):
        x = keras.layers.Conv1DTranspose(filters, 3, strides=2, padding="same")(x)
        if batch_normalization:
            x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        if dropout:
            x = keras.layers.SpatialDropout1D(dropout)(x)
    x = keras.layers.Conv1DTranspose(features, 3, padding="same")(x)
    model = keras.Model(inputs, keras.layers.Cropping1D((left, right))(x))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def speed(quick):
    """Seconds per window per epoch: skae's sequence network and plain Keras's."""
    from skae import AutoencoderTransformer

    epochs = 2 if quick else SPEED_EPOCHS
    train, _ = load_series("synthetic", 0, quick=False)
    windows = SlidingWindows(48, stride=1).fit(train)
    X = windows.transform(StandardScaler().fit_transform(train))[:SPEED_WINDOWS]
    X = X.astype(np.float32)
    skae_model = AutoencoderTransformer(
        architecture="sequence", epochs=epochs, early_stopping=False,
        reduce_lr_on_plateau=False, random_state=0,
    )
    start = time.perf_counter()
    skae_model.fit(X)
    skae_s = time.perf_counter() - start
    params = skae_model.get_params()
    keras_model = plain_keras_conv1d(
        X.shape[1], X.shape[2], 0, batch_normalization=params["batch_normalization"],
        dropout=params["dropout"],
    )
    start = time.perf_counter()
    # skae holds out validation_fraction and reports its loss each epoch: so does Keras
    keras_model.fit(
        X, X, epochs=epochs, batch_size=32, validation_split=params["validation_fraction"],
        verbose=0,
    )
    keras_s = time.perf_counter() - start
    per = epochs * len(X)
    return {
        "epochs": epochs,
        "windows": len(X),
        "skae": skae_s / per,
        "keras": keras_s / per,
        "skae_weights": _weights(skae_model),
        "keras_weights": keras_model.count_params(),
    }


def _weights(estimator):
    """Number of weights of a fitted skae estimator's encoder and decoder."""
    return sum(getattr(estimator, name).count_params() for name in ("encoder_", "decoder_"))


# ----------------------------------------------------------------------
# report
# ----------------------------------------------------------------------
def _mean(rows, method, key, series=None, kind=None):
    values = [
        r[key]
        for (m, s, k), results in rows.items()
        if m == method and series in (None, s) and kind in (None, k)
        for r in results
        if r[key] is not None
    ]
    return float(np.mean(values)) if values else None


def _seconds(value):
    return "—" if value is None else f"{value:.2f}"


def _methods(rows):
    return [m for m in (SEQUENCE, WINDOW_RULE, *BASELINES) if any(key[0] == m for key in rows)]


def detection_tables(rows, series_names):
    methods = _methods(rows)
    lines = []
    for metric, title in (("auc", "ROC AUC"), ("ap", "average precision")):
        lines += [
            f"### Point-wise {title}, by anomaly type (mean over the series and seeds)",
            "",
            "| method | " + " | ".join(ANOMALY_TYPES) + " | mean |",
            "|---|" + "---:|" * (len(ANOMALY_TYPES) + 1),
        ]
        for method in methods:
            cells = [_mean(rows, method, metric, kind=k) for k in ANOMALY_TYPES]
            lines.append(
                f"| {method} | " + " | ".join(f"{c:.3f}" for c in cells)
                + f" | **{_mean(rows, method, metric):.3f}** |"
            )
        lines.append("")
    lines += [
        "### Point-wise ROC AUC by series (mean over the types and seeds), and times",
        "",
        "| method | " + " | ".join(series_names)
        + " | fit (s, mean per series) | score (s, per test series) |",
        "|---|" + "---:|" * (len(series_names) + 2),
    ]
    for method in methods:
        cells = [_mean(rows, method, "auc", series=s) for s in series_names]
        lines.append(
            f"| {method} | " + " | ".join(f"{c:.3f}" for c in cells)
            + f" | {_seconds(_mean(rows, method, 'fit_s'))}"
            + f" | {_seconds(_mean(rows, method, 'score_s'))} |"
        )
    return lines


def goals(rows, mem, timing):
    baselines = [m for m in _methods(rows) if m in BASELINES]
    seq_mean = _mean(rows, SEQUENCE, "auc")
    best_name = max(baselines, key=lambda m: _mean(rows, m, "auc"))
    best_mean = _mean(rows, best_name, "auc")
    gaps = {
        k: _mean(rows, SEQUENCE, "auc", kind=k)
        - max(_mean(rows, m, "auc", kind=k) for m in baselines)
        for k in ANOMALY_TYPES
    }
    worst = min(gaps, key=gaps.get)
    ratio = timing["skae"] / timing["keras"]
    return [
        (
            "mean point-wise ROC AUC of the sequence detector at least the best baseline's",
            f"{seq_mean:.3f} against {best_mean:.3f} ({best_name})",
            seq_mean >= best_mean,
        ),
        (
            "no anomaly type more than 0.05 below the best baseline",
            f"worst gap {gaps[worst]:+.3f} on {worst}; "
            + ", ".join(f"{k} {g:+.3f}" for k, g in gaps.items()),
            gaps[worst] >= -0.05,
        ),
        (
            f"a {mem['n_times']:,} x {MEMMAP_FEATURES} float32 memmap scored within "
            f"+{MEMORY_LIMIT_MB} MB",
            f"+{mem['rss_mb']:.0f} MB resident, +{mem['anon_mb']:.0f} MB anonymous",
            mem["rss_mb"] <= MEMORY_LIMIT_MB,
        ),
        (
            "sequence network at least as fast per window as plain Keras Conv1D",
            f"ratio skae / Keras {ratio:.2f}",
            ratio <= 1.0,
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog=SCRIPT, description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", default="docs/benchmarks")
    parser.add_argument("--quick", action="store_true", help="smoke run; not a measurement")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal fails")
    parser.add_argument("--memmap-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memmap_worker:
        memmap_worker(*args.memmap_worker)
        return 0
    from _time_series_data import SERIES

    widths, rows = detection(args.quick)
    mem = memory(args.quick)
    timing = speed(args.quick)
    goal_list = goals(rows, mem, timing)
    pyod = "PyOD AutoEncoder" in _methods(rows)
    lines = [
        "# Time series: anomalous time points through windows",
        "",
        "## Detection: the five anomaly types of Lai et al. (2021)",
        "",
        "Each series is split in time; every method is fitted on the clean first "
        "part and scores the second, into which anomalies of one type are injected "
        "(10 points per point type, 3 segments of one window width per collective "
        "type, each in one random feature; `benchmarks/_time_series_data.py`). "
        "Series: `synthetic` (this benchmark's seeded generator, 3 features, "
        "3,000 training and 2,000 test steps), `eeg` and `membrane` (Matplotlib's "
        "sample recordings, 4 channels of 800 steps and 1 of 3,000 steps). Every "
        "method reads the same windows of the standardised series, stride 1, of a "
        "width chosen from the training series alone (its autocorrelation's "
        "period rounded up to a multiple of 8, within [16, 96]): "
        + ", ".join(f"{s} {sorted(set(w))}" for s, w in widths.items())
        + "; window scores become point scores by `SlidingWindows.point_scores` "
        "(a point is as abnormal as its most abnormal window), except skae's: "
        "a reconstruction detector's `feature_errors` become point scores by "
        "`SlidingWindows.point_errors` (each feature's largest error at the point, "
        "averaged over the features, plus its worst window's error, both over the "
        "windows covering it). The sequence detector's window scores through "
        "`point_scores` are shown as a reference (`skae sequence, window "
        "scores`), not a baseline. The skae detectors use their defaults (`architecture=\"sequence\"`, or dense on the flattened "
        "windows); the matrix profile is each window's z-normalised distance to "
        f"its nearest training window, summed over the features. Seeds {SEEDS}.",
        "",
        *detection_tables(rows, list(SERIES)),
        "",
        "" if pyod else "PyOD is not installed for this run: no PyOD row.",
        "",
        "## A series on disk, in bounded memory",
        "",
        f"A {mem['n_times']:,} x {MEMMAP_FEATURES} float32 series in a `.npy` memmap, "
        f"cut by `SlidingWindows({MEMMAP_WIDTH}, stride={MEMMAP_STRIDE}).iter_windows` "
        "(8,192 windows a block; each block's rows mapped on their own), scored by a sequence detector (defaults, 5 epochs "
        "on 20,000 steps) and mapped to point scores, in a fresh process: "
        f"{mem['windows']:,} windows in {mem['seconds']:.1f} s "
        f"({mem['windows'] / mem['seconds']:,.0f} windows/s, "
        f"{mem['points'] / mem['seconds']:,.0f} time steps/s); peak memory above "
        f"the process's before scoring: +{mem['rss_mb']:.0f} MB resident "
        f"(+{mem['anon_mb']:.0f} MB anonymous, the rest the memmap's pages "
        "of the file, which the kernel may drop).",
        "",
        "## Training speed",
        "",
        f"{timing['windows']:,} windows of 48 x 3, {timing['epochs']} epochs, batch 32, "
        "no early stopping, 10 % held out for the validation loss, one run each: skae's "
        "`AutoencoderTransformer(architecture=\"sequence\")` "
        f"({timing['skae_weights']:,} weights) {timing['skae'] * 1e3:.3f} ms per window, "
        f"a plain Keras Conv1D autoencoder of the same layers ({timing['keras_weights']:,} "
        f"weights) trained with `Model.fit` {timing['keras'] * 1e3:.3f} ms per window.",
        "",
        "## Goals",
        "",
        *(f"- `{goal_line(t, p if not args.quick else None, m)}`" for t, m, p in goal_list),
        "",
        measured_by(shlex.join([SCRIPT, *(sys.argv[1:] if argv is None else argv)])),
        "",
        versions_line(),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / "time_series.md").write_text(report)
    if args.check and not all(passed for _, _, passed in goal_list):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
