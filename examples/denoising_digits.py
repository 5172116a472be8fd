"""
Denoising digits: a denoising autoencoder against PCA
=====================================================

The seed tutorial's exercise: digit images with Gaussian noise of standard
deviation 0.5 added and clipped to [0, 1]. ``DenoisingAutoencoder`` learns to
undo such noise: at every training step it corrupts the clean training images
afresh and learns to output the clean images (noisy -> clean; a model
trained noisy -> noisy, as in the tutorial's project, only learns to copy the
noise). At inference nothing is corrupted: ``reconstruct`` returns the
denoised images.

The baseline is PCA fitted on the clean images, which denoises by projecting
onto its components (8, 16 or 32 of them, whichever does best). Quality is
the peak signal-to-noise ratio (PSNR, in dB, higher is better) against the
clean test images.

The images are MNIST's (a subset, through ``keras.datasets.mnist``) when
they can be downloaded, else scikit-learn's 8x8 digits; ``--quick`` always
uses the digits.

Run it with ``python examples/denoising_digits.py`` (a few minutes on two CPU
cores; ``--quick`` for a smoke run). It writes ``denoising_digits.png`` to the
current directory.
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

from skae import DenoisingAutoencoder  # noqa: E402
from skae.plotting import ReconstructionDisplay  # noqa: E402

MNIST_IMAGES = 8000  # of MNIST's 60,000 training images, to stay within minutes
NOISE_LEVEL = 0.5  # the tutorial's noise factor


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


def psnr(clean, restored):
    """Peak signal-to-noise ratio in dB for images in [0, 1]."""
    return float(10 * np.log10(1.0 / np.mean((clean - restored) ** 2)))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Denoising digits: a denoising autoencoder against PCA"
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
    X = images.reshape(len(images), -1)  # rows of pixels, as PCA wants them
    X_train, X_test = train_test_split(
        X, test_size=0.3, stratify=labels, random_state=0
    )
    n_components, training = 32, {}
    if args.quick:
        X_train, X_test = X_train[:300], X_test[:100]
        training = {"epochs": 3, "hidden_layer_sizes": (32,)}
    noise = NOISE_LEVEL * np.random.RandomState(0).standard_normal(X_test.shape)
    X_noisy = np.clip(X_test + noise, 0, 1)

    dae = DenoisingAutoencoder(
        n_components,
        noise="gaussian",
        noise_level=NOISE_LEVEL,
        clip_range=(0, 1),  # corrupt the training images as the test images are
        random_state=0,
        **training,
    ).fit(X_train)
    scores = {"noisy input": psnr(X_test, X_noisy)}
    # PCA's best chance: the number of components that denoises best
    pcas = {k: PCA(k).fit(X_train) for k in (8, 16, 32)}
    for k, pca in pcas.items():
        scores[f"PCA({k})"] = psnr(
            X_test, pca.inverse_transform(pca.transform(X_noisy))
        )
    best_k = max(pcas, key=lambda k: scores[f"PCA({k})"])
    scores[f"DenoisingAutoencoder({n_components})"] = psnr(
        X_test, dae.reconstruct(X_noisy)
    )
    print(f"{name}, Gaussian noise {NOISE_LEVEL} clipped to [0, 1]")
    print("PSNR on the test images:")
    for method, value in scores.items():
        print(f"  {method:>26}: {value:5.2f} dB")

    side = int(np.sqrt(X.shape[1]))
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.5), layout="constrained")
    models = [
        (pcas[best_k], f"PCA({best_k})", axes[0]),
        (dae, "DenoisingAutoencoder", axes[1]),
    ]
    for model, label, ax in models:
        ReconstructionDisplay.from_estimator(
            model,
            X_noisy,
            image_shape=(side, side),
            X_reference=X_test,  # the clean images, on top
            name=label,
            ax=ax,
            vmin=0,
            vmax=1,
        )
    fig.savefig("denoising_digits.png", dpi=120)
    plt.close("all")
    return {"dataset": name, "psnr": scores, "figures": ["denoising_digits.png"]}


if __name__ == "__main__":
    main()
