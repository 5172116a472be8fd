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
``skae._cli_io``, reading model files' metadata in ``skae._cli_model``; this
module holds the commands and the parser.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import warnings

from . import __version__
from ._cli_io import (
    CommandError,
    _exists,
    check_finite,
    check_output,
    check_standardizable,
    contamination,
    display_name,
    in_flags,
    layer_sizes,
    open_fraction,
    positive_float,
    positive_int,
    read_numeric_csv,
    write_csv,
)
from ._cli_model import DETECTOR, check_columns, info_json, info_text, read_model

MODELS = {
    "autoencoder": "AutoencoderTransformer",
    "vae": "VariationalAutoencoderTransformer",
    "denoising": "DenoisingAutoencoder",
}
# the estimators ``skae fit --model`` trains
FIT_MODELS = {**MODELS, "detector": DETECTOR}

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
        "n_components": args.n_components,
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


def _check_n_components(args, X, path):
    if args.n_components > X.shape[1]:
        raise CommandError(
            f"--n-components {args.n_components} is larger than the "
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
    try:
        descriptor, partial = tempfile.mkstemp(prefix=".skae-", suffix=".partial", dir=directory)
    except OSError as exc:
        raise CommandError(f"{path}: can not write the model ({exc.strerror}).") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)  # as open() would create it
        with os.fdopen(descriptor, "wb") as handle:
            estimator.save(handle)
        if os.path.lexists(path) and not args.force:  # created while the model trained
            raise CommandError(_exists(path, flag))
        os.replace(partial, path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"{path}: can not write the model ({reason}); nothing was written.") from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    if not args.quiet:
        size = os.path.getsize(path)
        stderr.write(f"saved {type(estimator).__name__} to {path} ({size / 1024:.0f} kB)\n")


def _load_model(args, stderr):
    """The estimator in ``args.model_file``; warnings as one line each."""
    skae = _load_estimators()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", skae.InconsistentVersionWarning)
        estimator = skae.load(args.model_file)
    for warning in caught:
        if isinstance(warning.message, skae.InconsistentVersionWarning):
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
    header, X = _read_input(args)
    skae = _load_estimators()
    estimator = _new_estimator(skae, args)
    import numpy as np

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
    from . import _demo

    results = _demo.main(args.demo_args, prog="skae demo")
    return 1 if results["check"] and not results["goal_passed"] else 0


# ----------------------------------------------------------------------
# argument parsing
# ----------------------------------------------------------------------
def _add_output_options(parser, *, metavar="OUT.csv", what="the result ('-' for stdout)"):
    parser.add_argument(
        "-o", "--output", required=True, metavar=metavar, help=f"where to write {what}"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing output file (never an input file)",
    )


def _add_training_options(parser, **output):
    parser.add_argument(
        "input", metavar="INPUT.csv", help="numeric CSV with a header row ('-' for stdin)"
    )
    _add_output_options(parser, **output)
    parser.add_argument(
        "--n-components",
        type=positive_int,
        default=2,
        metavar="K",
        help="size of the code (default: %(default)s)",
    )
    parser.add_argument(
        "--hidden-layer-sizes",
        type=layer_sizes,
        default=(128, 64),
        metavar="N,N",
        help="units of the encoder's hidden layers, mirrored by the decoder "
        "(default: 128,64)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        metavar="N",
        help="maximum number of epochs (default: the estimator's, 200, with early "
        "stopping)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=32, metavar="N", help="default: %(default)s"
    )
    parser.add_argument(
        "--learning-rate", type=positive_float, metavar="LR", help="default: 0.001"
    )
    parser.add_argument(
        "--no-early-stopping",
        action="store_true",
        help="train for all epochs instead of stopping when the held-out loss stalls",
    )
    parser.add_argument(
        "--validation-fraction",
        type=open_fraction,
        metavar="F",
        help="fraction of the rows held out for early stopping (default: 0.1)",
    )
    parser.add_argument(
        "--standardize",
        action="store_true",
        help="scale each column to zero mean and unit variance first (for columns "
        "in different units; not with a model file, which holds no scaler)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed: the same seed and data give the same result (default: %(default)s)",
    )
    _add_display_options(parser)


