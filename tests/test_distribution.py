"""Data-parallel training through the ``distribution`` parameter (skae/_engine/distribution.py).

The two-device tests run in a subprocess each, whose CPU is split into two
logical devices before Keras starts (TensorFlow:
``tf.config.set_logical_device_configuration``; JAX:
``XLA_FLAGS=--xla_force_host_platform_device_count=2``); they take about 30 s
each, so they are marked ``scale`` (``make test-scale``; ``make test`` leaves
them out). The fitted estimators come back to this process, which has one
device and no distribution, through pickle and ``est.save``.
"""

import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError

import skae
from skae import AutoencoderTransformer
from skae._io.persistence import UnsavedParameter

REPO = str(Path(skae.__file__).resolve().parents[1])

# Run in the subprocess with its output directory as argv[1]; prints one
# JSON line of measurements and writes the fitted estimators there.
TWO_DEVICES = r"""
import json, pickle, sys, time
from pathlib import Path

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()
import keras
import numpy as np
from sklearn.datasets import load_digits

from skae import AutoencoderOutlierDetector, AutoencoderTransformer
from skae import VariationalAutoencoderTransformer

out = Path(sys.argv[1])
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    def two_devices():
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

    wrong = keras.distribution.DataParallel(devices=["cpu:0"])
else:
    def two_devices():
        return keras.distribution.DataParallel(devices=keras.distribution.list_devices())

    import tensorflow as tf

    wrong = tf.distribute.OneDeviceStrategy("/cpu:0")

X = load_digits().data / 16
# 1401 rows: 1261 to train (an odd last batch of 45) and 140 held out
X_train, X_test = X[:1401], X[1401:]
params = dict(n_components=4, hidden_layer_sizes=(32,), epochs=20, batch_size=128, random_state=0)
report = {}
try:
    AutoencoderTransformer(**params, distribution=wrong).fit(X_train[:20])
except TypeError as error:
    report["wrong_backend"] = str(error)

start = time.perf_counter()
single = AutoencoderTransformer(**params).fit(X_train)
report["single_seconds"] = time.perf_counter() - start
start = time.perf_counter()
parallel = AutoencoderTransformer(**params, distribution=two_devices()).fit(X_train)
report["parallel_seconds"] = time.perf_counter() - start
report["replicas"] = len(keras.distribution.list_devices())
report["single_error"] = -single.score(X_test)
report["parallel_error"] = -parallel.score(X_test)
report["global_distribution_after_fit"] = repr(keras.distribution.distribution())

short = dict(params, epochs=2)
codes = [
    AutoencoderTransformer(**short, distribution=two_devices()).fit(X_train).transform(X_test)
    for _ in range(2)
]
report["reproducible"] = bool(np.array_equal(*codes))
try:
    vae = VariationalAutoencoderTransformer(**short, distribution=two_devices()).fit(X_train)
    report["vae_codes"] = list(vae.transform(X_test[:3]).shape)
except ValueError as error:  # refused on TensorFlow
    report["vae_codes"] = str(error)
detector = AutoencoderOutlierDetector(**short, distribution=two_devices()).fit(X_train)
report["detector_labels"] = sorted(set(detector.predict(X_test).tolist()))

# out of core (a memmap streamed in blocks of 100 rows): the same training
import skae._input.streaming as streaming

streaming.STREAM_MIN_BYTES, streaming.BLOCK_BYTES = 0, 100 * 64 * 8
np.save(out / "X.npy", X_train)
memmap = np.load(out / "X.npy", mmap_mode="r")
streamed = AutoencoderTransformer(**params, distribution=two_devices()).fit(memmap)
report["streamed_error"] = -streamed.score(X_test)
report["streamed_single_error"] = -AutoencoderTransformer(**params).fit(memmap).score(X_test)

(out / "model.pkl").write_bytes(pickle.dumps(parallel))
parallel.save(out / "model.skae")
np.save(out / "reconstruction.npy", parallel.reconstruct(X_test.astype(np.float32)))
print(json.dumps(report))
"""


def _run_on_two_devices(backend, out):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2",
        "PYTHONPATH": os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", TWO_DEVICES, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.scale
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_replicas_train_as_well_and_the_model_travels(backend, tmp_path):
    if backend == "jax":
        pytest.importorskip("jax")
    report = _run_on_two_devices(backend, tmp_path)
    print(backend, report)  # the measured errors and times, with pytest -s

    assert report["replicas"] == 2
    assert "runs on" in report["wrong_backend"]
    # the test error of two replicas is that of one device, within 5%
    assert report["parallel_error"] == pytest.approx(report["single_error"], rel=0.05)
    assert report["reproducible"]
    # streamed (its own shuffling: blocks, then rows within groups of
    # blocks), the test error is that of one device streaming, within 5%
    assert report["streamed_error"] == pytest.approx(report["streamed_single_error"], rel=0.05)
    # the distribution was Keras's global one during fit only
    assert report["global_distribution_after_fit"] == "None"
    if backend == "jax":
        assert report["vae_codes"] == [3, 4]
    else:
        assert "cannot train under a tf.distribute strategy" in report["vae_codes"]
    assert set(report["detector_labels"]) <= {-1, 1}

    # this process has one device and no distribution
    X_test = (load_digits().data / 16)[1401:].astype(np.float32)
    expected = np.load(tmp_path / "reconstruction.npy")
    from_pickle = pickle.loads((tmp_path / "model.pkl").read_bytes())
    from_file = skae.load(tmp_path / "model.skae")
    for loaded in (from_pickle, from_file):
        assert isinstance(loaded.distribution, UnsavedParameter)
        np.testing.assert_allclose(loaded.reconstruct(X_test), expected, rtol=1e-4, atol=1e-5)
        with pytest.raises(ValueError, match=r"set_params\(distribution=\.\.\.\)"):
            loaded.fit(X_test)
        loaded.set_params(distribution=None, epochs=1).fit(X_test)  # refits on one device


