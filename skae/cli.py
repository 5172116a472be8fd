"""The ``skae`` command: autoencoders on a CSV file, without writing code.

::

    skae embed data.csv -o codes.csv --n-components 8 [--save-model model.skae]
    skae detect data.csv -o scores.csv --contamination 0.05 [--save-model model.skae]
    skae fit data.csv -o model.skae --model autoencoder|vae|denoising|detector
    skae transform model.skae data.csv -o codes.csv
    skae score model.skae data.csv -o scores.csv
    skae info model.skae [--json]
    skae demo

The input is a numeric CSV file with a header row of feature names. Bad input
(a missing or empty file, a non-numeric column, a missing value) ends with a
one-line message on stderr and exit status 1, and is caught before Keras is
imported, so it is reported at once. Command-line usage errors exit with 2.

Model files are those of ``est.save`` and ``skae.load``:

* ``fit`` trains as ``embed`` (``--model autoencoder|vae|denoising``) or
  ``detect`` (``--model detector``) would, with the same options and seed, and
  writes the fitted estimator: ``fit`` then ``transform`` writes what ``embed``
  writes, ``fit --model detector`` then ``score`` what ``detect`` writes. An
  option of another model (``--contamination`` without ``--model detector``,
  ``--noise-level`` without ``--model denoising``) is a usage error, and so is
  ``--standardize``: a model file holds one estimator, not a pipeline with its
  scaler. The estimator is fitted on the CSV's columns by name (with pandas or
  polars installed; otherwise it records only their number). The progress
  display (``callbacks``, ``verbose``) is not saved.
* ``transform`` writes the codes, with the columns of
  ``get_feature_names_out``. A detector has no codes: ``transform`` refuses
  it and points at ``score``.
* ``score`` writes ``anomaly_score``, higher for more anomalous rows (minus
  ``score_samples``: the mean squared reconstruction error, or minus the ELBO
  of a VAE), and for a detector ``label`` (1 inlier, -1 outlier): the columns
  of ``detect``.
* The CSV must have the columns the model was fitted on, in the same order
  (as scikit-learn requires of DataFrames); otherwise a one-line error names
  the missing, unexpected or misplaced columns. This is checked against the
  model file's metadata before Keras is imported, as is a file that is not a
  skae model. A model fitted on unnamed data checks the number of columns.
* ``info`` prints the estimator, its training summary, feature names,
  parameters and the versions that wrote it, from the file's metadata only
  (it never imports Keras); ``--json`` prints the same as one JSON object.
* No output, CSV or model, overwrites an existing file without ``--force``,
  and none ever overwrites an input (the data or the model file).

Keras (and so TensorFlow) is imported only once the input has been read.
Reading and writing the CSV files and checking the option values live in
``skae._cli.csv_io``, reading model files' metadata in ``skae._cli.model_files``, the
parser and its help in ``skae._cli.parser``; this module holds the commands.
"""

import contextlib
import json
import os
import sys
import time
import uuid
import warnings

from ._cli.csv_io import (
    CommandError,
    check_finite,
    check_output,
    check_standardizable,
    display_name,
    exists_message,
    in_flags,
    read_numeric_csv,
    write_csv,
)
from ._cli.model_files import DETECTOR, check_columns, info_json, info_text, read_model
from ._cli.parser import (
    FIT_MODELS,
    MODELS,  # the names of embed's --model, for tests and users  # noqa: F401
    build_parser,
    check_option_combinations,
)


# ----------------------------------------------------------------------
# progress
# ----------------------------------------------------------------------
def _progress_callback(stream, max_epochs):
    """A Keras callback printing one updating progress line to ``stream``.

    On a terminal the line is redrawn each epoch; otherwise (a log file) a
    line is written at most every 10 seconds, and once at the end.
    """
    import keras

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = self.last = time.monotonic()
            self.tty = stream.isatty()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            now = time.monotonic()
            done = epoch + 1
            width = 24
            filled = int(width * done / max_epochs)
            bar = "#" * filled + "." * (width - filled)
            losses = " ".join(
                f"{key} {logs[key]:.4g}" for key in ("loss", "val_loss") if key in logs
            )
            line = (
                f"training [{bar}] epoch {done}/{max_epochs} {losses} "
                f"({now - self.start:.0f} s)"
            )
            if self.tty:
                stream.write("\r" + line.ljust(79))
                stream.flush()
            elif now - self.last >= 10:
                stream.write(line + "\n")
                stream.flush()
                self.last = now

        def on_train_end(self, logs=None):
            if self.tty:
                stream.write("\n")
            stream.flush()

    return Progress()