def _add_display_options(parser):
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--verbose", action="store_true", help="show Keras's own progress bar")
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _add_noise_level(parser):
    parser.add_argument(
        "--noise-level",
        type=positive_float,
        metavar="S",
        help="with --model denoising: standard deviation of the training noise, in "
        "the data's units (default: half the data's standard deviation)",
    )


def _add_detector_options(parser, *, only=""):
    parser.add_argument(
        "--contamination",
        type=contamination,
        metavar="C",
        help=f"{only}expected fraction of outliers in (0, 0.5], or 'auto' (default: 0.1)",
    )
    parser.add_argument(
        "--backbone",
        choices=("autoencoder", "variational"),
        help=f"{only}score by the reconstruction error of an autoencoder, or by the "
        "ELBO of a variational autoencoder (default: autoencoder)",
    )


def _add_save_model(parser):
    parser.add_argument(
        "--save-model",
        metavar="MODEL.skae",
        help="also save the trained estimator to this file, for skae transform, "
        "score and info (refused if it exists, unless --force)",
    )


def _add_model_command(commands, name, run, *, help, description, output=True):
    """Add the sub-command ``name`` that reads a model file, run by ``run``."""
    parser = commands.add_parser(name, help=help, description=description)
    parser.add_argument("model_file", metavar="MODEL.skae", help="a model file of skae fit")
    if output:
        parser.add_argument(
            "input", metavar="INPUT.csv", help="numeric CSV with the model's columns "
            "('-' for stdin)"
        )
        _add_output_options(parser)
        parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(run=run, command_parser=parser)
    return parser


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skae",
        description="Autoencoders with scikit-learn manners, from the command line.",
        epilog="Model files: `skae fit` (or --save-model) writes one, `skae transform` "
        "and `skae score` apply it to a CSV with the columns it was fitted on, "
        "`skae info` shows what it holds.",
    )
    parser.add_argument("--version", action="version", version=f"skae {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    embed = commands.add_parser(
        "embed",
        help="encode each row of a CSV file into n_components codes",
        description=(
            "Train an autoencoder on INPUT.csv and write the codes of its rows to "
            "OUT.csv, one row per input row, with column names from "
            "get_feature_names_out (e.g. autoencodertransformer0)."
        ),
    )
    _add_training_options(embed)
    embed.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="autoencoder",
        help="autoencoder (AutoencoderTransformer, default), vae "
        "(VariationalAutoencoderTransformer: posterior means) or denoising "
        "(DenoisingAutoencoder)",
    )
    _add_noise_level(embed)
    _add_save_model(embed)
    embed.set_defaults(run=run_embed, command_parser=embed)

    detect = commands.add_parser(
        "detect",
        help="score each row of a CSV file for anomaly and label outliers",
        description=(
            "Train an AutoencoderOutlierDetector on INPUT.csv and write, per input row, "
            "its anomaly_score (mean squared reconstruction error, or minus the ELBO "
            "with --backbone variational: higher is more anomalous) and label "
            "(1 inlier, -1 outlier) to OUT.csv."
        ),
    )
    _add_training_options(detect)
    _add_detector_options(detect)
    _add_save_model(detect)
    detect.set_defaults(run=run_detect, command_parser=detect, model="detector")

    fit = commands.add_parser(
        "fit",
        help="train an estimator on a CSV file and save it to a model file",
        description=(
            "Train an estimator on INPUT.csv, with the options of embed (--model "
            "autoencoder, vae, denoising) or detect (--model detector), and save it "
            "to MODEL.skae for skae transform, score and info. A model is fitted on "
            "the CSV's column names (recorded with pandas or polars installed), and "
            "later CSVs must have the same columns in the same order. --standardize "
            "is not available: scale the columns before, or use embed or detect."
        ),
    )
    _add_training_options(
        fit, metavar="MODEL.skae", what="the model file (by convention *.skae)"
    )
    fit.add_argument(
        "--model",
        choices=sorted(FIT_MODELS),
        default="autoencoder",
        help="autoencoder (AutoencoderTransformer, default), vae "
        "(VariationalAutoencoderTransformer), denoising (DenoisingAutoencoder) or "
        "detector (AutoencoderOutlierDetector)",
    )
    _add_noise_level(fit)
    _add_detector_options(fit, only="with --model detector: ")
    fit.set_defaults(run=run_fit, command_parser=fit)

    _add_model_command(
        commands,
        "transform",
        run_transform,
        help="encode each row of a CSV file with a saved model",
        description=(
            "Write the codes of the rows of INPUT.csv by the estimator in MODEL.skae "
            "to OUT.csv, with column names from get_feature_names_out. INPUT.csv "
            "must have the columns the model was fitted on, in that order. A "
            "detector has no codes: use skae score."
        ),
    )
    _add_model_command(
        commands,
        "score",
        run_score,
        help="score each row of a CSV file for anomaly with a saved model",
        description=(
            "Write, per row of INPUT.csv, its anomaly_score by the estimator in "
            "MODEL.skae (minus score_samples: the mean squared reconstruction error, "
            "or minus the ELBO of a VAE; higher is more anomalous) and, for a "
            "detector, its label (1 inlier, -1 outlier), as skae detect does. "
            "INPUT.csv must have the columns the model was fitted on, in that order."
        ),
    )
    info = _add_model_command(
        commands,
        "info",
        run_info,
        output=False,
        help="show what a model file holds, without loading it",
        description=(
            "Print the estimator in MODEL.skae, its training summary (features, "
            "epochs, final losses, a detector's offset), its parameters and the "
            "versions that wrote it. Reads the file's metadata only: no network is "
            "loaded and Keras is not imported."
        ),
    )
    info.add_argument("--json", action="store_true", help="print one JSON object instead")

    demo = commands.add_parser(
        "demo",
        help="compare PCA and AutoencoderTransformer on the digits (what `make demo` runs)",
        add_help=False,  # `skae demo --help` is the demo's own help
    )
    demo.set_defaults(run=run_demo)
    return parser


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
            _check_option_combinations(args)
    except SystemExit as exc:  # argparse: --help, --version or a usage error
        return _exit_status(exc)
    args.demo_args = extra
    try:
        return args.run(args, stdout, stderr)
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


