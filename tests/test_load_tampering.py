"""Tampered skae files: loaded as saved, or refused with skae's ValueError (hypothesis).

Every estimator's file (and the detector's backbones: autoencoder, VAE,
conditional VAE, conditional autoencoder) is saved once; each example then
changes one piece of it and loads the result, which must either give an
estimator whose outputs equal the saved one's bit for bit, or be refused by
``skae.load`` with a ``ValueError`` naming the file; ``skae info``'s reading
of the file must likewise answer or refuse with a ``ValueError``.

The changes are the ones a consistency check can catch, member by member:
in ``skae.json``, any entry (parameters, fitted attributes, the nested
backbone, the summary, the versions) replaced by a value of another kind
(NaN, infinity, a string, None, a bool, lists, dicts, negative, zero and
huge integers, a float where there was none, lists nested beyond the
limit), deleted, or one more or one less where the others determine it
(counts and shapes); entries added (a method's name, a dunder, an unknown
attribute); the estimator's class renamed; an array reference pointed at
another array. In ``arrays.npz``: NaN or infinity in a value, a value
dropped or added (but to the training scores, one per training row), another
shape or dtype, an empty or 0-d array, pickled
objects, an extra array. Each network member: replaced by another fit's
network (another class, code size, feature count or image shape), by the
same network with a NaN weight, truncated, emptied, removed, or with one
byte flipped. Edits that make another valid model (another threshold,
another random seed, a finite value changed in ``mean_``, a condition
column's position, a network of the same shape trained otherwise) cannot be
told from the original without a signature, and are not made here.

``make test`` runs 200 examples; ``SKAE_HYPOTHESIS_PROFILE=long``, 2,000.
"""

