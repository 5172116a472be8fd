"""Keras models as the bytes of ``.keras`` files, and the checks before loading one.

``model_to_bytes``/``model_from_bytes`` carry a network through pickle,
skops and skae files; ``check_keras_archive`` refuses, before Keras builds
anything, an archive with unexpected or damaged members or a config naming
a ``Lambda`` layer or an object from outside Keras and skae.
"""

import inspect
import io
import json
import os
import re
import tempfile
import zipfile
import zlib

# members of a .keras archive as Keras 3 writes it
_KERAS_MEMBERS = {"metadata.json", "config.json", "model.weights.h5"}


def model_to_bytes(model):
    """The bytes of ``model`` saved as a ``.keras`` file (optimizer state included)."""
    return _save_archive(model)


def model_from_bytes(data, *, what="model", custom_objects=None):
    """The Keras model in ``data`` (a ``.keras`` file), loaded in safe mode.

    The archive is checked first (``check_keras_archive``), so a Lambda layer
    is refused by skae even where Keras's own safe mode was switched off.
    """
    check_keras_archive(data, what=what)
    try:
        return _load_archive(data, custom_objects)
    except Exception as exc:  # Keras raises many types; the cause is kept
        missing = re.search(r"Could not locate (?:function|class) '([^']+)'", str(exc))
        hint = (
            f" It uses {missing.group(1)!r}, which is not registered with Keras: "
            f"pass custom_objects={{{missing.group(1)!r}: ...}} to skae.load, or "
            "decorate it with keras.saving.register_keras_serializable."
            if missing
            else ""
        )
        raise ValueError(f"The {what} could not be loaded by Keras.{hint} ({exc})") from exc


# Keras's public saving reads and writes paths only: a .keras archive goes
# through a temporary file. Keras's private saving_lib reads and writes file
# objects, but that saves only 1 to 4 ms of a small estimator's save or
# load, under a tenth (benchmarks/private_apis.py): not worth an internal.


def _save_archive(model):
    """The bytes of Keras's ``save_model`` of ``model``, through a temporary file."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as file:
            return file.read()


def _load_archive(data, custom_objects):
    """Keras's ``load_model`` (safe mode) of the ``.keras`` file ``data``, through a temporary file."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as file:
            file.write(data)
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=True)


def functions_in(state):
    """The plain functions among a state's values, by name (for Keras's lookup)."""
    return {v.__name__: v for v in state.values() if inspect.isfunction(v)}


def _keras_config_objects(config):
    """Every (class_name, module) pair named anywhere in a Keras config."""
    if isinstance(config, dict):
        if "class_name" in config:
            yield config.get("class_name"), config.get("module")
        for value in config.values():
            yield from _keras_config_objects(value)
    elif isinstance(config, list):
        for value in config:
            yield from _keras_config_objects(value)


def check_keras_config(config, *, what):
    """Refuse a Keras config that could run code when deserialised."""
    for class_name, module in _keras_config_objects(config):
        if class_name in ("Lambda", "__lambda__") or (
            isinstance(module, str) and module.split(".")[0] not in ("keras", "skae", "builtins")
        ):
            raise ValueError(
                f"The {what} holds a {class_name!r} object from module {module!r}; "
                "skae only loads Keras layers and skae's own, so that loading cannot "
                "run code from the file. Refit the estimator, or load the file with "
                "pickle if you trust its source."
            )


def check_keras_archive(data, *, what="model"):
    """Check a ``.keras`` archive's members and config without building anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if not names <= _KERAS_MEMBERS or "config.json" not in names:
                raise ValueError(
                    f"The {what} is not a Keras model file as Keras writes it: "
                    f"unexpected members {sorted(names - _KERAS_MEMBERS)} "
                    f"(expected {sorted(_KERAS_MEMBERS)})."
                )
            # every member's checksum: Keras reads the weights in parts, unchecked
            if (damaged := archive.testzip()) is not None:
                raise zipfile.BadZipFile(f"the member {damaged!r} is damaged (bad CRC-32)")
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, zlib.error, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"The {what} is not a valid .keras file: {exc}") from exc
    except RecursionError:
        raise ValueError(f"The {what} is not a valid .keras file: its config nests too deep.") from None
    try:
        check_keras_config(config, what=what)
    except RecursionError:
        raise ValueError(f"The {what} is not a valid .keras file: its config nests too deep.") from None
