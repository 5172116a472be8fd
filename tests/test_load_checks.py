"""skae.load checks every piece of a file against every other; est.save checks its path.

Each case of issue 26's "files that load but are not consistent" is refused
at load with a ValueError naming the member, the attribute and what is
wrong; ``skae info`` and ``skae score`` refuse the same files in one line.
(tests/test_load_tampering.py changes saved files at random.)
"""

import io
import json
import sys
import zipfile

import numpy as np
import pytest

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._io import persistence, reading
from skae._io.keras_archive import model_from_bytes, model_to_bytes

from .conftest import FAST
from .test_cli import run

TINY = dict(FAST, epochs=1)
DAMAGED = "The file is damaged or was edited; save the model again."
X = np.random.RandomState(0).normal(size=(40, 6))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Saved files of small fits: name -> path."""
    folder = tmp_path_factory.mktemp("files")
    estimators = {
        "ae": AutoencoderTransformer(2, **TINY),
        "ae3": AutoencoderTransformer(3, **TINY),
        "vae": VariationalAutoencoderTransformer(2, **TINY),
        "detector": AutoencoderOutlierDetector(2, **TINY),
    }
    paths = {}
    for name, est in estimators.items():
        paths[name] = folder / f"{name}.skae"
        est.fit(X).save(paths[name])
    return paths


def _parts(path):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with np.load(io.BytesIO(members.pop("arrays.npz"))) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return json.loads(members.pop("skae.json")), arrays, members


def _write(path, document, arrays, members):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("skae.json", json.dumps(document))
        npz = io.BytesIO()
        np.savez(npz, **arrays)
        archive.writestr("arrays.npz", npz.getvalue())
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _state(document):
    return document["state"]["state"]["__dict__"]


def _array_of(document, attribute):
    return _state(document)[attribute]["__array__"]


# ----------------------------------------------------------------------
# the cases of the issue, and their neighbours
# ----------------------------------------------------------------------
def _nan_mean(files, document, arrays, members):
    key = _array_of(document, "mean_")
    arrays[key] = np.where(np.arange(6) == 2, np.nan, arrays[key])


def _network_of_three_codes(files, document, arrays, members):
    members["model_.keras"] = _parts(files["ae3"])[2]["model_.keras"]


def _nan_training_score(files, document, arrays, members):
    key = _array_of(document, "training_scores_")
    arrays[key] = np.where(np.arange(40) == 0, np.nan, arrays[key])


def _text_offset(files, document, arrays, members):
    _state(document)["offset_"] = "abc"


def _short_center(files, document, arrays, members):
    key = _array_of(document, "center_")
    arrays[key] = arrays[key][:3]


def _relabelled(name):
    def relabel(files, document, arrays, members):
        document["estimator"] = document["state"]["__estimator__"] = name

    return relabel


def _relabelled_with_vae_attributes(files, document, arrays, members):
    _relabelled("VariationalAutoencoderTransformer")(files, document, arrays, members)
    vae, vae_arrays, _ = _parts(files["vae"])
    for attribute in ("kl_per_dimension_", "n_active_components_", "noise_scale_"):
        _state(document)[attribute] = _state(vae)[attribute]
    arrays["zz"] = vae_arrays[_array_of(vae, "kl_per_dimension_")]
    _state(document)["kl_per_dimension_"] = {"__array__": "zz", "object": False}


def _entry(name, value):
    def add(files, document, arrays, members):
        _state(document)[name] = value

    return add


def _nan_weight(files, document, arrays, members):
    model = model_from_bytes(members["model_.keras"])
    kernel = model.weights[0]
    kernel.assign(np.full(kernel.shape, np.nan, dtype=kernel.dtype))
    members["model_.keras"] = model_to_bytes(model)


def _flipped_weight_byte(files, document, arrays, members):
    network = io.BytesIO(members["model_.keras"])
    with zipfile.ZipFile(network) as archive:
        start = archive.getinfo("model.weights.h5").header_offset
    data = bytearray(members["model_.keras"])
    data[start + 3000] ^= 0x40  # inside the HDF5 file's weights
    members["model_.keras"] = bytes(data)


def _shared_array(files, document, arrays, members):
    _state(document)["scale_"] = dict(_state(document)["center_"])


def _unnamed_array(files, document, arrays, members):
    arrays["zz"] = np.zeros(2)


def _summary_features(files, document, arrays, members):
    document["summary"]["n_features_in"] = 5


def _backbone_name(files, document, arrays, members):
    _state(document)["backbone_name_"] = "variational"


CASES = {
    # name: (file, change, what the message says)
    "mean_ NaN": ("ae", _nan_mean, r"mean_ \(arrays.npz entry 'a\d+'\) holds NaN or infinity"),
    "network of 3 codes": (
        "ae", _network_of_three_codes,
        r"n_components_ \(skae.json\) is 2, but the encoder in model_ gives codes of shape \(3,\)",
    ),
    "training_scores_ NaN": (
        "detector", _nan_training_score, r"training_scores_ \(arrays.npz .*\) holds NaN"
    ),
    "offset_ text": (
        "detector", _text_offset, r"offset_ \(skae.json\) must be a finite float, got the str 'abc'"
    ),
    "center_ shape": (
        "detector", _short_center,
        (
            r"center_ \(arrays.npz .*\) must be a float64 array of shape \(6,\), got a "
            r"float64 array of shape \(3,\)"
        ),
    ),
    "autoencoder relabelled": (
        "ae", _relabelled("VariationalAutoencoderTransformer"),
        r"kl_per_dimension_ \(skae.json\) is missing",
    ),
    "autoencoder relabelled, attributes added": (
        "ae", _relabelled_with_vae_attributes,
        (
            r"model_ \(member 'model_.keras'\) is the network of another estimator "
            r"\('autoencodertransformer'\), not of a VariationalAutoencoderTransformer"
        ),
    ),
    "a method's name": (
        "ae", _entry("transform", 1),
        r"transform \(skae.json\) names an attribute of AutoencoderTransformer itself",
    ),
    "a dunder": ("ae", _entry("__class__", "os"), r"__class__ \(skae.json\) names an attribute"),
    "an unknown attribute": (
        "ae", _entry("foo_", 1), r"foo_ \(skae.json\) is not an attribute of a fitted "
    ),
    "an invalid parameter": (
        "ae", _entry("epochs", "abc"), r"epochs \(skae.json\) is the str 'abc', which the parameter"
    ),
    "a float32 scale": (
        "ae", _entry("scale_", {"__scalar__": "<f4", "value": 0.5}),
        r"scale_ \(skae.json\) must be a finite float > 0, got the float32",
    ),
    "noise scale edited": (
        "vae", _entry("noise_scale_", 0.5), r"noise_scale_ \(skae.json\) is 0.5, but the network's"
    ),
    "epochs against history": (
        "ae", _entry("n_iter_", 7), r"n_iter_ \(skae.json\) is 7, but history_ holds the loss of 1"
    ),
    "a NaN weight": (
        "ae", _nan_weight, r"model_ \(member 'model_.keras'\) has the weight '.*', which holds NaN"
    ),
    "a flipped weight byte": ("ae", _flipped_weight_byte, r"model.weights.h5' is damaged"),
    "one array for two entries": (
        "detector", _shared_array, r"scale_ names arrays.npz entry 'a\d+', which another entry"
    ),
    "an array no entry names": ("ae", _unnamed_array, r"the state names none of arrays.npz entry 'zz'"),
    "a summary that disagrees": (
        "ae", _summary_features,
        r"skae.json's summary says n_features_in is the int 5, but the state gives the int 6",
    ),
    "backbone of another kind": (
        "detector", _backbone_name,
        (
            r"backbone_ \(skae.json\) is of class AutoencoderTransformer, but "
            r"backbone_name_ 'variational' makes a VariationalAutoencoderTransformer"
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_file_whose_pieces_disagree_is_refused_naming_what(files, tmp_path, case):
    name, change, message = CASES[case]
    document, arrays, members = _parts(files[name])
    change(files, document, arrays, members)
    path = _write(tmp_path / "changed.skae", document, arrays, members)
    with pytest.raises(ValueError, match=message) as refused:
        skae.load(path)
    text = str(refused.value)
    if case != "a flipped weight byte":  # Keras's archive: the network's own message
        assert text.startswith(f"'{path}' is not a valid skae model file: ")
        assert text.endswith(DAMAGED)


def test_the_command_line_refuses_such_a_file_in_one_line(files, tmp_path):
    document, arrays, members = _parts(files["ae"])
    _nan_mean(files, document, arrays, members)
    path = _write(tmp_path / "nan.skae", document, arrays, members)
    table = tmp_path / "rows.csv"
    np.savetxt(table, X, delimiter=",", header=",".join("abcdef"), comments="")
    status, out, err = run("transform", path, table, "-o", tmp_path / "codes.csv")
    assert (status, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"skae transform: error: '{path}' is not a valid skae model file: mean_")
    assert not (tmp_path / "codes.csv").exists()


# ----------------------------------------------------------------------
# skae.json within limits, its outline checked
# ----------------------------------------------------------------------
def _nested(depth):
    return "[" * depth + "1" + "]" * depth


@pytest.mark.parametrize("where", ["document", "parameter"])
def test_json_nested_too_deep_is_refused_by_load_info_and_score(files, tmp_path, where):
    document, arrays, members = _parts(files["ae"])
    path = _write(tmp_path / "deep.skae", document, arrays, members)
    text = json.dumps(document)
    if where == "document":
        text, depth = _nested(100_000), 100_000
    else:  # one parameter 600 lists deep
        nested = f'"hidden_layer_sizes": {_nested(600)}, "x": '
        text, depth = text.replace('"hidden_layer_sizes": ', nested, 1), 604
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("skae.json", text)
    message = f"skae.json nests lists or objects {depth} deep, beyond the 100 skae reads"
    with pytest.raises(ValueError, match=message):
        skae.load(path)
    table = tmp_path / "rows.csv"
    np.savetxt(table, X, delimiter=",", header=",".join("abcdef"), comments="")
    for argv in (("info", path), ("score", path, table, "-o", tmp_path / "s.csv")):
        status, out, err = run(*argv)
        assert (status, out) == (1, "") and err.count("\n") == 1, err
        assert message in err


def test_json_beyond_the_size_limit_is_refused(files, monkeypatch):
    monkeypatch.setattr(reading, "MAX_JSON_BYTES", 1000)
    with pytest.raises(ValueError, match=r"skae.json is [\d,]+ bytes, beyond the 1,000 skae reads"):
        skae.load(files["ae"])


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("summary", {"image_shape": 5}, "summary's image_shape is the int 5, not a list of int"),
        ("summary", {"colour": "red"}, "summary holds the unknown entry 'colour'"),
        ("versions", [1], "versions is a list of 1 items, not a dict of str"),
        ("estimator", 3, "estimator is the int 3, not a class name"),
        ("format_version", "1", "its format_version is the str '1'"),
    ],
)
def test_info_refuses_a_malformed_document_in_one_line(files, tmp_path, key, value, message):
    document, arrays, members = _parts(files["ae"])
    document[key] = value
    path = _write(tmp_path / "odd.skae", document, arrays, members)
    status, out, err = run("info", path)
    assert (status, out) == (1, "") and err.count("\n") == 1
    assert err == f"skae info: error: '{path}' is not a valid skae model file: " + (
        f"in skae.json, {message}. {DAMAGED}\n" if key != "format_version" else f"{message}. {DAMAGED}\n"
    )
    with pytest.raises(ValueError, match=message):
        skae.load(path)


# ----------------------------------------------------------------------
# a class of the user's: attributes of its own, none hiding the class's
# ----------------------------------------------------------------------
class CountingAutoencoder(AutoencoderTransformer):
    """An autoencoder that also keeps the number of rows it was fitted on."""

    def _after_fit(self, rows):
        self.n_rows_seen_ = len(rows.inputs)


def test_a_users_class_keeps_its_own_attributes_but_hides_nothing(tmp_path):
    path = tmp_path / "counting.skae"
    CountingAutoencoder(2, **TINY).fit(X).save(path)
    classes = {"CountingAutoencoder": CountingAutoencoder}
    loaded = skae.load(path, custom_objects=classes)
    assert loaded.n_rows_seen_ == 40
    document, arrays, members = _parts(path)
    _state(document)["score_samples"] = 1
    _write(path, document, arrays, members)
    with pytest.raises(ValueError, match="score_samples .* names an attribute of CountingAutoencoder"):
        skae.load(path, custom_objects=classes)


# ----------------------------------------------------------------------
# est.save: the path checked first, the file written whole
# ----------------------------------------------------------------------
def test_save_checks_its_path_and_writes_the_file_whole(files, tmp_path, monkeypatch):
    ae = skae.load(files["ae"])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="AutoencoderTransformer.save got an empty path.*'model.skae'"):
        ae.save("")
    with pytest.raises(ValueError, match=r"is a directory, but AutoencoderTransformer.save writes a file"):
        ae.save(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ae.save(tmp_path / "no" / "ae.skae")
    assert list(tmp_path.iterdir()) == []
    path = tmp_path / "ae.skae"
    path.write_bytes(b"the previous file")
    ae.save(path)  # an existing file is replaced
    assert skae.load(path).n_features_in_ == 6

    def fail(target, *args):
        with open(target, "wb") as half:
            half.write(b"PK half a file")
        raise OSError("disk full")

    previous = path.read_bytes()
    monkeypatch.setattr(persistence, "_write_archive", fail)
    with pytest.raises(OSError, match="disk full"):
        ae.save(path)
    # the former file is untouched, and nothing is left beside it
    assert path.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae.skae"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_save_to_an_unwritable_place_says_so(files):
    with pytest.raises(PermissionError, match="AutoencoderTransformer.save cannot write in '/proc'"):
        skae.load(files["ae"]).save("/proc/ae.skae")


def test_save_to_a_file_object_still_works(files):
    buffer = io.BytesIO()
    skae.load(files["ae"]).save(buffer)
    buffer.seek(0)
    assert skae.load(buffer).n_features_in_ == 6
