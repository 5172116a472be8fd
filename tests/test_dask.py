"""Dask: searches on workers give exactly the scores of one process; lazy inference."""

import logging

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer

from .conftest import FAST


@pytest.fixture(scope="module")
def client():
    """A client of two worker processes, started once for the module's tests.

    Worker processes (not threads): each fit runs in another interpreter,
    whose global generators are in whatever state its event loop left them.
    Not the default client: the other tests compute with the scheduler they
    name.
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def test_grid_search_on_dask_workers_equals_n_jobs_1(digits, client):
    import joblib

    X, _ = digits
    search = GridSearchCV(
        AutoencoderTransformer(**{**FAST, "dropout": 0.1}),
        {"n_components": [2, 4]},
        cv=2,
    )
    serial = clone(search).fit(X).cv_results_
    with joblib.parallel_backend("dask", client=client):
        on_workers = clone(search).set_params(n_jobs=2).fit(X).cv_results_
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_array_equal(on_workers[key], serial[key])


def test_dask_ml_search_of_a_pipeline_equals_scikit_learn(digits, client):
    # dask-ml fits a pipeline's shared prefix once per fold and parameter
    # value (the autoencoder is not refitted for each C): same scores
    dask_ml_search = pytest.importorskip("dask_ml.model_selection")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    X, y = digits
    pipeline = Pipeline(
        [("autoencoder", AutoencoderTransformer(**FAST)), ("logistic", LogisticRegression())]
    )
    grid = {"autoencoder__n_components": [2, 4], "logistic__C": [0.1, 1.0]}
    serial = GridSearchCV(pipeline, grid, cv=2).fit(X, y)
    with client.as_current():  # dask-ml asks for the current client too
        search = dask_ml_search.GridSearchCV(pipeline, grid, cv=2, scheduler=client).fit(X, y)
    for split in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(search.cv_results_[split], serial.cv_results_[split])
    # the mean of the same scores, summed in another order
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-12
    )
    assert search.best_params_ == serial.best_params_


# ----------------------------------------------------------------------
# lazy inference on Dask collections
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted_pair(digits):
    from skae import AutoencoderOutlierDetector

    X, _ = digits
    return (
        AutoencoderTransformer(2, **FAST).fit(X),
        AutoencoderOutlierDetector(2, **FAST).fit(X),
    )


def _methods(fitted_pair):
    ae, detector = fitted_pair
    return [
        (ae.transform, (2,)),
        (ae.score_samples, ()),
        (detector.decision_function, ()),
        (detector.predict, ()),
        (ae.reconstruct, (64,)),
        (detector.reconstruct, (64,)),
        (detector.feature_errors, (64,)),
        (detector.predict_proba, (2,)),
        (detector.predict_confidence, ()),
    ]


def test_dask_arrays_give_lazy_arrays_equal_to_numpy(fitted_pair, digits):
    da = pytest.importorskip("dask.array")
    X, _ = digits
    lazy_X = da.from_array(X, chunks=(64, 16))  # columns split too: rechunked
    for method, trailing in _methods(fitted_pair):
        lazy = method(lazy_X)
        assert isinstance(lazy, da.Array), method.__name__
        assert lazy.shape == (len(X),) + trailing
        assert lazy.chunks[0] == lazy_X.chunks[0]  # block by block, rows kept
        expected = method(X)
        assert lazy.dtype == expected.dtype
        got = lazy.compute(scheduler="synchronous")
        assert got.dtype == expected.dtype
        # each block is computed alone: float64 sums may differ by an ulp
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_dask_arrays_of_unknown_chunk_sizes_stay_lazy(fitted_pair, digits):
    da = pytest.importorskip("dask.array")
    X, _ = digits
    ae, detector = fitted_pair
    lazy_X = da.from_array(X, chunks=64)
    kept = lazy_X[lazy_X[:, 10] >= 0]  # a filter: row counts unknown until computed
    assert np.isnan(kept.chunks[0][0])
    for method in (ae.transform, detector.predict_proba, detector.score_samples):
        lazy = method(kept)
        assert isinstance(lazy, da.Array), method.__name__
        np.testing.assert_allclose(lazy.compute(scheduler="synchronous"), method(X), rtol=1e-12)


def test_the_estimator_enters_the_graph_once(fitted_pair, digits):
    da = pytest.importorskip("dask.array")
    X, _ = digits
    ae, _ = fitted_pair
    lazy = ae.transform(da.from_array(X, chunks=20))
    keys = [k if isinstance(k, str) else k[0] for k in dict(lazy.__dask_graph__())]
    shipped = [k for k in keys if k.startswith("AutoencoderTransformer")]
    assert len(shipped) == 1 and len(lazy.chunks[0]) == 10


def test_dask_dataframes_give_frames_with_the_output_names(digits):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from skae import AutoencoderOutlierDetector

    X, _ = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    ae = AutoencoderTransformer(2, **FAST).fit(frame)
    detector = AutoencoderOutlierDetector(2, **FAST).fit(frame)
    lazy_frame = dd.from_pandas(frame, npartitions=3)
    codes = ae.transform(lazy_frame).compute(scheduler="synchronous")
    assert list(codes.columns) == list(ae.get_feature_names_out())
    np.testing.assert_allclose(codes.to_numpy(), ae.transform(frame), rtol=1e-12)
    labels = detector.predict(lazy_frame).compute(scheduler="synchronous")
    assert labels.name == "predict" and labels.index.equals(frame.index)
    np.testing.assert_array_equal(labels.to_numpy(), detector.predict(frame))
    proba = detector.predict_proba(lazy_frame).compute(scheduler="synchronous")
    assert list(proba.columns) == ["inlier", "outlier"] and proba.index.equals(frame.index)
    np.testing.assert_allclose(proba.to_numpy(), detector.predict_proba(frame), rtol=1e-12)
    confidence = detector.predict_confidence(lazy_frame).compute(scheduler="synchronous")
    assert confidence.name == "predict_confidence" and confidence.index.equals(frame.index)
    expected = detector.predict_confidence(frame)
    np.testing.assert_allclose(confidence.to_numpy(), expected, rtol=1e-12)
    errors = detector.feature_errors(lazy_frame).compute(scheduler="synchronous")
    assert list(errors.columns) == list(frame.columns) and errors.index.equals(frame.index)
    np.testing.assert_allclose(errors.to_numpy(), detector.feature_errors(frame), rtol=1e-12)


def test_dask_input_of_the_wrong_width_is_refused_at_once(fitted_pair, digits):
    da = pytest.importorskip("dask.array")
    X, _ = digits
    ae, detector = fitted_pair
    for method in (ae.transform, detector.predict):
        with pytest.raises(ValueError, match="fitted on samples of 64 features"):
            method(da.from_array(X[:, :63], chunks=50))


def test_every_lazy_method_computes_on_worker_processes(fitted_pair, digits, client):
    # the estimator travels to other interpreters (as plain data) and
    # computes there what it computes here, for every lazy method, on
    # arrays of known and of unknown chunk sizes
    da = pytest.importorskip("dask.array")
    X, _ = digits
    ae, _ = fitted_pair
    codes = ae.transform(X)
    lazy_X, lazy_codes = da.from_array(X, chunks=50), da.from_array(codes, chunks=50)
    filtered = lazy_X[lazy_X[:, 10] >= 0]  # row counts unknown until computed
    cases = [(method, lazy_X, method(X)) for method, _ in _methods(fitted_pair)]
    cases += [
        (ae.inverse_transform, lazy_codes, ae.inverse_transform(codes)),
        (ae.transform, filtered, codes),
        (fitted_pair[1].predict_confidence, filtered, fitted_pair[1].predict_confidence(X)),
    ]
    lazy = [method(given) for method, given, _ in cases]
    for (method, _, _), result in zip(cases, lazy, strict=True):
        assert isinstance(result, da.Array), method.__name__
    computed = client.compute(lazy, sync=True)
    for (method, _, expected), got in zip(cases, computed, strict=True):
        assert got.dtype == expected.dtype, method.__name__
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=method.__name__)


def test_inverse_transform_is_lazy_on_every_dask_input(digits):
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, _ = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    for fitted_on in (X, frame, X.reshape(-1, 8, 8)):  # rows, named columns, images
        ae = AutoencoderTransformer(2, **FAST).fit(fitted_on)
        codes = ae.transform(fitted_on)
        expected = ae.inverse_transform(codes)
        as_float32 = da.from_array(codes.astype(np.float32), chunks=64)
        whole = da.from_array(codes, chunks=64)
        for lazy_codes in (whole, as_float32, whole[whole[:, 0] > -np.inf]):
            lazy = ae.inverse_transform(lazy_codes)  # the last of unknown chunk sizes
            assert isinstance(lazy, da.Array)
            assert lazy.shape[1:] == expected.shape[1:] and lazy.dtype == lazy_codes.dtype
            got = lazy.compute(scheduler="synchronous")
            assert got.dtype == lazy_codes.dtype
            eager = ae.inverse_transform(lazy_codes.compute())
            np.testing.assert_allclose(got, eager, rtol=1e-12 if got.dtype == np.float64 else 1e-5)
        codes_frame = dd.from_pandas(pd.DataFrame(codes, columns=["a", "b"]), npartitions=2)
        if np.ndim(fitted_on) == 3:
            # images do not fit in a DataFrame: said at once
            with pytest.raises(ValueError, match="give the codes as a Dask array"):
                ae.inverse_transform(codes_frame)
            continue
        decoded = ae.inverse_transform(codes_frame).compute(scheduler="synchronous")
        names = list(frame.columns) if fitted_on is frame else [f"x{i}" for i in range(64)]
        assert list(decoded.columns) == names
        np.testing.assert_allclose(decoded.to_numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="expects codes with n_components=2"):
        ae.inverse_transform(da.from_array(X, chunks=50))


def test_conditional_inverse_transform_is_lazy(digits):
    da = pytest.importorskip("dask.array")
    from skae import ConditionalVariationalAutoencoder

    X, y = digits
    cvae = ConditionalVariationalAutoencoder(2, **FAST).fit(X, y)
    codes = cvae.transform(X, y)
    lazy = cvae.inverse_transform(da.from_array(codes, chunks=64), da.from_array(y, chunks=64))
    assert isinstance(lazy, da.Array) and lazy.shape == X.shape
    np.testing.assert_allclose(
        lazy.compute(scheduler="synchronous"), cvae.inverse_transform(codes, y), rtol=1e-12
    )


def test_a_lazy_result_holds_the_model_of_its_call(digits):
    # a refit before the blocks are computed does not change them
    da = pytest.importorskip("dask.array")
    X, _ = digits
    ae = AutoencoderTransformer(2, **FAST).fit(X)
    expected = ae.transform(X)
    lazy = ae.transform(da.from_array(X, chunks=50))
    ae.set_params(random_state=1).fit(X)
    assert not np.array_equal(ae.transform(X), expected)
    # (each block computed alone: float64 may differ in the last digit)
    np.testing.assert_allclose(lazy.compute(scheduler="synchronous"), expected, rtol=1e-12)
