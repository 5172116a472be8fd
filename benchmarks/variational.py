"""Density, outlier scores and samples of VariationalAutoencoderTransformer on digits.

What it measures
----------------
scikit-learn's handwritten digits (1,797 images of 8 x 8 pixels, 64 features)
are scaled to [0, 1] by dividing by 16 and split once into 75 % training and
25 % held-out rows (``train_test_split(X, test_size=0.25, random_state=0)``).
``VariationalAutoencoderTransformer(n_components=8, random_state=0)`` is fitted
on the training rows with its default training settings, and the script
reports

* the held-out ELBO (``vae.score``), in nats per sample, and the
  importance-weighted estimate of the held-out log-likelihood
  (``vae.log_likelihood`` with 100 draws, ``random_state=0``); probabilistic
  PCA's held-out log-likelihood (``PCA(8).score``, a Gaussian density in the
  same units) is printed beside them for scale;
* the ROC AUC of ``score_samples`` separating the held-out digits (positives)
  from as many rows of uniform noise on [0, 1]^64 (negatives);
* the mean Euclidean distance from each of 450 samples of ``vae.sample`` to
  its nearest held-out digit, against the same for 450 rows of uniform noise.

Quality goals: ROC AUC >= 0.99, and the samples' mean nearest-neighbour
distance at most half of the noise's.

Outputs, in ``--output-dir`` (default ``docs/benchmarks``): ``variational.md``
(the table, the goals, the command and the library versions) and
``vae_samples.png`` (a grid of generated digits).

Usage::

    python benchmarks/variational.py            # about a minute
    python benchmarks/variational.py --quick    # smoke run, 5 epochs
    python benchmarks/variational.py --check    # exit 1 if a goal fails
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
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

from skae import VariationalAutoencoderTransformer  # noqa: E402
from _common import (  # noqa: E402  (this folder's)
    goal_line,
    load_data,
    plot_image_grid,
    versions_line,
)

SCRIPT = "benchmarks/variational.py"
N_COMPONENTS = 8
N_IMPORTANCE_SAMPLES = 100
GOAL_AUC = 0.99
GOAL_DISTANCE_RATIO = 0.5
QUICK_EPOCHS = 5


def mean_nearest_distance(points, reference):
    """Mean Euclidean distance from each point to its nearest reference row."""
    distances, _ = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(points)
    return float(distances.mean())


def run(X_train, X_test, *, epochs=None):
    """Fit the VAE and measure everything; a dict of results."""
    params = {} if epochs is None else {"epochs": epochs}
    vae = VariationalAutoencoderTransformer(
        n_components=N_COMPONENTS, random_state=0, **params
    )
    start = time.perf_counter()
    vae.fit(X_train)
    fit_seconds = time.perf_counter() - start

    noise = np.random.RandomState(0).uniform(size=X_test.shape)
    scores = np.concatenate([vae.score_samples(X_test), vae.score_samples(noise)])
    labels = np.r_[np.ones(len(X_test)), np.zeros(len(noise))]
    samples = vae.sample(len(X_test), random_state=0)
    sample_distance = mean_nearest_distance(samples, X_test)
    noise_distance = mean_nearest_distance(noise, X_test)
    return {
        "vae": vae,
        "samples": samples,
        "train_elbo": vae.score(X_train),
        "test_elbo": vae.score(X_test),
        "test_iw_log_likelihood": float(
            np.mean(
                vae.log_likelihood(
                    X_test, n_importance_samples=N_IMPORTANCE_SAMPLES, random_state=0
                )
            )
        ),
        "pca_test_log_likelihood": PCA(N_COMPONENTS).fit(X_train).score(X_test),
        "roc_auc": roc_auc_score(labels, scores),
        "sample_distance": sample_distance,
        "noise_distance": noise_distance,
        "distance_ratio": sample_distance / noise_distance,
        "n_active_components": vae.n_active_components_,
        "kl_per_dimension": vae.kl_per_dimension_,
        "noise_scale": vae.noise_scale_,
        "epochs": vae.n_iter_,
        "fit_seconds": fit_seconds,
    }


def goals(results):
    """``[(description, measured, passed)]`` for each quality goal."""
    return [
        (
            f"ROC AUC held-out digits vs uniform noise >= {GOAL_AUC}",
            f"{results['roc_auc']:.4f}",
            results["roc_auc"] >= GOAL_AUC,
        ),
        (
            "NN distance of samples <= "
            f"{GOAL_DISTANCE_RATIO} x NN distance of noise",
            f"{results['distance_ratio']:.3f}",
            results["distance_ratio"] <= GOAL_DISTANCE_RATIO,
        ),
    ]


def table_rows(results):
    kl = ", ".join(f"{v:.2f}" for v in results["kl_per_dimension"])
    return [
        ("held-out ELBO (nats/sample)", f"{results['test_elbo']:.2f}"),
        ("training ELBO (nats/sample)", f"{results['train_elbo']:.2f}"),
        (
            f"held-out IW log-likelihood, K={N_IMPORTANCE_SAMPLES} (nats/sample)",
            f"{results['test_iw_log_likelihood']:.2f}",
        ),
        (
            f"PCA({N_COMPONENTS}) held-out log-likelihood (nats/sample)",
            f"{results['pca_test_log_likelihood']:.2f}",
        ),
        ("ROC AUC, held-out digits vs uniform noise", f"{results['roc_auc']:.4f}"),
        ("mean NN distance to held-out digits: samples", f"{results['sample_distance']:.3f}"),
        ("mean NN distance to held-out digits: noise", f"{results['noise_distance']:.3f}"),
        ("ratio samples / noise", f"{results['distance_ratio']:.3f}"),
        (
            "active latent dimensions",
            f"{results['n_active_components']} of {N_COMPONENTS}",
        ),
        ("KL per latent dimension (nats)", kl),
        ("learned noise scale (pixel units)", f"{results['noise_scale']:.4f}"),
        ("epochs trained (early stopping)", f"{results['epochs']}"),
        ("fit time (s)", f"{results['fit_seconds']:.1f}"),
    ]


def format_table(rows):
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def format_goals(goal_list):
    return "\n".join(
        goal_line(text, passed, measured) for text, measured, passed in goal_list
    )


def write_markdown(results, goal_list, command, path):
    lines = [
        "# VariationalAutoencoderTransformer on digits",
        "",
        "scikit-learn's digits scaled to [0, 1], "
        "`train_test_split(X, test_size=0.25, random_state=0)` (1,347 training "
        f"and 450 held-out rows), `VariationalAutoencoderTransformer(n_components="
        f"{N_COMPONENTS}, random_state=0)` with its default training settings. "
        "Uniform noise: 450 rows drawn on [0, 1]^64 with `RandomState(0)`; "
        "samples: `vae.sample(450, random_state=0)`. Log-likelihoods are "
        "densities of the pixel values (in [0, 1]), so they can exceed 0.",
        "",
        "| measure | value |",
        "|---|---:|",
        *(f"| {name} | {value} |" for name, value in table_rows(results)),
        "",
        *(f"- `{line}`" for line in format_goals(goal_list).splitlines()),
        "",
        "Generated digits (decoder means at latent draws from the prior): "
        "![samples](vae_samples.png)",
        "",
        f"Fit time is wall-clock on {platform.machine()} with {os.cpu_count()} CPUs.",
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
        description=(
            "Held-out ELBO, noise-vs-digits ROC AUC and sample quality of "
            "skae.VariationalAutoencoderTransformer (default training) on digits."
        ),
    )
    parser.add_argument(
        "--output-dir",
        default="docs/benchmarks",
        help="directory for variational.md and vae_samples.png "
        "(created if missing; default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_EPOCHS} epochs. Not a quality measurement.",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a goal fails"
    )
    return parser


def main(argv=None):
    """Run the benchmark, print the table and goals, write the outputs.

    Returns the dict of results, with ``goals`` (list of ``(text, measured,
    passed)``) added.
    """
    args = build_parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    X_train, X_test = load_data()
    results = run(X_train, X_test, epochs=QUICK_EPOCHS if args.quick else None)
    goal_list = goals(results)
    results["goals"] = goal_list

    print(format_table(table_rows(results)))
    print(format_goals(goal_list))
    command = shlex.join(["python", SCRIPT, *argv])
    write_markdown(results, goal_list, command, output_dir / "variational.md")
    plot_image_grid(
        results["samples"][:60],
        output_dir / "vae_samples.png",
        side=8,
        title=f"VariationalAutoencoderTransformer(n_components={N_COMPONENTS}).sample()",
    )
    print(f"wrote {output_dir / 'variational.md'} and {output_dir / 'vae_samples.png'}")
    if args.check and not all(passed for _, _, passed in goal_list):
        sys.exit(1)
    return results


if __name__ == "__main__":
    main()
