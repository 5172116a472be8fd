"""Reconstruction quality and fit time of AutoencoderTransformer against PCA.

The benchmark that ``make demo`` runs. Its code lives in ``skae/_cli/demo.py`` so
that the installed ``skae demo`` command runs the same thing; see that
module's docstring for what it measures. This script is that module's entry
point, ``main(argv)`` (which returns the results), under the script's name:
``--help`` and ``results.md`` show ``python benchmarks/pca_vs_autoencoder.py``.

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

# The demo's entry point, and the only thing benchmarks/ takes from skae._cli.demo.
from skae._cli.demo import main  # noqa: E402

if __name__ == "__main__":
    results = main()
    sys.exit(1 if results["check"] and not results["goal_passed"] else 0)
