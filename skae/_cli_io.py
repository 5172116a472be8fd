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


def write_csv(path, header, rows, stdout=None):
    """Write a header and rows of values (``-`` writes to ``stdout``)."""
    formatted = [[_format(value) for value in row] for row in rows]
    if path == "-":
        writer = csv.writer(stdout or sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(formatted)
        return
    try:
        with open(path, "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(formatted)
    except OSError as exc:
        raise CommandError(f"{path}: can not write the output ({exc.strerror}).") from None


def _format(value):
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return repr(float(value))


def check_output(path):
    """Fail before training when the output can not be written."""
    if path == "-":
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{path}: the directory {directory} does not exist.")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory; give a file name for -o.")


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
