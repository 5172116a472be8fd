"""Test set-up: quiet TensorFlow start-up, small shared data."""

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Training settings that keep every test fit well under a second.
FAST = dict(
    hidden_layer_sizes=(8,),
    epochs=3,
    batch_size=16,
    early_stopping=False,
    reduce_lr_on_plateau=False,
    random_state=0,
)


@pytest.fixture
def fast_params():
    return dict(FAST)


@pytest.fixture(scope="session")
def digits():
    """A small slice of scikit-learn's handwritten digits, scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:200] / 16.0, y[:200]
