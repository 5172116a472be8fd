"""Reconstruction quality and fit time of AutoencoderTransformer against PCA.

The benchmark that ``make demo`` runs. Its code lives in ``skae/_demo.py`` so
that the installed ``skae demo`` command runs the same thing; see that
module's docstring for what it measures. This script keeps the command line
and ``main(argv)`` (which returns the results) of the benchmark.

Usage::

    python benchmarks/pca_vs_autoencoder.py --output-dir demo_output
    python benchmarks/pca_vs_autoencoder.py --quick      # smoke run, seconds
    python benchmarks/pca_vs_autoencoder.py --check      # exit 1 if the goal fails
"""

# TensorFlow prints its C++ start-up log lines when first imported; hide them
# before anything imports Keras.
from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import sys  # noqa: E402

from skae._demo import build_parser, main  # noqa: E402, F401

if __name__ == "__main__":
    results = main()
    sys.exit(1 if results["check"] and not results["goal_passed"] else 0)
