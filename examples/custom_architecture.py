"""
Bring your own architecture: an encoder and a decoder you build in Keras
========================================================================

``AutoencoderTransformer`` builds a dense encoder and decoder from
``hidden_layer_sizes`` by default. To use another architecture, pass

- builder callables ``encoder(input_shape, n_components)`` and
  ``decoder(n_components, output_shape)`` that return ``keras.Model`` objects, or
- ready ``keras.Model`` instances (they are copied, weights included, so the
  models you pass are never trained in place).

The estimator still standardises the data, trains with early stopping, and
gives ``transform``/``inverse_transform``/``score`` as usual. This example
builds a wider encoder with a residual connection and compares it with the
default architecture on scikit-learn's handwritten digits.

Run it with ``python examples/custom_architecture.py`` (about a minute on
two CPU cores; ``--quick`` for a few-second smoke run). It writes the two
training histories to ``custom_architecture_history.png`` in the current
directory.
"""

import argparse

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write files, never open windows

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.plotting import TrainingHistoryDisplay  # noqa: E402


def residual_encoder(input_shape, n_components):
    """Dense encoder with a skip connection around its middle layer."""
    inputs = keras.Input(shape=input_shape)
    h = keras.layers.Dense(256, activation="gelu")(inputs)
    skip = h
    h = keras.layers.Dense(256, activation="gelu")(h)
    h = keras.layers.Add()([h, skip])
    codes = keras.layers.Dense(n_components)(h)
    return keras.Model(inputs, codes, name="residual_encoder")


def residual_decoder(n_components, output_shape):
    """Mirror of ``residual_encoder``: codes -> 256 -> 256 (+skip) -> output."""
    codes = keras.Input(shape=(n_components,))
    h = keras.layers.Dense(256, activation="gelu")(codes)
    skip = h
    h = keras.layers.Dense(256, activation="gelu")(h)
    h = keras.layers.Add()([h, skip])
    outputs = keras.layers.Dense(int(np.prod(output_shape)))(h)
    return keras.Model(codes, outputs, name="residual_decoder")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Bring your own architecture: an encoder and a decoder you build in Keras"
        )
    )
    parser.add_argument("--quick", action="store_true", help="a few epochs only")
    args = parser.parse_args(argv)
    epochs = {"epochs": 3} if args.quick else {}

    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X / 16.0, test_size=0.25, random_state=0)

    default = AutoencoderTransformer(n_components=8, random_state=0, **epochs)
    custom = AutoencoderTransformer(
        n_components=8,
        encoder=residual_encoder,
        decoder=residual_decoder,
        random_state=0,
        **epochs,
    )
    results = {}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
    for (name, estimator), ax in zip(
        [("default dense", default), ("residual", custom)], axes
    ):
        estimator.fit(X_train)
        results[name] = -estimator.score(X_test)
        print(
            f"{name:>14}: test MSE {results[name]:.4f} after {estimator.n_iter_} epochs"
        )
        TrainingHistoryDisplay.from_estimator(estimator, name=name, ax=ax)
    fig.savefig("custom_architecture_history.png", dpi=120)
    plt.close(fig)
    custom.encoder_.summary(line_length=80)
    return results


if __name__ == "__main__":
    main()
