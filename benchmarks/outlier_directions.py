"""Directions for AutoencoderOutlierDetector's defaults, on a subset of the outlier suite.

Runs variants of ``AutoencoderOutlierDetector`` (parameters other than the
defaults) on some of ``outlier_suite.py``'s cases and seeds, beside the
suite's baselines, and writes a table of each variant's mean and worst ROC
AUC, its worst gap to the best baseline and its mean fit time. The figures of
``docs/benchmarks/outlier_directions.md`` come from here.

Usage::

    python benchmarks/outlier_directions.py --variants default standard
    python benchmarks/outlier_directions.py --datasets wine synthetic --seeds 0
    python benchmarks/outlier_directions.py --variants default \
        --params '{"50 epochs": {"epochs": 50}}'
"""

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import outlier_suite as suite  # noqa: E402  (this folder's)
from _common import versions_line  # noqa: E402

# name -> AutoencoderOutlierDetector parameters (random_state=seed is added)
VARIANTS = {
    "default": {},
    "global scaling": {"scaling": "global"},
    "standard scaling": {"scaling": "standard"},
    "robust scaling": {"scaling": "robust"},
    "standard, n_components=8": {"scaling": "standard", "n_components": 8},
    "standard, variational": {"scaling": "standard", "backbone": "variational"},
    "standard, (64, 32), dropout 0.2, batch norm": {
        "scaling": "standard",
        "hidden_layer_sizes": (64, 32),
        "dropout": 0.2,
        "batch_normalization": True,
    },
    "standard, (64, 32)": {"scaling": "standard", "hidden_layer_sizes": (64, 32)},
    "standard, 50 epochs, no early stopping": {
        "scaling": "standard",
        "epochs": 50,
        "early_stopping": False,
    },
    "standard, 20 epochs, no early stopping": {
        "scaling": "standard",
        "epochs": 20,
        "early_stopping": False,
    },
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks/outlier_directions.py")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument(
        "--params", type=json.loads, default={}, metavar="JSON",
        help="more variants, as a JSON object {name: {parameter: value}} (lists become tuples)",
    )
    parser.add_argument("--datasets", nargs="+", choices=("wine", "iris", "digits", "synthetic"))
    parser.add_argument("--digits", nargs="+", type=int, help="digit classes (default: the suite's)")
    parser.add_argument("--cases", nargs="+", help="only cases whose name holds one of these")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(suite.SEEDS))
    parser.add_argument("--output", default="docs/benchmarks/outlier_directions.md")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    if args.digits:
        suite.DIGITS = tuple(args.digits)
    case_list = suite.cases(datasets=args.datasets)
    if args.cases:
        case_list = [c for c in case_list if any(part in c.name for part in args.cases)]
    base = suite.baselines()
    variants = {name: VARIANTS[name] for name in args.variants}
    variants.update(
        {name: {k: suite._tuples(v) for k, v in params.items()} for name, params in args.params.items()}
    )
    methods = [*(suite.skae_method(f"skae, {name}", **params) for name, params in variants.items()), *base]
    records = suite.run(methods, case_list, args.seeds)
    rows, _ = suite.summarize(records, [m.name for m in base])
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    lines = suite.summary_lines(rows, datasets)
    print("\n".join(lines))
    command = shlex.join(["python", "benchmarks/outlier_directions.py", *argv])
    text = [
        f"## {', '.join(args.cases or datasets)}; seeds {', '.join(map(str, args.seeds))}"
        + (f"; digits {', '.join(map(str, suite.DIGITS))}" if "digits" in datasets else ""),
        "",
        *lines,
        "",
        "```",
        command,
        "```",
        "",
        versions_line(),
        "",
    ]
    output = Path(args.output)
    with output.open("a") as file:  # one section per run
        file.write("\n".join(text) + "\n")
    print(f"appended to {output}")


if __name__ == "__main__":
    main()
