"""The workarounds in skae._compat: each keeps a promise to users."""

import pickle
import random

# skae before scikeras, as a user would import it: a scikeras imported first
# keeps its patch (it is the user's then).
import skae._compat as compat  # isort: skip
import keras
import numpy as np
from scikeras.wrappers import BaseWrapper

from skae import AutoencoderTransformer


def test_import_leaves_keras_pickling_alone():
    # scikeras replaces keras.Model.__reduce__ on import; skae puts Keras's
    # own method back, so a user's models pickle as Keras documents.
    assert "__reduce__" not in vars(keras.Model)
    assert "__deepcopy__" not in vars(keras.Model)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    restored = pickle.loads(pickle.dumps(model))
    x = np.ones((1, 3), dtype="float32")
    np.testing.assert_allclose(restored.predict_on_batch(x), model.predict_on_batch(x))


def test_estimators_are_scikeras_wrappers_with_sklearn_params():
    est = AutoencoderTransformer(n_components=3)
    assert isinstance(est, BaseWrapper)
    # parameters come from the __init__ signature, as scikit-learn requires
    assert "n_components" in est.get_params()
    assert "model" not in est.get_params()
    assert not hasattr(est, "predict")
    assert repr(est) == "AutoencoderTransformer(n_components=3)"


def test_seeded_restores_every_global_generator():
    import tensorflow as tf

    random.seed(123)
    np.random.seed(123)
    tf.random.set_seed(7)
    expected_python = random.random()
    expected_numpy = np.random.rand()
    random.seed(123)
    np.random.seed(123)
    with compat.seeded(5):
        inside = (random.random(), np.random.rand())
    assert (random.random(), np.random.rand()) == (expected_python, expected_numpy)
    assert inside != (expected_python, expected_numpy)
    from tensorflow.python.eager import context

    assert context.global_seed() == 7


def test_seeded_is_reproducible():
    draws = []
    for _ in range(2):
        with compat.seeded(3):
            draws.append(
                (
                    random.random(),
                    np.random.rand(),
                    float(keras.ops.convert_to_numpy(keras.random.uniform(()))),
                )
            )
    assert draws[0] == draws[1]
