"""Hyperparameter search on Dask workers gives exactly the scores of one process."""

import logging

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer

from .conftest import FAST


def test_grid_search_on_dask_workers_equals_n_jobs_1(digits):
    distributed = pytest.importorskip("distributed")
    import joblib

    X, _ = digits
    search = GridSearchCV(
        AutoencoderTransformer(**{**FAST, "dropout": 0.1}),
        {"n_components": [2, 4]},
        cv=2,
    )
    serial = clone(search).fit(X).cv_results_
    # worker processes (not threads): each fit runs in another interpreter,
    # whose global generators are in whatever state its event loop left them
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster, distributed.Client(cluster):
        with joblib.parallel_backend("dask"):
            on_workers = clone(search).set_params(n_jobs=2).fit(X).cv_results_
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_array_equal(on_workers[key], serial[key])