# ----------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------
def _load_estimators():
    from ._startup import quiet_tensorflow_startup

    quiet_tensorflow_startup()
    import skae

    return skae


def _training_params(args):
    params = {
        "n_components": _n_components(args),
        "hidden_layer_sizes": args.hidden_layer_sizes,
        "batch_size": args.batch_size,
        "random_state": args.random_state,
        "verbose": 1 if args.verbose else 0,
    }
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.learning_rate is not None:
        params["learning_rate"] = args.learning_rate
    if args.no_early_stopping:
        params["early_stopping"] = False
    if args.validation_fraction is not None:
        params["validation_fraction"] = args.validation_fraction
    return params


def _new_estimator(skae, args):
    """The unfitted estimator of ``args.model`` with the command's options."""
    params = _training_params(args)
    # options of other models were refused in main; None: the estimator's default
    for name in ("noise_level", "contamination", "backbone"):
        if getattr(args, name, None) is not None:
            params[name] = getattr(args, name)
    return getattr(skae, FIT_MODELS[args.model])(**params)


def _with_names(header, X):
    """X as a data frame with the CSV's column names, when pandas or polars is here.

    The estimator then records them in ``feature_names_in_`` (and a model file
    in its metadata, for checking the CSVs it is later given). Without either
    library it gets the array and records only the number of columns.
    """
    try:
        import pandas

        return pandas.DataFrame(X, columns=header, copy=False)
    except ImportError:
        pass
    try:
        import polars

        return polars.from_numpy(X, schema=header, orient="row")
    except ImportError:
        return X


def _fit(estimator, X, args, stderr):
    params = estimator.get_params()
    if not (args.quiet or args.verbose):
        estimator.set_params(callbacks=[_progress_callback(stderr, params["epochs"])])
    model = estimator
    if args.standardize:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(StandardScaler(), estimator)
    start = time.monotonic()
    model.fit(X)
    if not args.quiet:
        stderr.write(
            f"trained {type(estimator).__name__} on {X.shape[0]} rows x "
            f"{X.shape[1]} columns: {estimator.n_iter_} epochs in "
            f"{time.monotonic() - start:.1f} s\n"
        )
    return model


def _read_input(args):
    """Header and data of ``args.input``, checked (as the outputs) before Keras is imported."""
    check_output(args.output, args.input, args.force)
    if getattr(args, "save_model", None):
        check_output(args.save_model, args.input, args.force, flag="--save-model")
    header, X = read_numeric_csv(args.input)
    _check_n_components(args, X, display_name(args.input))
    if args.standardize:
        check_standardizable(display_name(args.input), header, X)
    return header, X


def _n_components(args):
    """``--n-components``, or the estimator's own default: ``auto`` for the detector, else 2."""
    if args.n_components is not None:
        return args.n_components
    return "auto" if args.model == "detector" else 2


def _check_n_components(args, X, path):
    n_components = _n_components(args)
    if n_components == "auto":
        if args.model != "detector":
            raise CommandError(
                "--n-components auto is the detector's (detect, or fit --model "
                "detector); give the size of the code, e.g. --n-components 2."
            )
    elif n_components > X.shape[1]:
        raise CommandError(
            f"--n-components {n_components} is larger than the "
            f"{X.shape[1]} columns of {path}; a code is meant to be smaller than "
            "the data."
        )
    if X.shape[0] < 2:
        raise CommandError(f"{path}: at least 2 data rows are needed to train, got 1.")


