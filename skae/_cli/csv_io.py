"""The input and output of the ``skae`` command: CSV files and option values.

Everything here runs before an estimator is needed, so it imports neither
Keras nor TensorFlow (NumPy only inside :func:`read_numeric_csv`): bad input
and bad option values are reported at once. :mod:`skae.cli` holds the
commands and the parser.
"""

import argparse
import contextlib
import csv
import math
import numbers
import os
import re
import sys

# Values a numeric CSV cell may hold that mean "missing".
_MISSING = {"", "na", "nan", "n/a", "null", "none", "-nan"}


class CommandError(Exception):
    """A problem with the user's input, reported as one line without traceback.

    ``main`` prints it as ``skae COMMAND: error: MESSAGE`` and exits with
    status 1.

    Examples
    --------
    >>> from skae.cli import CommandError, read_numeric_csv
    >>> try:
    ...     read_numeric_csv("no/such/file.csv")
    ... except CommandError as exc:
    ...     print(exc)
    no/such/file.csv: no such file.
    """


# ----------------------------------------------------------------------
# CSV input and output
# ----------------------------------------------------------------------
def read_numeric_csv(path):
    """Read a numeric CSV file with a header row.

    Parameters
    ----------
    path : str
        The file; ``-`` reads standard input.

    Returns
    -------
    header : list of str
        The column names.
    X : ndarray of shape (n_rows, n_columns)
        The values, as float64.

    Raises
    ------
    CommandError
        With a one-line message naming the file, the column and the row, when
        the file is missing, empty, ragged, or holds non-numeric or missing
        values.
    """
    import numpy as np

    name = display_name(path)
    if path != "-" and not os.path.exists(path):
        raise CommandError(f"{name}: no such file.")
    if path != "-" and os.path.isdir(path):
        raise CommandError(f"{name}: is a directory, expected a CSV file.")
    try:
        opened = (
            contextlib.nullcontext(sys.stdin)
            if path == "-"
            else open(path, newline="", encoding="utf-8-sig")
        )
        with opened as handle:
            reader = csv.reader(handle)
            # (line number in the file, cells) of each non-blank row
            rows = [
                (reader.line_num, row) for row in reader if any(c.strip() for c in row)
            ]
    except UnicodeDecodeError:
        raise CommandError(f"{name}: not a text CSV file (it is not UTF-8).") from None
    except (OSError, csv.Error) as exc:
        raise CommandError(f"{name}: can not be read as CSV ({exc}).") from None
    if not rows:
        raise CommandError(
            f"{name}: the file is empty; expected a header row of column names "
            "and one row of numbers per sample."
        )
    header = [name.strip() for name in rows[0][1]]
    body = rows[1:]
    if not body:
        raise CommandError(f"{name}: the file has a header row but no data rows.")
    _check_header(name, header)
    values = np.empty((len(body), len(header)), dtype=np.float64)
    for i, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise CommandError(
                f"{name}: line {line} has {len(row)} value"
                f"{'' if len(row) == 1 else 's'}, but the header has "
                f"{len(header)} columns."
            )
        for j, cell in enumerate(row):
            values[i, j] = _parse_number(name, cell, header[j], line)
    return header, values


def display_name(path):
    return "<stdin>" if path == "-" else path


def _check_header(path, header):
    numeric = [name for name in header if _is_number(name)]
    if len(numeric) == len(header):
        raise CommandError(
            f"{path}: the first row holds numbers ({', '.join(header[:3])}...); "
            "expected a header row of column names. Add one, e.g. x0,x1,..."
        )
    if len(set(header)) != len(header):
        duplicates = sorted({name for name in header if header.count(name) > 1})
        raise CommandError(f"{path}: duplicate column names {duplicates} in the header.")


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_number(path, cell, column, line):
    text = cell.strip()
    if text.lower() in _MISSING:
        raise CommandError(
            f"{path}: column {column!r} has a missing value (NaN) on line {line}; "
            "fill or drop the missing values first."
        )
    try:
        value = float(text)
    except ValueError:
        raise CommandError(
            f"{path}: column {column!r} is not numeric (line {line} holds "
            f"{text!r}); encode it as numbers or drop the column."
        ) from None
    if not math.isfinite(value):
        raise CommandError(
            f"{path}: column {column!r} holds {text!r} on line {line}; only finite "
            "numbers are accepted."
        )
    return value


