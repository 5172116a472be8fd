"""Model files on the command line: reading them, checking a CSV against them, ``info``.

Everything here reads the JSON document of a skae file
(:func:`skae._io.reading.read_metadata`) and never loads a network, so it
imports neither Keras nor TensorFlow: ``skae info`` answers at once, and a
CSV whose columns do not match the model is refused before Keras is imported.
Loading and saving estimators stays in :mod:`skae.cli`.
"""

import json
import os

from .._io.reading import DAMAGED, read_metadata
from .csv_io import CommandError, display_name

DETECTOR = "AutoencoderOutlierDetector"
# the most names a one-line message or the text of ``info`` lists
_SHOWN = 8


def read_model(path):
    """The JSON document of the model file ``path``, or a one-line CommandError."""
    if path == "-":
        raise CommandError("a model file can not be read from standard input; give its path.")
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file.")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory, expected a model file.")
    try:
        return read_metadata(path)
    except ValueError as exc:
        # a newer file, or one damaged or edited: skae's own message says which
        if "newer skae" in str(exc) or DAMAGED in str(exc):
            raise CommandError(" ".join(str(exc).split())) from None
        raise CommandError(
            f"{path}: not a skae model file; give one written by `skae fit` (or by "
            "est.save in Python)."
        ) from None
    except OSError as exc:
        raise CommandError(f"{path}: can not be read ({exc.strerror}).") from None


def _some(names):
    """Up to ``_SHOWN`` names, quoted, and how many more there are."""
    shown = ", ".join(repr(str(n)) for n in names[:_SHOWN])
    more = len(names) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def check_columns(header, document, data_path, model_path):
    """Refuse a CSV whose columns are not those the model was fitted on.

    With feature names in the model, the header must hold the same names in
    the same order (as scikit-learn requires of DataFrames); without them
    (a model fitted on an array), the same number of columns.
    """
    summary = document.get("summary") or {}
    names = summary.get("feature_names_in")
    n_features = summary.get("n_features_in")
    data, model = display_name(data_path), model_path
    if names is None:
        if n_features is not None and len(header) != n_features:
            raise CommandError(
                f"{data}: {len(header)} columns, but {model} was fitted on "
                f"{n_features} unnamed features; give a CSV of {n_features} columns "
                "in the order of the training data."
            )
        return
    names = [str(n) for n in names]
    if header == names:
        return
    missing = [n for n in names if n not in header]
    unexpected = [h for h in header if h not in names]
    problems = []
    if missing:
        problems.append(f"missing {_some(missing)}")
    if unexpected:
        problems.append(f"unexpected {_some(unexpected)}")
    if not problems:
        position = next(i for i, (h, n) in enumerate(zip(header, names)) if h != n)
        problems.append(
            f"the same columns in another order (column {position + 1} is "
            f"{header[position]!r}, the model expects {names[position]!r})"
        )
    raise CommandError(
        f"{data}: the columns do not match those {model} was fitted on: "
        f"{'; '.join(problems)}. Give the columns {_some(names)}, in that order."
    )


# ----------------------------------------------------------------------
# skae info
# ----------------------------------------------------------------------
def _plain(value, *, short):
    """A state value of the file as plain JSON data (``short``: for reading)."""
    if isinstance(value, list):
        return [_plain(v, short=short) for v in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("__tuple__"), list):
        return [_plain(v, short=short) for v in value["__tuple__"]]
    if isinstance(value.get("__dict__"), dict):
        return {k: _plain(v, short=short) for k, v in value["__dict__"].items()}
    if "__scalar__" in value:
        return value.get("value")
    if "__optimizer_class__" in value:
        return value["__optimizer_class__"]
    if "__estimator__" in value:
        return value["__estimator__"]
    if "__keras__" in value:
        config = value["__keras__"]
        if not short or not isinstance(config, dict):
            return config
        if config.get("class_name") == "function":
            return str(config.get("config"))
        return str(config.get("class_name"))
    if "__unsaved__" in value:
        return f"<not saved: was {value.get('description', '?')}>"
    return "<array>" if "__array__" in value else repr(value)


def parameters(document, *, short=False):
    """The estimator's parameters, by name (scikit-learn's ``get_params(deep=False)``).

    Read from the saved state without importing the estimator: parameters
    are its entries that neither end with ``_`` (fitted) nor start with it
    (private), the naming every skae estimator follows.
    """
    try:
        state = document["state"]["state"]["__dict__"]
    except (KeyError, TypeError):
        return {}
    if not isinstance(state, dict):  # a damaged file, which skae.load refuses
        return {}
    return {
        name: _plain(value, short=short)
        for name, value in sorted(state.items())
        if not (name.startswith("_") or name.endswith("_"))
    }


def info_json(path, document):
    """What ``skae info --json`` prints."""
    return {
        "file": path,
        "estimator": document.get("estimator"),
        "format_version": document.get("format_version"),
        "parameters": parameters(document),
        "summary": document.get("summary") or {},
        "versions": document.get("versions") or {},
        "unsaved_parameters": document.get("unsaved_parameters") or {},
    }


def _number(value):
    return "-" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def _shown(value):
    if isinstance(value, list):
        return ",".join(str(v) for v in value) if value else "()"
    if isinstance(value, dict):
        return json.dumps(value)
    return "None" if value is None else str(value)


def info_text(path, document):
    """What ``skae info`` prints: the estimator, its training, parameters, versions."""
    summary = document.get("summary") or {}
    versions = document.get("versions") or {}
    estimator = document.get("estimator")
    lines = [f"{path}: {estimator} (skae model file, format {document.get('format_version')})"]

    lines += ["", "training"]
    names = summary.get("feature_names_in")
    n_features = summary.get("n_features_in")
    if names:
        listed = ", ".join(str(n) for n in names[:_SHOWN])
        if len(names) > _SHOWN:
            listed += f", ... ({len(names) - _SHOWN} more; --json lists all)"
        lines.append(f"  features        {n_features}: {listed}")
    else:
        lines.append(f"  features        {_number(n_features)} (unnamed)")
    if summary.get("image_shape"):
        lines.append(f"  image shape     {'x'.join(str(s) for s in summary['image_shape'])}")
    lines.append(f"  epochs          {_number(summary.get('n_iter'))}")
    for key in ("final_loss", "final_val_loss"):
        if key in summary:
            lines.append(f"  {key.replace('_', ' '):<16}{_number(summary[key])}")
    if "offset" in summary:
        lines.append(
            f"  offset          {_number(summary['offset'])} (rows whose score_samples "
            "is below it are outliers)"
        )

    params = parameters(document, short=True)
    width = max((len(name) for name in params), default=0) + 2
    lines += ["", "parameters"]
    lines += [f"  {name:<{width}}{_shown(value)}" for name, value in params.items()]
    unsaved = document.get("unsaved_parameters") or {}
    if unsaved:
        lines += ["", "not saved (set them again before refitting in Python)"]
        lines += [f"  {name:<{width}}{description}" for name, description in unsaved.items()]

    lines += ["", "written with"]
    for library in ("skae", "keras", "keras_backend", "scikit-learn", "numpy"):
        if library in versions:
            lines.append(f"  {library:<16}{versions[library]}")
    return "\n".join(lines) + "\n"
