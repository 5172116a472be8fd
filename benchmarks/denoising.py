"""Denoising digits: DenoisingAutoencoder against PCA and the noisy input.

What it measures
----------------
scikit-learn's handwritten digits (1,797 images of 8 x 8 pixels) are scaled
to [0, 1] by dividing by 16 and split once, stratified by digit, into 70 %
training and 30 % test rows (``train_test_split(X, y, test_size=0.3,
stratify=y, random_state=0)``). The test digits are corrupted as in the seed
tutorial: Gaussian noise of standard deviation 0.5, clipped to [0, 1]
(``RandomState(0)``). Every model is trained on the clean training digits
and asked to restore the noisy test digits; the score is the PSNR against
the clean test digits, ``10 log10(1 / MSE)`` with the MSE over every pixel
of the test set (higher is better).

* the noisy input itself, unchanged;
* ``PCA`` with 8, 16 and 32 components (project, then reconstruct);
* ``AutoencoderTransformer(n_components=32)``, trained without noise, for
  reference;
* ``DenoisingAutoencoder(n_components=32, noise="gaussian", noise_level=0.5,
  clip_range=(0, 1))``, default training settings, ``random_state=0``.

Quality goals: the denoising autoencoder reaches at least 14.5 dB, and at
least the best PCA + 0.8 dB.

Output, in ``--output-dir`` (default ``docs/benchmarks``): ``denoising.md``
(the table, the goals, the command and the library versions).

Usage::

    python benchmarks/denoising.py            # about a minute
    python benchmarks/denoising.py --quick    # smoke run, 5 epochs
    python benchmarks/denoising.py --check    # exit 1 if a goal fails
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
from sklearn.decomposition import PCA  # noqa: E402

from skae import AutoencoderTransformer, DenoisingAutoencoder  # noqa: E402
from _common import goal_line, load_stratified_data, versions_line  # noqa: E402  (this folder's)

SCRIPT = "benchmarks/denoising.py"
NOISE_LEVEL = 0.5
PCA_COMPONENTS = (8, 16, 32)
N_COMPONENTS = 32
GOAL_PSNR = 14.5
GOAL_MARGIN_OVER_PCA = 0.8
QUICK_EPOCHS = 5


def load_data():
    """``(X_train, X_test, X_test_noisy)``: digits in [0, 1], test noise as in the tutorial."""
    X_train, X_test, _, _ = load_stratified_data()
    noise = NOISE_LEVEL * np.random.RandomState(0).standard_normal(X_test.shape)
    return X_train, X_test, np.clip(X_test + noise, 0.0, 1.0)


def psnr(clean, restored):
    """Peak signal-to-noise ratio in dB for data in [0, 1], MSE over all values."""
    mse = np.mean((np.asarray(clean) - np.asarray(restored)) ** 2)
    return float(10 * np.log10(1.0 / mse))


def run(X_train, X_test, X_noisy, *, epochs=None):
    """One row per method: ``method``, ``psnr``, ``fit_seconds``, ``epochs``."""
    rows = [{"method": "noisy input", "psnr": psnr(X_test, X_noisy)}]
    for k in PCA_COMPONENTS:
        start = time.perf_counter()
        pca = PCA(k).fit(X_train)
        seconds = time.perf_counter() - start
        restored = pca.inverse_transform(pca.transform(X_noisy))
        rows.append(
            {"method": f"PCA({k})", "psnr": psnr(X_test, restored), "fit_seconds": seconds}
        )
    training = {} if epochs is None else {"epochs": epochs}
    models = [
        (
            f"AutoencoderTransformer({N_COMPONENTS}), no noise",
            AutoencoderTransformer(N_COMPONENTS, random_state=0, **training),
        ),
        (
            f"DenoisingAutoencoder({N_COMPONENTS}, gaussian {NOISE_LEVEL}, clip (0, 1))",
            DenoisingAutoencoder(
                N_COMPONENTS,
                noise="gaussian",
                noise_level=NOISE_LEVEL,
                clip_range=(0, 1),
                random_state=0,
                **training,
            ),
        ),
    ]
    for name, model in models:
        start = time.perf_counter()
        model.fit(X_train)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "method": name,
                "psnr": psnr(X_test, model.reconstruct(X_noisy)),
                "fit_seconds": seconds,
                "epochs": model.n_iter_,
            }
        )
        print(f"  {name}: {rows[-1]['psnr']:.2f} dB ({seconds:.1f} s)", flush=True)
    return rows


def goals(rows):
    """``[(description, measured, passed)]`` for the issue's two goals."""
    best_pca = max(r["psnr"] for r in rows if r["method"].startswith("PCA"))
    dae = next(r["psnr"] for r in rows if r["method"].startswith("DenoisingAutoencoder"))
    return [
        (f"DenoisingAutoencoder PSNR >= {GOAL_PSNR} dB", f"{dae:.2f} dB", dae >= GOAL_PSNR),
        (
            f"DenoisingAutoencoder PSNR >= best PCA + {GOAL_MARGIN_OVER_PCA} dB",
            f"{dae - best_pca:+.2f} dB over PCA's {best_pca:.2f} dB",
            dae - best_pca >= GOAL_MARGIN_OVER_PCA,
        ),
    ]


