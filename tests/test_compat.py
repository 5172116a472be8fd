"""skae changes nothing in the libraries it builds on; its fallbacks give the same results."""

import contextlib
import pickle
import subprocess
import sys
import textwrap
import threading

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator

from skae import AutoencoderTransformer, _compat
from skae._compat import concrete_function_call

from .conftest import FAST


def test_import_leaves_keras_and_scikeras_alone():
    # scikeras replaces keras.Model.__reduce__ when it is imported; skae's
    # estimators must neither import it nor patch Keras themselves.
    code = textwrap.dedent(
        """
        import sys
        import keras
        before = {name: vars(keras.Model).get(name) for name in ("__reduce__", "__deepcopy__")}
        import skae
        skae.AutoencoderTransformer, skae.AutoencoderOutlierDetector
        after = {name: vars(keras.Model).get(name) for name in ("__reduce__", "__deepcopy__")}
        assert before == after, (before, after)
        assert "scikeras" not in sys.modules
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_estimators_are_plain_scikit_learn_estimators():
    est = AutoencoderTransformer(n_components=3)
    assert isinstance(est, BaseEstimator)
    # parameters come from the __init__ signature, as scikit-learn requires
    assert "n_components" in est.get_params()
    assert not hasattr(est, "predict")
    assert repr(est) == "AutoencoderTransformer(n_components=3)"


def test_html_repr_links_to_skae_docs():
    html = AutoencoderTransformer()._repr_html_()
    assert "skae.readthedocs.io" in html
    assert "#skae.AutoencoderTransformer" in html


# ----------------------------------------------------------------------
# The TensorFlow and Keras internals skae keeps, because
# benchmarks/private_apis.py measures that each buys at least 10% of a
# figure users see. Each test forces the internal's fallback (the internal
# hidden, or made to fail) and checks that the results do not change.
# ----------------------------------------------------------------------


def _inference_outputs(estimator, X):
    return [
        estimator.transform(X),
        estimator.transform(X.astype(np.float32)),
        estimator.inverse_transform(estimator.transform(X)),
        estimator.score_samples(X),
        estimator.score_samples(X.astype(np.float32)),
        # one row: its XLA program
        estimator.transform(X[:1]),
        estimator.score_samples(X[:1]),
    ]


def _assert_bitwise_equal(outputs, expected):
    assert len(outputs) == len(expected)
    for output, reference in zip(outputs, expected):
        assert output.dtype == reference.dtype
        np.testing.assert_array_equal(output, reference)


def _concrete_function_class():
    import tensorflow as tf

    return type(tf.function(lambda: tf.constant(0)).get_concrete_function())


def test_inference_without_call_flat_gives_the_same_outputs(monkeypatch, digits):
    # ConcreteFunction.__call__ binds the arguments, then runs the same graph
    # as inference_fn.call_flat: the same results, bit for bit
    import tensorflow as tf

    X, _ = digits
    fast = AutoencoderTransformer(3, **FAST).fit(X)
    expected = _inference_outputs(fast, X)
    monkeypatch.setattr(_concrete_function_class(), "inference_fn", None)
    concrete = tf.function(lambda x: 2 * x).get_concrete_function(tf.TensorSpec(None, tf.float32))
    assert concrete_function_call(concrete) is concrete  # the fallback is taken
    # a new fit binds the architecture's shared function anew; an unpickled
    # copy (trained elsewhere) compiles a function of its own
    refitted = AutoencoderTransformer(3, **FAST).fit(X)
    unpickled = pickle.loads(pickle.dumps(fast))
    for estimator in (refitted, unpickled):
        _assert_bitwise_equal(_inference_outputs(estimator, X), expected)


def test_inference_without_execute_gives_the_same_outputs(monkeypatch, digits):
    # the function's op executed directly, with the call options fixed once,
    # runs the graph call_flat runs, with the options the contexts set
    import tensorflow as tf

    X, _ = digits
    fast = AutoencoderTransformer(3, **FAST).fit(X)
    expected = _inference_outputs(fast, X)
    concrete = tf.function(lambda x: 2 * x).get_concrete_function(tf.TensorSpec(None, tf.float32))
    assert concrete_function_call(concrete) is not concrete  # the internal is used
    monkeypatch.setattr(_compat, "_direct_call", _fail)
    assert concrete_function_call(concrete) is concrete  # the fallback is taken
    refitted = AutoencoderTransformer(3, **FAST).fit(X)
    unpickled = pickle.loads(pickle.dumps(fast))
    for estimator in (refitted, unpickled):
        _assert_bitwise_equal(_inference_outputs(estimator, X), expected)


def test_direct_call_takes_variables_and_tensors_alike():
    # a fit from a recipe binds its state's tensors where a built model binds
    # its variables (_engine/initial_state.py): both run as the direct call
    import tensorflow as tf

    weights = [tf.Variable([2.0]), tf.constant([3.0])]

    def function(x, weights):
        return x * weights[0] + weights[1]

    concrete = tf.function(function).get_concrete_function(
        tf.TensorSpec(None, tf.float32), weights
    )
    call = concrete_function_call(concrete, weights)
    assert call is not concrete and hasattr(call, "concrete")  # the internal is used
    np.testing.assert_array_equal(call(tf.constant([1.0])).numpy(), [5.0])
    weights[0].assign([4.0])  # a variable is read at each call
    np.testing.assert_array_equal(call(tf.constant([1.0])).numpy(), [7.0])


def test_direct_call_keeps_its_function_alive():
    # TensorFlow unregisters a traced function when its last Python
    # reference goes: the call holds one
    import gc

    import tensorflow as tf

    call = concrete_function_call(
        tf.function(lambda x: x + 1).get_concrete_function(tf.TensorSpec(None, tf.float32))
    )
    gc.collect()
    np.testing.assert_array_equal(call(tf.constant([1.0])).numpy(), [2.0])


@pytest.fixture
def no_global_tensorflow_seed():
    """No global TensorFlow seed during the test; the one before it afterwards."""
    import tensorflow as tf
    from tensorflow.python.eager import context

    before = context.global_seed()
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(before)


def _shuffled_epochs(n_epochs, seed=3):
    """The rows of each of ``n_epochs`` epochs of ``Model.fit``'s in-memory batches."""
    from skae._engine.training import in_memory_batches

    rows = np.arange(10, dtype=np.float32).reshape(10, 1)
    dataset = in_memory_batches((rows, rows, None), 4, shuffle_seed=seed)["x"]
    return [np.concatenate([np.asarray(x)[:, 0] for x, _ in dataset]) for _ in range(n_epochs)]


def _fail(*args, **kwargs):
    raise AttributeError("a TensorFlow without this internal")


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the tf.data shuffle serves Model.fit on TensorFlow; other backends shuffle with NumPy",
)
def test_model_fit_shuffle_fallback_gives_the_same_order(monkeypatch, no_global_tensorflow_seed):
    # seeded_shuffle builds the op Dataset.shuffle(seed=seed) builds when no
    # global seed is set: its public fallback gives the same order
    import tensorflow as tf

    fast = _shuffled_epochs(3)
    monkeypatch.setattr(_compat, "_shuffle_with_seeds", _fail)
    fallback = _shuffled_epochs(3)
    for a, b in zip(fast, fallback):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fast[0], fast[1])  # reshuffled at every epoch
    # the reason for the internal: a user's global seed changes the
    # fallback's order, never skae's own
    tf.random.set_seed(7)
    assert not all(np.array_equal(a, b) for a, b in zip(_shuffled_epochs(3), fast))
    monkeypatch.undo()
    for a, b in zip(_shuffled_epochs(3), fast):
        np.testing.assert_array_equal(a, b)


