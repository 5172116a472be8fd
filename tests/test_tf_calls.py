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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_rows_score_is_computed_in_its_program_as_numpy_computes_it(digits, dtype):
    X = digits[0][:30].astype(dtype)
    estimator = skae.AutoencoderTransformer(2, **FAST).fit(X)
    scores = _one_rows(estimator, X, "score_samples")
    assert scores.dtype == dtype
    assert estimator._one_row_scorer(np.dtype(dtype)) is not None
    expected = -np.mean((X.astype(np.float64) - estimator.reconstruct(X)) ** 2, axis=1)
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(scores, expected, rtol=tolerance)


class _PoweredError(skae.AutoencoderTransformer):
    """A score reading a parameter, without ``_inference_key`` to declare it."""

    def __init__(self, n_components=2, *, power=1.0, hidden_layer_sizes=(8,), epochs=2, random_state=0):
        super().__init__(
            n_components, hidden_layer_sizes=hidden_layer_sizes, epochs=epochs, random_state=random_state
        )
        self.power = power

    def _score_batch(self, rows, reconstruction, xp):
        return -xp.mean(xp.abs(rows - reconstruction) ** self.power, axis=1)


def test_a_score_reading_undeclared_parameters_keeps_numpys_formula_for_one_row(digits):
    X = digits[0][:20].astype(np.float32)
    linear = _PoweredError(power=1.0).fit(X)
    squared = _PoweredError(power=2.0).fit(X)
    for estimator in (linear, squared):
        # no program shared by the two: each row is scored by its own estimator's formula
        assert estimator._one_row_scorer(np.dtype(np.float32)) is None
        np.testing.assert_allclose(
            _one_rows(estimator, X, "score_samples"), estimator.score_samples(X), rtol=1e-5
        )


def test_without_xla_one_rows_score_is_numpys(digits, monkeypatch):
    X = digits[0][:20].astype(np.float32)
    monkeypatch.setattr(tf_calls, "ONE_ROW_XLA", False)
    estimator = skae.AutoencoderOutlierDetector(2, **FAST).fit(X)
    assert estimator.backbone_._one_row_scorer(np.dtype(np.float32)) is None
    np.testing.assert_array_equal(
        _one_rows(estimator, X, "score_samples"), estimator.score_samples(X)
    )


def test_a_row_tensor_is_a_private_copy_of_any_row(monkeypatch):
    import tensorflow as tf

    X = np.asfortranarray(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    row = X[1:2]  # not C-contiguous, and not aligned
    tensor = tf_calls.row_tensor(row)
    np.testing.assert_array_equal(tensor.numpy(), row)
    row[0, 0] = -1.0  # the tensor holds its own copy
    assert tensor.numpy()[0, 0] == 4.0
    # without DLPack: tf.constant, the same values
    monkeypatch.setattr(tf.experimental.dlpack, "from_dlpack", _no_dlpack)
    np.testing.assert_array_equal(tf_calls.row_tensor(X[2:3]).numpy(), X[2:3])


def _no_dlpack(capsule):
    raise RuntimeError("no DLPack here")
