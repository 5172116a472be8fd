"""skae._engine.inference: the one inference path, its state and its one-row requests."""

import copy
import pickle
import random
import threading
import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone

import skae
from skae._engine.inference import (
    InferenceCache,
    backend_computes_float64,
    compiles_per_batch_shape,
)
from skae._engine.inference import pad_rows as _pad_rows
from skae._validation import is_plain_float_rows

from .conftest import FAST

# PyTorch: compile_for_inference runs the hooks eagerly (under torch.no_grad),
# so they run at every call instead of once per compiled function
EAGER_INFERENCE = keras.backend.backend() == "torch"


@pytest.mark.parametrize(
    "estimator",
    [
        skae.AutoencoderTransformer(2, dropout=0.1, **FAST),
        skae.VariationalAutoencoderTransformer(2, **FAST),
        skae.DenoisingAutoencoder(2, **FAST),
        skae.AutoencoderOutlierDetector(2, backbone="variational", **FAST),
    ],
    ids=lambda est: type(est).__name__,
)
def test_fit_and_inference_leave_python_and_numpy_generators_alone(estimator, digits):
    # float64 inference clones the networks; Keras would draw a seed from
    # Python's global random for every unseeded initializer of the clone.
    X, _ = digits
    random.seed(5)
    np.random.seed(5)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    estimator.fit(X)
    estimator.score_samples(X)
    if hasattr(estimator, "transform"):
        estimator.transform(X)
    if hasattr(estimator, "sample"):
        estimator.sample(3, random_state=0)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(after, numpy_state))


# ----------------------------------------------------------------------
# one-row requests: the fast path of validation and the compiled call
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted_pair(digits):
    X, _ = digits
    return (
        skae.AutoencoderTransformer(2, **FAST).fit(X),
        skae.AutoencoderOutlierDetector(2, **FAST).fit(X),
    )


class _Rows(np.ndarray):
    """A NumPy array subclass: scikit-learn's full validation takes it."""


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_row_as_array_equals_the_same_row_through_full_validation(
    fitted_pair, digits, dtype
):
    # A plain float array skips validate_data; a subclass of ndarray takes
    # it. Both must compute the same thing.
    X, _ = digits
    est, detector = fitted_pair
    row = X[3:4].astype(dtype)
    for method in (est.transform, est.score_samples, est.reconstruct, detector.predict):
        fast, full = method(row), method(row.view(_Rows))
        assert type(fast) is np.ndarray and fast.dtype == full.dtype
        np.testing.assert_array_equal(fast, full)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_row_equals_its_row_of_the_batch(fitted_pair, digits, dtype):
    X, _ = digits
    est, detector = fitted_pair
    X = X.astype(dtype)
    # matrix products are blocked by batch size: a row alone and in a batch
    # differ in the last bits (about 3e-8 in float32, 1 ulp in float64;
    # float64 input is computed in float32 where the backend cannot do better)
    in_float64 = dtype == np.float64 and backend_computes_float64()
    rtol, atol = (1e-12, 1e-14) if in_float64 else (1e-5, 1e-6)

    def check(one, batch):
        np.testing.assert_allclose(one, batch, rtol=rtol, atol=atol)

    for method in (est.transform, est.score_samples, est.reconstruct, detector.decision_function):
        batch = method(X[:50])
        for i in (0, 17, 49):
            check(method(X[i : i + 1]), batch[i : i + 1])
    np.testing.assert_array_equal(
        detector.predict(X[:50]),
        np.concatenate([detector.predict(X[i : i + 1]) for i in range(50)]),
    )


@pytest.mark.parametrize(
    "row, error, message",
    [
        (lambda X: np.where(np.arange(64) == 5, np.nan, X[:1]), ValueError, "contains NaN"),
        (lambda X: np.where(np.arange(64) == 5, np.inf, X[:1]), ValueError, "contains infinity"),
        (
            lambda X: X[:1, :63],
            ValueError,
            # each estimator names itself (the detector checks before its backbone)
            "X has 63 features, but (AutoencoderTransformer|AutoencoderOutlierDetector) "
            "is expecting 64",
        ),
        (lambda X: X[:1, :63].astype(np.float32), ValueError, "X has 63 features"),
        (lambda X: X[:0], ValueError, "Found array with 0 sample"),
        (lambda X: X[0], ValueError, "Expected 2D array, got 1D array"),
        (lambda X: np.full((1, 64), "dark"), ValueError, "needs numeric input"),
        (lambda X: np.asarray([["a"] * 64], dtype=object), ValueError, "could not convert string"),
    ],
    ids=["nan", "inf", "width", "width-float32", "empty", "1d", "strings", "objects"],
)
def test_one_row_requests_refuse_what_full_validation_refuses(
    fitted_pair, digits, row, error, message
):
    X, _ = digits
    est, detector = fitted_pair
    bad = row(X)
    for method in (est.transform, est.score_samples, detector.predict):
        with pytest.raises(error, match=message):
            method(bad)


