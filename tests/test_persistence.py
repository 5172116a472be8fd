"""Saving and loading without pickle: plain-data state, skops, est.save / skae.load."""

import copy
import io
import json
import pickle
import subprocess
import sys
import warnings
import zipfile

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone

import skae
from skae.exceptions import InconsistentVersionWarning
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)

from .conftest import FAST

TINY = dict(FAST, epochs=2)

ESTIMATORS = {
    "autoencoder": lambda: AutoencoderTransformer(2, **TINY),
    "variational": lambda: VariationalAutoencoderTransformer(2, **TINY),
    "denoising": lambda: DenoisingAutoencoder(2, **TINY),
    "detector": lambda: AutoencoderOutlierDetector(2, **TINY),
    "detector-vae": lambda: AutoencoderOutlierDetector(2, backbone="variational", **TINY),
    "conv": lambda: AutoencoderTransformer(2, architecture="conv", filters=(4,), **TINY),
}


def _methods(est):
    if isinstance(est, AutoencoderOutlierDetector):
        return ("score_samples", "decision_function", "predict", "reconstruct")
    return ("transform", "score_samples", "reconstruct")


def _outputs(est, X):
    return {m: getattr(est, m)(X) for m in _methods(est)}


def _data(name, digits):
    X = digits[0]
    return X.reshape(-1, 8, 8) if name == "conv" else X


@pytest.fixture(scope="module")
def fitted(digits):
    return {name: make().fit(_data(name, digits)) for name, make in ESTIMATORS.items()}


def _assert_same(loaded, est, X):
    for method, expected in _outputs(est, X).items():
        np.testing.assert_array_equal(getattr(loaded, method)(X), expected, err_msg=method)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_pickle_joblib_deepcopy_and_skops_give_identical_outputs(fitted, digits, name):
    sio = pytest.importorskip("skops.io")
    est, X = fitted[name], _data(name, digits)
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    # only skae's own estimator classes need trusting: the state is plain data
    assert untrusted and set(untrusted) <= set(skae.trusted_types()), untrusted
    for loaded in (
        pickle.loads(pickle.dumps(est)),
        joblib.load(buffer),
        copy.deepcopy(est),
        sio.loads(data, trusted=skae.trusted_types()),
    ):
        _assert_same(loaded, est, X)
        assert loaded.get_params() == est.get_params()


def test_pickled_state_holds_no_keras_object(fitted):
    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from walk(v)
        elif hasattr(value, "__getstate__") and hasattr(value, "get_params"):
            yield from walk(value.__getstate__())
        else:
            yield value

    for est in fitted.values():
        leaves = list(walk(est.__getstate__()))
        assert not [v for v in leaves if type(v).__module__.startswith(("keras", "tensorflow"))]
        assert any(isinstance(v, bytes) for v in leaves)  # the .keras file


