"""
An autoencoder as a step of a classification Pipeline, tuned by GridSearchCV
============================================================================

``AutoencoderTransformer`` is a scikit-learn transformer, so it can replace
``PCA`` as the dimensionality-reduction step of a ``Pipeline`` and have its
parameters tuned by ``GridSearchCV`` with the ``step__parameter`` syntax,
cloned for every fold like any other estimator.

This example classifies scikit-learn's digits with a logistic regression
on ``n_components`` features made by PCA or by an autoencoder, and lets
``GridSearchCV`` choose ``n_components`` for each by cross-validated
accuracy. With few components, the autoencoder's nonlinear features keep
more of what separates the digits.

Run it with ``python examples/pipeline_grid_search.py`` (a few minutes on two
CPU cores: it trains an autoencoder for every fold and candidate;
``--quick`` for a smoke run). It writes ``pipeline_grid_search.png`` to the
current directory.
"""

import argparse

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write files, never open windows

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "An autoencoder as a step of a classification Pipeline, tuned by "
            "GridSearchCV"
        )
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    grid, cv, training = [2, 4, 8, 16], 3, {"epochs": 100}
    if args.quick:
        X_train, y_train, X_test, y_test = (
            X_train[:240],
            y_train[:240],
            X_test[:100],
            y_test[:100],
        )
        grid, cv, training = [2, 4], 2, {"epochs": 2, "hidden_layer_sizes": (16,)}

    reducers = {
        "PCA": PCA(),
        "AutoencoderTransformer": AutoencoderTransformer(random_state=0, **training),
    }
    searches = {}
    for name, reducer in reducers.items():
        pipeline = Pipeline(
            [
                ("scale", MinMaxScaler()),
                ("reduce", reducer),
                ("classify", LogisticRegression(max_iter=2000)),
            ]
        )
        search = GridSearchCV(pipeline, {"reduce__n_components": grid}, cv=cv)
        searches[name] = search.fit(X_train, y_train)
        best = search.best_params_["reduce__n_components"]
        print(
            f"{name:>22}: best n_components={best}, "
            f"CV accuracy {search.best_score_:.3f}, test accuracy "
            f"{search.score(X_test, y_test):.3f}"
        )

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for name, search in searches.items():
        results = search.cv_results_
        ax.errorbar(
            grid,
            results["mean_test_score"],
            yerr=results["std_test_score"],
            marker="o",
            capsize=3,
            label=f"{name} + LogisticRegression",
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(grid, [str(k) for k in grid])
    ax.minorticks_off()
    ax.set_xlabel("n_components")
    ax.set_ylabel(f"{cv}-fold cross-validated accuracy")
    ax.set_title("Digits: classification on reduced features")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    fig.savefig("pipeline_grid_search.png", dpi=120)
    plt.close("all")
    return {
        "best_params": {name: s.best_params_ for name, s in searches.items()},
        "test_accuracy": {
            name: s.score(X_test, y_test) for name, s in searches.items()
        },
        "figures": ["pipeline_grid_search.png"],
    }


if __name__ == "__main__":
    main()
