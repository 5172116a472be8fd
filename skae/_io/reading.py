"""Reading skae files: every piece checked against every other before use.

``read_metadata`` reads ``skae.json`` within size and nesting limits and
checks its outline (what ``skae info`` and ``skae score`` read without
building anything). ``read_estimator`` (``skae.load``) then decodes the
state, refusing any value the writer (``persistence._Encoder``) does not
write, and checks it against the schema the estimator's class declares
(``fitted_schema``): the keys (parameters and declared fitted attributes
only, never one that hides a method), the parameters against their
constraints, each attribute's type, dtype, shape and finiteness, the
relations between attributes, and, once built, the networks against the
attributes. Arrays and members the state does not name, and a summary that
disagrees with the state, are refused too. Every refusal is a ``ValueError``
naming the member and the attribute, before NumPy or Keras meet the values.
"""

import io
import itertools
import json
import re
import warnings
import zipfile
import zlib

import numpy as np

from ..exceptions import InconsistentVersionWarning
from .fitted_schema import FittedSchema, Problem, describe
from .keras_archive import check_keras_config, model_from_bytes
from .persistence import (
    _ARRAYS,
    _CONFIG,
    _TAGS,
    FORMAT,
    FORMAT_VERSION,
    UnsavedParameter,
    _summary,
    _versions,
)

# skae writes skae.json a dozen levels deep and, for 10^6 named features,
# some tens of MB: far below these, which keep a crafted file from
# exhausting the recursion of json (and of skae's own readers) or memory
MAX_JSON_DEPTH = 100
MAX_JSON_BYTES = 256 * 2**20
DAMAGED = "The file is damaged or was edited; save the model again."
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")
# the entries decoded last: what Keras builds
_BUILT = {"__model__", "__estimator__"}
# a Keras network's member in the file: model_.keras, backbone_.model_.keras
_MODEL_MEMBER = re.compile(r"[A-Za-z0-9_.]*model_\.keras")


