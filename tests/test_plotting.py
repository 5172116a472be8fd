"""The Displays of skae.plotting: what they compute, and that they draw something."""

import subprocess
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402
from skae.plotting import (  # noqa: E402
    AnomalyScoreDisplay,
    LatentSpaceDisplay,
    PCAComparisonDisplay,
    ReconstructionDisplay,
    SampleGridDisplay,
    TrainingHistoryDisplay,
)
from .conftest import FAST  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:150] / 16.0, y[:150]


@pytest.fixture(scope="module")
def autoencoder(data):
    params = {**FAST, "early_stopping": True, "reduce_lr_on_plateau": True}
    return AutoencoderTransformer(n_components=2, **params).fit(data[0])


def _public(name):
    """A public skae estimator, or skip while it is not there yet."""
    import skae

    try:
        return getattr(skae, name)
    except (AttributeError, ImportError):
        pytest.skip(f"skae.{name} is not available")


def assert_drawn(display, path):
    """The display's figure saved as a PNG that is not blank."""
    display.figure_.savefig(path, dpi=50)
    pixels = matplotlib.image.imread(path)[..., :3]
    assert pixels.shape[0] > 50 and pixels.shape[1] > 50
    assert pixels.std() > 0.05, "the figure is (almost) blank"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


# ----------------------------------------------------------------------
# TrainingHistoryDisplay
# ----------------------------------------------------------------------
def test_training_history_from_estimator(autoencoder, tmp_path):
    display = TrainingHistoryDisplay.from_estimator(autoencoder, log_scale=True)
    n = autoencoder.n_iter_
    np.testing.assert_array_equal(display.loss_line_.get_xdata(), np.arange(1, n + 1))
    np.testing.assert_allclose(display.loss_line_.get_ydata(), autoencoder.history_["loss"])
    np.testing.assert_allclose(
        display.val_loss_line_.get_ydata(), autoencoder.history_["val_loss"]
    )
    assert display.ax_.get_yscale() == "log"
    assert display.figure_ is display.ax_.figure
    assert "AutoencoderTransformer" in display.ax_.get_title()
    assert_drawn(display, tmp_path / "history.png")


def test_training_history_marks_each_learning_rate_change():
    rates = [1e-3] * 3 + [5e-4] * 2 + [2.5e-4]
    display = TrainingHistoryDisplay(
        np.linspace(1, 0.5, 6), val_loss=np.linspace(1.1, 0.6, 6), learning_rate=rates
    ).plot()
    assert display.learning_rate_changes_ == [4, 6]  # first epochs at the new rate
    marks = [line for line in display.ax_.lines if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in marks] == [3.5, 5.5]
    texts = [text.get_text() for text in display.ax_.texts]
    assert texts == ["lr 0.0005", "lr 0.00025"]


def test_training_history_from_keras_history_without_validation():
    history = SimpleNamespace(history={"loss": [3.0, 2.0, 1.0]})  # as Model.fit returns
    display = TrainingHistoryDisplay.from_history(history).plot()
    assert display.val_loss_line_ is None and display.learning_rate_changes_ == []
    np.testing.assert_array_equal(display.loss_line_.get_ydata(), [3.0, 2.0, 1.0])


def test_training_history_log_scale_needs_positive_losses():
    with pytest.raises(ValueError, match="log_scale=False"):
        TrainingHistoryDisplay([1.0, -2.0]).plot(log_scale=True)


def test_training_history_needs_a_fitted_estimator():
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(AutoencoderTransformer())


def test_display_draws_on_the_axes_given():
    fig, (left, right) = plt.subplots(1, 2)
    display = TrainingHistoryDisplay([2.0, 1.0]).plot(ax=right)
    assert display.ax_ is right and display.figure_ is fig
    assert not left.lines


