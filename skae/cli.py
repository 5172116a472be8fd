"""The ``skae`` command: autoencoders on a CSV file, without writing code.

::

    skae embed data.csv -o codes.csv --n-components 8
    skae detect data.csv -o scores.csv --contamination 0.05
    skae demo

The input is a numeric CSV file with a header row of feature names. Bad input
(a missing or empty file, a non-numeric column, a missing value) ends with a
one-line message on stderr and exit status 1, and is caught before Keras is
imported, so it is reported at once. Command-line usage errors exit with 2.

Keras (and so TensorFlow) is imported only once the input has been read.
Reading and writing the CSV files and checking the option values live in
``skae._cli_io``; this module holds the commands and the parser.
"""

import argparse
import os
import sys
import time

from . import __version__
from ._cli_io import (
    CommandError,
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

MODELS = {
    "autoencoder": "AutoencoderTransformer",
    "vae": "VariationalAutoencoderTransformer",
    "denoising": "DenoisingAutoencoder",
}
DETECTOR = "AutoencoderOutlierDetector"

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
    """The data of ``args.input``, checked (as ``args.output``) before Keras is imported."""
    check_output(args.output, args.input, args.force)
    header, X = read_numeric_csv(args.input)
    _check_n_components(args, X, display_name(args.input))
    if args.standardize:
        check_standardizable(display_name(args.input), header, X)
    return X


def _check_n_components(args, X, path):
    if args.n_components > X.shape[1]:
        raise CommandError(
            f"--n-components {args.n_components} is larger than the "
            f"{X.shape[1]} columns of {path}; a code is meant to be smaller than "
            "the data."
        )
    if X.shape[0] < 2:
        raise CommandError(f"{path}: at least 2 data rows are needed to train, got 1.")


def run_embed(args, stdout, stderr):
    """``skae embed``: train on the CSV and write the codes of its rows."""
    X = _read_input(args)
    skae = _load_estimators()
    params = _training_params(args)
    if args.noise_level is not None:  # only with --model denoising: checked in main
        params["noise_level"] = args.noise_level
    estimator = getattr(skae, MODELS[args.model])(**params)
    model = _fit(estimator, X, args, stderr)
    codes = model.transform(X)
    check_finite(codes, "codes", "encode", display_name(args.input), X)
    names = list(model.get_feature_names_out())
    write_csv(args.output, names, codes, stdout, overwrite=args.force)
    if not args.quiet and args.output != "-":
        stderr.write(f"wrote {codes.shape[0]} rows of {codes.shape[1]} codes to {args.output}\n")
    return 0


def run_detect(args, stdout, stderr):
    """``skae detect``: train a detector on the CSV and score its rows."""
    import numpy as np

    X = _read_input(args)
    skae = _load_estimators()
    params = _training_params(args)
    params["contamination"] = args.contamination
    params["backbone"] = args.backbone
    detector = getattr(skae, DETECTOR)(**params)
    # overflowing scores (in fit, for the offset, too) are reported below, in one line
    with np.errstate(over="ignore", invalid="ignore"):
        model = _fit(detector, X, args, stderr)
        scores = model.score_samples(X)
        labels = model.predict(X)
    check_finite(scores, "anomaly scores", "score", display_name(args.input), X)
    write_csv(
        args.output,
        ["anomaly_score", "label"],
        [(-score, int(label)) for score, label in zip(scores, labels)],
        stdout,
        overwrite=args.force,
    )
    if not args.quiet:
        n_out = int((labels == -1).sum())
        where = "" if args.output == "-" else f"; wrote {args.output}"
        stderr.write(f"{n_out} of {len(labels)} rows are outliers (label -1){where}\n")
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
def _add_training_options(parser):
    parser.add_argument(
        "input", metavar="INPUT.csv", help="numeric CSV with a header row ('-' for stdin)"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.csv",
        help="where to write the result ('-' for stdout)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite OUT.csv if it exists (never the input file)",
    )
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
        "in different units)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed: the same seed and data give the same result (default: %(default)s)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--verbose", action="store_true", help="show Keras's own progress bar")
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _add_training_command(commands, name, run, *, help, description):
    """Add the sub-command ``name``, run by ``run``, with the training options."""
    parser = commands.add_parser(name, help=help, description=description)
    _add_training_options(parser)
    parser.set_defaults(run=run, command_parser=parser)
    return parser


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skae",
        description="Autoencoders with scikit-learn manners, from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"skae {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    embed = _add_training_command(
        commands,
        "embed",
        run_embed,
        help="encode each row of a CSV file into n_components codes",
        description=(
            "Train an autoencoder on INPUT.csv and write the codes of its rows to "
            "OUT.csv, one row per input row, with column names from "
            "get_feature_names_out (e.g. autoencodertransformer0)."
        ),
    )
    embed.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="autoencoder",
        help="autoencoder (AutoencoderTransformer, default), vae "
        "(VariationalAutoencoderTransformer: posterior means) or denoising "
        "(DenoisingAutoencoder)",
    )
    embed.add_argument(
        "--noise-level",
        type=positive_float,
        metavar="S",
        help="with --model denoising: standard deviation of the training noise, in "
        "the data's units (default: half the data's standard deviation)",
    )

    detect = _add_training_command(
        commands,
        "detect",
        run_detect,
        help="score each row of a CSV file for anomaly and label outliers",
        description=(
            "Train an AutoencoderOutlierDetector on INPUT.csv and write, per input row, "
            "its anomaly_score (mean squared reconstruction error, or minus the ELBO "
            "with --backbone variational: higher is more anomalous) and label "
            "(1 inlier, -1 outlier) to OUT.csv."
        ),
    )
    detect.add_argument(
        "--contamination",
        type=contamination,
        default=0.1,
        metavar="C",
        help="expected fraction of outliers in (0, 0.5], or 'auto' (default: %(default)s)",
    )
    detect.add_argument(
        "--backbone",
        choices=("autoencoder", "variational"),
        default="autoencoder",
        help="score by the reconstruction error of an autoencoder, or by the ELBO "
        "of a variational autoencoder (default: %(default)s)",
    )

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
    if args.validation_fraction is not None and args.no_early_stopping:
        error(
            "--validation-fraction applies only with early stopping; drop "
            "--validation-fraction or --no-early-stopping"
        )


def _exit_status(exc):
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
