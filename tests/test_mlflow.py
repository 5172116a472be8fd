"""MLflow logs skae estimators: its default skops format, with skae.trusted_types(), and autolog."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)

from .conftest import FAST

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("skops")
import mlflow.sklearn  # noqa: E402

TINY = dict(FAST, epochs=2)

ESTIMATORS = {
    "autoencoder": lambda: AutoencoderTransformer(2, **TINY),
    "variational": lambda: VariationalAutoencoderTransformer(2, **TINY),
    "denoising": lambda: DenoisingAutoencoder(2, **TINY),
    "detector": lambda: AutoencoderOutlierDetector(2, **TINY),
    "detector-vae": lambda: AutoencoderOutlierDetector(2, backbone="variational", **TINY),
    # its condition in X's first column: every method reads X alone
    "conditional": lambda: skae.ConditionalVariationalAutoencoder(
        2, condition_columns=[0], **TINY
    ),
}


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A local file store under tmp_path as MLflow's tracking URI, for the test."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow asks for this opt-in
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    yield
    mlflow.set_tracking_uri(before)


@pytest.fixture(scope="module")
def fitted(digits):
    X = digits[0][:300]
    return X, {name: make().fit(X) for name, make in ESTIMATORS.items()}


def _log(est, name, **kwargs):
    with warnings.catch_warnings():
        # the transformers have no predict: MLflow logs no pyfunc flavour, and says so
        warnings.filterwarnings("ignore", message=".*predict.*")
        with mlflow.start_run():
            # pip_requirements skips MLflow's inference of them (a slow subprocess)
            return mlflow.sklearn.log_model(est, name=name, pip_requirements=["skae"], **kwargs)


def _outputs(est, X):
    methods = ("score_samples", "decision_function", "predict")
    if isinstance(est, skae.ConditionalVariationalAutoencoder):
        methods = ("transform", "score_samples")  # inverse_transform needs the conditions
    elif not isinstance(est, AutoencoderOutlierDetector):
        methods = ("transform", "score_samples", "inverse_transform")
    return {m: getattr(est, m)(X if m != "inverse_transform" else est.transform(X)) for m in methods}


def test_trusted_types_name_every_estimator_class_without_importing_them():
    names = skae.trusted_types()
    assert names == [f"{cls.__module__}.{cls.__qualname__}" for cls in map(
        lambda n: getattr(skae, n),
        ("AutoencoderTransformer", "VariationalAutoencoderTransformer",
         "DenoisingAutoencoder", "AutoencoderOutlierDetector",
         "ConditionalVariationalAutoencoder"),
    )] + ["skae._estimators.conditional_autoencoder.ConditionalAutoencoder"]  # a backbone


@pytest.mark.parametrize("name", ESTIMATORS)
def test_log_model_with_skae_trusted_types_logs_and_loads(fitted, tracking, name):
    X, estimators = fitted
    est = estimators[name]
    info = _log(est, name, skops_trusted_types=skae.trusted_types())
    loaded = mlflow.sklearn.load_model(info.model_uri)  # the trusted types recorded in the model
    assert type(loaded) is type(est)
    for method, expected in _outputs(est, X).items():
        np.testing.assert_array_equal(_outputs(loaded, X)[method], expected, err_msg=method)


def test_log_model_default_skops_format_needs_the_trusted_types(fitted, digits, tracking):
    # MLflow's default (skops) trusts scikit-learn's own classes only: PCA
    # logs as it is, a skae estimator needs skae.trusted_types() (the docs
    # say so; this fails when MLflow or skops come to trust it by default)
    X, estimators = fitted
    _log(PCA(2).fit(X), "pca")
    with pytest.raises(Exception, match="untrusted types") as error:
        _log(estimators["autoencoder"], "autoencoder")
    assert "skops_trusted_types" in str(error.value)
    info = _log(estimators["autoencoder"], "autoencoder", serialization_format="cloudpickle")
    loaded = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.transform(X), estimators["autoencoder"].transform(X))


def test_autolog_logs_a_grid_search_over_a_skae_pipeline(digits, tracking, monkeypatch):
    # autolog infers each logged model's requirements in a subprocess that
    # loads the model (a minute here); its fallback, the default list, is
    # what it returns when that fails
    monkeypatch.setattr(
        mlflow.models, "infer_pip_requirements", lambda path, flavor, fallback=None: fallback
    )
    X, y = digits[0][:200], digits[1][:200]
    pipe = make_pipeline(
        StandardScaler(), AutoencoderTransformer(**TINY), LogisticRegression(max_iter=200)
    )
    search = GridSearchCV(pipe, {"autoencodertransformer__n_components": [2, 4]}, cv=2)
    mlflow.sklearn.autolog(silent=True, log_input_examples=False, log_datasets=False)
    try:
        with mlflow.start_run() as run:
            search.fit(X, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    logged = mlflow.get_run(run.info.run_id)
    assert logged.data.params["best_autoencodertransformer__n_components"] in {"2", "4"}
    assert "best_cv_score" in logged.data.metrics
    children = mlflow.search_runs(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'",
    )
    assert len(children) == 2  # one per candidate
    model = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(model.predict(X), search.predict(X))
    best = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/best_estimator")
    np.testing.assert_array_equal(best.predict(X), search.best_estimator_.predict(X))
