"""Where AutoencoderOutlierDetector's fit time goes on wine and iris, against PyOD.

What it measures
----------------
The training rows of the outlier suite's wine and iris cases
(``outlier_suite.py``: each class in turn, 70 % of it, seeds 0, 1, 2; raw,
as the detector standardises them itself): the median wall-clock time of one
``fit`` of

* PyOD's ``AutoEncoder`` with its defaults (10 epochs, batch 32);
* ``AutoencoderOutlierDetector`` with its defaults (up to 200 epochs, early
  stopping on a 10 % validation split, learning-rate reduction);
* the detector at PyOD's budget: 10 epochs on all rows, no early stopping,
  no learning-rate reduction;
* the detector for 1 epoch: what a fit costs besides its epochs (validation,
  the initial state, the state copies, the training scores);
* the last two again with every fit building its Keras model first (the
  fallback, ``skae._engine.initial_state.ENABLED = False``): what a fit
  cost before fits started from a recipe;
* the defaults again with Keras's own ``EarlyStopping`` and
  ``ReduceLROnPlateau`` in place of skae's (which decide the same epochs
  without Keras's eager comparison at every epoch): what a default fit cost
  before issue 27's item 2;

and, on the same sets, the Keras work a fit that builds its model repeats:
building the networks and model, compiling it, creating the optimizer's
variables; and where the epochs of the default fits go: inside the compiled
call of each epoch (training and validation, one call), or around it in
Python (Keras's callbacks, the epoch's logs read to floats). What is
around it is all that several epochs in one compiled call could save
(issue 27, item 2).

Goals (issue 27): at PyOD's budget at most 2x PyOD AutoEncoder's fit time
(measured only where PyOD is installed: the ``bench`` extra), a 1-epoch fit
at most 40 ms.

A default detector fits each training set once first, untimed (each
shape's tracing), and each method fits once more (torch's warm-up); torch
runs on one thread, as in the suite. The median number of epochs of the default
fits is given too.

Output: ``outlier_fit_time.md`` in ``--output-dir`` (default
``docs/benchmarks``).

Usage::

    python benchmarks/outlier_fit_time.py     # about a minute
"""

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402

from skae import AutoencoderOutlierDetector  # noqa: E402
from skae._engine import compiled_fit, initial_state, training  # noqa: E402
from _common import measured_by  # noqa: E402  (this folder's)
from outlier_suite import SEEDS, SMALL_DATASETS, _single_threaded_torch, cases, pyod_available  # noqa: E402

SCRIPT = "benchmarks/outlier_fit_time.py"
PYOD_BUDGET = dict(epochs=10, early_stopping=False, reduce_lr_on_plateau=False)
PYOD_RATIO_GOAL = 2.0
ONE_EPOCH_GOAL_MS = 40.0


class _BuildingFirst:
    """A detector whose fits build their Keras model first (the fallback)."""

    def __init__(self, detector):
        self.detector = detector

    def fit(self, X):
        initial_state.ENABLED = False
        try:
            self.detector.fit(X)
        finally:
            initial_state.ENABLED = True
        return self

    @property
    def n_iter_(self):
        return self.detector.n_iter_


class _KerasCallbacks:
    """A detector whose fits run Keras's EarlyStopping and ReduceLROnPlateau (as before)."""

    def __init__(self, detector):
        self.detector = detector

    @staticmethod
    def _early_stopping(monitor, patience, min_delta):
        return keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, min_delta=min_delta, restore_best_weights=True
        )

    @staticmethod
    def _plateau(monitor, factor, patience, min_delta, min_lr):
        return keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=factor, patience=patience, min_delta=min_delta, min_lr=min_lr
        )

    def fit(self, X):
        skaes = training._EarlyStopping, training._ReduceLROnPlateau
        training._EarlyStopping, training._ReduceLROnPlateau = self._early_stopping, self._plateau
        try:
            self.detector.fit(X)
        finally:
            training._EarlyStopping, training._ReduceLROnPlateau = skaes
        return self

    @property
    def n_iter_(self):
        return self.detector.n_iter_


def training_sets():
    """The training rows of every wine and iris case, for every seed."""
    return [
        case.load(seed)[0]
        for case in cases(datasets=SMALL_DATASETS)
        for seed in SEEDS
    ]