# ----------------------------------------------------------------------
# ReconstructionDisplay
# ----------------------------------------------------------------------
def test_reconstruction_of_flat_rows_as_images(autoencoder, data, tmp_path):
    X = data[0]
    display = ReconstructionDisplay.from_estimator(
        autoencoder, X, image_shape=(8, 8), n_samples=6
    )
    # two rows of six 8x8 images, one pixel apart
    assert display.image_.get_array().shape == (17, 53)
    np.testing.assert_allclose(display.X_reconstructed, autoencoder.reconstruct(X[:6]))
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == [
        "original",
        "reconstruction",
    ]
    assert display.feature_errors_ is None
    assert_drawn(display, tmp_path / "reconstruction.png")


def test_reconstruction_of_image_arrays_reads_their_shape(data):
    class Halver:  # any estimator with reconstruct(X) returning X's shape
        def reconstruct(self, X):
            return np.asarray(X) / 2

    images = data[0].reshape(-1, 8, 8)
    display = ReconstructionDisplay.from_estimator(Halver(), images, n_samples=4)
    assert display.image_shape == (8, 8, 1)
    np.testing.assert_allclose(display.X_reconstructed, data[0][:4] / 2)
    assert display.estimator_name == "Halver"


def test_reconstruction_with_a_clean_reference_and_pca(data):
    X = data[0]
    pca = PCA(5).fit(X)  # no reconstruct: inverse_transform(transform(X)) is used
    display = ReconstructionDisplay.from_estimator(
        pca, X, image_shape=(8, 8), n_samples=4, X_reference=X[::-1]
    )
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == ["clean", "input", "reconstruction"]
    assert display.image_.get_array().shape == (26, 35)
    expected = pca.inverse_transform(pca.transform(X[:4]))
    np.testing.assert_allclose(display.X_reconstructed, expected)
    np.testing.assert_allclose(display.X_reference, X[::-1][:4])


def test_reconstruction_of_tabular_data_plots_the_error_per_feature(
    autoencoder, data, tmp_path
):
    pd = pytest.importorskip("pandas")
    X = data[0]
    display = ReconstructionDisplay.from_estimator(autoencoder, X)
    expected = np.mean((X - autoencoder.reconstruct(X)) ** 2, axis=0)
    np.testing.assert_allclose(display.feature_errors_, expected)
    assert len(display.bars_) == 64 and display.image_ is None
    assert_drawn(display, tmp_path / "features.png")

    frame = pd.DataFrame(X[:, :5], columns=[f"f{i}" for i in range(5)])
    pca = PCA(2).fit(frame)
    display = ReconstructionDisplay.from_estimator(pca, frame)
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == [
        "f0", "f1", "f2", "f3", "f4"
    ]


def test_reconstruction_rejects_a_wrong_image_shape(autoencoder, data):
    with pytest.raises(ValueError, match="holds 49 values"):
        ReconstructionDisplay.from_estimator(autoencoder, data[0], image_shape=(7, 7))


def test_reconstruction_through_a_pipeline_maps_back_to_the_input_space(
    autoencoder, data
):
    X = data[0]
    scaler = StandardScaler().fit(X)
    pipeline = make_pipeline(scaler, autoencoder)
    display = ReconstructionDisplay.from_estimator(
        pipeline, X, image_shape=(8, 8), n_samples=4
    )
    expected = scaler.inverse_transform(autoencoder.reconstruct(scaler.transform(X[:4])))
    np.testing.assert_allclose(display.X_reconstructed, expected)
    assert display.estimator_name == "AutoencoderTransformer"


# ----------------------------------------------------------------------
# LatentSpaceDisplay
# ----------------------------------------------------------------------
def test_latent_space_of_two_codes_is_plotted_as_is(autoencoder, data, tmp_path):
    X, y = data
    display = LatentSpaceDisplay.from_estimator(autoencoder, X, y)
    assert display.method == "codes"
    np.testing.assert_allclose(display.embedding, autoencoder.transform(X))
    np.testing.assert_allclose(display.scatter_.get_offsets(), autoencoder.transform(X))
    legend = display.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [str(d) for d in range(10)]
    assert display.colorbar_ is None
    assert_drawn(display, tmp_path / "latent.png")