def _nesting(text):
    """How deep the JSON ``text`` nests lists and objects (brackets outside strings)."""
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(itertools.accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def _source(path):
    """How messages name the file: its path, or the file object's name."""
    if hasattr(path, "read"):
        name = getattr(path, "name", None)
        return repr(name) if isinstance(name, str) else "the file object given"
    return repr(str(path))


def _json_problem(source, detail):
    return ValueError(f"{source} is not a valid skae model file: {detail}. {DAMAGED}")


def _read_json(archive, source):
    info = archive.getinfo(_CONFIG)
    if info.file_size > MAX_JSON_BYTES:
        raise _json_problem(
            source, f"{_CONFIG} is {info.file_size:,} bytes, beyond the {MAX_JSON_BYTES:,} "
            "skae reads"
        )
    text = archive.read(_CONFIG).decode("utf-8")
    if (depth := _nesting(text)) > MAX_JSON_DEPTH:
        raise _json_problem(
            source, f"{_CONFIG} nests lists or objects {depth} deep, beyond the "
            f"{MAX_JSON_DEPTH} skae reads (it writes a dozen)"
        )
    return json.loads(text)


def read_metadata(path):
    """The JSON document of a skae file (no network or array is loaded), its outline checked."""
    source = _source(path)
    try:
        with zipfile.ZipFile(path) as archive:
            document = _read_json(archive, source)
    except FileNotFoundError:
        raise
    except KeyError:
        raise ValueError(f"{source} is not a skae model file: it has no {_CONFIG}.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, IsADirectoryError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{source} is not a skae model file (one written by est.save): {exc}."
        ) from exc
    except ValueError as exc:  # json's errors, and integers of too many digits
        if DAMAGED in str(exc):
            raise
        raise ValueError(
            f"{source} is not a skae model file (one written by est.save): {exc}."
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{source} is not a skae model file (one written by est.save).")
    version = document.get("format_version")
    if type(version) is not int or version < 1:
        raise _json_problem(source, f"its format_version is {describe(version)}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{source} was written by a newer skae (file format {version!r}; this "
            f"skae reads format {FORMAT_VERSION} and older). Upgrade skae to load it."
        )
    if problem := _outline_problem(document):
        raise _json_problem(source, f"in {_CONFIG}, {problem}")
    return document


def _strings(value):
    return isinstance(value, dict) and all(type(v) is str for v in value.values())


# what the summary of skae info holds: name -> (check, what it must be)
_SUMMARY = {
    "n_features_in": (lambda v: type(v) is int, "an int"),
    "feature_names_in": (
        lambda v: type(v) is list and all(type(n) is str for n in v), "a list of str"
    ),
    "image_shape": (lambda v: type(v) is list and all(type(n) is int for n in v), "a list of int"),
    "n_iter": (lambda v: type(v) is int, "an int"),
    "final_loss": (lambda v: type(v) is float, "a float"),
    "final_val_loss": (lambda v: type(v) is float, "a float"),
    "offset": (lambda v: type(v) is float, "a float"),
}


def _outline_problem(document):
    """What is wrong with the document's outline (what ``skae info`` reads), or None."""
    if type(document.get("estimator")) is not str:
        return f"estimator is {describe(document.get('estimator'))}, not a class name"
    if not isinstance(document.get("state"), dict):
        return f"state is {describe(document.get('state'))}, not an estimator's state"
    for key in ("versions", "unsaved_parameters"):
        if key in document and not _strings(document[key]):
            return f"{key} is {describe(document[key])}, not a dict of str"
    summary = document.get("summary", {})
    if not isinstance(summary, dict):
        return f"summary is {describe(summary)}, not a dict"
    for key, value in summary.items():
        if key not in _SUMMARY:
            return f"summary holds the unknown entry {key!r}"
        check, what = _SUMMARY[key]
        if value is not None and not check(value):
            return f"summary's {key} is {describe(value)}, not {what}"
    return None


# ----------------------------------------------------------------------
# the state, decoded and checked
# ----------------------------------------------------------------------
class _Decoder:
    """Reads what ``persistence._Encoder`` wrote; refuses anything else.

    ``where`` records the member each array and network came from, for the
    messages; ``used`` the arrays and members the state names.
    """

    def __init__(self, arrays, members, source, custom_objects, classes):
        self.classes = classes
        self.arrays = arrays
        self.members = members
        self.source = source
        self.custom_objects = dict(custom_objects or {})
        self.where = {}
        self.used = set()

    def corrupt(self, detail):
        return ValueError(f"{self.source} is not a valid skae model file: {detail}. {DAMAGED}")

    def refused(self, problems, prefix):
        """The error for ``problems`` of the estimator at ``prefix`` (three at most)."""
        shown = [
            f"{prefix}{p.attribute} ({self.where.get(prefix + p.attribute, _CONFIG)}) {p.text}"
            for p in problems[:3]
        ]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return self.corrupt("; ".join(shown) + more)

    def decode(self, value, path):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{path}.{i}") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            raise self.corrupt(f"{path} holds {describe(value)}")
        tags = [k for k in value if k in _TAGS]
        if len(tags) != 1:
            raise self.corrupt(f"{path} holds the unexpected entry {sorted(value)}")
        tag = tags[0]
        body = value[tag]
        if tag == "__tuple__":
            if type(body) is not list:
                raise self.corrupt(f"{path} holds a tuple of {describe(body)}")
            return tuple(self.decode(v, f"{path}.{i}") for i, v in enumerate(body))
        if tag == "__dict__":
            if not isinstance(body, dict):
                raise self.corrupt(f"{path} holds a dict of {describe(body)}")
            return {k: self.decode(v, f"{path}.{k}") for k, v in body.items()}
        if tag == "__scalar__":
            return self.scalar(body, value.get("value"), path)
        if tag in ("__array__", "__model__"):
            return self.member(tag, body, value, path)
        if tag == "__random_state__":
            random_state = np.random.RandomState()
            try:
                random_state.set_state(self.decode(body, path))
            except (TypeError, ValueError) as exc:
                raise self.corrupt(f"{path} is not a random state ({exc})") from None
            return random_state
        if tag == "__estimator__":
            return self.estimator(body, value.get("state"), f"{path}." if path else "")
        if tag == "__keras__":
            return self.keras_object(body, path)
        if tag == "__optimizer_class__":
            import keras

            cls = getattr(keras.optimizers, str(body), None)
            if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
                raise self.corrupt(f"{path} names the unknown optimizer class {body!r}")
            return cls
        description = str(value.get("description", "?"))
        # a function the user handed back to skae.load by name
        for name, obj in self.custom_objects.items():
            if description.endswith(f".{name}") and callable(obj):
                return obj
        return UnsavedParameter(str(body), description)

    def scalar(self, dtype, value, path):
        """A NumPy scalar, as the writer writes them (numbers, bools, str)."""
        try:
            dtype = np.dtype(dtype if isinstance(dtype, str) else "V")
            if dtype.kind not in "biufcU" or not isinstance(value, (bool, int, float, str)):
                raise TypeError(f"a {dtype} scalar of {describe(value)}")
            return dtype.type(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise self.corrupt(f"{path} is not a NumPy scalar ({exc})") from None

    def member(self, tag, body, value, path):
        """The array or network a state entry names, from its member of the file."""
        if tag == "__array__":
            if type(body) is not str or body not in self.arrays:
                raise self.corrupt(f"{path} names the array {body!r}, missing from {_ARRAYS}")
            self.where[path], key = f"{_ARRAYS} entry {body!r}", ("array", body)
            array = self.arrays[body]
            array = array.astype(object) if value.get("object") is True else array
        else:
            if type(body) is not str or body not in self.members:
                raise self.corrupt(f"{path} names the member {body!r}, which is missing")
            self.where[path], key = f"member {body!r}", ("member", body)
            array = model_from_bytes(
                self.members[body],
                what=f"network {body!r} in {self.source}",
                custom_objects=self.custom_objects,
            )
        if key in self.used:
            raise self.corrupt(f"{path} names {self.where[path]}, which another entry names too")
        self.used.add(key)
        return array

    def keras_object(self, config, path):
        import keras

        check_keras_config(config, what=f"object {config!r} in {self.source}")
        try:
            return keras.saving.deserialize_keras_object(
                config, custom_objects=self.custom_objects, safe_mode=True
            )
        except Exception as exc:
            raise ValueError(
                f"{self.source} holds the Keras object {config!r} ({path}), which Keras "
                f"cannot rebuild here ({exc}). If it is your own registered function or "
                "class, import the module that registers it before skae.load."
            ) from exc

    def estimator(self, name, state, prefix):
        """The estimator of class ``name`` from its state, checked against its schema."""
        if type(name) is not str or name not in self.classes:
            raise self.corrupt(
                f"{prefix or 'the state'} names the unknown estimator {name!r} (a class of "
                "your own loads when given by name in custom_objects)"
            )
        cls = self.classes[name]
        if not isinstance(state, dict) or not isinstance(state.get("__dict__"), dict):
            raise self.corrupt(f"{prefix or 'the state'} holds no state for {name}")
        raw = state["__dict__"]
        # networks (and a backbone's) are built only once everything else holds
        last = [k for k, v in raw.items() if isinstance(v, dict) and _BUILT & set(v)]
        state = {k: self.decode(v, prefix + k) for k, v in raw.items() if k not in last}
        # a parameter added after the file was written takes its default,
        # which by scikit-learn's convention keeps the former behaviour
        defaults = cls().get_params(deep=False)
        state = {**{k: v for k, v in defaults.items() if k not in raw}, **state}
        schema = getattr(cls, "_fitted_schema", None) or FittedSchema({})
        if problems := schema.problems(cls, state, params=defaults, pending=last):
            raise self.refused(problems, prefix)
        state.update({k: self.decode(raw[k], prefix + k) for k in last})
        if problems := schema.relation_problems(cls, state, last):
            raise self.refused(problems, prefix)
        estimator = cls.__new__(cls)
        try:
            estimator.__setstate__(state)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
            problem = Problem("model_", f"is not the network of a {name} ({exc})")
            raise self.refused([problem], prefix) from None
        if problems := schema.built_problems(estimator):
            raise self.refused(problems, prefix)
        return estimator


def _read_members(archive, source):
    """``(arrays, networks' bytes)`` of an open skae file, its members checked."""
    names = set(archive.namelist())
    models = {m for m in names if _MODEL_MEMBER.fullmatch(m)}
    if extra := names - {_CONFIG, _ARRAYS} - models:
        raise ValueError(
            f"{source} is not a valid skae model file: unexpected members "
            f"{sorted(extra)}. Nothing from it was loaded."
        )
    if _ARRAYS not in names:
        raise ValueError(f"{source} is not a valid skae model file: {_ARRAYS} is missing.")
    try:
        data = archive.read(_ARRAYS)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise ValueError(
                f"{source} is not a valid skae model file: {_ARRAYS} cannot be read "
                f"({exc}). {DAMAGED}"
            ) from exc
        raise ValueError(
            f"{source} is not a valid skae model file: {_ARRAYS} holds pickled "
            f"objects, which skae never writes and never loads ({exc})."
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise ValueError(
            f"{source} is not a valid skae model file: {_ARRAYS} cannot be read ({exc}). "
            f"{DAMAGED}"
        ) from exc
    try:
        members = {m: archive.read(m) for m in models}
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{source} is not a valid skae model file: {exc}. {DAMAGED}") from exc
    return arrays, members


def read_estimator(path, *, classes, custom_objects=None):
    """The estimator saved in the skae file ``path`` (``skae.load``), checked whole.

    ``classes`` maps the class names a file may name to the classes to
    build; anything else is refused as a corrupt file.
    """
    document = read_metadata(path)
    source = _source(path)
    with zipfile.ZipFile(path) as archive:
        arrays, members = _read_members(archive, source)
    _warn_versions(document.get("versions", {}))
    decoder = _Decoder(arrays, members, source, custom_objects, classes)
    state = document["state"]
    if state.get("__estimator__") != document["estimator"]:
        raise decoder.corrupt(
            f"{_CONFIG} names the estimator {document['estimator']!r}, but its state "
            f"is that of {state.get('__estimator__')!r}"
        )
    estimator = decoder.decode(state, "")
    unused = sorted(
        [f"{_ARRAYS} entry {k!r}" for k in arrays if ("array", k) not in decoder.used]
        + [f"member {m!r}" for m in members if ("member", m) not in decoder.used]
    )
    if unused:
        raise decoder.corrupt(f"the state names none of {', '.join(unused)}")
    if problem := _summary_problem(document.get("summary", {}), estimator):
        raise decoder.corrupt(f"{_CONFIG}'s summary {problem}")
    return estimator


def _summary_problem(saved, estimator):
    """Where the summary ``skae info`` shows disagrees with the loaded estimator, or None."""
    actual = json.loads(json.dumps(_summary(estimator)))
    for key, value in saved.items():
        if key not in actual or value != actual[key]:
            return (
                f"says {key} is {describe(value)}, but the state gives "
                f"{describe(actual.get(key))}"
            )
    return None


def _warn_versions(saved):
    current = _versions()
    for library in ("skae", "keras"):
        if saved.get(library) != current[library]:
            warnings.warn(
                InconsistentVersionWarning(
                    library=library,
                    original_version=saved.get(library),
                    current_version=current[library],
                ),
                stacklevel=4,  # the caller of skae.load
            )
