"""Checks of the input and of the parameters (``skae/_validation.py``).

Polars frames get the same messages as pandas frames; callbacks that are not
Keras callbacks are refused before training starts.
"""

import keras
import numpy as np
import pytest

from skae import AutoencoderTransformer
from skae._validation import reject_non_numeric

from .conftest import FAST


# ----------------------------------------------------------------------
# polars frames
# ----------------------------------------------------------------------
def polars_frame(X, **extra):
    pl = pytest.importorskip("polars")
    return pl.DataFrame({**{f"pixel{i}": X[:, i] for i in range(X.shape[1])}, **extra})


def test_polars_string_column_is_named(digits):
    X, _ = digits
    frame = polars_frame(X[:6, :3], city=["Oslo", "Rome", "Lima", "Oslo", "Rome", "Lima"])
    with pytest.raises(ValueError, match="ColumnTransformer") as excinfo:
        AutoencoderTransformer(2, **FAST).fit(frame)
    message = str(excinfo.value)
    assert "city" in message and "pixel0" not in message


def test_polars_categorical_and_date_columns_are_named():
    pl = pytest.importorskip("polars")
    import datetime

    frame = pl.DataFrame(
        {
            "height": [0.1, 0.5, 0.9],
            "flag": [True, False, True],  # booleans are numbers, as in pandas
            "grade": pl.Series(["a", "b", "a"], dtype=pl.Categorical),
            "day": [datetime.date(2024, 1, d) for d in (1, 2, 3)],
        }
    )
    with pytest.raises(ValueError, match=r"\['grade', 'day'\]"):
        reject_non_numeric(frame, "AutoencoderTransformer")


def test_numeric_polars_frame_fits_as_its_array(digits):
    X, _ = digits
    frame = polars_frame(X)
    from_frame = AutoencoderTransformer(2, **FAST).fit(frame)
    from_array = AutoencoderTransformer(2, **FAST).fit(X)
    assert list(from_frame.feature_names_in_) == list(frame.columns)
    np.testing.assert_allclose(from_frame.transform(frame), from_array.transform(X))
    np.testing.assert_allclose(from_frame.reconstruct(frame), from_array.reconstruct(X))


# ----------------------------------------------------------------------
# callbacks
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "callbacks, expected",
    [
        ([object()], r"callbacks\[0\] is of type object"),
        (
            [keras.callbacks.TerminateOnNaN(), keras.callbacks.History, "stop"],
            r"callbacks\[1\] is the class History, not an instance of it: pass History\(",
        ),
    ],
)
def test_callbacks_that_are_not_keras_callbacks_are_refused(callbacks, expected, digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "callbacks": callbacks})
    with pytest.raises(TypeError, match=expected) as excinfo:
        ae.fit(X)
    assert "keras.callbacks.Callback instance" in str(excinfo.value)
    assert not hasattr(ae, "model_")
