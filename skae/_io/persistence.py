"""Saving and loading fitted estimators without pickle.

Two layers:

* **Plain-data state.** An estimator's ``__getstate__`` holds its Keras model
  as the bytes of a ``.keras`` file (``model_to_bytes``), next to NumPy arrays
  and Python scalars, and ``__setstate__`` rebuilds the model from those bytes
  with Keras's ``safe_mode`` (``model_from_bytes``). Pickle, joblib,
  ``copy.deepcopy`` and skops all go through that state.
* **The skae file** (``save`` / ``load``): one zip holding ``skae.json`` (the
  parameters, the fitted scalars and the versions), ``arrays.npz`` (the fitted
  arrays, read with ``allow_pickle=False``) and one ``.keras`` member per
  network. Loading imports nothing named in the file: the estimator classes
  come from a fixed table, the networks go through ``_keras_archive``'s
  checks (no Lambda layer, no unexpected member) and then Keras's ``safe_mode``.
"""

import io
import json
import re
import warnings
import zipfile

import numpy as np

from .._concurrency import state_lock
from .._version import __version__
from ..exceptions import InconsistentVersionWarning
from .keras_archive import check_keras_config, model_from_bytes

FORMAT = "skae-estimator"
FORMAT_VERSION = 1
_CONFIG = "skae.json"
_ARRAYS = "arrays.npz"
# members of a .keras archive as Keras 3 writes it
_TAGS = (
    "__tuple__",
    "__dict__",
    "__array__",
    "__scalar__",
    "__model__",
    "__estimator__",
    "__keras__",
    "__optimizer_class__",
    "__random_state__",
    "__unsaved__",
)


class UnsavedParameter:
    """Stands for a parameter whose value could not be saved as plain data.

    A loaded estimator predicts without it; fitting again needs the real value
    back (``set_params``), and says so.
    """

    def __init__(self, name, description):
        self.name = name
        self.description = description

    def __repr__(self):
        return f"<{self.name} not saved: was {self.description}>"

    def __eq__(self, other):
        return isinstance(other, UnsavedParameter) and (
            (self.name, self.description) == (other.name, other.description)
        )

    __hash__ = None


def check_saved_parameters(estimator):
    """Raise if a parameter lost in saving is needed now (to fit)."""
    missing = [v for v in estimator.get_params(deep=False).values() if isinstance(v, UnsavedParameter)]
    if missing:
        names = ", ".join(f"{v.name}={v!r}" for v in missing)
        raise ValueError(
            f"{type(estimator).__name__} was loaded from a file that could not "
            f"hold {names}. It predicts as saved, but fitting needs the value "
            f"back: call set_params({missing[0].name}=...) before fit."
        )


class SaveMixin:
    """``save`` for skae's estimators, and the refit guard of loaded ones."""

    def save(self, path):
        """Save the fitted estimator to one file, loadable with ``skae.load``.

        The file is a zip of the Keras networks (``.keras``), the parameters
        and fitted scalars (JSON), the fitted arrays (``.npz``) and the skae,
        Keras and scikit-learn versions. Unlike pickle, loading it runs no code
        from the file. Parameters that are neither plain data nor registered
        Keras objects (a plain Python function, callbacks) are left out, with
        a warning: the loaded estimator predicts the same, and asks for them
        only if fitted again.

        Parameters
        ----------
        path : str or path-like or binary file object
            Where to write; by convention ending in ``.skae``. An existing
            file is overwritten.

        Returns
        -------
        self : object
            The estimator, unchanged.

        See Also
        --------
        skae.load : Load the estimator back.
        """
        with state_lock(self):  # one model, whatever other threads fit
            save(self, path)
        return self

    def _validate_params(self):
        check_saved_parameters(self)
        super()._validate_params()

    def __getstate__(self):
        # The distribution holds this process's devices (a MirroredStrategy
        # does not even pickle): a pickle or a file keeps the model, and a
        # refit elsewhere asks for a distribution of its own machine.
        state = super().__getstate__()
        distribution = state.get("distribution")
        if distribution is not None and not isinstance(distribution, UnsavedParameter):
            state = {**state, "distribution": UnsavedParameter("distribution", _describe(distribution))}
        return state


# ----------------------------------------------------------------------
# state <-> JSON + arrays + members
# ----------------------------------------------------------------------
class _Unsaveable(TypeError):
    pass


