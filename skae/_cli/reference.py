"""What skae is measured against: the digits split and the tutorial's Keras autoencoder.

``skae demo`` (:mod:`skae._cli.demo`) and the scripts in ``benchmarks/`` (through
``benchmarks/_common.py``) share these, so that every table in the docs uses
the same data and the same hand-written baseline. They live in the package
because the installed ``skae demo`` needs them; nothing else in skae does.
"""

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def load_data():
    """The digits scaled to [0, 1], split into ``(X_train, X_test)``.

    ``train_test_split(X, test_size=0.25, random_state=0)``, not stratified:
    1,347 training and 450 test rows of 64 features.
    """
    X, _ = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    return X_train, X_test


def build_tutorial_autoencoder(n_features, n_components=8):
    """The tutorial's hand-written dense autoencoder, as a user would write it.

    Note its ReLU bottleneck (AutoencoderTransformer's is linear) and its
    sigmoid output for data in [0, 1].
    """
    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(n_components, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(n_features, activation="sigmoid"),
        ]
    )