@pytest.mark.parametrize(
    "method, n_samples, expected",
    [("auto", 60, "tsne"), ("pca", 60, "pca"), ("tsne", 60, "tsne")],
)
def test_latent_space_projects_longer_codes(data, method, n_samples, expected):
    X, y = data
    pca = PCA(5).fit(X)  # any transformer: codes of 5 components
    display = LatentSpaceDisplay.from_estimator(pca, X[:n_samples], y[:n_samples], method=method)
    assert display.method == expected
    assert display.embedding.shape == (n_samples, 2)
    assert display.ax_.get_xlabel() == {"tsne": "t-SNE 1", "pca": "PC 1"}[expected]


def test_latent_space_auto_uses_pca_beyond_the_tsne_limit(data, monkeypatch):
    import skae.plotting._latent_space

    monkeypatch.setattr(skae.plotting._latent_space, "TSNE_MAX_SAMPLES", 10)
    display = LatentSpaceDisplay.from_estimator(PCA(5).fit(data[0]), data[0][:40])
    assert display.method == "pca"


def test_latent_space_rejects_codes_method_for_long_codes(data):
    with pytest.raises(ValueError, match="method='tsne' or method='pca'"):
        LatentSpaceDisplay.from_estimator(PCA(3).fit(data[0]), data[0], method="codes")


def test_latent_space_continuous_values_get_a_colorbar():
    rng = np.random.RandomState(0)
    display = LatentSpaceDisplay(rng.normal(size=(30, 2)), y=rng.uniform(size=30)).plot()
    assert display.colorbar_ is not None and display.ax_.get_legend() is None


# ----------------------------------------------------------------------
# PCAComparisonDisplay
# ----------------------------------------------------------------------
def test_pca_comparison_fits_both_at_each_size(data, tmp_path):
    X = data[0]
    estimator = AutoencoderTransformer(**{**FAST, "epochs": 1})
    display = PCAComparisonDisplay.from_estimator(estimator, X[:100], X[100:], n_components=(2, 6))
    assert not hasattr(estimator, "model_")  # cloned, never fitted itself
    pca = PCA(6).fit(X[:100])
    expected = np.mean((X[100:] - pca.inverse_transform(pca.transform(X[100:]))) ** 2)
    assert display.pca_errors[1] == pytest.approx(expected)
    assert display.pca_errors[0] > display.pca_errors[1]
    assert len(display.estimator_errors) == 2 and min(display.estimator_errors) > 0
    np.testing.assert_array_equal(display.estimator_line_.get_xdata(), [2, 6])
    assert_drawn(display, tmp_path / "comparison.png")


def test_pca_comparison_of_a_pipeline_sets_the_code_size_of_its_last_step(data):
    X = data[0]
    pipeline = make_pipeline(StandardScaler(), AutoencoderTransformer(**{**FAST, "epochs": 1}))
    display = PCAComparisonDisplay.from_estimator(pipeline, X[:100], X[100:], n_components=(3,))
    assert pipeline[-1].n_components == 2 and not hasattr(pipeline[-1], "model_")
    assert display.estimator_name == "AutoencoderTransformer"
    assert len(display.estimator_errors) == 1 and display.estimator_errors[0] > 0


# ----------------------------------------------------------------------
# SampleGridDisplay
# ----------------------------------------------------------------------
def test_sample_grid_from_a_generative_estimator(tmp_path):
    calls = []

    class Generator:  # the sample() protocol of VariationalAutoencoderTransformer
        image_shape_ = (4, 4, 1)

        def sample(self, n_samples=1, random_state=None):
            calls.append((n_samples, random_state))
            return np.random.RandomState(random_state).uniform(size=(n_samples, 16))

    display = SampleGridDisplay.from_estimator(Generator(), n_samples=9, random_state=3)
    assert calls == [(9, 3)]
    assert display.image_.get_array().shape == (14, 14)  # 3 x 3 images of 4 x 4
    assert_drawn(display, tmp_path / "samples.png")


