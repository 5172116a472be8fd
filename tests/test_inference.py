"""skae._inference: the one inference path leaves the caller's state alone."""

import random

import numpy as np
import pytest

import skae

from .conftest import FAST


@pytest.mark.parametrize(
    "estimator",
    [
        skae.AutoencoderTransformer(2, dropout=0.1, **FAST),
        skae.VariationalAutoencoderTransformer(2, **FAST),
        skae.DenoisingAutoencoder(2, **FAST),
        skae.AutoencoderOutlierDetector(2, backbone="variational", **FAST),
    ],
    ids=lambda est: type(est).__name__,
)
def test_fit_and_inference_leave_python_and_numpy_generators_alone(estimator, digits):
    # float64 inference clones the networks; Keras would draw a seed from
    # Python's global random for every unseeded initializer of the clone.
    X, _ = digits
    random.seed(5)
    np.random.seed(5)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    estimator.fit(X)
    estimator.score_samples(X)
    if hasattr(estimator, "transform"):
        estimator.transform(X)
    if hasattr(estimator, "sample"):
        estimator.sample(3, random_state=0)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(after, numpy_state))
