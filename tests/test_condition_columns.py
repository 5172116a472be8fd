"""condition_columns: the context inside X, for Pipelines and frames."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

import skae
from skae import ConditionalVariationalAutoencoder

from .conftest import FAST
from .test_export import _needs_onnx_export

pd = pytest.importorskip("pandas")

PARAMS = {**FAST, "hidden_layer_sizes": (16,), "epochs": 25}


def _readings(n=400, seed=0):
    """A measurement set by the product (categorical) and one by the hour (numeric)."""
    random = np.random.RandomState(seed)
    product = random.choice(["kettle", "toaster"], n)
    hour = random.uniform(0, 24, n)
    return pd.DataFrame(
        {
            "power": np.where(product == "kettle", 5.0, -5.0) + random.normal(size=n),
            "product": product,
            "load": 3 * np.sin(hour / 24 * 2 * np.pi) + 0.3 * random.normal(size=n),
            "hour": hour,
        }
    )


@pytest.fixture(scope="module")
def fitted():
    frame = _readings()
    cvae = ConditionalVariationalAutoencoder(2, condition_columns=["product", "hour"], **PARAMS)
    return cvae.fit(frame), frame


def test_context_columns_are_read_not_reconstructed(fitted):
    cvae, frame = fitted
    assert cvae.n_features_in_ == 4
    assert list(cvae.feature_names_in_) == ["power", "product", "load", "hour"]
    assert cvae.condition_columns_ == [1, 3] and cvae.n_conditions_ == 3
    assert cvae.condition_categories_[0].tolist() == ["kettle", "toaster"]
    assert cvae.transform(frame).shape == (len(frame), 2)
    assert cvae.reconstruct(frame.head(5)).shape == (5, 2)  # power and load only
    # a normal reading in the wrong context scores far lower than in its own
    swapped = frame.head(40).assign(
        product=np.where(frame["product"].head(40) == "kettle", "toaster", "kettle")
    )
    assert (cvae.score_samples(swapped) < cvae.score_samples(frame.head(40))).all()
    # generation for a context given as the condition columns' values
    toast = cvae.sample(30, y=["toaster", 6.0], random_state=0)
    assert toast.shape == (30, 2) and abs(toast[:, 0].mean() + 5) < 1.5


def test_positions_on_arrays_and_y_is_not_read():
    frame = _readings(200)
    X = frame.assign(product=(frame["product"] == "kettle").astype(float)).to_numpy()
    cvae = ConditionalVariationalAutoencoder(2, condition_columns=[1, -1], **FAST)
    cvae.fit(X, np.arange(len(X)))  # a y for another step is ignored
    assert cvae.condition_columns_ == [1, 3] and cvae.n_conditions_ == 2
    np.testing.assert_array_equal(cvae.transform(X), cvae.transform(X, "ignored"))


def test_pipelines_and_searches_need_no_y(fitted):
    cvae, frame = fitted
    search = GridSearchCV(clone(cvae).set_params(epochs=2), {"n_components": [1, 2]}, cv=2)
    search.fit(frame)
    assert search.best_params_["n_components"] in (1, 2)
    pipe = make_pipeline(clone(cvae).set_params(epochs=2)).fit(frame)
    assert pipe.transform(frame).shape == (len(frame), 2)


def test_unknown_categories_error_or_ignored(fitted):
    cvae, frame = fitted
    odd = frame.head(3).assign(product=["kettle", "blender", "toaster"])
    with pytest.raises(ValueError, match="'blender'.*handle_unknown='ignore'"):
        cvae.transform(odd)
    lenient = clone(cvae).set_params(handle_unknown="ignore", epochs=1).fit(frame)
    assert np.isfinite(lenient.score_samples(odd)).all()


@pytest.mark.parametrize(
    "columns, message",
    [
        (["nope"], "does not have"),
        ([0, 1, 2, 3], "all 4 columns"),
        ([1, 1], "distinct"),
        ([7], "position 7"),
    ],
)
def test_bad_condition_columns_are_named(columns, message):
    frame = _readings(50)
    with pytest.raises(ValueError, match=message):
        ConditionalVariationalAutoencoder(condition_columns=columns, **FAST).fit(frame)


def test_wrong_columns_at_predict_time_and_missing_values(fitted):
    cvae, frame = fitted
    with pytest.raises(ValueError, match="feature names"):
        cvae.transform(frame[["power", "hour", "load", "product"]])
    with pytest.raises(ValueError, match="missing values"):
        cvae.transform(frame.head(2).assign(product=[None, "kettle"]))
    with pytest.raises(ValueError, match="NaN"):
        cvae.transform(frame.head(2).assign(hour=[np.nan, 1.0]))


def test_save_load_pickle_and_polars(fitted, tmp_path):
    cvae, frame = fitted
    expected = cvae.score_samples(frame.head(10))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(cvae)).score_samples(frame.head(10)), expected)
    cvae.save(tmp_path / "m.skae")
    np.testing.assert_array_equal(skae.load(tmp_path / "m.skae").score_samples(frame.head(10)), expected)
    pl = pytest.importorskip("polars")
    np.testing.assert_allclose(cvae.score_samples(pl.from_pandas(frame.head(10))), expected)


def test_onnx_export_reads_the_measured_columns_and_the_condition(fitted, tmp_path):
    _needs_onnx_export()
    import onnxruntime

    cvae, frame = fitted
    cvae.export(tmp_path / "m.onnx", format="onnx", method="score_samples")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    head = frame.head(6)
    inputs = {
        "X": head[["power", "load"]].to_numpy(np.float32),
        "condition": cvae.encode_conditions(head[["product", "hour"]]).astype(np.float32),
    }
    (got,) = session.run(None, inputs)
    np.testing.assert_allclose(got, cvae.score_samples(head), rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------
# the outlier detector: anomalies in their context
# ----------------------------------------------------------------------
@pytest.mark.parametrize("backbone", ["autoencoder", "variational"])
def test_detector_finds_readings_wrong_for_their_context(backbone):
    from sklearn.metrics import roc_auc_score

    from skae import AutoencoderOutlierDetector

    train, test = _readings(600), _readings(200, seed=1)
    swapped = test.head(50).assign(
        product=np.where(test["product"].head(50) == "kettle", "toaster", "kettle")
    )
    test = pd.concat([swapped, test.iloc[50:]], ignore_index=True)
    detector = AutoencoderOutlierDetector(
        2, condition_columns=["product", "hour"], backbone=backbone, **PARAMS
    ).fit(train)
    expected = {"autoencoder": "ConditionalAutoencoder", "variational": "ConditionalVariationalAutoencoder"}
    assert type(detector.backbone_).__name__ == expected[backbone]
    assert detector.n_features_in_ == 4 and detector.center_.shape == (2,)
    labels = np.r_[np.ones(50), np.zeros(150)]
    assert roc_auc_score(labels, -detector.score_samples(test)) > 0.95
    assert detector.predict(test).shape == (200,)
    errors = detector.feature_errors(test.head(3))
    assert list(errors.columns) == ["power", "load"]
    assert detector.reconstruct(test.head(3)).shape == (3, 2)
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(restored.score_samples(test), detector.score_samples(test))


def test_detector_with_condition_columns_saves_and_refuses_images(tmp_path):
    from skae import AutoencoderOutlierDetector

    frame = _readings(200)
    detector = AutoencoderOutlierDetector(2, condition_columns=["product"], **FAST).fit(frame)
    detector.save(tmp_path / "d.skae")
    np.testing.assert_array_equal(
        skae.load(tmp_path / "d.skae").score_samples(frame), detector.score_samples(frame)
    )
    with pytest.raises(ValueError, match="'blender'"):
        detector.predict(frame.head(2).assign(product=["blender", "kettle"]))
    with pytest.raises(ValueError, match="architecture='dense'"):
        AutoencoderOutlierDetector(
            condition_columns=[0], architecture="conv", **FAST
        ).fit(np.zeros((10, 4)))


def test_detector_exports_the_measured_columns_and_the_condition(tmp_path):
    _needs_onnx_export()
    import onnxruntime

    from skae import AutoencoderOutlierDetector

    frame = _readings(200)
    detector = AutoencoderOutlierDetector(2, condition_columns=["product", "hour"], **FAST)
    detector.fit(frame)
    detector.export(tmp_path / "d.onnx", format="onnx", method="decision_function")
    session = onnxruntime.InferenceSession(str(tmp_path / "d.onnx"))
    head = frame.head(7)
    inputs = {
        "X": head[["power", "load"]].to_numpy(np.float32),
        "condition": detector.encode_conditions(head[["product", "hour"]]).astype(np.float32),
    }
    (got,) = session.run(None, inputs)
    np.testing.assert_allclose(got, detector.decision_function(head), rtol=1e-5, atol=1e-5)


def test_auto_backbone_is_the_conditional_vae_with_condition_columns():
    from skae import AutoencoderOutlierDetector

    frame = _readings(100)
    with_context = AutoencoderOutlierDetector(condition_columns=["product"], **FAST).fit(frame)
    assert with_context.backbone_name_ == "variational"
    assert type(with_context.backbone_).__name__ == "ConditionalVariationalAutoencoder"
    without = AutoencoderOutlierDetector(**FAST).fit(frame[["power", "load"]])
    assert without.backbone_name_ == "autoencoder"
    assert type(without.backbone_).__name__ == "AutoencoderTransformer"
