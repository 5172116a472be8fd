"""ConditionalVariationalAutoencoder: conditions in, everything else as the VAE."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import skae
from skae import ConditionalVariationalAutoencoder

from .conftest import FAST
from .test_export import _needs_onnx_export


def _classes_data(n=240, seed=0):
    """Three classes, each a fixed pattern of 12 features plus a little noise."""
    random = np.random.RandomState(seed)
    patterns = random.uniform(-3, 3, size=(3, 12))
    labels = np.array(["cat", "dog", "emu"])[np.arange(n) % 3]
    index = np.searchsorted(["cat", "dog", "emu"], labels)
    X = patterns[index] + 0.1 * random.normal(size=(n, 12))
    return X, labels, patterns


@pytest.fixture(scope="module")
def fitted():
    X, labels, patterns = _classes_data()
    cvae = ConditionalVariationalAutoencoder(
        1, **{**FAST, "hidden_layer_sizes": (16,), "epochs": 60}
    )
    return cvae.fit(X, labels), X, labels, patterns


def test_samples_follow_the_condition_asked_for(fitted):
    cvae, _, _, patterns = fitted
    assert cvae.classes_.tolist() == ["cat", "dog", "emu"]
    assert cvae.n_conditions_ == 3 and cvae.condition_type_ == "categorical"
    for k, label in enumerate(cvae.classes_):
        samples = cvae.sample(20, y=label, random_state=0)
        distances = np.linalg.norm(samples[:, None, :] - patterns[None], axis=2)
        # nearly every sample is nearest to the pattern of the class asked for
        # (a third would be, by chance)
        assert np.mean(distances.argmin(axis=1) == k) >= 0.9
    # one condition per sample
    per_row = cvae.sample(y=["emu", "cat"], random_state=0)
    nearest = np.linalg.norm(per_row[:, None] - patterns[None], axis=2).argmin(axis=1)
    assert nearest.tolist() == [2, 0]


def test_every_method_reads_the_conditions(fitted):
    cvae, X, labels, patterns = fitted
    codes, std = cvae.transform(X[:6], labels[:6], return_std=True)
    assert codes.shape == std.shape == (6, 1)
    decoded = cvae.inverse_transform(codes, labels[:6])
    np.testing.assert_allclose(decoded, cvae.reconstruct(X[:6], labels[:6]), rtol=1e-6)
    # the right condition explains a sample far better than a wrong one
    wrong = np.roll(labels[:30], 1)
    assert (cvae.score_samples(X[:30], labels[:30]) > cvae.score_samples(X[:30], wrong)).all()
    assert cvae.score(X, labels) == pytest.approx(cvae.score_samples(X, labels).mean())
    log_likelihood = cvae.log_likelihood(X[:5], labels[:5], 20, random_state=0)
    assert log_likelihood.shape == (5,) and np.isfinite(log_likelihood).all()
    np.testing.assert_array_equal(
        cvae.encode_conditions(["dog", "cat"]), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c, X, y: c.transform(X), "needs the conditions y, one per sample"),
        (lambda c, X, y: c.score_samples(X, y[:-1]), "one condition per sample"),
        (lambda c, X, y: c.reconstruct(X, np.where(y == "cat", "cow", y)), "'cow'"),
        (lambda c, X, y: c.sample(3), "needs the condition y"),
        (lambda c, X, y: c.sample(3, y=["cat", "dog"]), "n_samples=3"),
    ],
    ids=["missing", "length", "unknown_label", "sample_missing", "sample_count"],
)
def test_missing_or_wrong_conditions_are_refused_clearly(fitted, call, message):
    cvae, X, labels, _ = fitted
    with pytest.raises(ValueError, match=message):
        call(cvae, X[:9], labels[:9])


def test_numeric_conditions_are_standardised_inside():
    random = np.random.RandomState(0)
    level = random.uniform(-1, 1, size=300)
    # the measurements follow the condition
    X = np.c_[level, -level] * 10 + 0.3 * random.normal(size=(300, 2))
    cvae = ConditionalVariationalAutoencoder(
        1, **{**FAST, "hidden_layer_sizes": (16,), "epochs": 30}
    ).fit(X, level * 1000)  # large numbers: standardised inside, they still train
    assert cvae.condition_type_ == "numeric" and cvae.n_conditions_ == 1
    assert cvae.condition_mean_[0] == pytest.approx(level.mean() * 1000)
    assert not hasattr(cvae, "classes_")
    for value in (-600.0, 500.0):
        samples = cvae.sample(50, y=value, random_state=0)
        np.testing.assert_allclose(samples.mean(axis=0), [value / 100, -value / 100], atol=1.5)
    with pytest.raises(ValueError, match="2 condition columns"):
        cvae.transform(X[:3], np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        cvae.transform(X[:2], [np.nan, 1.0])
    # integers read as labels by default, as numbers when asked
    ints = ((level + 1) * 2).astype(int)
    as_labels = ConditionalVariationalAutoencoder(1, **FAST).fit(X, ints)
    as_numbers = ConditionalVariationalAutoencoder(1, condition_type="numeric", **FAST).fit(X, ints)
    assert as_labels.n_conditions_ == 4 and as_numbers.n_conditions_ == 1


def test_images_take_the_condition_as_channels(digits):
    X, y = digits
    images = X[:120].reshape(-1, 8, 8)
    cvae = ConditionalVariationalAutoencoder(
        2, architecture="conv", filters=(4,), **{**FAST, "epochs": 2}
    ).fit(images, y[:120])
    assert cvae.image_shape_ == (8, 8, 1)
    assert cvae.reconstruct(images[:3], y[:3]).shape == (3, 8, 8)
    assert cvae.sample(2, y=4, random_state=0).shape == (2, 8, 8)


def test_same_random_state_same_model_and_float32_kept(fitted):
    _, X, labels, _ = fitted
    params = {**FAST, "random_state": 3}
    a = ConditionalVariationalAutoencoder(1, **params).fit(X, labels)
    b = ConditionalVariationalAutoencoder(1, **params).fit(X, labels)
    np.testing.assert_array_equal(a.transform(X, labels), b.transform(X, labels))
    np.testing.assert_array_equal(a.sample(4, y="dog", random_state=1), b.sample(4, y="dog", random_state=1))
    np.testing.assert_array_equal(
        ConditionalVariationalAutoencoder(1, **params).fit_transform(X, labels),
        a.transform(X, labels),
    )
    codes32 = a.transform(X.astype(np.float32), labels)
    assert codes32.dtype == np.float32
    np.testing.assert_allclose(codes32, a.transform(X, labels), rtol=1e-4, atol=1e-5)


def test_eager_training_learns_too():
    # run_eagerly hands the model NumPy batches on JAX, and one layer call
    # there joins the condition to a tensor (the decoder reads z beside it)
    X, labels, _ = _classes_data(n=60)
    cvae = ConditionalVariationalAutoencoder(1, **{**FAST, "epochs": 4, "run_eagerly": True})
    losses = cvae.fit(X, labels).history_["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert cvae.transform(X[:5], labels[:5]).shape == (5, 1)


def test_pickle_save_load_and_clone_keep_the_conditions(fitted, tmp_path):
    cvae, X, labels, _ = fitted
    expected = cvae.score_samples(X[:10], labels[:10])
    restored = pickle.loads(pickle.dumps(cvae))
    np.testing.assert_array_equal(restored.score_samples(X[:10], labels[:10]), expected)
    cvae.save(tmp_path / "cvae.skae")
    loaded = skae.load(tmp_path / "cvae.skae")
    np.testing.assert_array_equal(loaded.classes_, cvae.classes_)
    np.testing.assert_array_equal(loaded.score_samples(X[:10], labels[:10]), expected)
    fresh = clone(cvae)
    assert fresh.get_params() == cvae.get_params()
    with pytest.raises(NotFittedError):
        fresh.transform(X, labels)


def test_warm_start_keeps_classes_and_a_failed_fit_changes_nothing(fitted):
    _, X, labels, _ = fitted
    cvae = ConditionalVariationalAutoencoder(1, **FAST)
    with pytest.raises(ValueError, match="needs the conditions y, one per sample"):
        cvae.fit(X)
    assert not hasattr(cvae, "model_") and not hasattr(cvae, "classes_")
    cvae.partial_fit(X, labels).partial_fit(X[:30], labels[:30])
    assert cvae.n_iter_ == 2 and cvae.classes_.tolist() == ["cat", "dog", "emu"]
    before = cvae.transform(X[:5], labels[:5])
    with pytest.raises(ValueError, match="'owl'"):
        cvae.partial_fit(X[:3], ["owl", "cat", "dog"])
    np.testing.assert_array_equal(cvae.transform(X[:5], labels[:5]), before)
    assert cvae.n_iter_ == 2
    with pytest.raises(ValueError, match="at least 2 classes"):
        ConditionalVariationalAutoencoder(1, **FAST).fit(X, ["cat"] * len(X))


@pytest.mark.parametrize("method", ["transform", "reconstruct", "score_samples"])
def test_onnx_export_takes_the_condition_as_a_second_input(fitted, method, tmp_path):
    _needs_onnx_export()
    import onnxruntime

    cvae, X, labels, _ = fitted
    path = tmp_path / "cvae.onnx"
    cvae.export(path, format="onnx", method=method)
    session = onnxruntime.InferenceSession(str(path))
    names = [i.name for i in session.get_inputs()]
    assert names == ["X", "condition"]
    X32 = X[:7].astype(np.float32)
    condition = cvae.encode_conditions(labels[:7]).astype(np.float32)
    (got,) = session.run(None, {"X": X32, "condition": condition})
    expected = getattr(cvae, method)(X32 if method != "score_samples" else X[:7], labels[:7])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_saved_model_export_takes_the_condition(fitted, tmp_path):
    tf = pytest.importorskip("tensorflow")
    import keras

    if keras.backend.backend() == "torch":
        pytest.skip("Keras writes no SavedModel on PyTorch (ONNX is tested there)")
    cvae, X, labels, _ = fitted
    cvae.export(tmp_path / "scores", method="score_samples")
    loaded = tf.saved_model.load(str(tmp_path / "scores"))
    condition = cvae.encode_conditions(labels[:5]).astype(np.float32)
    expected = cvae.score_samples(X[:5], labels[:5])
    got = loaded.serve([X[:5].astype(np.float32), condition]).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # TF Serving's signature names the two inputs
    signature = loaded.signatures["serving_default"]
    (out,) = signature(X=tf.constant(X[:5], tf.float32), condition=tf.constant(condition)).values()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_pandas_in_and_out_with_feature_names(fitted):
    pd = pytest.importorskip("pandas")
    cvae, X, labels, _ = fitted
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    fitted_on_frame = clone(cvae).set_params(epochs=1).fit(frame, pd.Series(labels))
    assert list(fitted_on_frame.feature_names_in_) == list(frame.columns)
    codes = fitted_on_frame.set_output(transform="pandas").transform(frame, labels)
    assert list(codes.columns) == ["conditionalvariationalautoencoder0"]
    with pytest.raises(ValueError, match="feature names"):
        fitted_on_frame.transform(frame.rename(columns={"f0": "other"}), labels)


def test_dask_inference_is_lazy_and_takes_the_conditions_block_by_block(fitted):
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    cvae, X, labels, _ = fitted
    X_dask = da.from_array(X[:50], chunks=20)
    for y in (labels[:50], da.from_array(labels[:50], chunks=7)):
        codes = cvae.transform(X_dask, y)
        assert isinstance(codes, da.Array) and codes.shape == (50, 1)
        np.testing.assert_array_equal(codes.compute(), cvae.transform(X[:50], labels[:50]))
    # blocks of 20 rows against one call of 50: float32 products may round
    # differently with the batch size (PyTorch's CPU kernels do), by an ULP
    scores = cvae.score_samples(X_dask, labels[:50])
    np.testing.assert_allclose(
        scores.compute(), cvae.score_samples(X[:50], labels[:50]), rtol=1e-6
    )
    reconstruction = cvae.reconstruct(X_dask, labels[:50])
    assert reconstruction.shape == (50, 12)
    np.testing.assert_allclose(
        reconstruction.compute(), cvae.reconstruct(X[:50], labels[:50]), rtol=1e-6, atol=1e-6
    )
    with pytest.raises(ValueError, match="one condition per sample"):
        cvae.transform(X_dask, labels[:49])
    # a Dask DataFrame and a column beside it, partitioned alike
    frame = pd.DataFrame(X[:50])
    frame["label"] = labels[:50]
    ddf = dd.from_pandas(frame, npartitions=3)
    scores = cvae.score_samples(ddf.drop(columns="label"), ddf["label"])
    np.testing.assert_allclose(scores.compute().to_numpy(), cvae.score_samples(X[:50], labels[:50]))
    with pytest.raises(ValueError, match="Dask Series"):
        cvae.score_samples(ddf.drop(columns="label"), labels[:50])


def test_pictures_of_conditions(fitted):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skae.plotting import LatentSpaceDisplay, SampleGridDisplay

    cvae, X, labels, _ = fitted
    grid = SampleGridDisplay.from_estimator(
        cvae, n_samples=4, y=["dog", "cat"], image_shape=(3, 4)
    )
    # one row per condition asked for, in the order asked
    expected = cvae.sample(4, y="dog", random_state=0)
    np.testing.assert_allclose(grid.samples[:4], expected, rtol=1e-6)
    assert grid.samples.shape == (8, 12)
    latent = LatentSpaceDisplay.from_estimator(cvae, X[:60], labels[:60])
    np.testing.assert_allclose(latent.embedding[:, 0], cvae.transform(X[:60], labels[:60])[:, 0])
    with pytest.raises(TypeError, match="drop y"):
        SampleGridDisplay.from_estimator(skae.VariationalAutoencoderTransformer(1, **FAST).fit(X), y=[1])
    plt.close("all")


def test_out_of_core_X_streams_with_its_conditions(fitted, tmp_path, monkeypatch):
    import skae._input.streaming as streaming

    _, X, labels, patterns = fitted
    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 12 * 8 * 32)  # blocks of 32 rows
    stored = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    cvae = ConditionalVariationalAutoencoder(
        1, **{**FAST, "hidden_layer_sizes": (16,), "epochs": 60, "early_stopping": True}
    ).fit(stored, labels)
    assert np.isfinite(cvae.history_["val_loss"]).all()
    np.testing.assert_allclose(
        cvae.score_samples(stored, labels), cvae.score_samples(X, labels), rtol=1e-6
    )
    samples = cvae.sample(20, y="dog", random_state=0)
    nearest = np.linalg.norm(samples[:, None] - patterns[None], axis=2).argmin(axis=1)
    assert np.mean(nearest == 1) >= 0.9
