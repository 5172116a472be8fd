"""What every Display of skae.plotting does alike.

Each Display is run through the same checks: ``from_estimator`` plots and
sets ``figure_``/``ax_``, ``plot(ax=...)`` draws on the axes given, keyword
arguments reach the Matplotlib artist, the title follows the one convention,
and a ``Pipeline`` is accepted wherever an estimator is.
"""

import inspect
import io
from dataclasses import dataclass
from typing import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skae.plotting  # noqa: E402
from skae import (  # noqa: E402
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.plotting import (  # noqa: E402
    AnomalyScoreDisplay,
    LatentSpaceDisplay,
    PCAComparisonDisplay,
    ReconstructionDisplay,
    SampleGridDisplay,
    TimeSeriesAnomalyDisplay,
    TrainingHistoryDisplay,
)
from skae.preprocessing import SlidingWindows  # noqa: E402
from .conftest import FAST  # noqa: E402

N_ROWS = 100

# The estimators the Displays read, by kind; "unfitted" is PCAComparisonDisplay's,
# which fits its own copies. Flat rows with input_shape give image_shape_=(8, 8, 1).
ESTIMATORS = {
    "autoencoder": lambda: AutoencoderTransformer(n_components=2, input_shape=(8, 8), **FAST),
    "vae": lambda: VariationalAutoencoderTransformer(input_shape=(8, 8), **FAST),
    "detector": lambda: AutoencoderOutlierDetector(**FAST),
    "unfitted": lambda: AutoencoderTransformer(**FAST),
    # TimeSeriesAnomalyDisplay's: X taken as a series of 100 time steps and 64
    # features, cut by windows_of(X); as a Pipeline, the windows come first
    "series": lambda: AutoencoderOutlierDetector(
        architecture="sequence", filters=(4,), **FAST
    ),
}


def windows_of(X):
    return SlidingWindows(8, stride=2).fit(X)


def series_display(estimator, X, **kwargs):
    """The Display of a Pipeline of windows and detector, or of a detector and windows."""
    windows = {} if hasattr(estimator, "steps") else {"windows": windows_of(X)}
    return TimeSeriesAnomalyDisplay.from_estimator(estimator, X, **windows, **kwargs)


@dataclass
class Case:
    display: type
    estimator: str
    from_estimator: Callable  # (estimator, X, **kwargs) -> display
    artists: Callable  # display -> the artists that kwargs style
    what: str  # the title before ": <name>"

    def __str__(self):
        return self.display.__name__


CASES = [
    Case(
        TrainingHistoryDisplay,
        "autoencoder",
        lambda est, X, **kw: TrainingHistoryDisplay.from_estimator(est, **kw),
        lambda d: [d.loss_line_],
        "Training history",
    ),
    Case(
        ReconstructionDisplay,
        "autoencoder",
        lambda est, X, **kw: ReconstructionDisplay.from_estimator(est, X, n_samples=4, **kw),
        lambda d: [d.image_],
        "Reconstructions",
    ),
    Case(
        LatentSpaceDisplay,
        "autoencoder",
        lambda est, X, **kw: LatentSpaceDisplay.from_estimator(est, X, **kw),
        lambda d: [d.scatter_],
        "Latent space",
    ),
    Case(
        PCAComparisonDisplay,
        "unfitted",
        lambda est, X, **kw: PCAComparisonDisplay.from_estimator(
            est, X, n_components=(2,), **kw
        ),
        lambda d: [d.pca_line_, d.estimator_line_],
        "Reconstruction error against PCA",
    ),
    Case(
        SampleGridDisplay,
        "vae",
        lambda est, X, **kw: SampleGridDisplay.from_estimator(est, n_samples=4, **kw),
        lambda d: [d.image_],
        "Generated samples",
    ),
    Case(
        AnomalyScoreDisplay,
        "detector",
        lambda est, X, **kw: AnomalyScoreDisplay.from_estimator(est, X, **kw),
        lambda d: [bar for bars in d.patches_ for bar in bars],
        "Anomaly scores",
    ),
    # Two panels: ax_ is the series (and the title), score_ax_ the scores
    # beneath; the Axes given is the one split in two, and kwargs style the
    # score line.
    Case(
        TimeSeriesAnomalyDisplay,
        "series",
        series_display,
        lambda d: [d.score_line_],
        "Time series anomalies",
    ),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def X(digits):
    return digits[0][:N_ROWS]


@pytest.fixture(scope="session")
def estimators(X):
    """``get(kind, pipeline)``: each estimator built, and fitted, once a session."""
    cache = {}

    def get(kind, pipeline=False):
        if (kind, pipeline) not in cache:
            estimator = ESTIMATORS[kind]()
            if pipeline:
                head = SlidingWindows(8, stride=2) if kind == "series" else StandardScaler()
                estimator = make_pipeline(head, estimator)
            if kind == "series" and not pipeline:
                estimator.fit(windows_of(X).transform(X))
            elif kind != "unfitted":
                estimator.fit(X)
            cache[kind, pipeline] = estimator
        return cache[kind, pipeline]

    return get


def test_every_display_is_a_case():
    assert sorted(str(case) for case in CASES) == sorted(skae.plotting.__all__)


@pytest.mark.parametrize("display", [getattr(skae.plotting, n) for n in skae.plotting.__all__])
def test_display_signatures_agree(display):
    for method in ("from_estimator", "plot"):
        parameters = inspect.signature(getattr(display, method)).parameters
        assert {"ax", "name"} <= set(parameters), f"{display.__name__}.{method}"
        assert parameters["name"].kind is inspect.Parameter.KEYWORD_ONLY
        last = list(parameters.values())[-1]
        assert last.kind is inspect.Parameter.VAR_KEYWORD, (
            f"{display.__name__}.{method} must pass **kwargs on to Matplotlib"
        )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_from_estimator_plots_headless(case, estimators, X):
    display = case.from_estimator(estimators(case.estimator), X)
    assert type(display) is case.display
    assert display.ax_ in display.figure_.axes
    assert display.figure_ is display.ax_.figure
    assert isinstance(display.figure_.canvas, FigureCanvasAgg)
    assert display.ax_.has_data()
    png = io.BytesIO()
    display.figure_.savefig(png, format="png", dpi=30)
    assert png.getvalue().startswith(b"\x89PNG")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_plot_draws_on_the_axes_given(case, estimators, X):
    estimator = estimators(case.estimator)
    fig, (left, right) = plt.subplots(1, 2)
    display = case.from_estimator(estimator, X, ax=right)
    assert display.ax_ is right and display.figure_ is fig

    fig, (left, right) = plt.subplots(1, 2)
    display.plot(ax=left)
    assert display.ax_ is left and display.figure_ is fig
    assert left.has_data()
    assert not (right.lines or right.images or right.collections or right.patches)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_kwargs_reach_the_artist(case, estimators, X):
    display = case.from_estimator(estimators(case.estimator), X, alpha=0.37)
    assert [a.get_alpha() for a in case.artists(display)] == pytest.approx(
        [0.37] * len(case.artists(display))
    )
    display.plot(alpha=0.61)
    assert {a.get_alpha() for a in case.artists(display)} == {0.61}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_title_convention(case, estimators, X):
    estimator = estimators(case.estimator)
    display = case.from_estimator(estimator, X)
    assert display.ax_.get_title() == f"{case.what}: {type(estimator).__name__}"

    display = case.from_estimator(estimator, X, name="my model")
    assert display.ax_.get_title() == f"{case.what}: my model"

    display.estimator_name = None
    assert display.plot().ax_.get_title() == case.what


@pytest.mark.parametrize("case", CASES, ids=str)
def test_from_estimator_accepts_a_pipeline(case, estimators, X):
    pipeline = estimators(case.estimator, pipeline=True)
    display = case.from_estimator(pipeline, X, alpha=0.5)
    final = pipeline[-1]
    assert display.estimator_name == type(final).__name__
    assert display.ax_.get_title() == f"{case.what}: {type(final).__name__}"
    assert {a.get_alpha() for a in case.artists(display)} == {0.5}
    # fitted attributes come from the last step, which a Pipeline hides
    if hasattr(display, "image_shape"):
        assert tuple(display.image_shape) == final.image_shape_ == (8, 8, 1)
    if case.display is AnomalyScoreDisplay:
        assert display.offset == final.offset_
    if case.display is TrainingHistoryDisplay:
        np.testing.assert_allclose(display.loss, final.history_["loss"])


# The longest public class name; the clipped titles were
# "ted samples: VariationalAutoencoderTrans" and the tabular reconstruction.
LONG_NAME = "VariationalAutoencoderTransformer"


def _title_inside_figure(display):
    figure = display.figure_
    figure.canvas.draw()
    title = display.ax_.title.get_window_extent()
    edges = figure.bbox
    return (
        edges.x0 <= title.x0 and title.x1 <= edges.x1 and edges.y0 <= title.y0
        and title.y1 <= edges.y1
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_title_fits_in_the_figure(case, estimators, X):
    display = case.from_estimator(estimators(case.estimator), X, name=LONG_NAME)
    assert _title_inside_figure(display), display.ax_.get_title()
    assert display.ax_.get_title() == f"{case.what}: {LONG_NAME}"  # one line still


@pytest.mark.parametrize(
    "display",
    [
        # the two the issue saw clipped: a small grid of samples, tabular errors
        lambda: SampleGridDisplay(np.random.default_rng(0).random((4, 64)), image_shape=(8, 8)),
        lambda: SampleGridDisplay(np.random.default_rng(0).random((4, 5))),
        lambda: ReconstructionDisplay(np.zeros((3, 5)), np.ones((3, 5))),
    ],
    ids=["sample grid", "tabular sample grid", "tabular reconstructions"],
)
def test_long_titles_shrink_to_fit(display):
    shown = display().plot(name=LONG_NAME)
    assert _title_inside_figure(shown)
    assert shown.ax_.title.get_fontsize() >= skae.plotting._shared.MIN_TITLE_POINTS
    # a name too long for any font size is broken after the colon
    shown = display().plot(name=LONG_NAME * 3)
    what = shown.ax_.get_title().split(":")[0]
    assert shown.ax_.get_title() == f"{what}:\n{LONG_NAME * 3}"
    plt.close("all")


def test_titles_did_not_fit_before_the_fix():
    # the check above can fail: an unfitted title of that length is clipped
    display = SampleGridDisplay(np.random.default_rng(0).random((4, 64)), image_shape=(8, 8))
    display.plot(name=LONG_NAME)
    display.ax_.title.set_fontsize(12)
    assert not _title_inside_figure(display)
    plt.close("all")