def test_every_format_loads_bit_for_bit_in_a_fresh_process(fitted, digits, tmp_path):
    sio = pytest.importorskip("skops.io")
    expected = {}
    trusted = {}
    for name, est in fitted.items():
        X = _data(name, digits)
        est.save(tmp_path / f"{name}.skae")
        (tmp_path / f"{name}.pkl").write_bytes(pickle.dumps(est))
        joblib.dump(est, tmp_path / f"{name}.joblib")
        sio.dump(est, tmp_path / f"{name}.skops")
        trusted[name] = sio.get_untrusted_types(file=tmp_path / f"{name}.skops")
        np.save(tmp_path / f"{name}-X.npy", X)
        expected[name] = _outputs(est, X)
    script = f"""
import pickle, joblib, numpy as np, skae, skops.io as sio
from pathlib import Path
folder = Path({str(tmp_path)!r})
trusted = {trusted!r}
loaders = {{
    "skae": skae.load,
    "pkl": lambda p: pickle.loads(p.read_bytes()),
    "joblib": joblib.load,
    "skops": lambda p: sio.load(p, trusted=trusted[p.stem]),
}}
for name in trusted:
    X = np.load(folder / f"{{name}}-X.npy")
    for suffix, load in loaders.items():
        est = load(folder / f"{{name}}.{{suffix}}")
        detector = type(est).__name__ == "AutoencoderOutlierDetector"
        methods = (
            ("score_samples", "decision_function", "predict", "reconstruct")
            if detector
            else ("transform", "score_samples", "reconstruct")
        )
        np.savez(folder / f"{{name}}-{{suffix}}.npz", **{{m: getattr(est, m)(X) for m in methods}})
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    for name, outputs in expected.items():
        for suffix in ("skae", "pkl", "joblib", "skops"):
            with np.load(tmp_path / f"{name}-{suffix}.npz") as got:
                assert set(got.files) == set(outputs)
                for method, value in outputs.items():
                    assert got[method].dtype == value.dtype
                    np.testing.assert_array_equal(
                        got[method], value, err_msg=f"{name}.{method} from .{suffix}"
                    )


def test_loaded_estimator_keeps_fitted_attributes_and_trains_on_like_the_original(digits, tmp_path):
    X = digits[0]
    est = AutoencoderTransformer(2, **TINY).fit(X)
    est.save(tmp_path / "m.skae")
    loaded = skae.load(tmp_path / "m.skae")
    assert loaded.history_ == est.history_ and loaded.n_iter_ == est.n_iter_
    np.testing.assert_array_equal(loaded.mean_, est.mean_)
    assert loaded.n_features_in_ == est.n_features_in_
    # the optimizer's state is in the file: further training continues exactly
    est.partial_fit(X)
    loaded.partial_fit(X)
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    assert loaded.history_["loss"] == est.history_["loss"]
    assert clone(loaded).get_params() == clone(est).get_params()


def test_feature_names_and_images_survive_saving(digits, tmp_path):
    pd = pytest.importorskip("pandas")
    X = digits[0]
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    est = AutoencoderOutlierDetector(2, **TINY).fit(frame)
    est.save(tmp_path / "m.skae")
    loaded = skae.load(tmp_path / "m.skae")
    assert list(loaded.feature_names_in_) == list(frame.columns)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(frame.rename(columns={"pixel0": "other"}))
    images = X.reshape(-1, 8, 8)
    conv = AutoencoderTransformer(2, architecture="conv", filters=(4,), **TINY).fit(images)
    conv.save(tmp_path / "c.skae")
    assert skae.load(tmp_path / "c.skae").image_shape_ == (8, 8, 1)


@pytest.mark.parametrize("backbone", ["autoencoder", "variational"])
def test_a_detector_fitted_on_float32_rows_saves_and_loads(digits, tmp_path, backbone):
    # its training scores keep the rows' float32: the file takes them as they are
    X = digits[0].astype(np.float32)
    detector = skae.AutoencoderOutlierDetector(2, backbone=backbone, **FAST).fit(X)
    assert detector.training_scores_.dtype == np.float32
    detector.save(tmp_path / "detector.skae")
    loaded = skae.load(tmp_path / "detector.skae")
    np.testing.assert_array_equal(loaded.training_scores_, detector.training_scores_)
    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))


def test_save_before_fit_raises(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoencoderTransformer().save(tmp_path / "m.skae")


# ----------------------------------------------------------------------
# parameters that are not plain data
# ----------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="skae_tests")
def registered_activation(x):
    return keras.ops.tanh(x)


def test_keras_objects_are_saved_through_keras_serialization(digits, tmp_path):
    X = digits[0]
    est = AutoencoderTransformer(
        2,
        **dict(TINY, random_state=np.random.RandomState(3)),
        activation=registered_activation,
        optimizer=keras.optimizers.SGD(momentum=0.5),
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9),
    ).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nothing was left out
        est.save(tmp_path / "m.skae")
    loaded = skae.load(tmp_path / "m.skae")
    assert loaded.activation is registered_activation
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)
    assert loaded.optimizer.get_config()["momentum"] == 0.5
    assert loaded.learning_rate.get_config() == est.learning_rate.get_config()
    assert isinstance(loaded.random_state, np.random.RandomState)
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    np.testing.assert_array_equal(clone(loaded).fit(X).transform(X), clone(est).fit(X).transform(X))


def test_optimizer_class_is_saved_by_name(digits, tmp_path):
    est = AutoencoderTransformer(2, **TINY, optimizer=keras.optimizers.RMSprop).fit(digits[0])
    est.save(tmp_path / "m.skae")
    assert skae.load(tmp_path / "m.skae").optimizer is keras.optimizers.RMSprop


def plain_python_activation(x):
    return keras.ops.relu(x)


def test_parameters_that_are_not_plain_data_are_left_out_loudly(digits, tmp_path):
    X = digits[0]
    est = AutoencoderOutlierDetector(
        2,
        **TINY,
        activation=plain_python_activation,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    ).fit(X)
    with pytest.warns(UserWarning, match="callbacks") as record:
        est.save(tmp_path / "m.skae")
    (message,) = [str(w.message) for w in record if w.category is UserWarning]
    assert "backbone_.activation" in message and "plain_python_activation" in message
    assert "custom_objects={'plain_python_activation'" in message
    # the networks use the function: Keras cannot rebuild them without it
    with pytest.raises(ValueError, match="custom_objects"):
        skae.load(tmp_path / "m.skae")
    functions = {"plain_python_activation": plain_python_activation}
    loaded = skae.load(tmp_path / "m.skae", custom_objects=functions)
    np.testing.assert_array_equal(loaded.decision_function(X), est.decision_function(X))
    assert loaded.activation is plain_python_activation  # handed back by name
    assert "not saved" in repr(loaded.callbacks)
    with pytest.raises(ValueError, match=r"set_params\(callbacks=\.\.\.\) before fit"):
        loaded.fit(X)
    with pytest.raises(ValueError, match="set_params"):
        clone(loaded).fit(X)
    loaded.set_params(callbacks=None).fit(X)  # fits again once given
    # pickle keeps the function itself, so no help is needed there
    plain = AutoencoderTransformer(2, **TINY, activation=plain_python_activation).fit(X)
    restored = pickle.loads(pickle.dumps(plain))
    np.testing.assert_array_equal(restored.transform(X), plain.transform(X))


# ----------------------------------------------------------------------
# tampered and foreign files
# ----------------------------------------------------------------------
def _rewrite(path, target, change):
    """Copy the zip at ``path`` to ``target`` with ``change(members)`` applied."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "ae.skae"
    fitted["autoencoder"].save(path)
    return path


