"""The parser of the ``skae`` command: its sub-commands, options and help.

The help texts document the commands (see :mod:`skae.cli` for the design);
``check_option_combinations`` turns an option that the others make
meaningless into a usage error (exit status 2). Imports neither Keras nor
TensorFlow.
"""

import argparse
import os

from .._estimators.registry import ESTIMATORS
from .._version import __version__
from .csv_io import (
    contamination,
    layer_sizes,
    open_fraction,
    positive_float,
    n_components,
    positive_int,
)

# the estimators ``skae fit --model`` trains, and those ``embed`` offers
FIT_MODELS = {entry.command: entry.name for entry in ESTIMATORS if entry.command}
MODELS = {entry.command: entry.name for entry in ESTIMATORS if entry.embeds}


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
        type=n_components,
        metavar="K",
        help="size of the code, or 'auto' for the detector (default: 2; the "
        "detector's: auto, chosen from the number of columns)",
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


def _add_model_command(commands, name, *, help, description, output=True):
    """Add the sub-command ``name``, which reads a model file."""
    parser = commands.add_parser(name, help=help, description=description)
    parser.add_argument("model_file", metavar="MODEL.skae", help="a model file of skae fit")
    if output:
        parser.add_argument(
            "input", metavar="INPUT.csv", help="numeric CSV with the model's columns "
            "('-' for stdin)"
        )
        _add_output_options(parser)
        parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(command_parser=parser)
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
    embed.set_defaults(command_parser=embed)

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
    detect.set_defaults(command_parser=detect, model="detector")

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
    fit.set_defaults(command_parser=fit)

    _add_model_command(
        commands,
        "transform",
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

    commands.add_parser(
        "demo",
        help="compare PCA and AutoencoderTransformer on the digits (what `make demo` runs)",
        add_help=False,  # `skae demo --help` is the demo's own help
    )
    return parser


def check_option_combinations(args):
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