def test_model_fit_training_with_the_shuffle_fallback_is_the_same(
    monkeypatch, no_global_tensorflow_seed, digits
):
    from skae._engine import compiled_fit

    X, _ = digits
    monkeypatch.setattr(compiled_fit, "ENABLED", False)  # Keras's Model.fit
    fast = AutoencoderTransformer(3, **FAST).fit(X)
    monkeypatch.setattr(_compat, "_shuffle_with_seeds", _fail)
    fallback = AutoencoderTransformer(3, **FAST).fit(X)
    assert fallback.history_["loss"] == fast.history_["loss"]
    _assert_bitwise_equal(_inference_outputs(fallback, X), _inference_outputs(fast, X))


def test_float64_inference_with_the_remapper_gives_the_same_outputs(monkeypatch, digits):
    # Grappler's remapper fuses no float64 matrix product (oneDNN handles no
    # float64), it only logs that it does not: with it off (skae's default,
    # to keep stderr quiet) or on (the fallback), the same bits
    from skae._engine import inference

    X, _ = digits
    fast = AutoencoderTransformer(3, **FAST).fit(X)
    expected = _inference_outputs(fast, X)
    monkeypatch.setattr(_compat, "_remapper_off", _fail)
    scope = _compat.without_remapper()
    assert isinstance(scope, contextlib.nullcontext)  # the fallback: changes nothing
    assert inference.call_options("float64") is _compat.without_remapper
    refitted = AutoencoderTransformer(3, **FAST).fit(X)
    unpickled = pickle.loads(pickle.dumps(fast))
    for estimator in (refitted, unpickled):
        _assert_bitwise_equal(_inference_outputs(estimator, X), expected)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the remapper is TensorFlow's; other backends call no TensorFlow function",
)
def test_without_remapper_changes_the_calling_threads_options_only_meanwhile():
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.eager import context

    def remapping():
        config = config_pb2.ConfigProto()
        config.ParseFromString(context.context().function_call_options.config_proto_serialized)
        return config.graph_options.rewrite_options.remapping

    before = context.context().function_call_options
    with _compat.without_remapper():
        assert remapping() == rewriter_config_pb2.RewriterConfig.OFF
        seen_elsewhere = []
        thread = threading.Thread(target=lambda: seen_elsewhere.append(remapping()))
        thread.start()
        thread.join()
        assert seen_elsewhere != [rewriter_config_pb2.RewriterConfig.OFF]
    assert context.context().function_call_options is before
    assert remapping() != rewriter_config_pb2.RewriterConfig.OFF