class _Payload:
    """Pickles into a call that leaves a marker file, if ever unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _lambda_model_bytes(marker):
    inputs = keras.Input((64,))
    hidden = keras.layers.Lambda(lambda x, path=str(marker): (open(path, "w"), x)[1])(inputs)
    model = keras.Model(inputs, hidden)
    from skae._io.keras_archive import model_to_bytes

    return model_to_bytes(model)


def test_lambda_layer_is_refused_without_running_it(saved, tmp_path):
    marker = tmp_path / "ran"
    data = _lambda_model_bytes(marker)
    marker.unlink()  # building the model ran the function once

    def swap(members):
        members["model_.keras"] = data

    bad = _rewrite(saved, tmp_path / "lambda.skae", swap)
    refused = "holds a 'Lambda' object .* skae only loads Keras layers"
    with pytest.raises(ValueError, match=refused):
        skae.load(bad)
    # even with Keras's own safe mode switched off globally
    from keras.src.backend.common import global_state

    original = global_state.get_global_attribute("safe_mode_saving")
    keras.config.enable_unsafe_deserialization()
    try:
        with pytest.raises(ValueError, match=refused):
            skae.load(bad)
    finally:
        global_state.set_global_attribute("safe_mode_saving", original)
    assert not marker.exists()


def test_pickle_payloads_are_refused_without_running_them(saved, tmp_path):
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Payload(marker))

    def add_member(members):
        members["state.pkl"] = payload

    def object_array(members):
        buffer = io.BytesIO()
        np.savez(buffer, a0=np.array([_Payload(marker)], dtype=object))
        members["arrays.npz"] = buffer.getvalue()

    with pytest.raises(ValueError, match="unexpected members"):
        skae.load(_rewrite(saved, tmp_path / "a.skae", add_member))
    with pytest.raises(ValueError, match="pickled"):
        skae.load(_rewrite(saved, tmp_path / "b.skae", object_array))
    assert not marker.exists()


def _edit_document(change):
    def edit(members):
        document = json.loads(members["skae.json"])
        change(document)
        members["skae.json"] = json.dumps(document).encode()

    return edit


def test_wrong_shape_missing_member_and_foreign_files_get_clear_errors(saved, tmp_path):
    def wrong_mean(members):
        with np.load(io.BytesIO(members["arrays.npz"])) as npz:
            arrays = {k: npz[k] for k in npz.files}
        key = next(k for k, v in arrays.items() if v.shape == (64,))
        arrays[key] = arrays[key][:10]
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        members["arrays.npz"] = buffer.getvalue()

    with pytest.raises(ValueError, match=r"mean_ .* of shape \(64,\), got a float64 array of shape \(10,\)"):
        skae.load(_rewrite(saved, tmp_path / "shape.skae", wrong_mean))
    with pytest.raises(ValueError, match="model_.keras.* is missing"):
        skae.load(_rewrite(saved, tmp_path / "m.skae", lambda m: m.pop("model_.keras")))
    newer = _edit_document(lambda d: d.update(format_version=99))
    with pytest.raises(ValueError, match="newer skae"):
        skae.load(_rewrite(saved, tmp_path / "newer.skae", newer))
    def older_file(document):  # written before the parameter `dropout` existed
        del document["state"]["state"]["__dict__"]["dropout"]

    older = skae.load(_rewrite(saved, tmp_path / "older.skae", _edit_document(older_file)))
    assert older.dropout == AutoencoderTransformer().dropout
    foreign = _edit_document(lambda d: d.update(estimator="os.system"))
    with pytest.raises(ValueError, match="not a valid skae model file"):
        skae.load(_rewrite(saved, tmp_path / "foreign.skae", foreign))
    (tmp_path / "text.skae").write_text("hello")
    with pytest.raises(ValueError, match="not a skae model file"):
        skae.load(tmp_path / "text.skae")


def test_keras_objects_from_other_modules_are_refused(saved, tmp_path):
    def evil_activation(document):
        state = document["state"]["state"]["__dict__"]
        state["activation"] = {
            "__keras__": {"module": "os", "class_name": "function", "config": "system"}
        }

    with pytest.raises(ValueError, match="module 'os'"):
        skae.load(_rewrite(saved, tmp_path / "os.skae", _edit_document(evil_activation)))


def test_other_versions_load_with_a_warning(saved, tmp_path):
    older = _edit_document(lambda d: d["versions"].update(skae="0.0.1", keras="3.0.0"))
    with pytest.warns(InconsistentVersionWarning, match="0.0.1") as record:
        loaded = skae.load(_rewrite(saved, tmp_path / "old.skae", older))
    assert {w.message.library for w in record} == {"skae", "keras"}
    assert loaded.n_features_in_ == 64