def test_rows_whose_sum_overflows_take_the_full_checks_silently(fitted_pair):
    # The fast path's finiteness test sums X: 64 values of 1e307 overflow
    # that sum, not float64; they are valid input, checked in full.
    est, _ = fitted_pair
    row = np.full((1, 64), 1e307)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not is_plain_float_rows(row, 64)
    assert is_plain_float_rows(row / 1e10, 64)
    np.testing.assert_array_equal(est.transform(row), est.transform(row.view(_Rows)))


def test_one_row_warns_about_feature_names_as_full_validation_does(digits):
    pd = pytest.importorskip("pandas")
    X, _ = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    with_names = skae.AutoencoderTransformer(2, **FAST).fit(frame)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        with_names.transform(X[:1])
    without_names = skae.AutoencoderTransformer(2, **FAST).fit(X)
    with pytest.warns(UserWarning, match="X has feature names, but"):
        without_names.transform(frame.iloc[:1])


def test_inference_compiles_once_per_fit_and_dtype_whatever_the_row_counts(digits):
    # The compiled call is built on the first request: its tracing runs the
    # _encode_batch hook once (TensorFlow: batches of any size), or once per
    # padded batch size (JAX), never once per call.
    X, _ = digits

    class Counting(skae.AutoencoderTransformer):
        traces = 0

        def _encode_batch(self, encoder, batch):
            type(self).traces += 1
            return super()._encode_batch(encoder, batch)

    est = Counting(2, **FAST).fit(X)
    Counting.traces = 0  # fit's own check of the outputs ran the hook once, eagerly
    sizes = [1, 2, 3, 5, 1, 7, 64, 100, 1, 2]
    for n_rows in sizes:
        est.transform(X[:n_rows])
    padded = {len(_pad_rows(X[:n])) for n in sizes}
    if EAGER_INFERENCE:
        # nothing to compile: one run of the hook per request, none in between
        assert Counting.traces == len(sizes)
        return
    assert 1 <= Counting.traces <= (len(padded) if compiles_per_batch_shape() else 1)


def test_compiled_inference_reads_the_current_weights(digits):
    # float32 inference calls the fitted network itself, so weights set
    # after the first call (as a user fine-tuning encoder_ would) are used.
    X, _ = digits
    est = skae.AutoencoderTransformer(2, **FAST).fit(X)
    rows = X[:3].astype(np.float32)
    before = est.transform(rows)
    est.encoder_.set_weights([np.zeros_like(w) for w in est.encoder_.get_weights()])
    after = est.transform(rows)
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, np.zeros_like(after))
    if keras.backend.backend() == "tensorflow":
        # the shared call reads the weights in float64 too (a cast, not a copy)
        np.testing.assert_array_equal(est.transform(rows.astype(np.float64)), 0.0)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="shared inference is TensorFlow's"
)
@pytest.mark.parametrize(
    "Estimator", [skae.AutoencoderTransformer, skae.VariationalAutoencoderTransformer]
)
def test_one_architecture_shares_one_traced_inference_reading_each_ones_weights(
    Estimator, digits, monkeypatch
):
    # A fit costs no tracing at inference: estimators of one architecture
    # share a compiled call, which reads the calling estimator's weights and
    # gives bit for bit what the estimator's own compiled call gives.
    X, _ = digits

    class Own(Estimator):  # a class of its own: nothing shared yet
        pass

    built = []
    shared_function = skae._engine.inference._SharedFunction

    def counted(*args, **kwargs):
        built.append(args[1:])
        return shared_function(*args, **kwargs)

    monkeypatch.setattr(skae._engine.inference, "_SharedFunction", counted)
    first = Own(2, **{**FAST, "random_state": 0}).fit(X)
    shared = {(id(first), d): first._forward(X[:7].astype(d)) for d in (np.float32, np.float64)}
    n_built = len(built)
    assert n_built >= 2  # float32 and float64 reconstructions
    # the second fit starts from a recipe (_engine/initial_state.py) and keeps
    # its state as tensors: its inference traces the call taking tensors, once
    second = Own(2, **{**FAST, "random_state": 1}).fit(X)
    for dtype in (np.float32, np.float64):
        shared[id(second), dtype] = second._forward(X[:7].astype(dtype))
    n_built = len(built)
    third = Own(2, **{**FAST, "random_state": 2}).fit(X)
    for dtype in (np.float32, np.float64):
        shared[id(third), dtype] = third._forward(X[:7].astype(dtype))
    assert len(built) == n_built  # the third fit and its inference traced nothing
    assert not np.allclose(shared[id(first), np.float64], shared[id(second), np.float64])
    assert not np.allclose(shared[id(third), np.float64], shared[id(second), np.float64])
    monkeypatch.setattr(
        "skae._engine.inference.shared_inference_function", lambda *args, **kwargs: None
    )
    for est in (first, second, third):
        est._inference = InferenceCache()  # what a new fit starts with
        for dtype in (np.float32, np.float64):
            own = est._forward(X[:7].astype(dtype))
            np.testing.assert_array_equal(shared[id(est), dtype], own)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="shared inference is TensorFlow's"
)
def test_a_subclass_with_its_own_inference_hooks_compiles_its_own(digits):
    # its hooks may read its parameters, which the architecture does not show
    X, _ = digits

    class Scaled(skae.AutoencoderTransformer):
        def _encode_batch(self, encoder, batch):
            return super()._encode_batch(encoder, batch) * self.n_components_

    est = Scaled(2, **FAST).fit(X)
    args = (est, np.dtype(np.float64), est._network_shape())
    assert skae._engine.inference.shared_inference_function(*args, encode=True, decode=False) is None
    plain = skae.AutoencoderTransformer(2, **FAST).fit(X)
    np.testing.assert_allclose(est.transform(X[:3]), 2 * plain.transform(X[:3]))