# ----------------------------------------------------------------------
# fast, in this process, on whichever backend it runs
# ----------------------------------------------------------------------
def _one_device_distribution():
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.distribute.MirroredStrategy(["/cpu:0"])
    return keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:1])


def _other_backends_distribution():
    if keras.backend.backend() == "tensorflow":
        try:
            return keras.distribution.DataParallel(devices=["cpu:0"])
        except AttributeError:
            # Keras 3.11 builds no DataParallel on TensorFlow (its
            # distribution_lib lacks num_processes): nothing to refuse there
            pytest.skip("this Keras cannot build a DataParallel on TensorFlow")
    tf = pytest.importorskip("tensorflow")
    return tf.distribute.OneDeviceStrategy("/cpu:0")


_NO_TORCH_DISTRIBUTION = (
    "PyTorch has no distribution for skae: any is refused "
    "(test_any_distribution_is_refused_on_torch)"
)


def test_any_distribution_is_refused_on_torch(digits, fast_params):
    if keras.backend.backend() != "torch":
        pytest.skip("PyTorch's refusal")
    tf = pytest.importorskip("tensorflow")
    scoped = type("Scoped", (), {"scope": lambda self: None})()
    for distribution in (tf.distribute.OneDeviceStrategy("/cpu:0"), scoped):
        est = AutoencoderTransformer(**fast_params, distribution=distribution)
        with pytest.raises(ValueError, match="TensorFlow and JAX backends only.*distribution=None"):
            est.fit(digits[0])
        assert not hasattr(est, "model_")


def test_a_distribution_of_the_other_backend_is_refused(digits, fast_params):
    if keras.backend.backend() == "torch":
        pytest.skip(_NO_TORCH_DISTRIBUTION)
    est = AutoencoderTransformer(**fast_params, distribution=_other_backends_distribution())
    with pytest.raises(TypeError, match="runs on"):
        est.fit(digits[0])
    assert not hasattr(est, "model_")


@pytest.mark.parametrize(
    "distribution, error, match",
    [
        ("mirrored", InvalidParameterError, "distribution"),  # a string: no scope()
        (type("Scoped", (), {"scope": lambda self: None})(), TypeError, "Scoped"),
    ],
)
def test_what_is_not_a_distribution_is_refused(digits, fast_params, distribution, error, match):
    if keras.backend.backend() == "torch" and error is TypeError:
        pytest.skip(_NO_TORCH_DISTRIBUTION)
    with pytest.raises(error, match=match):
        AutoencoderTransformer(**fast_params, distribution=distribution).fit(digits[0])


def test_multi_worker_mirrored_strategy_is_refused_with_the_keras_issue(digits, fast_params):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("a TensorFlow strategy")
    import tensorflow as tf

    # an instance without its cluster set-up: only its class is checked
    strategy = tf.distribute.MultiWorkerMirroredStrategy.__new__(
        tf.distribute.MultiWorkerMirroredStrategy
    )
    est = AutoencoderTransformer(**fast_params, distribution=strategy)
    with pytest.raises(ValueError, match="20585"):
        est.fit(digits[0])


def test_batch_size_must_split_evenly_over_jax_devices(digits, fast_params):
    if keras.backend.backend() != "jax":
        pytest.skip("JAX shards batches evenly; TensorFlow splits uneven ones")
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    distribution._device_mesh = keras.distribution.DeviceMesh((3,), ["batch"], ["cpu:0"] * 3)
    est = AutoencoderTransformer(**{**fast_params, "batch_size": 16}, distribution=distribution)
    with pytest.raises(ValueError, match="multiple of 3, such as 15"):
        est.fit(digits[0])


def test_fit_on_one_replica_then_pickle_and_save_leave_it_out(digits, fast_params, tmp_path):
    if keras.backend.backend() == "torch":
        pytest.skip(_NO_TORCH_DISTRIBUTION)
    X = digits[0]
    est = AutoencoderTransformer(**fast_params, distribution=_one_device_distribution()).fit(X)
    assert keras.distribution.distribution() is None
    expected = est.transform(X)

    back = pickle.loads(pickle.dumps(est))
    assert isinstance(back.distribution, UnsavedParameter)
    assert est.distribution is not back.distribution  # the estimator itself keeps it
    np.testing.assert_array_equal(back.transform(X), expected)

    with pytest.warns(UserWarning, match="distribution"):
        est.save(tmp_path / "m.skae")
    loaded = skae.load(tmp_path / "m.skae")
    np.testing.assert_array_equal(loaded.transform(X), expected)
    with pytest.raises(ValueError, match=r"set_params\(distribution=\.\.\.\)"):
        loaded.partial_fit(X)
    # saved again, the unsaved parameter stays described
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded.save(tmp_path / "again.skae")
    assert any("MirroredStrategy" in str(w.message) or "DataParallel" in str(w.message) for w in record)
