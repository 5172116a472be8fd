"""Intersphinx inventories written at build time, so the build stays offline.

Sphinx's intersphinx links ``:class:`sklearn.pipeline.Pipeline``` to another
project's docs through that project's ``objects.inv``, which it normally
downloads. These builds have no network, so ``conf.py`` calls
:func:`write_inventories` and points ``intersphinx_mapping`` at the files it
writes:

* scikit-learn: every public class and function (and each class's public
  methods) of the *installed* scikit-learn, at the URL scikit-learn's docs
  give them (``modules/generated/<name>.html#<name>``), so the links follow
  the version skae is built against without a list to maintain;
* Keras and NumPy: their few objects these docs name, listed below by hand.
  keras.io is not built with Sphinx and has no inventory of its own, and
  NumPy's URLs follow no single pattern. Add a row when a page names a new
  one (an unknown name stays plain text; the build does not fail);
* scikeras: the two wrappers the fine-tuning bridge returns.
"""

import importlib
import inspect
import zlib
from pathlib import Path

SKLEARN_URL = "https://scikit-learn.org/stable/"
KERAS_URL = "https://keras.io/api/"
NUMPY_URL = "https://numpy.org/doc/stable/"
SCIKERAS_URL = "https://adriangb.com/scikeras/stable/"

# name -> (role, page under KERAS_URL)
KERAS = {
    "keras.Model": ("class", "models/model/"),
    "keras.Model.fit": ("method", "models/model_training_apis/#fit-method"),
    "keras.Model.compile": ("method", "models/model_training_apis/#compile-method"),
    "keras.Model.summary": ("method", "models/base_model_api/#summary-method"),
    "keras.Sequential": ("class", "models/sequential/"),
    "keras.Input": ("function", "layers/core_layers/input/"),
    "keras.layers.Layer": ("class", "layers/base_layer/"),
    "keras.layers.Dense": ("class", "layers/core_layers/dense/"),
    "keras.layers.Conv2D": ("class", "layers/convolution_layers/convolution2d/"),
    "keras.layers.Dropout": ("class", "layers/regularization_layers/dropout/"),
    "keras.layers.BatchNormalization": (
        "class",
        "layers/normalization_layers/batch_normalization/",
    ),
    "keras.callbacks.Callback": ("class", "callbacks/base_callback/"),
    "keras.callbacks.EarlyStopping": ("class", "callbacks/early_stopping/"),
    "keras.callbacks.ReduceLROnPlateau": ("class", "callbacks/reduce_lr_on_plateau/"),
    "keras.callbacks.History": ("class", "callbacks/"),
    "keras.optimizers.Optimizer": ("class", "optimizers/"),
    "keras.optimizers.Adam": ("class", "optimizers/adam/"),
    "keras.losses": ("module", "losses/"),
    "keras.ops": ("module", "ops/"),
    "keras.distribution": ("module", "distribution/"),
    "keras.saving.register_keras_serializable": (
        "function",
        "models/model_saving_apis/serialization_utils/#registerkerasserializable-function",
    ),
    "keras.models.load_model": (
        "function",
        "models/model_saving_apis/model_saving_and_loading/#loadmodel-function",
    ),
}

# name -> (role, page under NUMPY_URL)
NUMPY = {
    "numpy.ndarray": ("class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
    "numpy.dtype": ("class", "reference/generated/numpy.dtype.html#numpy.dtype"),
    "numpy.memmap": ("class", "reference/generated/numpy.memmap.html#numpy.memmap"),
    "numpy.float32": ("class", "reference/arrays.scalars.html#numpy.float32"),
    "numpy.float64": ("class", "reference/arrays.scalars.html#numpy.float64"),
    "numpy.random.Generator": (
        "class",
        "reference/random/generator.html#numpy.random.Generator",
    ),
    "numpy.random.RandomState": (
        "class",
        "reference/random/legacy.html#numpy.random.RandomState",
    ),
    "numpy.load": ("function", "reference/generated/numpy.load.html#numpy.load"),
    "numpy.save": ("function", "reference/generated/numpy.save.html#numpy.save"),
}

SCIKERAS = {
    name: ("class", f"generated/{name}.html#{name}")
    for name in ("scikeras.wrappers.KerasClassifier", "scikeras.wrappers.KerasRegressor")
}


def sklearn_objects():
    """``{name: (role, page)}`` for the installed scikit-learn's public API."""
    import sklearn

    objects = {}
    modules = ["sklearn"] + [
        f"sklearn.{name}" for name in sklearn.__all__ if not name[0].isupper()
    ]
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a function in sklearn.__all__, or an optional module
            continue
        if module_name != "sklearn":
            objects[module_name] = ("module", f"api/{module_name}.html")
        for name in getattr(module, "__all__", ()):
            try:
                obj = getattr(module, name)
            except (AttributeError, ImportError):  # experimental, needs an enable_ import
                continue
            if inspect.isclass(obj):
                role = "exception" if issubclass(obj, BaseException) else "class"
            elif callable(obj):
                role = "function"
            else:
                continue
            full = f"{module_name}.{name}"
            page = f"modules/generated/{full}.html"
            objects[full] = (role, f"{page}#{full}")
            if role == "class":
                for member, value in vars(obj).items():
                    if not member.startswith("_") and callable(value):
                        objects[f"{full}.{member}"] = ("method", f"{page}#{full}.{member}")
    return objects


def _write(path, project, version, objects):
    lines = [
        f"{name} py:{role} 1 {uri} -\n" for name, (role, uri) in sorted(objects.items())
    ]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))


def write_inventories(folder):
    """Write the inventories into ``folder``; return ``intersphinx_mapping``."""
    import numpy
    import sklearn

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sources = {
        "sklearn": (SKLEARN_URL, "scikit-learn", sklearn.__version__, sklearn_objects()),
        "keras": (KERAS_URL, "Keras", "3", KERAS),
        "numpy": (NUMPY_URL, "NumPy", numpy.__version__, NUMPY),
        "scikeras": (SCIKERAS_URL, "scikeras", "stable", SCIKERAS),
    }
    mapping = {}
    for key, (url, project, version, objects) in sources.items():
        path = folder / f"{key}.inv"
        _write(path, project, version, objects)
        mapping[key] = (url, str(path))
    return mapping