def median_fit(make, sets):
    """``(median seconds of one fit, fitted models)`` after one untimed fit."""
    make(0).fit(sets[0])
    times, models = [], []
    for i, X in enumerate(sets):
        model = make(i % len(SEEDS))
        start = time.perf_counter()
        model.fit(X)
        times.append(time.perf_counter() - start)
        models.append(model)
    return statistics.median(times), models


def build_costs(sets):
    """Median ms of the Keras work each fit repeats: model, compile, optimizer.

    On the default detector's backbone (fitted once per training set, so
    the shapes are those sets'): ``_assemble`` builds the encoder, decoder
    and model with their variables, ``_compile`` compiles it, and Keras
    creates the optimizer's variables (``optimizer.build``).
    """
    parts = {"networks and model": [], "compile": [], "optimizer variables": []}
    for seed, X in enumerate(sets):
        backbone = AutoencoderOutlierDetector(random_state=seed % len(SEEDS)).fit(X).backbone_
        start = time.perf_counter()
        model = backbone._assemble(backbone._fitted_network_shape, random.Random(seed))
        built = time.perf_counter()
        backbone._compile(model)
        compiled = time.perf_counter()
        model.optimizer.build(model.trainable_variables)
        done = time.perf_counter()
        parts["networks and model"].append(built - start)
        parts["compile"].append(compiled - built)
        parts["optimizer variables"].append(done - compiled)
    return {name: 1e3 * statistics.median(times) for name, times in parts.items()}


