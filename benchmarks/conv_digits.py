"""Convolutional AutoencoderTransformer against PCA on 28x28 digit images.

The quality goal of the convolutional architecture: scikit-learn's
``load_digits`` images (8x8) blown up to 28x28 by nearest neighbour, the first
1400 images to train and the rest to test, values scaled to [0, 1].
``AutoencoderTransformer(n_components=16, architecture="conv")`` with default
training must reach a test reconstruction MSE at most 0.70x that of
``PCA(16)``. A hand-written Keras model of the seed tutorial's shape (Conv2D
32/64/128 stride 2, dense code, mirrored Conv2DTranspose, sigmoid output) is
measured in the same run for reference.

Run: ``python benchmarks/conv_digits.py`` (``--quick`` for a smoke run).
Writes ``docs/benchmarks/conv_digits.md`` unless ``--output`` says otherwise.
"""

import argparse
import sys
import time
from pathlib import Path

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402

from _common import goal_line, measured_by  # noqa: E402  (this folder's)

GOAL = 0.70
N_COMPONENTS = 16


def digits_28x28():
    X, _ = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8) / 16.0
    rows = (np.arange(28) * 8) // 28
    return images[:, rows][:, :, rows]


def tutorial_conv_autoencoder(n_components, epochs):
    """The seed tutorial's convolutional autoencoder, written by hand."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.ZeroPadding2D(2)(inputs)  # 32x32, so three stride-2 layers fit
    for filters in (32, 64, 128):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    codes = keras.layers.Dense(n_components)(x)
    x = keras.layers.Dense(4 * 4 * 128, activation="relu")(codes)
    x = keras.layers.Reshape((4, 4, 128))(x)
    for filters in (128, 64, 32):
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    outputs = keras.layers.Cropping2D(2)(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    return model, epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 epochs, no goal")
    parser.add_argument("--output", default="docs/benchmarks/conv_digits.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the goal fails")
    args = parser.parse_args(argv)

    images = digits_28x28()
    train, test = images[:1400], images[1400:]
    flat_train = train.reshape(len(train), -1)
    flat_test = test.reshape(len(test), -1)
    rows = []

    start = time.perf_counter()
    pca = PCA(N_COMPONENTS).fit(flat_train)
    pca_mse = float(np.mean((flat_test - pca.inverse_transform(pca.transform(flat_test))) ** 2))
    rows.append(("PCA(16)", pca_mse, time.perf_counter() - start, ""))

    options = {"epochs": 3} if args.quick else {}
    start = time.perf_counter()
    est = AutoencoderTransformer(
        N_COMPONENTS, architecture="conv", random_state=0, **options
    ).fit(train)
    ae_mse = float(np.mean((test - est.reconstruct(test)) ** 2))
    rows.append(
        (
            'AutoencoderTransformer(16, architecture="conv")',
            ae_mse,
            time.perf_counter() - start,
            f"{est.n_iter_} epochs (early stopping)",
        )
    )

    model, epochs = tutorial_conv_autoencoder(N_COMPONENTS, 3 if args.quick else 50)
    start = time.perf_counter()
    model.fit(train[..., None], train[..., None], epochs=epochs, batch_size=32, verbose=0)
    keras_mse = float(np.mean((test[..., None] - model.predict(test[..., None], verbose=0)) ** 2))
    rows.append(
        ("hand-written Keras (tutorial shape)", keras_mse, time.perf_counter() - start, f"{epochs} epochs")
    )

    ratio = ae_mse / pca_mse
    passed = ratio <= GOAL
    lines = [
        "| model | test MSE | / PCA | fit time (s) | training |",
        "|---|---|---|---|---|",
    ]
    for name, mse, seconds, note in rows:
        lines.append(f"| {name} | {mse:.5f} | {mse / pca_mse:.3f} | {seconds:.1f} | {note} |")
    verdict = goal_line(f"conv autoencoder / PCA(16) <= {GOAL}", passed, f"{ratio:.3f}")
    table = "\n".join(lines)
    print(table)
    print(verdict)

    if not args.quick:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# Convolutional autoencoder vs PCA on 28x28 digits\n\n"
            "`load_digits` images upscaled to 28x28 (nearest neighbour), first "
            "1400 to train, the other 397 to test, values in [0, 1].\n\n"
            f"{table}\n\n{verdict}\n\n"
            + measured_by("benchmarks/conv_digits.py", count_cpus=False)
            + "\n"
        )
    if args.check and not passed:
        sys.exit(1)
    return {"pca": pca_mse, "autoencoder": ae_mse, "keras": keras_mse, "ratio": ratio}


if __name__ == "__main__":
    main()
