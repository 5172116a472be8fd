"""
A convolutional autoencoder on digit images, and its latent space
=================================================================

With ``architecture="conv"``, ``AutoencoderTransformer`` builds convolutional
networks and takes images as they are: arrays ``(n_samples, height, width)``
or ``(n_samples, height, width, channels)``. ``reconstruct`` returns images
of the same shape and ``transform`` one code per image.

The images are MNIST's, loaded as in the Keras tutorials with
``keras.datasets.mnist`` (a subset, so that training takes minutes on a
laptop CPU); without a network connection (or with ``--dataset digits``, or
``--quick``) the example falls back to scikit-learn's 8x8 digits, which need
no download.

The pictures are the tutorial's: originals over reconstructions, the
training history, and a t-SNE map of the 16-number codes of held-out images,
coloured by digit: the autoencoder never saw a label, yet digits of a kind
end up together.

Run it with ``python examples/conv_autoencoder_images.py`` (a few minutes on
two CPU cores; ``--quick`` for a smoke run). It writes
``conv_reconstructions.png``, ``conv_latent_tsne.png`` and
``conv_history.png`` to the current directory.
"""

import argparse
import socket

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write files, never open windows

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.plotting import (  # noqa: E402
    LatentSpaceDisplay,
    ReconstructionDisplay,
    TrainingHistoryDisplay,
)

MNIST_IMAGES = 8000  # of MNIST's 60,000 training images, to stay within minutes


def load_images(dataset="auto"):
    """Digit images in [0, 1], their labels, and the data set's name.

    MNIST through ``keras.datasets.mnist`` (downloaded once, then cached in
    ``~/.keras/datasets``); scikit-learn's digits when it can not be loaded.
    """
    if dataset in ("auto", "mnist"):
        import keras

        timeout = socket.getdefaulttimeout()
        socket.setdefaulttimeout(20)  # offline machines fail fast
        try:
            (images, labels), _ = keras.datasets.mnist.load_data()
            return images[:MNIST_IMAGES] / 255.0, labels[:MNIST_IMAGES], "MNIST"
        except Exception as exc:  # noqa: BLE001 - no network, proxy, disk...
            if dataset == "mnist":
                raise
            print(f"MNIST could not be loaded ({exc}); using scikit-learn's digits")
        finally:
            socket.setdefaulttimeout(timeout)
    X, y = load_digits(return_X_y=True)
    return X.reshape(-1, 8, 8) / 16.0, y, "digits"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="A convolutional autoencoder on digit images, and its latent space"
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    parser.add_argument(
        "--dataset",
        choices=("auto", "mnist", "digits"),
        default="auto",
        help="MNIST, scikit-learn's digits, or MNIST if it downloads (default)",
    )
    args = parser.parse_args(argv)

    images, labels, name = load_images("digits" if args.quick else args.dataset)
    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.25, random_state=0
    )
    params = {"n_components": 16, "architecture": "conv", "random_state": 0}
    if args.quick:
        X_train, X_test, y_test = X_train[:300], X_test[:150], y_test[:150]
        params.update(epochs=2, filters=(8, 16))
    else:
        params.update(epochs=60)  # early stopping usually ends training sooner
    print(
        f"{name}: {len(X_train)} training and {len(X_test)} test images of "
        f"{X_train.shape[1:]} pixels"
    )

    ae = AutoencoderTransformer(**params).fit(X_train)  # images in, as they are
    ae_mse = np.mean((X_test - ae.reconstruct(X_test)) ** 2)
    pca = PCA(params["n_components"]).fit(X_train.reshape(len(X_train), -1))
    flat_test = X_test.reshape(len(X_test), -1)
    pca_mse = np.mean(
        (flat_test - pca.inverse_transform(pca.transform(flat_test))) ** 2
    )
    print(
        f"test reconstruction MSE with {params['n_components']} numbers per image:\n"
        f"conv autoencoder {ae_mse:.4f} ({ae.n_iter_} epochs), PCA {pca_mse:.4f}"
    )

    reconstructions = ReconstructionDisplay.from_estimator(ae, X_test, n_samples=12)
    reconstructions.figure_.savefig("conv_reconstructions.png", dpi=120)

    latent = LatentSpaceDisplay.from_estimator(ae, X_test, y_test, method="tsne")
    latent.figure_.savefig("conv_latent_tsne.png", dpi=120)

    history = TrainingHistoryDisplay.from_estimator(ae)
    history.figure_.savefig("conv_history.png", dpi=120)
    plt.close("all")
    return {
        "dataset": name,
        "autoencoder_mse": float(ae_mse),
        "pca_mse": float(pca_mse),
        "figures": [
            "conv_reconstructions.png",
            "conv_latent_tsne.png",
            "conv_history.png",
        ],
    }


if __name__ == "__main__":
    main()
