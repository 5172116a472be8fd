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
  network. This module writes it; ``_io.reading`` reads it back, importing
  nothing named in the file and checking every piece against every other
  (``_io.fitted_schema``) before the estimator is returned.
"""

import io
import json
import warnings
import zipfile

import numpy as np

from .._concurrency import state_lock
from .._version import __version__
from .output_paths import checked_output, written_whole

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
            file is replaced once the new one is complete (a failed save
            leaves it as it was); a directory, an empty path or a folder
            that does not exist is refused.

        Returns
        -------
        self : object
            The estimator, unchanged.

        Raises
        ------
        ValueError
            If ``path`` is empty or is a directory.
        FileNotFoundError
            If the folder of ``path`` does not exist.
        PermissionError
            If the folder of ``path`` cannot be written.

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
    owner = f"{type(estimator).__name__}.save"
    if not hasattr(path, "write"):
        path = checked_output(
            path, directory=False, overwrite=True, owner=owner, example="model.skae"
        )
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
    if hasattr(path, "write"):  # a binary file object: written as it is
        _write_archive(path, document, arrays.getvalue(), encoder.members)
    else:
        # beside path, then moved into place: a failed save leaves the former file
        with written_whole(path, directory=False, owner=owner) as target:
            _write_archive(target, document, arrays.getvalue(), encoder.members)
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


def _write_archive(path, document, arrays, members):
    """The zip of a skae file, written to ``path`` (a path or a binary file object)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_CONFIG, json.dumps(document, indent=1, allow_nan=True))
        archive.writestr(_ARRAYS, arrays)
        for name, data in members.items():
            # already a zip: stored, not compressed again
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