def _save_model(estimator, path, args, stderr, *, flag):
    """Write ``estimator`` to ``path``: all of it or, if anything fails, nothing."""
    # the command's progress display is no part of the model
    for est in (estimator, getattr(estimator, "backbone_", None)):
        if est is not None:
            est.set_params(callbacks=None, verbose=0)
    directory = os.path.dirname(os.path.abspath(path))
    partial = os.path.join(directory, f".skae-{uuid.uuid4().hex}.partial")
    try:
        # mode 0o666 less the umask, as open() would create the file
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise CommandError(f"{path}: can not write the model ({exc.strerror}).") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            estimator.save(handle)
        if os.path.lexists(path) and not args.force:  # created while the model trained
            raise CommandError(exists_message(path, flag))
        os.replace(partial, path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(
            f"{path}: can not write the model ({reason}); nothing was written."
        ) from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    if not args.quiet:
        size = os.path.getsize(path)
        stderr.write(f"saved {type(estimator).__name__} to {path} ({size / 1024:.0f} kB)\n")


def _load_model(args, stderr):
    """The estimator in ``args.model_file``; warnings as one line each."""
    skae = _load_estimators()
    from .exceptions import InconsistentVersionWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InconsistentVersionWarning)
        estimator = skae.load(args.model_file)
    for warning in caught:
        if isinstance(warning.message, InconsistentVersionWarning):
            if not args.quiet:
                stderr.write(f"skae {args.command}: warning: {warning.message}\n")
        else:  # not ours to judge: as Python would show it
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return estimator


def _read_for_model(args):
    """The checked outputs, the model file's metadata, and the CSV, checked against it."""
    check_output(args.output, (args.model_file, args.input), args.force)
    document = read_model(args.model_file)
    if args.command == "transform" and document.get("estimator") == DETECTOR:
        raise CommandError(
            f"{args.model_file} holds an {DETECTOR}, which scores rows but has no "
            f"codes; use `skae score {args.model_file} ...`, or fit a --model "
            "autoencoder, vae or denoising for codes."
        )
    header, X = read_numeric_csv(args.input)
    check_columns(header, document, args.input, args.model_file)
    return header, X


@contextlib.contextmanager
def _columns_checked():
    """Without scikit-learn's warning that X has no feature names.

    ``check_columns`` compared the CSV's header with the model's names
    already; without pandas or polars the estimator gets the bare array.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        yield


def _write_codes(args, model, codes, X, stdout, stderr):
    check_finite(codes, "codes", "encode", display_name(args.input), X)
    names = list(model.get_feature_names_out())
    write_csv(args.output, names, codes, stdout, overwrite=args.force)
    if not args.quiet and args.output != "-":
        stderr.write(f"wrote {codes.shape[0]} rows of {codes.shape[1]} codes to {args.output}\n")


def _write_scores(args, scores, labels, X, stdout, stderr):
    """``anomaly_score`` (minus ``score_samples``) and, for a detector, ``label``."""
    check_finite(scores, "anomaly scores", "score", display_name(args.input), X)
    if labels is None:
        header, rows = ["anomaly_score"], [(-score,) for score in scores]
    else:
        header = ["anomaly_score", "label"]
        rows = [(-score, int(label)) for score, label in zip(scores, labels)]
    write_csv(args.output, header, rows, stdout, overwrite=args.force)
    if args.quiet:
        return
    where = "" if args.output == "-" else f"; wrote {args.output}"
    if labels is None:
        if where:
            stderr.write(f"scored {len(scores)} rows{where}\n")
        return
    n_out = int((labels == -1).sum())
    stderr.write(f"{n_out} of {len(labels)} rows are outliers (label -1){where}\n")


def run_embed(args, stdout, stderr):
    """``skae embed``: train on the CSV and write the codes of its rows."""
    header, X = _read_input(args)
    skae = _load_estimators()
    estimator = _new_estimator(skae, args)
    data = X if args.standardize else _with_names(header, X)
    model = _fit(estimator, data, args, stderr)
    codes = model.transform(data)
    _write_codes(args, model, codes, X, stdout, stderr)
    if args.save_model:
        _save_model(estimator, args.save_model, args, stderr, flag="--save-model")
    return 0


def run_detect(args, stdout, stderr):
    """``skae detect``: train a detector on the CSV and score its rows."""
    import numpy as np

    header, X = _read_input(args)
    skae = _load_estimators()
    detector = _new_estimator(skae, args)
    data = X if args.standardize else _with_names(header, X)
    # overflowing scores (in fit, for the offset, too) are reported below, in one line
    with np.errstate(over="ignore", invalid="ignore"):
        model = _fit(detector, data, args, stderr)
        scores = model.score_samples(data)
        labels = model.predict(data)
    _write_scores(args, scores, labels, X, stdout, stderr)
    if args.save_model:
        _save_model(detector, args.save_model, args, stderr, flag="--save-model")
    return 0


def run_fit(args, stdout, stderr):
    """``skae fit``: train on the CSV and save the fitted estimator."""
    import numpy as np

    header, X = _read_input(args)
    skae = _load_estimators()
    estimator = _new_estimator(skae, args)
    with np.errstate(over="ignore", invalid="ignore"):  # the estimator raises instead
        _fit(estimator, _with_names(header, X), args, stderr)
    _save_model(estimator, args.output, args, stderr, flag="-o")
    return 0


def run_transform(args, stdout, stderr):
    """``skae transform``: the codes of the CSV's rows by a saved model."""
    header, X = _read_for_model(args)
    estimator = _load_model(args, stderr)
    with _columns_checked():
        codes = estimator.transform(_with_names(header, X))
    _write_codes(args, estimator, codes, X, stdout, stderr)
    return 0