def test_first_requests_from_threads_build_one_compiled_call(digits):
    X, _ = digits

    class Counting(skae.AutoencoderTransformer):
        traces = 0

        def _encode_batch(self, encoder, batch):
            type(self).traces += 1
            return super()._encode_batch(encoder, batch)

    est = Counting(2, **FAST).fit(X)
    expected = Counting(2, **FAST).fit(X).transform(X[:1])
    Counting.traces = 0
    results = [None] * 4
    barrier = threading.Barrier(len(results))

    def request(i):
        barrier.wait()
        results[i] = est.transform(X[:1])

    threads = [threading.Thread(target=request, args=(i,)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        np.testing.assert_array_equal(result, expected)
    assert Counting.traces == (len(results) if EAGER_INFERENCE else 1)


def test_an_estimator_that_has_served_requests_pickles_and_clones(fitted_pair, digits):
    X, _ = digits
    est, detector = fitted_pair
    for estimator, method in ((est, "transform"), (detector, "decision_function")):
        served = getattr(estimator, method)(X[:1])
        loaded = pickle.loads(pickle.dumps(estimator))
        np.testing.assert_array_equal(getattr(loaded, method)(X[:1]), served)
        np.testing.assert_array_equal(getattr(copy.deepcopy(estimator), method)(X[:1]), served)
        assert clone(estimator).get_params() == estimator.get_params()


class _ZeroIfNotFinite(keras.layers.Layer):
    """Data-dependent control flow (a `cond`): compiled as a graph and by XLA alike."""

    def call(self, x):
        return keras.ops.cond(keras.ops.all(keras.ops.isfinite(x)), lambda: x, lambda: x * 0)


def _encoder_with_control_flow(input_shape, n_components):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, keras.layers.Dense(n_components)(_ZeroIfNotFinite()(inputs)))


def test_a_network_with_control_flow_is_compiled_too(digits):
    X, _ = digits
    est = skae.AutoencoderTransformer(2, encoder=_encoder_with_control_flow, **FAST).fit(X)
    for rows in (X[:1], X[:37]):
        expected = keras.ops.convert_to_numpy(
            est.encoder_(est._standardize(rows).astype("float32"), training=False)
        )
        np.testing.assert_allclose(
            est.transform(rows.astype(np.float32)), expected, rtol=1e-5, atol=1e-6
        )


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's DLPack")
def test_an_aligned_chunk_is_lent_to_tensorflow_without_a_copy():
    from skae._engine.inference import lent_to_backend
    from skae._input.chunks import ALIGNMENT, aligned_empty

    chunk = aligned_empty((100, 64), np.float32)
    assert chunk.ctypes.data % ALIGNMENT == 0
    chunk[:] = 1.0
    tensor = lent_to_backend(chunk)
    chunk[0, 0] = 5.0
    assert float(tensor[0, 0]) == 5.0
    # memory TensorFlow could not take as it is (less aligned, or read-only)
    unaligned = np.ones(100 * 64 + 1, np.float32)[1:].reshape(100, 64)
    assert lent_to_backend(unaligned) is unaligned
    chunk.flags.writeable = False
    assert lent_to_backend(chunk) is chunk


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="AutoGraph is TensorFlow's; jax.jit cannot trace a Python branch on a tensor",
)
def test_a_hook_that_needs_autograph_is_traced_with_it(digits):
    # inference is traced without AutoGraph first; a hook that branches on
    # a tensor in Python fails that, and is traced again with it
    class Branching(skae.AutoencoderTransformer):
        def _encode_batch(self, encoder, batch):
            codes = encoder(batch, training=False)
            if keras.ops.sum(codes) > 1e30:  # never: a Python branch on a tensor
                codes = -codes
            return codes

        def _inference_key(self):
            return ()

    X, _ = digits
    branching = Branching(3, **FAST).fit(X)
    plain = skae.AutoencoderTransformer(3, **FAST).fit(X)
    for dtype in (np.float64, np.float32):
        np.testing.assert_array_equal(
            branching.transform(X.astype(dtype)), plain.transform(X.astype(dtype))
        )
