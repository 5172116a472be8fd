"""The flagship demo: reconstruction quality and fit time of AutoencoderTransformer
against PCA (``make demo``, ``skae demo``).

What it measures
----------------
scikit-learn's handwritten digits (1,797 images of 8 x 8 pixels, 64 features)
are scaled to [0, 1] by dividing by 16 and split once into 75 % training and
25 % test rows (``train_test_split(X, test_size=0.25, random_state=0)``, not
stratified). For each code size ``n_components`` the script fits, on the
training rows only,

* ``PCA(n_components)``, and
* ``AutoencoderTransformer(n_components, random_state=0)`` with its default
  training settings (early stopping on a held-out tenth of the training rows),

and reports for each the test reconstruction error -- the mean over every
test entry of ``(X - X_reconstructed) ** 2``, where ``X_reconstructed`` is
``pca.inverse_transform(pca.transform(X))`` or ``ae.reconstruct(X)`` -- the
ratio of the two errors (below 1: the autoencoder reconstructs better), the
wall-clock time of each ``fit`` and the number of epochs the autoencoder
trained.

At ``n_components=8`` it also trains "the tutorial's dense autoencoder", a
hand-written Keras model (Dense 128-64-8-64-128 with ReLU, sigmoid output,
Adam, mean squared error, 50 epochs of batch 256 unless ``--baseline-epochs``
and ``--baseline-batch-size`` say otherwise), as the reference a user would
otherwise write by hand. The quality goal is an autoencoder error at most 0.70
times PCA's at ``n_components=8``.

Outputs, in ``--output-dir``: ``results.csv`` (the table),
``results.md`` (the same table in Markdown with the command and library
versions that produced it, for the docs) and ``pca_vs_autoencoder.png``
(test error against ``n_components``).

Fit times include Keras's one-time tracing of the training step, which each
new model pays again; the first autoencoder fit also pays TensorFlow's
start-up. They are wall-clock times on whatever machine runs the script.

Usage (``make demo`` runs the first; ``skae demo`` takes the same options)::

    python benchmarks/pca_vs_autoencoder.py --output-dir demo_output
    python benchmarks/pca_vs_autoencoder.py --quick      # smoke run, seconds
    python benchmarks/pca_vs_autoencoder.py --check      # exit 1 if the goal fails
    skae demo --quick

The logic lives here, in the package, so that the installed ``skae demo``
command runs it; ``benchmarks/pca_vs_autoencoder.py`` is a thin wrapper.
Entry points call ``skae._startup.quiet_tensorflow_startup()`` before
importing this module.
"""

import argparse
import csv
import os
import platform
import shlex
import sys
import time
from pathlib import Path

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
from sklearn.decomposition import PCA

from .._estimators.autoencoder import AutoencoderTransformer
from .._show_versions import _report_versions
from ..plotting import PCAComparisonDisplay
from ..plotting._shared import reconstruction_mse
from .reference import build_tutorial_autoencoder, load_data

DEFAULT_N_COMPONENTS = (2, 4, 8, 16, 32)
QUICK_N_COMPONENTS = (2, 8)
QUICK_EPOCHS = 5
GOAL_N_COMPONENTS = 8
GOAL_RATIO = 0.70
SCRIPT = "benchmarks/pca_vs_autoencoder.py"

# (header, key, format) of each column of the printed, CSV and Markdown table.
COLUMNS = (
    ("n_components", "n_components", "{:d}"),
    ("PCA test MSE", "pca_test_mse", "{:.5f}"),
    ("AE test MSE", "ae_test_mse", "{:.5f}"),
    ("AE/PCA ratio", "ae_pca_ratio", "{:.3f}"),
    ("PCA fit s", "pca_fit_seconds", "{:.3f}"),
    ("AE fit s", "ae_fit_seconds", "{:.1f}"),
    ("AE epochs", "ae_epochs", "{:d}"),
)


def timed_fit(estimator, X):
    start = time.perf_counter()
    estimator.fit(X)
    return time.perf_counter() - start


def compare(n_components, X_train, X_test, *, epochs=None):
    """Fit PCA and AutoencoderTransformer at one code size; one row of results.

    ``epochs=None`` keeps AutoencoderTransformer's default training settings.
    """
    pca = PCA(n_components)
    pca_seconds = timed_fit(pca, X_train)
    pca_mse = reconstruction_mse(X_test, pca.inverse_transform(pca.transform(X_test)))

    ae_params = {} if epochs is None else {"epochs": epochs}
    ae = AutoencoderTransformer(n_components=n_components, random_state=0, **ae_params)
    ae_seconds = timed_fit(ae, X_train)
    ae_mse = reconstruction_mse(X_test, ae.reconstruct(X_test))

    return {
        "n_components": n_components,
        "pca_test_mse": pca_mse,
        "ae_test_mse": ae_mse,
        "ae_pca_ratio": ae_mse / pca_mse,
        "pca_fit_seconds": pca_seconds,
        "ae_fit_seconds": ae_seconds,
        "ae_epochs": int(ae.n_iter_),
    }