def _check_option_combinations(args):
    """A usage error for an option that the other options make meaningless."""
    error = args.command_parser.error
    model = getattr(args, "model", None)
    if getattr(args, "noise_level", None) is not None and model != "denoising":
        error(
            f"--noise-level applies only to --model denoising (got --model {model}); "
            "add --model denoising or drop --noise-level"
        )
    if args.command == "fit":
        for option in ("contamination", "backbone"):
            if getattr(args, option) is not None and model != "detector":
                flag = f"--{option}"
                error(
                    f"{flag} applies only to --model detector (got --model {model}); "
                    f"add --model detector or drop {flag}"
                )
    if getattr(args, "validation_fraction", None) is not None and args.no_early_stopping:
        error(
            "--validation-fraction applies only with early stopping; drop "
            "--validation-fraction or --no-early-stopping"
        )
    model_file = args.output if args.command == "fit" else getattr(args, "save_model", None)
    flag = "-o" if args.command == "fit" else "--save-model"
    if model_file is None:
        return
    if model_file == "-":
        error(f"a model file is not written to standard output; give {flag} a file name")
    if model_file.lower().endswith(".csv"):
        error(
            f"{flag} {model_file}: a model file is not a CSV file; name it "
            "e.g. model.skae (for codes or scores, use skae embed or detect)"
        )
    if args.standardize:
        error(
            f"--standardize can not be saved in a model file (it holds the estimator, "
            "not a scaler); scale the CSV's columns first, or drop "
            f"{'--standardize' if args.command == 'fit' else '--save-model or --standardize'}"
        )
    if args.command != "fit" and os.path.abspath(model_file) == os.path.abspath(args.output):
        error("--save-model and -o name the same file; give them different names")


def _exit_status(exc):
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
