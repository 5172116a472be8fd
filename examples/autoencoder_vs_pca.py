"""
A dense autoencoder against PCA on handwritten digits
=====================================================

``AutoencoderTransformer`` is used exactly like ``PCA``: ``fit``,
``transform``, ``inverse_transform``. This example fits both on scikit-learn's
8x8 digits for several code sizes and compares their reconstruction error on
held-out digits, then looks at the reconstructions themselves and at how the
autoencoder trained (its loss, its validation loss, the epochs where the
learning rate was halved and the one whose weights early stopping kept).

Run it with ``python examples/autoencoder_vs_pca.py`` (a few minutes on two
CPU cores; ``--quick`` for a few-second smoke run). It writes
``autoencoder_vs_pca_errors.png``, ``autoencoder_vs_pca_reconstructions.png``
and ``autoencoder_vs_pca_history.png`` to the current directory.
"""

import argparse

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write files, never open windows

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.plotting import (  # noqa: E402
    PCAComparisonDisplay,
    ReconstructionDisplay,
    TrainingHistoryDisplay,
)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="A dense autoencoder against PCA on handwritten digits"
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    args = parser.parse_args(argv)

    X, _ = load_digits(return_X_y=True)
    X = X / 16.0  # pixels in [0, 1]
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    n_components = (2, 4, 8, 16, 32)
    training = {}  # AutoencoderTransformer's defaults: early stopping, up to 200 epochs
    if args.quick:
        X_train, X_test = X_train[:300], X_test[:100]
        n_components = (2, 8)
        training = {"epochs": 3, "hidden_layer_sizes": (32,)}

    # 1. Reconstruction error against code size. The display fits PCA and a
    #    clone of the autoencoder for each n_components.
    comparison = PCAComparisonDisplay.from_estimator(
        AutoencoderTransformer(random_state=0, **training),
        X_train,
        X_test,
        n_components=n_components,
    )
    comparison.figure_.savefig("autoencoder_vs_pca_errors.png", dpi=120)
    for k, pca_mse, ae_mse in zip(
        n_components, comparison.pca_errors, comparison.estimator_errors
    ):
        print(
            f"n_components={k:>2}: PCA test MSE {pca_mse:.4f}, autoencoder {ae_mse:.4f}"
        )

    # 2. What the two 8-number codes keep of the digits.
    ae = AutoencoderTransformer(n_components=8, random_state=0, **training).fit(X_train)
    pca = PCA(n_components=8).fit(X_train)
    fig, axes = plt.subplots(2, 1, figsize=(8, 4), layout="constrained")
    ReconstructionDisplay.from_estimator(
        pca, X_test, image_shape=(8, 8), name="PCA(8)", ax=axes[0]
    )
    ReconstructionDisplay.from_estimator(
        ae, X_test, image_shape=(8, 8), name="AutoencoderTransformer(8)", ax=axes[1]
    )
    fig.savefig("autoencoder_vs_pca_reconstructions.png", dpi=120)

    # 3. How the autoencoder trained.
    history = TrainingHistoryDisplay.from_estimator(ae, log_scale=True)
    history.figure_.savefig("autoencoder_vs_pca_history.png", dpi=120)
    print(
        f"AutoencoderTransformer(8) trained {ae.n_iter_} epochs;\n"
        f"learning rate halved before epochs {history.learning_rate_changes_ or 'none'}"
    )
    plt.close("all")
    return {
        "n_components": list(n_components),
        "pca_errors": comparison.pca_errors,
        "autoencoder_errors": comparison.estimator_errors,
        "figures": [
            "autoencoder_vs_pca_errors.png",
            "autoencoder_vs_pca_reconstructions.png",
            "autoencoder_vs_pca_history.png",
        ],
    }


if __name__ == "__main__":
    main()