def tutorial_baseline(X_train, X_test, pca_test_mse, *, epochs=50, batch_size=256):
    """Train the tutorial's autoencoder at n_components=8; its error and time."""
    keras.utils.set_random_seed(0)
    model = build_tutorial_autoencoder(X_train.shape[1], GOAL_N_COMPONENTS)
    model.compile(optimizer="adam", loss="mse")
    X_fit = X_train.astype("float32")
    start = time.perf_counter()
    model.fit(
        X_fit, X_fit, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0
    )
    seconds = time.perf_counter() - start
    mse = reconstruction_mse(X_test, model.predict(X_test.astype("float32"), verbose=0))
    return {
        "n_components": GOAL_N_COMPONENTS,
        "epochs": epochs,
        "batch_size": batch_size,
        "test_mse": mse,
        "pca_test_mse": pca_test_mse,
        "ratio_to_pca": mse / pca_test_mse,
        "fit_seconds": seconds,
    }


# ----------------------------------------------------------------------
# reporting
# ----------------------------------------------------------------------
def _cells(row):
    return [fmt.format(row[key]) for _, key, fmt in COLUMNS]


def format_table(rows):
    """The rows as a plain-text table with right-aligned columns."""
    headers = [header for header, _, _ in COLUMNS]
    body = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]
    lines = [" | ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.rjust(w) for c, w in zip(cells, widths)) for cells in body]
    return "\n".join(lines)


def format_baseline(baseline):
    return (
        f"tutorial's dense autoencoder (Keras, n_components={baseline['n_components']}, "
        f"{baseline['epochs']} epochs, batch_size={baseline['batch_size']}): "
        f"test MSE {baseline['test_mse']:.5f}, {baseline['ratio_to_pca']:.2f}x PCA, "
        f"fit {baseline['fit_seconds']:.1f} s"
    )


def evaluate_goal(rows, quick=False):
    """``(ratio, passed)`` of the goal at n_components=8.

    ``(None, None)`` if n_components=8 was not run; ``(ratio, None)`` on a
    ``--quick`` run, whose few epochs are no test of a goal set for full
    training.
    """
    for row in rows:
        if row["n_components"] == GOAL_N_COMPONENTS:
            ratio = row["ae_pca_ratio"]
            return ratio, None if quick else bool(ratio <= GOAL_RATIO)
    return None, None


def format_goal(ratio, passed):
    goal = f"goal: AE/PCA at n_components={GOAL_N_COMPONENTS} <= {GOAL_RATIO:.2f}"
    if ratio is None:
        return f"{goal}: not measured (n_components={GOAL_N_COMPONENTS} was not run)"
    if passed is None:
        return (
            f"{goal}: not measured (--quick trains {QUICK_EPOCHS} epochs; the goal is "
            f"for the full run; this run's ratio {ratio:.2f})"
        )
    return f"{goal}: {'PASS' if passed else 'FAIL'} (measured {ratio:.2f})"


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([key for _, key, _ in COLUMNS])
        writer.writerows([[row[key] for _, key, _ in COLUMNS] for row in rows])


def write_markdown(rows, baseline, goal_line, command, path):
    headers = [header for header, _, _ in COLUMNS]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" for _ in headers) + "|",
        *("| " + " | ".join(_cells(row)) + " |" for row in rows),
        "",
    ]
    if baseline is not None:
        lines += [f"Baseline: {format_baseline(baseline)}.", ""]
    lines += [
        f"`{goal_line}`",
        "",
        "Test MSE: mean over every entry of the 450 test digits (scaled to [0, 1]) "
        "of the squared reconstruction error. Fit times are wall-clock seconds on "
        f"{platform.machine()} with {os.cpu_count()} CPUs.",
        "",
        "Produced by:",
        "",
        "```",
        command,
        "```",
        "",
        "with "
        + ", ".join(f"{name} {version}" for name, version in _report_versions().items())
        + ".",
        "",
    ]
    Path(path).write_text("\n".join(lines))


