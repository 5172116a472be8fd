"""skae._training: the machinery every fit shares."""

import pickle
import random

import keras
import numpy as np

from skae import _training


def test_seeded_restores_every_global_generator():
    import tensorflow as tf

    random.seed(123)
    np.random.seed(123)
    tf.random.set_seed(7)
    expected_python = random.random()
    expected_numpy = np.random.rand()
    random.seed(123)
    np.random.seed(123)
    with _training.seeded(5):
        inside = (random.random(), np.random.rand())
    assert (random.random(), np.random.rand()) == (expected_python, expected_numpy)
    assert inside != (expected_python, expected_numpy)
    from tensorflow.python.eager import context

    assert context.global_seed() == 7


def test_seeded_is_reproducible():
    draws = []
    for _ in range(2):
        with _training.seeded(3):
            draws.append(
                (
                    random.random(),
                    np.random.rand(),
                    float(keras.ops.convert_to_numpy(keras.random.uniform(()))),
                )
            )
    assert draws[0] == draws[1]