def _cells(row):
    seconds = row.get("fit_seconds")
    epochs = row.get("epochs")
    return [
        row["method"],
        f"{row['psnr']:.2f}",
        "" if seconds is None else f"{seconds:.1f}",
        "" if epochs is None else str(epochs),
    ]


HEADERS = ["method", "test PSNR (dB)", "fit (s)", "epochs"]


def format_table(rows):
    body = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [HEADERS, *body]) for i in range(len(HEADERS))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(HEADERS, widths))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in body]
    return "\n".join(lines)


def format_goals(goal_list):
    return "\n".join(
        goal_line(text, passed, measured) for text, measured, passed in goal_list
    )


def write_markdown(rows, goal_list, command, path):
    lines = [
        "# Denoising digits: DenoisingAutoencoder vs PCA",
        "",
        "scikit-learn's digits scaled to [0, 1], `train_test_split(X, test_size=0.3, "
        "stratify=y, random_state=0)` (1,257 training and 540 test rows). Test "
        f"digits corrupted with Gaussian noise of standard deviation {NOISE_LEVEL} "
        "clipped to [0, 1] (`RandomState(0)`); every model is trained on the clean "
        "training digits and restores the noisy test digits. PSNR = "
        "`10 log10(1 / MSE)`, MSE over every pixel of the test set, against the "
        "clean test digits. Autoencoders: default training settings, "
        "`random_state=0`.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|---|---:|---:|---:|",
        *("| " + " | ".join(_cells(row)) + " |" for row in rows),
        "",
        *(
            f"- `{goal_line(text, passed, measured)}`" for text, measured, passed in goal_list
        ),
        "",
        f"Fit times are wall-clock on {platform.machine()} with {os.cpu_count()} CPUs.",
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
        description="PSNR of DenoisingAutoencoder, PCA and the noisy input on "
        "noisy test digits.",
    )
    parser.add_argument(
        "--output-dir",
        default="docs/benchmarks",
        help="directory for denoising.md (default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run with {QUICK_EPOCHS} epochs; says nothing about quality",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 if a goal fails"
    )
    return parser


def main(argv=None):
    """Run the benchmark, print the table and goals, write the Markdown.

    Returns ``{"rows", "goals", "check", "output_dir"}``.
    """
    args = build_parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    X_train, X_test, X_noisy = load_data()
    print(
        f"digits: {len(X_train)} training and {len(X_test)} test samples; test "
        f"noise: gaussian {NOISE_LEVEL}, clipped to [0, 1]"
        + (f" (--quick: {QUICK_EPOCHS} epochs)" if args.quick else ""),
        flush=True,
    )
    rows = run(X_train, X_test, X_noisy, epochs=QUICK_EPOCHS if args.quick else None)
    goal_list = goals(rows)
    print()
    print(format_table(rows))
    print()
    print(format_goals(goal_list))

    command = shlex.join(["python", SCRIPT, *argv])
    write_markdown(rows, goal_list, command, output_dir / "denoising.md")
    print(f"wrote {output_dir / 'denoising.md'}")
    return {"rows": rows, "goals": goal_list, "check": args.check, "output_dir": output_dir}


if __name__ == "__main__":
    results = main()
    failed = not all(passed for _, _, passed in results["goals"])
    sys.exit(1 if results["check"] and failed else 0)
