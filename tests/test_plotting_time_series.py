"""TimeSeriesAnomalyDisplay: what it draws is what the windows and the detector say."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skae import AutoencoderOutlierDetector  # noqa: E402
from skae.plotting import TimeSeriesAnomalyDisplay  # noqa: E402
from skae.preprocessing import SlidingWindows  # noqa: E402

from .conftest import FAST  # noqa: E402

SEQ = {**FAST, "architecture": "sequence", "filters": (4,), "kernel_size": 3}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def series():
    t = np.arange(400)
    values = np.c_[np.sin(2 * np.pi * t / 20), np.cos(2 * np.pi * t / 20)]
    values = values + 0.05 * np.random.RandomState(0).randn(400, 2)
    values[300:305, 0] += 4.0  # the anomaly
    index = pd.date_range("2024-01-01", periods=400, freq="min")
    return pd.DataFrame(values, columns=["temp", "load"], index=index)


@pytest.fixture(scope="module")
def pipe(series):
    return Pipeline(
        [
            ("windows", SlidingWindows(16, stride=4)),
            ("detector", AutoencoderOutlierDetector(**SEQ, contamination=0.05)),
        ]
    ).fit(series.iloc[:250])


def test_draws_the_point_scores_reconstruction_and_flags_of_the_pipeline(pipe, series):
    display = TimeSeriesAnomalyDisplay.from_estimator(pipe, series)
    windows, detector = pipe[0], pipe[-1]
    np.testing.assert_allclose(
        display.scores, windows.point_scores(pipe.score_samples(series), series)
    )
    np.testing.assert_allclose(
        display.reconstruction,
        windows.point_values(detector.reconstruct(windows.transform(series)), len(series)),
        rtol=1e-5,
    )
    # flagged: the points of a window predict flags (the default reduce="min")
    flagged = windows.point_scores(pipe.predict(series), series).to_numpy() == -1
    np.testing.assert_array_equal(display.flagged_, flagged)
    assert display.flagged_[300:305].all()
    assert display.threshold == detector.offset_
    # the time axis is the frame's index; the legend names its columns
    assert display.score_line_.get_xdata()[0] == series.index[0]
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["temp", "load", "reconstructed"]
    assert len(display.flagged_points_.get_offsets()) == flagged.sum()
    # two panels sharing the time axis, the title over the series
    assert display.score_ax_ in display.figure_.axes
    assert display.score_ax_.get_shared_x_axes().joined(display.ax_, display.score_ax_)
    assert display.ax_.get_title() == "Time series anomalies: AutoencoderOutlierDetector"


def test_from_predictions_per_window_matches_from_estimator(pipe, series):
    windows, detector = pipe[0], pipe[-1]
    cut = windows.transform(series)
    display = TimeSeriesAnomalyDisplay.from_predictions(
        series, detector.score_samples(cut), detector.reconstruct(cut), windows=windows,
        threshold=detector.offset_, name="streamed",
    )
    reference = TimeSeriesAnomalyDisplay.from_estimator(detector, series, windows=windows)
    np.testing.assert_allclose(display.scores, reference.scores)
    np.testing.assert_allclose(display.reconstruction, reference.reconstruction)
    np.testing.assert_array_equal(display.flagged_, reference.flagged_)
    assert display.ax_.get_title() == "Time series anomalies: streamed"


def test_without_reconstruction_or_threshold_nothing_is_flagged():
    scores = np.linspace(0, 1, 50)
    display = TimeSeriesAnomalyDisplay.from_predictions(np.zeros((50, 3)), scores)
    assert display.reconstruction_lines_ == [] and display.threshold_line_ is None
    assert not display.flagged_.any() and len(display.series_lines_) == 3
    display.plot(features=[2])
    assert len(display.series_lines_) == 1


def test_score_ax_given_is_used_and_ax_keeps_its_place(pipe, series):
    fig, (top, bottom) = plt.subplots(2, 1)
    position = top.get_position().bounds
    display = TimeSeriesAnomalyDisplay.from_estimator(pipe, series, ax=top, score_ax=bottom)
    assert display.ax_ is top and display.score_ax_ is bottom
    assert top.get_position().bounds == position
    assert len(fig.axes) == 2


def test_errors_name_the_fix(pipe, series):
    with pytest.raises(TypeError, match="does not start with SlidingWindows"):
        TimeSeriesAnomalyDisplay.from_estimator(pipe[-1], series)
    with pytest.raises(ValueError, match="one score per point"):
        TimeSeriesAnomalyDisplay(np.zeros((10, 2)), None, np.zeros(9)).plot()
    with pytest.raises(ValueError, match="one reconstructed row per time point"):
        TimeSeriesAnomalyDisplay(np.zeros((10, 2)), np.zeros((10, 3)), np.zeros(10)).plot()
    with pytest.raises(ValueError, match="features holds 5"):
        TimeSeriesAnomalyDisplay(np.zeros((10, 2)), None, np.zeros(10)).plot(features=[5])
    fig = plt.figure()
    by_hand = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    with pytest.raises(ValueError, match="pass score_ax too"):
        TimeSeriesAnomalyDisplay(np.zeros((10, 2)), None, np.zeros(10)).plot(ax=by_hand)