def run_score(args, stdout, stderr):
    """``skae score``: anomaly scores (and a detector's labels) by a saved model."""
    import numpy as np

    header, X = _read_for_model(args)
    estimator = _load_model(args, stderr)
    data = _with_names(header, X)
    with _columns_checked(), np.errstate(over="ignore", invalid="ignore"):
        scores = estimator.score_samples(data)
        labels = estimator.predict(data) if hasattr(estimator, "predict") else None
    _write_scores(args, scores, labels, X, stdout, stderr)
    return 0


def run_info(args, stdout, stderr):
    """``skae info``: what a model file holds, from its metadata (no Keras)."""
    document = read_model(args.model_file)
    if args.json:
        stdout.write(json.dumps(info_json(args.model_file, document), indent=2) + "\n")
    else:
        stdout.write(info_text(args.model_file, document))
    return 0


def run_demo(args, stdout, stderr):
    """``skae demo``: the PCA vs AutoencoderTransformer comparison."""
    from ._startup import quiet_tensorflow_startup

    quiet_tensorflow_startup()
    from ._cli import demo

    results = demo.main(args.demo_args, prog="skae demo")
    return 1 if results["check"] and not results["goal_passed"] else 0


RUNS = {
    "embed": run_embed,
    "detect": run_detect,
    "fit": run_fit,
    "transform": run_transform,
    "score": run_score,
    "info": run_info,
    "demo": run_demo,
}


def main(argv=None, *, stdout=None, stderr=None):
    """Run the ``skae`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after ``skae``; None reads ``sys.argv[1:]``.
    stdout, stderr : file-like, default=None
        Where to print; ``sys.stdout`` and ``sys.stderr`` when None.

    Returns
    -------
    status : int
        0 on success, 1 when the input or the training failed (with a
        one-line message on stderr), 2 for a usage error.
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # the demo has its own parser: pass everything after `demo` to it
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "demo":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command != "demo":
            check_option_combinations(args)
    except SystemExit as exc:  # argparse: --help, --version or a usage error
        return _exit_status(exc)
    args.demo_args = extra
    try:
        return RUNS[args.command](args, stdout, stderr)
    except SystemExit as exc:  # the demo's parser: --help or a usage error
        return _exit_status(exc)
    except CommandError as exc:
        stderr.write(f"skae {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        stderr.write(f"\nskae {args.command}: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `skae detect data.csv -o - | head`
        try:  # no second error when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except Exception as exc:  # noqa: BLE001 - a command line shows no traceback
        if os.environ.get("SKAE_TRACEBACK"):
            raise
        message = " ".join(str(exc).split())
        kind = "" if isinstance(exc, ValueError) else f"{type(exc).__name__}: "
        if kind == "":  # the estimator's own checks: say it in the command's terms
            message = in_flags(message)
        stderr.write(
            f"skae {args.command}: error: {kind}{message}\n"
            + ("" if kind == "" else "(set SKAE_TRACEBACK=1 to see the traceback)\n")
        )
    return 1


def _exit_status(exc):
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