def _describe(value):
    kind = type(value)
    if isinstance(value, (list, tuple)):
        inner = sorted({type(v).__name__ for v in value})
        return f"a {kind.__name__} of {', '.join(inner)}"
    name = getattr(value, "__qualname__", None)
    if callable(value) and name:
        return f"the callable {getattr(value, '__module__', '?')}.{name}"
    return f"a {kind.__module__}.{kind.__qualname__} object"


class _Encoder:
    """Writes a state as JSON-able values, collecting arrays and model bytes."""

    def __init__(self):
        self.arrays = {}
        self.members = {}
        self.unsaved = {}

    def estimator(self, estimator, prefix=""):
        """Encode an estimator's state; parameters not plain data are marked."""
        params = set(estimator.get_params(deep=False))
        out = {}
        for key, value in estimator.__getstate__().items():
            path = f"{prefix}{key}"
            if isinstance(value, UnsavedParameter):  # left out before, or by __getstate__
                self.unsaved[path] = value.description
                out[key] = {"__unsaved__": key, "description": value.description}
                continue
            try:
                out[key] = self.encode(value, path)
            except _Unsaveable:
                if key not in params:
                    raise ValueError(
                        f"Cannot save the fitted attribute {path} ({_describe(value)}) "
                        "as plain data."
                    ) from None
                self.unsaved[path] = _describe(value)
                out[key] = {"__unsaved__": key, "description": _describe(value)}
        return {"__estimator__": type(estimator).__name__, "state": {"__dict__": out}}

    def encode(self, value, path):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        if isinstance(value, np.generic):
            return {"__scalar__": value.dtype.str, "value": value.item()}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise _Unsaveable(path)
            return {"__dict__": {k: self.encode(v, f"{path}.{k}") for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            return self._array(value, path)
        if isinstance(value, bytes) and path.endswith("model_"):
            name = f"{path}.keras"
            self.members[name] = value
            return {"__model__": name}
        if isinstance(value, np.random.RandomState):
            return {"__random_state__": self.encode(value.get_state(), path)}
        # scikit-learn imported here: reading a file's metadata (skae info)
        # imports neither it nor Keras
        from sklearn.base import BaseEstimator

        if isinstance(value, BaseEstimator):  # a detector's backbone_; its class checked at load
            return self.estimator(value, f"{path}.")
        return self._keras(value, path)

    def _array(self, value, path):
        if value.dtype == object:
            if not all(isinstance(v, str) for v in value.ravel()):
                raise _Unsaveable(path)
            value, as_object = value.astype(str), True
        else:
            as_object = False
        if value.dtype.kind not in "biufcU":
            raise _Unsaveable(path)
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return {"__array__": key, "object": as_object}

    def _keras(self, value, path):
        import keras

        if isinstance(value, type):
            if getattr(keras.optimizers, value.__name__, None) is value:
                return {"__optimizer_class__": value.__name__}
            raise _Unsaveable(path)
        module = getattr(value, "__module__", "") or ""
        # a function, or the class of a configurable object, that a user
        # registered with keras.saving.register_keras_serializable
        named = value if hasattr(value, "__name__") else type(value)
        registered = keras.saving.get_registered_name(named)
        is_keras_object = hasattr(value, "get_config") and module.split(".")[0] == "keras"
        is_keras_function = callable(value) and module.split(".")[0] == "keras"
        is_registered = (
            ">" in registered
            and keras.saving.get_registered_object(registered) is named
            and (named is value or hasattr(value, "get_config"))
        )
        if not (is_keras_object or is_keras_function or is_registered):
            raise _Unsaveable(path)
        try:
            config = keras.saving.serialize_keras_object(value)
        except Exception as exc:
            raise _Unsaveable(path) from exc
        return {"__keras__": config}


class _Decoder:
    """Reads what ``_Encoder`` wrote; refuses anything else."""

    def __init__(self, arrays, members, source, custom_objects, classes):
        self.classes = classes
        self.arrays = arrays
        self.members = members
        self.source = source
        self.custom_objects = dict(custom_objects or {})

    def corrupt(self, detail):
        return ValueError(f"{self.source} is not a valid skae model file: {detail}.")

    def decode(self, value):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            raise self.corrupt(f"unexpected value {value!r}")
        tags = [k for k in value if k in _TAGS]
        if len(tags) != 1:
            raise self.corrupt(f"unexpected entry {sorted(value)}")
        tag = tags[0]
        body = value[tag]
        if tag == "__tuple__":
            return tuple(self.decode(v) for v in body)
        if tag == "__dict__":
            return {str(k): self.decode(v) for k, v in body.items()}
        if tag == "__scalar__":
            return np.dtype(body).type(value["value"])
        if tag == "__array__":
            if body not in self.arrays:
                raise self.corrupt(f"array {body!r} is missing from {_ARRAYS}")
            array = self.arrays[body]
            return array.astype(object) if value.get("object") else array
        if tag == "__model__":
            if body not in self.members:
                raise self.corrupt(f"member {body!r} is missing")
            return model_from_bytes(
                self.members[body],
                what=f"network {body!r} in {self.source}",
                custom_objects=self.custom_objects,
            )
        if tag == "__random_state__":
            random_state = np.random.RandomState()
            random_state.set_state(self.decode(body))
            return random_state
        if tag == "__estimator__":
            return self.estimator(body, value.get("state"))
        if tag == "__keras__":
            return self.keras_object(body)
        if tag == "__optimizer_class__":
            import keras

            cls = getattr(keras.optimizers, str(body), None)
            if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
                raise self.corrupt(f"unknown optimizer class {body!r}")
            return cls
        description = str(value.get("description", "?"))
        # a function the user handed back to skae.load by name
        for name, obj in self.custom_objects.items():
            if description.endswith(f".{name}") and callable(obj):
                return obj
        return UnsavedParameter(str(body), description)

    def keras_object(self, config):
        import keras

        check_keras_config(config, what=f"object {config!r} in {self.source}")
        try:
            return keras.saving.deserialize_keras_object(
                config, custom_objects=self.custom_objects, safe_mode=True
            )
        except Exception as exc:
            raise ValueError(
                f"{self.source} holds the Keras object {config!r}, which Keras cannot "
                f"rebuild here ({exc}). If it is your own registered function or "
                "class, import the module that registers it before skae.load."
            ) from exc

    def estimator(self, name, state):
        if name not in self.classes:
            raise self.corrupt(
                f"unknown estimator {name!r} (a class of your own loads when given "
                "by name in custom_objects)"
            )
        cls = self.classes[name]
        if not isinstance(state, dict) or "__dict__" not in state:
            raise self.corrupt(f"no state for {name}")
        state = self.decode(state)
        # a parameter added after the file was written takes its default,
        # which by scikit-learn's convention keeps the former behaviour
        defaults = cls().get_params(deep=False)
        state = {**{k: v for k, v in defaults.items() if k not in state}, **state}
        if bad := [k for k in state if k.startswith("__")]:
            raise self.corrupt(f"{name} has the reserved attributes {bad}")
        estimator = cls.__new__(cls)
        estimator.__setstate__(state)
        return estimator


def _versions():
    import keras
    import sklearn

    return {
        "skae": __version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }


def _summary(estimator):
    """What ``skae info`` shows without loading any network."""
    history = getattr(estimator, "history_", None) or {}
    summary = {
        "n_features_in": getattr(estimator, "n_features_in_", None),
        "feature_names_in": (
            [str(n) for n in estimator.feature_names_in_]
            if hasattr(estimator, "feature_names_in_")
            else None
        ),
        "image_shape": getattr(estimator, "image_shape_", None),
        "n_iter": getattr(estimator, "n_iter_", None),
    }
    for key in ("loss", "val_loss"):
        if history.get(key):
            summary[f"final_{key}"] = float(history[key][-1])
    if hasattr(estimator, "offset_"):
        summary["offset"] = float(estimator.offset_)
    return summary


def save(estimator, path):
    """Write a fitted estimator to ``path`` as one skae file (see module doc)."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    encoder = _Encoder()
    state = encoder.estimator(estimator)
    unsaved = encoder.unsaved
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "versions": _versions(),
        "summary": _summary(estimator),
        "unsaved_parameters": unsaved,
        "state": state,
    }
    arrays = io.BytesIO()
    np.savez(arrays, **encoder.arrays)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_CONFIG, json.dumps(document, indent=1, allow_nan=True))
        archive.writestr(_ARRAYS, arrays.getvalue())
        for name, data in encoder.members.items():
            # already a zip: stored, not compressed again
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    if unsaved:
        listed = "; ".join(f"{k} ({v})" for k, v in unsaved.items())
        functions = sorted({v.rsplit(".", 1)[-1] for v in unsaved.values() if v.startswith("the callable")})
        hint = (
            " A function the networks use must be handed back when loading: "
            f"skae.load(path, custom_objects={{{', '.join(f'{f!r}: {f}' for f in functions)}}}),"
            " or register it with keras.saving.register_keras_serializable before saving."
            if functions
            else ""
        )
        warnings.warn(
            f"{type(estimator).__name__} was saved without these parameters, which "
            f"are neither plain data nor registered Keras objects: {listed}. The loaded "
            "estimator predicts the same, but fitting it again needs "
            f"set_params(...) with their values first.{hint}",
            UserWarning,
            stacklevel=3,
        )


def read_metadata(path):
    """The JSON document of a skae file (no network or array is loaded)."""
    source = f"{str(path)!r}"
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read(_CONFIG))
    except FileNotFoundError:
        raise
    except KeyError:
        raise ValueError(f"{source} is not a skae model file: it has no {_CONFIG}.") from None
    except (zipfile.BadZipFile, IsADirectoryError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{source} is not a skae model file (one written by est.save): {exc}."
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{source} is not a skae model file (one written by est.save).")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{source} was written by a newer skae (file format {version!r}; this "
            f"skae reads format {FORMAT_VERSION} and older). Upgrade skae to load it."
        )
    return document


def read_estimator(path, *, classes, custom_objects=None):
    """The estimator saved in the skae file ``path`` (``skae.load``).

    ``classes`` maps the class names a file may name to the classes to
    build; anything else is refused as a corrupt file.
    """
    document = read_metadata(path)
    source = f"{str(path)!r}"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        models = {
            m for m in names if re.fullmatch(r"[A-Za-z0-9_.]*model_\.keras", m)
        }
        if extra := names - {_CONFIG, _ARRAYS} - models:
            raise ValueError(
                f"{source} is not a valid skae model file: unexpected members "
                f"{sorted(extra)}. Nothing from it was loaded."
            )
        if _ARRAYS not in names:
            raise ValueError(f"{source} is not a valid skae model file: {_ARRAYS} is missing.")
        try:
            with np.load(io.BytesIO(archive.read(_ARRAYS)), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except ValueError as exc:
            raise ValueError(
                f"{source} is not a valid skae model file: {_ARRAYS} holds pickled "
                f"objects, which skae never writes and never loads ({exc})."
            ) from exc
        members = {m: archive.read(m) for m in models}
    _warn_versions(document.get("versions", {}))
    decoder = _Decoder(arrays, members, source, custom_objects, classes)
    state = document.get("state")
    if not isinstance(state, dict) or state.get("__estimator__") != document.get("estimator"):
        raise decoder.corrupt("its state names no estimator")
    estimator = decoder.decode(state)
    _check_consistent(estimator, source)
    return estimator


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


def _check_consistent(estimator, source):
    """The fitted arrays and the networks must agree on every shape."""
    for est in (estimator, getattr(estimator, "backbone_", None)):
        if est is None or not hasattr(est, "model_"):
            continue
        # columns of X read as the condition (condition_columns_) are not the network's
        n_features = est.n_features_in_ - len(getattr(est, "condition_columns_", None) or ())
        problems = []
        if np.shape(est.mean_) != (n_features,):
            problems.append(f"mean_ has shape {np.shape(est.mean_)}, expected ({n_features},)")
        if np.size(est.scale_) != 1 and np.shape(est.scale_) != (n_features,):
            problems.append(f"scale_ has shape {np.shape(est.scale_)}")
        network = tuple(est._fitted_network_shape)
        if int(np.prod(network)) != n_features:
            problems.append(f"the network takes {network}, not {n_features} features")
        try:
            model_input = tuple(est.encoder_.inputs[0].shape[1:])
        except (AttributeError, IndexError, TypeError):  # a user's network
            model_input = network
        if model_input != network:
            problems.append(f"the model takes inputs of shape {model_input}, expected {network}")
        if problems:
            raise ValueError(
                f"{source} is not a valid skae model file: {'; '.join(problems)}."
            )
