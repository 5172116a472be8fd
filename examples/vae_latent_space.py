"""
A variational autoencoder: its latent space, and digits it generates
====================================================================

``VariationalAutoencoderTransformer`` learns a probabilistic code: each image
is mapped to a Gaussian posterior over ``n_components`` latent variables, and
the decoder maps latent points back to images. With two latent variables the
code can be plotted as it is; ``transform`` returns the posterior means.

Three pictures, as in the Keras VAE tutorial:

- the latent means of held-out digits, coloured by digit (no label was used
  in training);
- new digits from ``sample()``, which decodes points drawn from the prior;
- the decoder's view of the latent plane: a grid of latent points from -2 to
  2 in each direction, decoded with ``inverse_transform``.

It also prints what guards against posterior collapse: the KL divergence of
each latent dimension and the number of active dimensions, and the held-out
ELBO (``score``), in nats per image.

The images are MNIST's (a subset, through ``keras.datasets.mnist``) when
they can be downloaded, else scikit-learn's 8x8 digits; ``--quick`` always
uses the digits.

Run it with ``python examples/vae_latent_space.py`` (a few minutes on two CPU
cores; ``--quick`` for a smoke run). It writes ``vae_latent_space.png``,
``vae_samples.png`` and ``vae_latent_grid.png`` to the current directory.
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
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import VariationalAutoencoderTransformer  # noqa: E402
from skae.plotting import LatentSpaceDisplay, SampleGridDisplay  # noqa: E402

MNIST_IMAGES = 8000  # of MNIST's 60,000 training images, to stay within minutes
GRID = 12  # latent points per side of the decoded grid


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
        description=(
            "A variational autoencoder: its latent space, and digits it generates"
        )
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
    params = {"n_components": 2, "random_state": 0}
    if args.quick:
        X_train, X_test, y_test = X_train[:300], X_test[:150], y_test[:150]
        params.update(epochs=3, hidden_layer_sizes=(32,))
    # Binary cross-entropy: the tutorial's Bernoulli likelihood for pixels in [0, 1].
    vae = VariationalAutoencoderTransformer(loss="binary_crossentropy", **params)
    vae.fit(X_train)
    kl = ", ".join(f"{v:.2f}" for v in vae.kl_per_dimension_)
    elbo = float(vae.score(X_test))
    print(
        f"{name}: trained {vae.n_iter_} epochs on {len(X_train)} images;\n"
        f"active latent dimensions {vae.n_active_components_} of {vae.n_components}\n"
        f"(KL per dimension, nats: {kl}); held-out ELBO {elbo:.1f} nats per image"
    )

    latent = LatentSpaceDisplay.from_estimator(vae, X_test, y_test)
    latent.figure_.savefig("vae_latent_space.png", dpi=120)

    # pixels are in [0, 1]: show them on that scale
    samples = SampleGridDisplay.from_estimator(
        vae, n_samples=36, random_state=0, vmin=0, vmax=1
    )
    samples.figure_.savefig("vae_samples.png", dpi=120)

    # Decode a regular grid of latent points (top row: largest second code).
    ticks = np.linspace(-2, 2, GRID)
    z = np.array([[z0, z1] for z1 in ticks[::-1] for z0 in ticks])
    grid = SampleGridDisplay(vae.inverse_transform(z), estimator_name=name)
    grid.plot(n_cols=GRID, vmin=0, vmax=1)
    grid.ax_.set_title(f"Decoded latent grid, codes from -2 to 2 ({name})")
    grid.figure_.savefig("vae_latent_grid.png", dpi=120)
    plt.close("all")
    return {
        "dataset": name,
        "elbo": elbo,
        "n_active_components": int(vae.n_active_components_),
        "figures": ["vae_latent_space.png", "vae_samples.png", "vae_latent_grid.png"],
    }


if __name__ == "__main__":
    main()