def write_csv(path, header, rows, stdout=None, *, overwrite=True):
    """Write a header and rows of values (``-`` writes to ``stdout``).

    With ``overwrite=False`` an existing file is an error, even one created
    while the model trained.
    """
    formatted = [[_format(value) for value in row] for row in rows]
    if path == "-":
        writer = csv.writer(stdout or sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(formatted)
        return
    try:
        with open(path, "w" if overwrite else "x", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(formatted)
    except FileExistsError:
        raise CommandError(exists_message(path)) from None
    except OSError as exc:
        raise CommandError(f"{path}: can not write the output ({exc.strerror}).") from None


def _format(value):
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return repr(float(value))


def check_output(path, input_path="-", force=False, *, flag="-o"):
    """Fail before training when the output can not, or must not, be written.

    An input file (``input_path``: a path, or a tuple of them, such as the
    model and the data) is never overwritten, whatever name (``./data.csv``,
    a link) the output gives it; another existing file only with ``--force``.
    ``flag`` is the option that named ``path``, for the messages.
    """
    if path == "-":
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{path}: the directory {directory} does not exist.")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory; give a file name for {flag}.")
    inputs = (input_path,) if isinstance(input_path, (str, os.PathLike)) else input_path
    for source in inputs:
        if source == "-" or not os.path.exists(source):
            continue
        same = os.path.realpath(path) == os.path.realpath(source)
        if same or (os.path.exists(path) and os.path.samefile(path, source)):
            raise CommandError(
                f"{path}: this is the input file {source}; give {flag} another file "
                "name (--force never overwrites the input)."
            )
    if os.path.lexists(path) and not force:
        raise CommandError(exists_message(path, flag))


def exists_message(path, flag="-o"):
    return (
        f"{path}: the file already exists; add --force to overwrite it, or give {flag} "
        "another file name."
    )


# ----------------------------------------------------------------------
# values too large for float64
# ----------------------------------------------------------------------
def check_standardizable(path, header, X):
    """Fail before training when ``--standardize`` would overflow float64.

    StandardScaler squares the deviations from the mean: values beyond about
    1e154 overflow, and the scaled data would be NaN.
    """
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        mean = X.mean(axis=0)
        variance = ((X - mean) ** 2).mean(axis=0)
    overflows = ~(np.isfinite(mean) & np.isfinite(variance))
    if overflows.any():
        column = int(np.argmax(overflows))
        top = float(np.max(np.abs(X[:, column])))
        raise CommandError(
            f"{path}: column {header[column]!r} holds values too large for "
            f"--standardize (up to {top:.3g}: their variance overflows); rescale "
            f"the data first, e.g. divide every value by {_divisor(X)}."
        )


def check_finite(values, what, verb, path, X):
    """Fail, before anything is written, when ``values`` are not all finite."""
    import numpy as np

    if not np.all(np.isfinite(values)):
        raise CommandError(
            f"{path}: the {what} are infinite or NaN: the values of the file (up to "
            f"{float(np.max(np.abs(X))):.3g}) are too large to {verb} "
            f"in float64. Rescale the data first, e.g. divide every value by "
            f"{_divisor(X)}; nothing was written."
        )


def _divisor(X):
    """A power of ten that brings the largest value of ``X`` near 1."""
    import numpy as np

    return f"1e{int(np.floor(np.log10(np.max(np.abs(X)))))}"


# ----------------------------------------------------------------------
# estimator messages in the command's terms
# ----------------------------------------------------------------------
# The estimator parameters the commands set, and their flags.
FLAGS = {
    "n_components": "--n-components",
    "hidden_layer_sizes": "--hidden-layer-sizes",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "validation_fraction": "--validation-fraction",
    "random_state": "--random-state",
    "noise_level": "--noise-level",
    "contamination": "--contamination",
    "backbone": "--backbone",
}
# name=value, the value a quoted string, a tuple or a word (not its final period)
_ASSIGNMENT = re.compile(
    r"\b(?P<name>early_stopping|%s)=(?P<value>'[^']*'|\([^)]*\)|[^\s,;)]*[^\s,;).])"
    % "|".join(FLAGS)
)
# bare names: only those that can not be English words
_BARE = re.compile(r"\b(early_stopping|%s)\b" % "|".join(n for n in FLAGS if "_" in n))


def in_flags(message):
    """An estimator's message with its parameter names spelt as flags.

    Examples
    --------
    >>> in_flags("Use a larger validation_fraction, or early_stopping=False.")
    'Use a larger --validation-fraction, or --no-early-stopping.'
    """

    def assignment(match):
        name, value = match["name"], match["value"].strip("'")
        if name == "early_stopping":
            return "--no-early-stopping" if value == "False" else "early stopping"
        if value.startswith("("):
            value = ",".join(v.strip() for v in value.strip("()").split(",") if v.strip())
        return f"{FLAGS[name]} {value}"

    message = _ASSIGNMENT.sub(assignment, message)
    message = _BARE.sub(lambda m: FLAGS.get(m[1], "early stopping"), message)
    return message.replace("with StandardScaler", "with --standardize")


# ----------------------------------------------------------------------
# option values (argparse ``type=`` functions: a usage error, exit status 2)
# ----------------------------------------------------------------------
def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def n_components(text):
    """``--n-components``: a positive integer, or ``auto`` (the detector's)."""
    return "auto" if text == "auto" else positive_int(text)


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def layer_sizes(text):
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, such as 128,64; got {text!r}"
        )
    return sizes


def open_fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1), such as 0.2; got {text!r}"
        )
    return value


def contamination(text):
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 0.5:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a fraction in (0, 0.5], such as 0.05; got {text!r}"
        )
    return value
