"""One-class digits: AutoencoderOutlierDetector against scikit-learn and Keras.

What it measures
----------------
scikit-learn's handwritten digits (1,797 images of 8 x 8 pixels) are scaled
to [0, 1] by dividing by 16 and split once, stratified by digit, into 70 %
training and 30 % test rows (``train_test_split(X, y, test_size=0.3,
stratify=y, random_state=0)``). For each digit in turn, every detector is
trained on that digit's training images only (about 125) and scores all 540
test images; the digit's own test images are the inliers, the nine other
digits the outliers. The score is the ROC AUC of ``score_samples`` (inliers
positive), averaged over the ten digits.

* ``IsolationForest(random_state=0)``;
* ``LocalOutlierFactor(novelty=True)``;
* ``PCA(8)``, scored by minus its mean squared reconstruction error;
* a hand-written Keras autoencoder of the seed tutorial's shape (Dense
  128-64-8-64-128, ReLU, sigmoid output, Adam, mean squared error), scored
  the same way, trained for 100 epochs of batch 32; and, for reference, with
  the tutorial's 50 epochs of batch 256 (one step per epoch on ~125 images);
* ``AutoencoderOutlierDetector(n_components=8, random_state=0)`` with its
  default training settings.

Quality goals: AutoencoderOutlierDetector's mean ROC AUC is at least 0.995
and above every baseline's.

Output, in ``--output-dir`` (default ``docs/benchmarks``): ``outliers.md``
(the table, the goals, the command and the library versions).

Usage::

    python benchmarks/outliers.py            # a few minutes
    python benchmarks/outliers.py --quick    # smoke run: 5 epochs, digits 0 and 1
    python benchmarks/outliers.py --check    # exit 1 if a goal fails
"""

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.neighbors import LocalOutlierFactor  # noqa: E402

from skae import AutoencoderOutlierDetector  # noqa: E402
from _common import (  # noqa: E402  (this folder's)
    build_tutorial_autoencoder,
    goal_line,
    load_stratified_data,
    versions_line,
)

SCRIPT = "benchmarks/outliers.py"
N_COMPONENTS = 8
GOAL_AUC = 0.995
QUICK_EPOCHS = 5
QUICK_DIGITS = (0, 1)
DETECTOR = f"AutoencoderOutlierDetector({N_COMPONENTS})"


def reconstruction_scores(X, X_reconstructed):
    """Minus the mean squared reconstruction error of each row."""
    return -np.mean((np.asarray(X) - np.asarray(X_reconstructed)) ** 2, axis=1)


def keras_scores(epochs, batch_size):
    """A scorer: train the hand-written autoencoder on X, score X_test."""

    def score(X, X_test):
        keras.utils.set_random_seed(0)
        model = build_tutorial_autoencoder(X.shape[1], N_COMPONENTS)
        model.compile(optimizer="adam", loss="mse")
        X = X.astype("float32")
        model.fit(X, X, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
        return reconstruction_scores(X_test, model.predict(X_test.astype("float32"), verbose=0))

    return score


def pca_scores(X, X_test):
    pca = PCA(N_COMPONENTS).fit(X)
    return reconstruction_scores(X_test, pca.inverse_transform(pca.transform(X_test)))


def detector_scores(epochs):
    training = {} if epochs is None else {"epochs": epochs}

    def score(X, X_test):
        detector = AutoencoderOutlierDetector(N_COMPONENTS, random_state=0, **training)
        return detector.fit(X).score_samples(X_test)

    return score


def methods(*, quick):
    """``[(name, scorer)]``; a scorer maps ``(X_train_digit, X_test)`` to scores."""
    found = [
        (
            "IsolationForest",
            lambda X, X_test: IsolationForest(random_state=0).fit(X).score_samples(X_test),
        ),
        (
            "LocalOutlierFactor",
            lambda X, X_test: LocalOutlierFactor(novelty=True).fit(X).score_samples(X_test),
        ),
        (f"PCA({N_COMPONENTS}) reconstruction error", pca_scores),
    ]
    if not quick:
        found += [
            ("Keras autoencoder, 100 epochs of 32", keras_scores(100, 32)),
            ("Keras autoencoder, tutorial's 50 epochs of 256", keras_scores(50, 256)),
        ]
    found.append((DETECTOR, detector_scores(QUICK_EPOCHS if quick else None)))
    return found


def run(X_train, y_train, X_test, y_test, *, quick=False):
    """One row per method: ``method``, ``auc`` (per digit), ``mean_auc``, ``seconds``."""
    digits = QUICK_DIGITS if quick else tuple(range(10))
    rows = []
    for name, scorer in methods(quick=quick):
        start = time.perf_counter()
        aucs = [
            roc_auc_score(y_test == digit, scorer(X_train[y_train == digit], X_test))
            for digit in digits
        ]
        seconds = time.perf_counter() - start
        rows.append(
            {"method": name, "auc": aucs, "mean_auc": float(np.mean(aucs)), "seconds": seconds}
        )
        print(f"  {name}: mean ROC AUC {rows[-1]['mean_auc']:.4f} ({seconds:.1f} s)", flush=True)
    return rows, digits


def goals(rows):
    """``[(description, measured, passed)]`` for the issue's two goals."""
    detector = next(r for r in rows if r["method"] == DETECTOR)["mean_auc"]
    best_name, best = max(
        ((r["method"], r["mean_auc"]) for r in rows if r["method"] != DETECTOR),
        key=lambda item: item[1],
    )
    return [
        (f"{DETECTOR} mean ROC AUC >= {GOAL_AUC}", f"{detector:.4f}", detector >= GOAL_AUC),
        (
            f"{DETECTOR} beats every baseline",
            f"{detector:.4f} vs {best:.4f} for {best_name}",
            detector > best,
        ),
    ]


def headers(digits):
    return ["method", "mean ROC AUC", *(f"digit {d}" for d in digits), "time (s)"]


def _cells(row):
    return [
        row["method"],
        f"{row['mean_auc']:.4f}",
        *(f"{auc:.4f}" for auc in row["auc"]),
        f"{row['seconds']:.1f}",
    ]


def format_table(rows, digits):
    names = headers(digits)
    body = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [names, *body]) for i in range(len(names))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(names, widths))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in body]
    return "\n".join(lines)


