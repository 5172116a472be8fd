"""skae._engine.tf_calls: one row through an XLA program, the same bits every way."""

import copy
import pickle

import keras
import numpy as np
import pytest

import skae
from skae._engine import tf_calls

from .conftest import FAST

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TensorFlow's compiled calls"
)


def _one_rows(estimator, X, method="transform"):
    return np.concatenate([getattr(estimator, method)(X[i : i + 1]) for i in range(len(X))])


@pytest.mark.parametrize(
    "make",
    [
        lambda: skae.AutoencoderTransformer(2, **FAST),
        lambda: skae.AutoencoderOutlierDetector(2, **FAST),
    ],
    ids=["transformer", "detector"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_row_is_the_same_however_the_model_was_made(make, dtype, digits, tmp_path):
    X = digits[0][:40].astype(dtype)
    method = "transform" if hasattr(make(), "transform") else "score_samples"
    # the first fit of these parameters builds its model, the third is
    # trained from the learned recipe (weights as tensors): two compiled calls
    fits = [make().fit(X) for _ in range(3)]
    expected = _one_rows(fits[0], X, method)
    assert expected.dtype == dtype
    for estimator in (
        fits[2],
        pickle.loads(pickle.dumps(fits[0])),
        copy.deepcopy(fits[2]),
        _saved_and_loaded(fits[0], tmp_path),
    ):
        np.testing.assert_array_equal(_one_rows(estimator, X, method), expected)
    # a row alone and the same row in a batch: equal up to rounding
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(
        expected, getattr(fits[0], method)(X), rtol=tolerance, atol=tolerance
    )


def _saved_and_loaded(estimator, tmp_path):
    path = tmp_path / "model.skae"
    estimator.save(path)
    return skae.load(path)


def test_without_xla_one_row_is_the_graphs_row(digits, monkeypatch):
    X = digits[0][:20].astype(np.float32)
    with_xla = skae.AutoencoderTransformer(2, **FAST).fit(X)
    rows = _one_rows(with_xla, X)
    monkeypatch.setattr(tf_calls, "ONE_ROW_XLA", False)
    graph = skae.AutoencoderTransformer(2, **FAST).fit(X)
    # the fallback computes a row as the batch's graph does, bit for bit here
    np.testing.assert_array_equal(_one_rows(graph, X), graph.transform(X))
    np.testing.assert_allclose(rows, graph.transform(X), rtol=1e-5, atol=1e-6)


def test_a_graph_xla_cannot_compile_keeps_the_graph_for_one_row():
    import tensorflow as tf

    def not_for_xla(batch):
        # a Python function inside the graph: XLA has no kernel for it
        doubled = tf.py_function(lambda t: t * 2.0, [batch], tf.float32)
        return tf.reshape(doubled, tf.shape(batch)) + 1.0

    concrete = tf.function(not_for_xla).get_concrete_function(
        tf.TensorSpec((None, 3), tf.float32)
    )
    program = tf_calls.one_row_program(concrete, (), (3,), "float32")
    assert program.bind(()) is None
    call = tf_calls.numpy_call(concrete, (), "float32", program)
    row = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_array_equal(call(row), [[3.0, 5.0, 7.0]])
    np.testing.assert_array_equal(call(np.vstack([row, row])), [[3.0, 5.0, 7.0]] * 2)


def test_a_float64_call_of_float32_weights_needs_its_python_function():
    # its graph casts the weights: the one-row program is traced again from
    # the Python function, with float64 weights, or not made at all
    assert tf_calls.one_row_program(None, ["weights"], (3,), "float64") is None
    assert tf_calls.one_row_program(None, ["weights"], (3,), "float16") is None