import copy
import io
import json
import os
import warnings
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import skae  # noqa: E402
from skae import (  # noqa: E402
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConditionalVariationalAutoencoder,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._cli.model_files import info_text  # noqa: E402
from skae._estimators.registry import ESTIMATORS  # noqa: E402
from skae._io.keras_archive import model_from_bytes, model_to_bytes  # noqa: E402
from skae._io.reading import MAX_JSON_DEPTH, read_metadata  # noqa: E402

from .conftest import FAST  # noqa: E402

LONG = os.environ.get("SKAE_HYPOTHESIS_PROFILE") == "long"
TINY = dict(FAST, epochs=1)
SOURCE = "the file object given"  # how skae's messages name a file object


def _data():
    import pandas as pd
    from sklearn.datasets import load_digits

    rng = np.random.RandomState(0)
    X6, X7 = rng.normal(size=(40, 6)), rng.normal(size=(40, 7))
    frame = pd.DataFrame(rng.normal(size=(40, 7)), columns=[f"c{i}" for i in range(7)])
    frame.insert(0, "kind", np.array(["a", "b", "c", "d"])[rng.randint(0, 4, 40)])
    frame = frame.drop(columns="c0")  # kind, c1 (the conditions), c2 ... c6
    labels = rng.randint(0, 3, 40)
    images = load_digits().data[:40].reshape(-1, 8, 8) / 16
    return X6, X7, frame, labels, images


# name -> (estimator, fit arguments): each network differs from every other
# in its class, code size, feature count or image shape
def _estimators(X6, X7, frame, labels, images):
    columns = {"condition_columns": ["kind", "c1"]}
    return {
        "autoencoder": (AutoencoderTransformer(2, **TINY), (X6,)),
        "variational": (VariationalAutoencoderTransformer(2, **TINY), (X6,)),
        "denoising": (DenoisingAutoencoder(2, **TINY), (X6,)),
        "detector": (AutoencoderOutlierDetector(2, **TINY), (X7,)),
        "detector-vae": (AutoencoderOutlierDetector(2, backbone="variational", **TINY), (X7,)),
        "detector-columns": (AutoencoderOutlierDetector(2, **columns, **TINY), (frame,)),
        "detector-columns-ae": (
            AutoencoderOutlierDetector(2, backbone="autoencoder", **columns, **TINY), (frame,)
        ),
        "conditional": (ConditionalVariationalAutoencoder(2, **TINY), (X6, labels)),
        "conv": (AutoencoderTransformer(2, architecture="conv", filters=(4,), **TINY), (images,)),
        # windows (timesteps, features): the digits' rows as 8 steps of 8 values
        "sequence": (
            AutoencoderTransformer(2, architecture="sequence", filters=(4,), **TINY),
            (images,),
        ),
        "codes-3": (AutoencoderTransformer(3, **TINY), (X6,)),  # a donor of networks only
    }


def outputs(est, args):
    """Every deterministic output of ``est`` on its training data ``args``."""
    if isinstance(est, AutoencoderOutlierDetector):
        (X,) = args
        methods = ("score_samples", "decision_function", "predict", "predict_proba",
                   "predict_confidence", "reconstruct", "feature_errors")
        return {m: getattr(est, m)(X) for m in methods}
    found = {m: getattr(est, m)(*args) for m in ("transform", "reconstruct", "score_samples")}
    found["inverse_transform"] = est.inverse_transform(found["transform"], *args[1:])
    return found


def _parts(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with np.load(io.BytesIO(members.pop("arrays.npz"))) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return json.loads(members.pop("skae.json")), arrays, members


def _nan_weight(data):
    """The network ``data`` with its first weight set to NaN."""
    model = model_from_bytes(data)
    weight = model.weights[0]
    weight.assign(np.full(weight.shape, np.nan, dtype=weight.dtype))
    return model_to_bytes(model)


class Saved(dict):
    """name -> (saved parts, the estimator's outputs, the fit arguments); ``donors``."""

    def __repr__(self):  # what hypothesis shows of a failing example
        return f"Saved({sorted(self)})"


@pytest.fixture(scope="module")
def saved():
    """The saved files of every estimator, and the networks to swap in."""
    files, donors = Saved(), []
    for name, (est, args) in _estimators(*_data()).items():
        est.fit(*args)
        buffer = io.BytesIO()
        est.save(buffer)
        document, arrays, members = _parts(buffer.getvalue())
        donors += [*members.values(), *map(_nan_weight, members.values())]
        if name != "codes-3":
            files[name] = ((document, arrays, members), outputs(est, args), args)
    files.donors = donors
    return files


def _written(document, arrays, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("skae.json", json.dumps(document))
        npz = io.BytesIO()
        np.savez(npz, **arrays)
        archive.writestr("arrays.npz", npz.getvalue())
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ----------------------------------------------------------------------
# the changes
# ----------------------------------------------------------------------
OTHER_KINDS = [
    float("nan"), float("inf"), -float("inf"), "abc", "", None, True, [], [[1]], {},
    {"__array__": "zz"}, {"__tuple__": "x"}, {"__scalar__": "<f4", "value": 1.5},
    {"__scalar__": "zz", "value": 1}, -1, 0, 2**31, 10**30, 2.5,
]
# counts and shapes that other pieces determine: one more or one less is caught
DETERMINED = {"n_features_in_", "n_components_", "n_iter_", "n_conditions_",
              "_fitted_network_shape", "image_shape_", "n_features_in"}
NAMES = [entry.name for entry in ESTIMATORS] + ["Nope", "os.system"]
# arrays of any length: the detector's training scores (one per training row)
FREE_LENGTH = {"training_scores_"}


def _locations(value, path=()):
    """Every entry of the JSON document: (path, value, key of the dict it is in)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), item
            yield from _locations(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield path + (i,), item
            yield from _locations(item, path + (i,))


def _parent(document, path):
    for key in path[:-1]:
        document = document[key]
    return document


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def _json_change(data, document):
    """One change of one entry of ``document`` (in place); its description."""
    path = data.draw(st.sampled_from([path for path, _ in _locations(document)]), label="entry")
    parent, key = _parent(document, path), path[-1]
    value = parent[key]
    kinds = ["replace", "nest"] + (["delete"] if isinstance(parent, dict) else [])
    if type(value) is int and DETERMINED & {str(p) for p in path}:
        kinds.append("one off")
    kind = data.draw(st.sampled_from(kinds), label="change")
    if kind == "delete":
        del parent[key]
    elif kind == "nest":
        parent[key] = _nested(data.draw(st.integers(2, 3 * MAX_JSON_DEPTH), label="depth"))
    elif kind == "one off":
        parent[key] = value + data.draw(st.sampled_from([-1, 1]))
    else:
        others = [v for v in OTHER_KINDS if not (type(v) is type(value) and v == value)]
        if type(value) is float:  # another finite float is another valid model
            others = [v for v in others if not (type(v) is float and np.isfinite(v))]
        parent[key] = data.draw(st.sampled_from(others), label="value")
    return f"{kind} {path}"


def _state_change(data, document):
    """An entry added to the estimator's state, or its class renamed."""
    state = document["state"]["state"]["__dict__"]
    kinds = ["add", "rename"] + (["rename backbone"] if "backbone_" in state else [])
    kind = data.draw(st.sampled_from(kinds), label="change")
    if kind == "add":
        key = data.draw(st.sampled_from(
            ["transform", "fit", "__class__", "__dict__", "_inference", "foo_", "encoder_"]
        ))
        state[key] = data.draw(st.sampled_from([1, None, "abc", {"__tuple__": []}]))
        return f"add {key}"
    name = data.draw(st.sampled_from(NAMES), label="class")
    if kind == "rename":
        document["estimator"] = document["state"]["__estimator__"] = name
    else:
        state["backbone_"]["__estimator__"] = name
    return f"{kind} {name}"


def _array_change(data, document, arrays):
    """One change of one array of ``arrays.npz`` (or of what refers to it)."""
    key = data.draw(st.sampled_from(sorted(arrays)), label="array")
    array = arrays[key]
    floating = array.dtype == np.float64
    named = {v["__array__"]: path[-1] for path, v in _locations(document)
             if isinstance(v, dict) and "__array__" in v}
    kinds = ["row", "empty", "scalar", "pickled", "extra", "refer"]
    if named.get(key) not in FREE_LENGTH:
        kinds += ["drop", "append"]
    kinds += ["nan", "inf", "float32", "int64", "str", "complex"] if floating else ["reverse"]
    if array.dtype.kind in "iu":
        kinds += ["float32", "complex"]
    kind = data.draw(st.sampled_from(kinds), label="change")
    if kind in ("nan", "inf") and array.size:
        array = array.copy()
        array.flat[data.draw(st.integers(0, array.size - 1))] = np.nan if kind == "nan" else np.inf
    elif kind in ("float32", "int64", "str", "complex"):
        array = array.astype({"str": "U8"}.get(kind, kind))
    transformed = {
        "drop": lambda a: a[:-1],
        "append": lambda a: np.concatenate([a, a[-1:]]),
        "row": lambda a: a.reshape(1, -1),
        "empty": lambda a: a[:0],
        "scalar": lambda a: a[0] if a.size else np.float64(0),
        "reverse": lambda a: a[::-1],
    }
    if kind in transformed and array.size:
        array = np.asarray(transformed[kind](array))
    arrays[key] = array
    if kind == "pickled":
        arrays[key] = np.array([object()], dtype=object)
    elif kind == "extra":
        arrays["zz"] = np.zeros(3)
    elif kind == "refer":  # an entry names another entry's array
        references = [
            (path, v) for path, v in _locations(document)
            if isinstance(v, dict) and "__array__" in v
        ]
        reference = references[data.draw(st.integers(0, len(references) - 1), label="reference")][1]
        reference["__array__"] = data.draw(st.sampled_from(sorted(arrays)), label="to")
    return f"{kind} {key}"


def _network_change(data, members, donors):
    """One change of one network member."""
    name = data.draw(st.sampled_from(sorted(members)), label="member")
    kind = data.draw(
        st.sampled_from(["donor", "truncate", "flip", "empty", "remove"]), label="change"
    )
    network = members[name]
    if kind == "donor":
        members[name] = data.draw(st.sampled_from(donors), label="donor")
    elif kind == "truncate":
        members[name] = network[: data.draw(st.integers(0, len(network) - 1))]
    elif kind == "flip":
        position = data.draw(st.integers(0, len(network) - 1), label="byte")
        bit = data.draw(st.integers(1, 255), label="xor")
        members[name] = network[:position] + bytes([network[position] ^ bit]) + network[position + 1:]
    elif kind == "empty":
        members[name] = b""
    else:
        del members[name]
    return f"{kind} {name}"


def _assert_outputs_equal(loaded, expected, args):
    found = outputs(loaded, args)
    for method, values in expected.items():
        assert type(found[method]) is type(values), method
        if hasattr(values, "columns"):  # a frame in, a frame out
            assert list(found[method].columns) == list(values.columns), method
            found[method], values = found[method].to_numpy(), values.to_numpy()
        np.testing.assert_array_equal(found[method], values, err_msg=method, strict=True)


@settings(
    max_examples=2000 if LONG else 200,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_tampered_file_loads_as_saved_or_is_refused(saved, data):
    files, donors = saved, saved.donors
    name = data.draw(st.sampled_from(sorted(files)), label="file")
    (document, arrays, members), expected, args = files[name]
    document, arrays, members = copy.deepcopy(document), dict(arrays), dict(members)
    where = data.draw(st.sampled_from(["json", "state", "arrays", "network"]), label="member")
    if where == "json":
        change = _json_change(data, document)
    elif where == "state":
        change = _state_change(data, document)
    elif where == "arrays":
        change = _array_change(data, document, arrays)
    else:
        change = _network_change(data, members, donors)
    file = _written(document, arrays, members)
    try:  # what skae info reads: shown, or refused as skae refuses
        info_text("model.skae", read_metadata(io.BytesIO(file)))
    except ValueError as exc:
        assert SOURCE in str(exc), f"{change}: {exc}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a version changed: a warning, not the point
            loaded = skae.load(io.BytesIO(file))
    except ValueError as exc:
        assert SOURCE in str(exc), f"{change}: {exc}"
        return
    assert type(loaded).__name__ == document["estimator"], change
    _assert_outputs_equal(loaded, expected, args)


def test_every_file_untouched_loads_as_saved(saved):
    for name, ((document, arrays, members), expected, args) in saved.items():
        loaded = skae.load(io.BytesIO(_written(document, arrays, members)))
        assert type(loaded).__name__ == document["estimator"], name
        _assert_outputs_equal(loaded, expected, args)