def format_goals(goal_list):
    return "\n".join(
        goal_line(text, passed, measured) for text, measured, passed in goal_list
    )


def write_markdown(rows, digits, goal_list, command, path):
    names = headers(digits)
    lines = [
        "# One-class digits: AutoencoderOutlierDetector vs scikit-learn and Keras",
        "",
        "scikit-learn's digits scaled to [0, 1], `train_test_split(X, y, "
        "test_size=0.3, stratify=y, random_state=0)`. For each digit, every "
        "detector is trained on that digit's training images only and scores all "
        "540 test images; that digit's test images are the inliers, the other "
        "digits the outliers. ROC AUC of `score_samples` (inliers positive); "
        "reconstruction-based methods score minus the mean squared "
        "reconstruction error. Keras autoencoder: Dense 128-64-8-64-128, ReLU, "
        "sigmoid output, Adam, MSE, `keras.utils.set_random_seed(0)`. "
        f"`{DETECTOR}`: default training settings, `random_state=0`. Times are "
        "for all the digits together.",
        "",
        "| " + " | ".join(names) + " |",
        "|---|" + "|".join("---:" for _ in names[1:]) + "|",
        *("| " + " | ".join(_cells(row)) + " |" for row in rows),
        "",
        *(
            f"- `{goal_line(text, passed, measured)}`" for text, measured, passed in goal_list
        ),
        "",
        f"Times are wall-clock on {platform.machine()} with {os.cpu_count()} CPUs.",
        "",
        "Produced by:",
        "",
        "```",
        command,
        "```",
        "",
        versions_line(),
        "",
    ]
    Path(path).write_text("\n".join(lines))


def build_parser():
    parser = argparse.ArgumentParser(
        prog=SCRIPT,
        description="One-class ROC AUC on digits of AutoencoderOutlierDetector "
        "and baselines.",
    )
    parser.add_argument(
        "--output-dir",
        default="docs/benchmarks",
        help="directory for outliers.md (default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: digits {QUICK_DIGITS}, {QUICK_EPOCHS} epochs, no Keras "
        "baseline; says nothing about quality",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 if a goal fails"
    )
    return parser


def main(argv=None):
    """Run the benchmark, print the table and goals, write the Markdown.

    Returns ``{"rows", "digits", "goals", "check", "output_dir"}``.
    """
    args = build_parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    X_train, X_test, y_train, y_test = load_stratified_data()
    print(
        f"digits: {len(X_train)} training and {len(X_test)} test samples"
        + (f" (--quick: digits {QUICK_DIGITS}, {QUICK_EPOCHS} epochs)" if args.quick else ""),
        flush=True,
    )
    rows, digits = run(X_train, y_train, X_test, y_test, quick=args.quick)
    goal_list = goals(rows)
    print()
    print(format_table(rows, digits))
    print()
    print(format_goals(goal_list))

    command = shlex.join(["python", SCRIPT, *argv])
    write_markdown(rows, digits, goal_list, command, output_dir / "outliers.md")
    print(f"wrote {output_dir / 'outliers.md'}")
    return {
        "rows": rows,
        "digits": digits,
        "goals": goal_list,
        "check": args.check,
        "output_dir": output_dir,
    }


if __name__ == "__main__":
    results = main()
    failed = not all(passed for _, _, passed in results["goals"])
    sys.exit(1 if results["check"] and failed else 0)