def test_sample_grid_of_a_pipeline_maps_samples_back_through_earlier_steps():
    class Generator:
        image_shape_ = (2, 2, 1)

        def fit(self, X, y=None):
            return self

        def sample(self, n_samples=1, random_state=None):
            return np.random.RandomState(random_state).normal(size=(n_samples, 4))

    scaler = StandardScaler().fit(np.random.RandomState(0).normal(10, 3, size=(50, 4)))
    display = SampleGridDisplay.from_estimator(
        make_pipeline(scaler, Generator()), n_samples=4, random_state=1
    )
    expected = scaler.inverse_transform(Generator().sample(4, random_state=1))
    np.testing.assert_allclose(display.samples, expected)
    assert display.image_shape == (2, 2, 1)  # the last step's image_shape_
    assert display.estimator_name == "Generator"


def test_sample_grid_of_rows_without_image_shape_is_a_heat_map():
    samples = np.arange(12.0).reshape(3, 4)
    display = SampleGridDisplay(samples).plot()
    np.testing.assert_array_equal(display.image_.get_array(), samples)
    assert display.ax_.get_xlabel() == "feature"


def test_sample_grid_needs_a_sample_method(autoencoder):
    with pytest.raises(TypeError, match="no sample method"):
        SampleGridDisplay.from_estimator(autoencoder)


def test_sample_grid_of_a_variational_autoencoder(data, tmp_path):
    VAE = _public("VariationalAutoencoderTransformer")
    vae = VAE(**FAST).fit(data[0])
    display = SampleGridDisplay.from_estimator(vae, n_samples=4, image_shape=(8, 8))
    np.testing.assert_allclose(display.samples, vae.sample(4, random_state=0))
    assert_drawn(display, tmp_path / "vae.png")


# ----------------------------------------------------------------------
# AnomalyScoreDisplay
# ----------------------------------------------------------------------
def test_anomaly_scores_with_threshold_and_labels(data, tmp_path):
    X = data[0]
    forest = IsolationForest(n_estimators=20, random_state=0).fit(X)
    y = np.where(np.arange(len(X)) % 5 == 0, -1, 1)
    display = AnomalyScoreDisplay.from_estimator(forest, X, y)
    np.testing.assert_allclose(display.scores, forest.score_samples(X))
    assert display.threshold_line_.get_xdata()[0] == pytest.approx(forest.offset_)
    counts = [sum(p.get_height() for p in patches) for patches in display.patches_]
    assert counts == [np.sum(y == 1), np.sum(y == -1)]
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert labels[:2] == ["inliers (y = 1)", "outliers (y = -1)"]
    assert_drawn(display, tmp_path / "scores.png")


def test_anomaly_scores_of_the_autoencoder_detector(data):
    Detector = _public("AutoencoderOutlierDetector")
    detector = Detector(**FAST).fit(data[0])
    display = AnomalyScoreDisplay.from_estimator(detector, data[0])
    assert display.offset == detector.offset_
    assert len(display.patches_) == 1
    assert sum(p.get_height() for p in display.patches_[0]) == len(data[0])


def test_anomaly_scores_without_offset_draw_no_threshold():
    display = AnomalyScoreDisplay(np.linspace(-1, 0, 50)).plot(bins=5)
    assert display.threshold_line_ is None
    assert [p.get_height() for p in display.patches_[0]] == [10] * 5


def test_importing_plotting_imports_neither_keras_nor_pyplot():
    code = (
        "import sys, skae.plotting; "
        "print(sorted(m for m in ('keras', 'tensorflow', 'matplotlib.pyplot') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