def epoch_split(sets):
    """Median ms per epoch of default fits: in the compiled epoch call, and around it.

    Times ``compiled_fit.InMemory.epoch`` (one compiled call: the epoch's
    training and validation) and the loop that calls it
    (``compiled_fit.run_epochs``: the callbacks, the logs) in every fit.
    """
    real_epoch, real_loop = compiled_fit.InMemory.epoch, compiled_fit.run_epochs
    spent = {"inside": 0.0, "loop": 0.0, "epochs": 0}

    def epoch(self, function, number):
        start = time.perf_counter()
        try:
            return real_epoch(self, function, number)
        finally:
            spent["inside"] += time.perf_counter() - start
            spent["epochs"] += 1

    def loop(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_loop(*args, **kwargs)
        finally:
            spent["loop"] += time.perf_counter() - start

    compiled_fit.InMemory.epoch, compiled_fit.run_epochs = epoch, loop
    inside, around = [], []
    try:
        AutoencoderOutlierDetector(random_state=0).fit(sets[0])  # untimed
        for i, X in enumerate(sets):
            spent.update(inside=0.0, loop=0.0, epochs=0)
            AutoencoderOutlierDetector(random_state=i % len(SEEDS)).fit(X)
            inside.append(spent["inside"] / spent["epochs"])
            around.append((spent["loop"] - spent["inside"]) / spent["epochs"])
    finally:
        compiled_fit.InMemory.epoch, compiled_fit.run_epochs = real_epoch, real_loop
    return 1e3 * statistics.median(inside), 1e3 * statistics.median(around)


def methods():
    found = []
    if pyod_available():
        from pyod.models.auto_encoder import AutoEncoder

        _single_threaded_torch()
        found.append(("PyOD AutoEncoder (10 epochs)", lambda s: AutoEncoder(random_state=s, verbose=0)))
    found += [
        ("skae detector, defaults", lambda s: AutoencoderOutlierDetector(random_state=s)),
        (
            "skae detector, defaults, Keras's EarlyStopping and ReduceLROnPlateau (before)",
            lambda s: _KerasCallbacks(AutoencoderOutlierDetector(random_state=s)),
        ),
        (
            "skae detector, PyOD's budget (10 epochs, no early stopping)",
            lambda s: AutoencoderOutlierDetector(random_state=s, **PYOD_BUDGET),
        ),
        (
            "skae detector, 1 epoch",
            lambda s: AutoencoderOutlierDetector(random_state=s, **{**PYOD_BUDGET, "epochs": 1}),
        ),
        (
            "skae detector, PyOD's budget, model built first (fallback)",
            lambda s: _BuildingFirst(AutoencoderOutlierDetector(random_state=s, **PYOD_BUDGET)),
        ),
        (
            "skae detector, 1 epoch, model built first (fallback)",
            lambda s: _BuildingFirst(
                AutoencoderOutlierDetector(random_state=s, **{**PYOD_BUDGET, "epochs": 1})
            ),
        ),
    ]
    return found


def goals(rows, reference):
    """The issue's goal lines, PASS or FAIL, from one run's medians."""
    seconds = {name: value for name, value, _ in rows}
    budget = seconds["skae detector, PyOD's budget (10 epochs, no early stopping)"]
    one_epoch = 1e3 * seconds["skae detector, 1 epoch"]
    if reference is None:
        pyod = "not measured: PyOD is not installed (`pip install -e .[bench]`)"
    else:
        ratio = budget / reference
        verdict = "PASS" if ratio <= PYOD_RATIO_GOAL else "FAIL"
        pyod = f"{ratio:.2f}x PyOD AutoEncoder (goal at most {PYOD_RATIO_GOAL:g}x): {verdict}"
    verdict = "PASS" if one_epoch <= ONE_EPOCH_GOAL_MS else "FAIL"
    return [
        f"- At PyOD's budget: {pyod}.",
        f"- A 1-epoch fit: {one_epoch:.1f} ms (goal at most {ONE_EPOCH_GOAL_MS:g} ms): {verdict}.",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", default="docs/benchmarks")
    args = parser.parse_args()
    sets = training_sets()
    for X in sets:
        # each set's shape traces its own training step once, untimed: else
        # the first skae method measured would pay every shape's tracing
        AutoencoderOutlierDetector(random_state=0).fit(X)
    rows, reference = [], None
    for name, make in methods():
        seconds, models = median_fit(make, sets)
        if reference is None and name.startswith("PyOD"):
            reference = seconds
        epochs = (
            statistics.median(m.n_iter_ for m in models)
            if isinstance(models[0], (AutoencoderOutlierDetector, _BuildingFirst, _KerasCallbacks))
            else 10
        )
        rows.append((name, seconds, epochs))
        print(f"{name}: {seconds * 1e3:.1f} ms, {epochs:g} epochs", flush=True)
    lines = [
        "# Detector fit time on wine and iris, against PyOD",
        "",
        f"Median milliseconds of one fit on the training rows of the outlier suite's "
        f"{len(sets) // len(SEEDS)} wine and iris cases, seeds {', '.join(map(str, SEEDS))} "
        f"({len(sets)} fits per method, after one untimed default fit of each set and one untimed fit of each method; torch on one thread). "
        "\"1 epoch\" is what a fit costs besides its epochs.",
        "",
        "| method | median fit (ms) | x PyOD AutoEncoder | median epochs |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds, epochs in rows:
        ratio = "" if reference is None else f"{seconds / reference:.1f}x"
        lines.append(f"| {name} | {seconds * 1e3:.1f} | {ratio} | {epochs:g} |")
    lines += ["", "Goals:", "", *goals(rows, reference)]
    print("\n".join(goals(rows, reference)))
    costs = build_costs(sets)
    lines += [
        "",
        "The Keras work a fit that builds its model repeats (the fallback; a fit "
        "from a recipe, `skae/_engine/initial_state.py`, does none of it), median "
        "ms on the same sets (the default detector's backbone: `_assemble`, "
        "`_compile`, then `optimizer.build`):",
        "",
        "| step | median (ms) |",
        "|---|---:|",
        *(f"| {name} | {ms:.1f} |" for name, ms in costs.items()),
    ]
    for name, ms in costs.items():
        print(f"{name}: {ms:.1f} ms")
    inside, around = epoch_split(sets)
    share = around / (inside + around)
    lines += [
        "",
        "Where an epoch of the default fits goes, median ms per epoch on the same "
        "sets: in its one compiled call (training and validation) "
        f"{inside:.2f} ms, around it in Python (Keras's callbacks, the logs read "
        f"to floats) {around:.2f} ms, {share:.0%} of the epoch: the most that "
        "running several epochs in one compiled call could save.",
    ]
    print(f"epoch: {inside:.2f} ms inside the compiled call, {around:.2f} ms around it ({share:.0%})")
    lines += ["", measured_by(SCRIPT)]
    out = Path(args.output_dir) / "outlier_fit_time.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
