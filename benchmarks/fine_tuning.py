"""Few labels: a fine-tuned skae encoder against logistic regression.

What it measures
----------------
scikit-learn's handwritten digits (1,797 images of 8 x 8 pixels) are scaled
to [0, 1] by dividing by 16 and split once, stratified by digit, into 70 %
training and 30 % test rows (``train_test_split(X, y, test_size=0.3,
random_state=0, stratify=y)``). For each of 5 seeds:

* ``AutoencoderTransformer(n_components=16, random_state=seed)``, default
  training, is fitted on all 1,257 training rows without their labels;
* a labelled subset of 30 % of the training rows (377 rows) is drawn,
  stratified, with ``train_test_split(..., train_size=0.3,
  stratify=y_train, random_state=seed)``;
* on those labelled rows only, three classifiers are fitted and scored
  (accuracy) on the 540 test rows:

  (a) ``encoder_classifier(ae, random_state=seed)`` with its default
      settings: the encoder fine-tuned under a softmax layer;
  (b) ``LogisticRegression(max_iter=5000)`` on the frozen codes
      ``ae.transform(X)``;
  (c) ``LogisticRegression(max_iter=5000)`` on the raw pixels.

Quality goal: the mean test accuracy of (a) over the seeds above those of
both (b) and (c).

Output, in ``--output-dir`` (default ``docs/benchmarks``):
``fine_tuning.md`` (the table, the goal, the command and the library
versions). ``--quick`` writes nothing.

Usage::

    python benchmarks/fine_tuning.py            # a few minutes
    python benchmarks/fine_tuning.py --quick    # smoke run: 2 seeds, few epochs
    python benchmarks/fine_tuning.py --check    # exit 1 if the goal fails
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

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.fine_tuning import EncoderClassifier, encoder_classifier  # noqa: E402

from _common import goal_line, load_stratified_data, versions_line  # noqa: E402  (this folder's)

SCRIPT = "benchmarks/fine_tuning.py"
N_COMPONENTS = 16
LABELLED_FRACTION = 0.3
SEEDS = (0, 1, 2, 3, 4)
QUICK_SEEDS = (0, 1)
QUICK_AE_EPOCHS = 5
QUICK_EPOCHS = 3

METHODS = (
    ("fine_tuned", "(a) encoder_classifier(ae), defaults"),
    ("codes", "(b) LogisticRegression on ae.transform(X)"),
    ("pixels", "(c) LogisticRegression on the pixels"),
)


def run_seed(seed, X_train, X_test, y_train, y_test, *, quick=False):
    """Accuracy and fit seconds of each method for one seed."""
    ae_params = {"epochs": QUICK_AE_EPOCHS} if quick else {}
    start = time.perf_counter()
    ae = AutoencoderTransformer(
        n_components=N_COMPONENTS, random_state=seed, **ae_params
    ).fit(X_train)
    ae_seconds = time.perf_counter() - start
    X_labelled, _, y_labelled, _ = train_test_split(
        X_train, y_train, train_size=LABELLED_FRACTION, stratify=y_train, random_state=seed
    )

    results = {}
    clf_params = {"epochs": QUICK_EPOCHS, "freeze_epochs": 1} if quick else {}
    start = time.perf_counter()
    clf = encoder_classifier(ae, random_state=seed, **clf_params).fit(X_labelled, y_labelled)
    results["fine_tuned"] = (clf.score(X_test, y_test), time.perf_counter() - start)

    start = time.perf_counter()
    codes = LogisticRegression(max_iter=5000).fit(ae.transform(X_labelled), y_labelled)
    results["codes"] = (
        codes.score(ae.transform(X_test), y_test),
        time.perf_counter() - start,
    )

    start = time.perf_counter()
    pixels = LogisticRegression(max_iter=5000).fit(X_labelled, y_labelled)
    results["pixels"] = (pixels.score(X_test, y_test), time.perf_counter() - start)
    return results, ae_seconds, len(X_labelled)


def run(seeds, *, quick=False):
    X_train, X_test, y_train, y_test = load_stratified_data()
    accuracy = {key: [] for key, _ in METHODS}
    seconds = {key: [] for key, _ in METHODS}
    ae_seconds = []
    for seed in seeds:
        results, ae_time, n_labelled = run_seed(
            seed, X_train, X_test, y_train, y_test, quick=quick
        )
        ae_seconds.append(ae_time)
        for key, (acc, sec) in results.items():
            accuracy[key].append(acc)
            seconds[key].append(sec)
        print(
            f"seed {seed}: "
            + ", ".join(f"{key} {results[key][0]:.4f}" for key, _ in METHODS),
            flush=True,
        )
    return {
        "seeds": list(seeds),
        "accuracy": accuracy,
        "seconds": seconds,
        "ae_seconds": ae_seconds,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_labelled": n_labelled,
    }


def goals(results):
    """``[(description, measured, passed)]`` for the quality goal."""
    mean = {key: float(np.mean(values)) for key, values in results["accuracy"].items()}
    best_baseline = max(mean["codes"], mean["pixels"])
    return [
        (
            "mean test accuracy of (a) > (b) and > (c)",
            f"{mean['fine_tuned']:.4f} vs {mean['codes']:.4f} and {mean['pixels']:.4f}",
            mean["fine_tuned"] > best_baseline,
        )
    ]


def table_rows(results):
    rows = []
    for key, name in METHODS:
        acc = np.asarray(results["accuracy"][key])
        rows.append(
            (
                name,
                f"{acc.mean():.4f} ± {acc.std():.4f}",
                " ".join(f"{a:.3f}" for a in acc),
                f"{np.mean(results['seconds'][key]):.2f}",
            )
        )
    return rows


HEADERS = ("method", "test accuracy, mean ± std", "per seed", "fit (s)")


def format_table(rows):
    widths = [max(len(str(r[i])) for r in (HEADERS, *rows)) for i in range(len(HEADERS))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths))
        for row in (HEADERS, *rows)
    )


def format_goals(goal_list):
    return "\n".join(
        goal_line(text, passed, measured) for text, measured, passed in goal_list
    )


def default_settings():
    """The defaults of encoder_classifier that the benchmark measures."""
    params = EncoderClassifier().get_params(deep=False)
    names = (
        "epochs", "freeze_epochs", "batch_size", "optimizer",
        "optimizer__learning_rate",
    )
    return ", ".join(f"{name}={params[name]!r}" for name in names)


def write_markdown(results, goal_list, command, path):
    seeds = ", ".join(str(s) for s in results["seeds"])
    lines = [
        "# Fine-tuning an autoencoder's encoder with few labels",
        "",
        f"scikit-learn's digits scaled to [0, 1], `train_test_split(X, y, "
        f"test_size=0.3, random_state=0, stratify=y)` ({results['n_train']:,} "
        f"training and {results['n_test']} test rows). For each seed ({seeds}): "
        f"`AutoencoderTransformer(n_components={N_COMPONENTS}, random_state=seed)` "
        "fitted on all training rows without labels (default training, "
        f"{np.mean(results['ae_seconds']):.1f} s on average), then "
        f"{results['n_labelled']} labelled rows (30 % of the training rows, "
        "stratified, drawn with `random_state=seed`) on which each method is "
        "fitted. Accuracy on the test rows; mean ± standard deviation over "
        "the seeds. (a) uses `encoder_classifier`'s defaults: "
        f"{default_settings()}.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|---|---:|---:|---:|",
        *("| " + " | ".join(row) + " |" for row in table_rows(results)),
        "",
        *(f"- `{line}`" for line in format_goals(goal_list).splitlines()),
        "",
        f"Fit times are wall-clock on {platform.machine()} with {os.cpu_count()} "
        "CPUs; (a) includes building and tracing the network.",
        "",
        f"Measured by `python {SCRIPT}`"
        + (f" (as `{command}`)" if command != f"python {SCRIPT}" else "")
        + " "
        + versions_line(),
        "",
    ]
    Path(path).write_text("\n".join(lines))


def build_parser():
    parser = argparse.ArgumentParser(
        prog=SCRIPT,
        description=(
            "Test accuracy on digits with 30% of the training labels: "
            "skae.fine_tuning.encoder_classifier against logistic regression "
            "on the codes and on the pixels."
        ),
    )
    parser.add_argument(
        "--output-dir",
        default="docs/benchmarks",
        help="directory for fine_tuning.md (created if missing; default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: seeds {QUICK_SEEDS}, {QUICK_AE_EPOCHS} autoencoder epochs, "
        f"{QUICK_EPOCHS} fine-tuning epochs; writes nothing. Not a quality measurement.",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when the goal fails"
    )
    return parser


def main(argv=None):
    """Run the benchmark, print the table and the goal, write the Markdown.

    Returns the dict of results, with ``goals`` (list of ``(text, measured,
    passed)``) added.
    """
    args = build_parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    results = run(QUICK_SEEDS if args.quick else SEEDS, quick=args.quick)
    goal_list = goals(results)
    results["goals"] = goal_list

    print(format_table(table_rows(results)))
    print(format_goals(goal_list))
    if not args.quick:
        output_dir = Path(args.output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        command = shlex.join(["python", SCRIPT, *argv])
        write_markdown(results, goal_list, command, output_dir / "fine_tuning.md")
        print(f"wrote {output_dir / 'fine_tuning.md'}")
    if args.check and not all(passed for _, _, passed in goal_list):
        sys.exit(1)
    return results


if __name__ == "__main__":
    main()
