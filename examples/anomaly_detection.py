"""
Anomaly detection with an autoencoder, against IsolationForest
==============================================================

An autoencoder trained on normal data only reconstructs normal samples well
and unusual ones badly. ``AutoencoderOutlierDetector`` turns that into a
scikit-learn outlier detector, used like ``IsolationForest``:
``score_samples`` (higher = more normal, minus the reconstruction error),
``offset_`` (the threshold, set from ``contamination``),
``decision_function`` and ``predict`` (+1 inlier, -1 outlier).

Here "normal" is one digit (8 by default, the hardest one for both
detectors): they are trained on the training images of that digit only,
then score every test image, where all other digits are the anomalies.
ROC AUC measures how well the scores separate them. The pictures: the
scores of both detectors with their thresholds, the ROC curves, and the test
images the autoencoder finds most anomalous over its reconstructions of
them, with ``feature_errors`` telling which pixels it could not
reconstruct.

Run it with ``python examples/anomaly_detection.py`` (under a minute on two
CPU cores; ``--digit`` picks the normal digit, ``--quick`` makes a smoke
run). It writes ``anomaly_scores.png``, ``anomaly_roc.png`` and
``anomaly_worst.png`` to the current directory.
"""

import argparse

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write files, never open windows

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import RocCurveDisplay, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skae import AutoencoderOutlierDetector  # noqa: E402
from skae.plotting import (  # noqa: E402
    AnomalyScoreDisplay,
    ReconstructionDisplay,
    SampleGridDisplay,
)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Anomaly detection with an autoencoder, against IsolationForest"
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (seconds)")
    parser.add_argument(
        "--digit",
        type=int,
        choices=range(10),
        default=8,
        help="the normal digit (default: 8)",
    )
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    training = {}
    if args.quick:
        X_test, y_test = X_test[:200], y_test[:200]
        training = {"epochs": 3, "hidden_layer_sizes": (32,)}
    X_normal = X_train[y_train == args.digit]  # train on normal images only
    is_inlier = np.where(
        y_test == args.digit, 1, -1
    )  # the outlier detectors' convention

    detectors = {
        "AutoencoderOutlierDetector": AutoencoderOutlierDetector(
            n_components=8, contamination=0.05, random_state=0, **training
        ),
        "IsolationForest": IsolationForest(contamination=0.05, random_state=0),
    }
    fig_scores, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    fig_roc, ax_roc = plt.subplots(figsize=(5, 5), layout="constrained")
    aucs = {}
    for (name, detector), ax in zip(detectors.items(), axes):
        detector.fit(X_normal)
        scores = detector.score_samples(X_test)
        aucs[name] = roc_auc_score(is_inlier, scores)
        predicted_outliers = np.mean(detector.predict(X_test) == -1)
        print(
            f"{name:>26}: ROC AUC {aucs[name]:.3f}, flags {predicted_outliers:.0%} "
            f"of the test images ({np.mean(is_inlier == -1):.0%} are not "
            f"{args.digit}s)"
        )
        AnomalyScoreDisplay.from_estimator(detector, X_test, is_inlier, ax=ax)
        RocCurveDisplay.from_predictions(is_inlier, scores, name=name, ax=ax_roc)
    ax_roc.set_title(f"Digit {args.digit} as normal, other digits as anomalies")
    fig_scores.savefig("anomaly_scores.png", dpi=120)
    fig_roc.savefig("anomaly_roc.png", dpi=120)

    # Why are the worst ones anomalous? Their reconstructions, and the pixels
    # that failed, by feature_errors (a row of per-pixel squared errors each).
    detector = detectors["AutoencoderOutlierDetector"]
    worst = np.argsort(detector.score_samples(X_test))[:10]
    fig, (ax_images, ax_errors) = plt.subplots(
        2, 1, figsize=(8, 3.3), layout="constrained", height_ratios=(2, 1)
    )
    ReconstructionDisplay.from_estimator(
        detector,
        X_test[worst],
        image_shape=(8, 8),
        name=f"model of {args.digit}s",
        ax=ax_images,
    )
    errors = detector.feature_errors(X_test[worst])
    SampleGridDisplay(errors, image_shape=(8, 8)).plot(
        ax=ax_errors, n_cols=10, cmap="magma"
    )
    ax_errors.set_title("squared error of each pixel (feature_errors)")
    fig.savefig("anomaly_worst.png", dpi=120)
    plt.close("all")
    return {
        "roc_auc": aucs,
        "figures": ["anomaly_scores.png", "anomaly_roc.png", "anomaly_worst.png"],
    }


if __name__ == "__main__":
    main()