def plot_results(rows, baseline, path):
    """Test error against n_components (``skae.plotting.PCAComparisonDisplay``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = PCAComparisonDisplay(
        [row["n_components"] for row in rows],
        [row["pca_test_mse"] for row in rows],
        [row["ae_test_mse"] for row in rows],
        estimator_name="AutoencoderTransformer (defaults)",
    ).plot()
    if baseline is not None:
        display.ax_.plot(
            [baseline["n_components"]],
            [baseline["test_mse"]],
            "k^",
            label="tutorial's Keras autoencoder",
        )
    display.ax_.set_ylabel("test reconstruction MSE")
    display.ax_.set_title("Digits: reconstruction error, PCA vs autoencoder")
    display.ax_.legend(loc="lower left")
    display.figure_.savefig(path, dpi=120)
    plt.close(display.figure_)


# ----------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------
def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser(prog=SCRIPT):
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Compare the test reconstruction error and fit time of PCA and "
            "skae.AutoencoderTransformer (default settings) on scikit-learn's "
            "digits, for several n_components."
        ),
    )
    parser.add_argument(
        "--output-dir",
        default="demo_output",
        help="directory for results.csv, results.md and the plot "
        "(created if missing; default: %(default)s)",
    )
    parser.add_argument(
        "--n-components",
        type=_positive_int,
        nargs="+",
        metavar="K",
        help="code sizes to compare (default: "
        f"{' '.join(map(str, DEFAULT_N_COMPONENTS))}; with --quick: "
        f"{' '.join(map(str, QUICK_N_COMPONENTS))})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: n_components {' '.join(map(str, QUICK_N_COMPONENTS))}, "
        f"{QUICK_EPOCHS} epochs, no Keras baseline. Not a quality measurement.",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the hand-written Keras autoencoder at n_components=8",
    )
    parser.add_argument(
        "--baseline-epochs",
        type=_positive_int,
        default=50,
        help="epochs of the Keras baseline (default: %(default)s, the tutorial's)",
    )
    parser.add_argument(
        "--baseline-batch-size",
        type=_positive_int,
        default=256,
        help="batch size of the Keras baseline (default: %(default)s, the tutorial's)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit with status 1 when AE/PCA at n_components={GOAL_N_COMPONENTS} "
        f"exceeds {GOAL_RATIO:.2f} (otherwise the status is 0 either way)",
    )
    return parser


def main(argv=None, *, prog=SCRIPT):
    """Run the benchmark, print the table and write the output files.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments; None reads ``sys.argv[1:]``.
    prog : str, default="benchmarks/pca_vs_autoencoder.py"
        The command as the user typed it, for ``--help`` and ``results.md``.

    Returns
    -------
    results : dict
        ``rows`` (one dict per n_components, keyed as in results.csv),
        ``baseline`` (dict, or None when skipped), ``goal_ratio`` and
        ``goal_passed`` (None when n_components=8 was not run, or with
        --quick), ``check`` (whether --check was given) and ``output_dir``
        (a Path).
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    n_components = args.n_components or (
        QUICK_N_COMPONENTS if args.quick else DEFAULT_N_COMPONENTS
    )
    if args.check and GOAL_N_COMPONENTS not in n_components:
        parser.error(f"--check needs n_components={GOAL_N_COMPONENTS} among --n-components")
    if args.check and args.quick:
        parser.error("--check judges the goal of the full run: drop --quick")
    epochs = QUICK_EPOCHS if args.quick else None
    run_baseline = not (args.quick or args.no_baseline)

    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    X_train, X_test = load_data()
    print(
        f"digits: {len(X_train)} training and {len(X_test)} test samples, "
        f"{X_train.shape[1]} features in [0, 1]"
        + (f" (--quick: {QUICK_EPOCHS} epochs)" if args.quick else ""),
        flush=True,
    )

    rows = []
    for k in n_components:
        rows.append(compare(k, X_train, X_test, epochs=epochs))
        row = rows[-1]
        print(
            f"  n_components={k}: AE/PCA {row['ae_pca_ratio']:.3f} "
            f"({row['ae_epochs']} epochs, {row['ae_fit_seconds']:.1f} s)",
            flush=True,
        )

    baseline = None
    if run_baseline:
        pca_mse = next(
            (r["pca_test_mse"] for r in rows if r["n_components"] == GOAL_N_COMPONENTS),
            None,
        )
        if pca_mse is None:
            pca = PCA(GOAL_N_COMPONENTS).fit(X_train)
            pca_mse = reconstruction_mse(
                X_test, pca.inverse_transform(pca.transform(X_test))
            )
        baseline = tutorial_baseline(
            X_train,
            X_test,
            pca_mse,
            epochs=args.baseline_epochs,
            batch_size=args.baseline_batch_size,
        )

    ratio, passed = evaluate_goal(rows, quick=args.quick)
    goal_line = format_goal(ratio, passed)
    print()
    print(format_table(rows))
    print()
    if baseline is not None:
        print(format_baseline(baseline))
    print(goal_line)

    command = shlex.join(
        ["python", SCRIPT, *argv] if prog == SCRIPT else [*prog.split(), *argv]
    )
    write_csv(rows, output_dir / "results.csv")
    write_markdown(rows, baseline, goal_line, command, output_dir / "results.md")
    plot_results(rows, baseline, output_dir / "pca_vs_autoencoder.png")
    print(f"wrote results.csv, results.md and pca_vs_autoencoder.png to {output_dir}")

    return {
        "rows": rows,
        "baseline": baseline,
        "goal_ratio": ratio,
        "goal_passed": passed,
        "check": args.check,
        "output_dir": output_dir,
    }

