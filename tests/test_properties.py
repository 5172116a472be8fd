"""Property-based tests of input handling (hypothesis).

Whatever array a user passes, a fitted estimator returns finite output of the
right shape and dtype, or raises ValueError/TypeError with a message that is
skae's or scikit-learn's: never an internal Keras, TensorFlow or NumPy error,
never NaN or infinity. ``make test`` runs a small, fast profile; set
``SKAE_HYPOTHESIS_PROFILE=long`` for many more examples.
"""

import os
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from skae import AutoencoderOutlierDetector, AutoencoderTransformer  # noqa: E402

from .conftest import FAST  # noqa: E402

settings.register_profile(
    "fast",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("SKAE_HYPOTHESIS_PROFILE", "fast"))

N_FEATURES = 5

# Messages of the errors a user may see: skae's own, or scikit-learn's
# validation (which names the problem and the expected input).
CLEAR_ERROR_TYPES = (ValueError, TypeError)
FOREIGN_MARKERS = ("tensorflow", "Tensor", "keras", "XLA", "jax")


@pytest.fixture(scope="module")
def fitted():
    X = np.random.RandomState(0).normal(size=(60, N_FEATURES))
    return (
        AutoencoderTransformer(2, **FAST).fit(X),
        AutoencoderOutlierDetector(2, **FAST).fit(X),
    )


dtypes = st.sampled_from(
    [np.float16, np.float32, np.float64, np.int8, np.int64, np.uint8, np.bool_, object]
)


@st.composite
def arrays(draw):
    """Arrays of any of the usual shapes, dtypes and magnitudes, NaN or inf anywhere."""
    n_rows = draw(st.integers(0, 6))
    n_features = draw(st.sampled_from([N_FEATURES, N_FEATURES, 1, N_FEATURES + 1]))
    ndim = draw(st.sampled_from([2, 2, 2, 1, 3]))
    shape = {1: (n_rows,), 2: (n_rows, n_features), 3: (n_rows, n_features, 2)}[ndim]
    magnitude = draw(st.sampled_from([1e-300, 1e-30, 1.0, 1e30, 1e200, 1e300]))
    values = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.floats(-1, 1, allow_nan=False, allow_infinity=False),
        )
    ) * magnitude
    if values.size and draw(st.booleans()):
        position = draw(st.integers(0, values.size - 1))
        values.flat[position] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dtype = draw(dtypes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow / invalid casts are the point
        return values.astype(dtype) if dtype is not object else values.astype(object)


@st.composite
def containers(draw):
    """The arrays above as users hold them: frames, sparse matrices, lists."""
    X = draw(arrays())
    kind = draw(st.sampled_from(["array", "pandas", "polars", "sparse", "list", "ragged"]))
    if kind == "array" or X.ndim != 2:
        return X
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    if kind == "polars":
        polars = pytest.importorskip("polars")
        try:
            columns = [f"f{i}" for i in range(X.shape[1])]
            return polars.DataFrame(X.tolist(), schema=columns, orient="row")
        except Exception:  # noqa: BLE001 - polars refuses some object mixes itself
            return X
    if kind == "sparse":
        import scipy.sparse as sp

        sparse_dtype = X.dtype.kind in "biu" or X.dtype in (np.float32, np.float64)
        return sp.csr_matrix(X) if sparse_dtype else X
    rows = X.tolist()
    if kind == "ragged" and rows:
        rows[0] = rows[0][:-1]
    return rows


def _check_output(output, X, n_columns):
    assert isinstance(output, np.ndarray)
    assert output.shape == (_n_rows(X),) + n_columns
    assert output.dtype.kind == "f"
    assert np.all(np.isfinite(output))


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _is_clear(error):
    message = str(error)
    return isinstance(error, CLEAR_ERROR_TYPES) and not any(
        marker in message for marker in FOREIGN_MARKERS
    )


@given(X=containers())
def test_inference_returns_finite_output_or_a_clear_error(fitted, X):
    transformer, detector = fitted
    calls = [
        (transformer.transform, (2,)),
        (transformer.score_samples, ()),
        (transformer.reconstruct, (N_FEATURES,)),
        (detector.decision_function, ()),
        (detector.predict, ()),
    ]
    for method, n_columns in calls:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = method(X)
        except Exception as error:  # noqa: BLE001 - the property is about the type
            assert _is_clear(error), f"{method.__name__}: {type(error).__name__}: {error}"
            continue
        if method.__name__ == "predict":
            assert set(np.unique(output)) <= {-1, 1} and output.shape == (_n_rows(X),)
            continue
        _check_output(output, X, n_columns)


@settings(max_examples=12)
@given(X=containers())
def test_fit_gives_a_fitted_estimator_or_a_clear_error(X):
    estimator = AutoencoderTransformer(2, **{**FAST, "epochs": 1})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X)
    except Exception as error:  # noqa: BLE001 - the property is about the type
        assert _is_clear(error), f"fit: {type(error).__name__}: {error}"
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_output(estimator.transform(X), X, (2,))
