"""
Your own variants: a new autoencoder in one file, over skae's documented base
=============================================================================

A variant subclasses ``skae.BaseAutoencoder`` (or one of skae's estimators)
and overrides a few documented hooks; validation, training, ``transform``,
pickling, ``save``/``skae.load``, ``export`` and Dask come with it. The two
variants used here live in ``examples/variants/``, one file each:

- ``SparseAutoencoder`` (``sparse_autoencoder.py``): an L1 penalty on the
  (ReLU) codes while training (hooks ``_assemble`` and ``_link_networks``).
  Many codes of a digit are exactly zero, at some cost in reconstruction
  error.
- ``AbsoluteErrorAutoencoder`` (``absolute_error_autoencoder.py``): scores
  of its own, minus the mean absolute reconstruction error (hook
  ``_score_batch``, one formula for ``score_samples`` and for ``export``).

The script fits both on scikit-learn's handwritten digits beside a plain
``AutoencoderTransformer``, prints the codes' sparsity and the test errors,
saves and loads each variant (handing its class to ``skae.load`` by name)
and exports its scores as a SavedModel (ONNX on Keras's PyTorch backend),
checking they are the estimator's.

Run it with ``python examples/custom_variants.py`` (about a minute on two
CPU cores; ``--quick`` for a smoke run). It writes ``custom_variants.png``
(the codes of the plain and the sparse autoencoder, and the two kinds of
scores) to the current directory.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write files, never open windows

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import skae  # noqa: E402
from skae import AutoencoderTransformer  # noqa: E402

# the variants are plain modules next to this script, importable by name
# (as pickle needs): in your project, they are modules of your package. The
# docs' gallery runs this script in examples/ and without a __file__.
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()
sys.path.insert(0, str(HERE.resolve() / "variants"))
from absolute_error_autoencoder import AbsoluteErrorAutoencoder  # noqa: E402
from sparse_autoencoder import SparseAutoencoder  # noqa: E402


def _round_trip(estimator, X):
    """Save and load ``estimator``; export its scores; the largest differences."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "variant.skae")
        estimator.save(path)
        cls = type(estimator)
        loaded = skae.load(path, custom_objects={cls.__name__: cls})
        loaded_gap = np.max(
            np.abs(loaded.score_samples(X) - estimator.score_samples(X))
        )
        X32 = X.astype(np.float32)
        exported = _exported_scores(estimator, X32, tmp)
        export_gap = np.max(np.abs(exported - estimator.score_samples(X32)))
    return loaded_gap, export_gap


def _exported_scores(estimator, X32, directory):
    """Export the scores of ``estimator``, then compute them on X32 with the export."""
    if keras.backend.backend() == "torch":
        # Keras cannot write a SavedModel from PyTorch (export's error says
        # why); it writes ONNX, which onnxruntime serves
        import onnxruntime

        path = os.path.join(directory, "scores.onnx")
        estimator.export(path, "onnx", method="score_samples")
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return session.run(None, {"X": X32})[0]
    import tensorflow as tf

    estimator.export(os.path.join(directory, "scores"), method="score_samples")
    served = tf.saved_model.load(os.path.join(directory, "scores"))
    return served.serve(X32).numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Your own variants: a new autoencoder in one file, over skae's "
            "documented base"
        )
    )
    parser.add_argument("--quick", action="store_true", help="a few epochs only")
    args = parser.parse_args(argv)
    fit = {
        "n_components": 8,
        "random_state": 0,
        **({"epochs": 3} if args.quick else {}),
    }

    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X / 16.0, test_size=0.25, random_state=0)

    # the same ReLU codes as the sparse one, without the penalty
    plain = AutoencoderTransformer(latent_activation="relu", **fit).fit(X_train)
    sparse = SparseAutoencoder(l1=0.01, **fit).fit(X_train)
    absolute = AbsoluteErrorAutoencoder(**fit).fit(X_train)

    print(f"{'':>26}  test MSE  codes exactly 0")
    codes = {}
    for name, estimator in [
        ("AutoencoderTransformer", plain),
        ("SparseAutoencoder", sparse),
    ]:
        codes[name] = estimator.transform(X_test)
        mse = np.mean((X_test - estimator.reconstruct(X_test)) ** 2)
        print(f"{name:>26}  {mse:8.4f}  {np.mean(codes[name] == 0):14.0%}")

    squared = plain.score_samples(X_test)
    absolute_scores = absolute.score_samples(X_test)
    print(
        f"\nAbsoluteErrorAutoencoder.score(X_test) = {absolute.score(X_test):.4f}\n"
        "(minus the mean absolute error; the plain score is "
        f"{plain.score(X_test):.4f})"
    )
    for estimator in (sparse, absolute):
        loaded_gap, export_gap = _round_trip(estimator, X_test)
        print(
            f"{type(estimator).__name__}: skae.load gives the same scores "
            f"(largest difference {loaded_gap:.1e});\n"
            f"  the exported scores differ by at most {export_gap:.1e}"
        )

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    zeros = [np.mean(values == 0, axis=0) for values in codes.values()]
    positions = np.arange(fit["n_components"])
    for offset, (name, share) in zip((-0.2, 0.2), zip(codes, zeros)):
        left.bar(positions + offset, share, width=0.4, label=name)
    left.set(
        xlabel="code (component)",
        ylabel="share of test digits where it is 0",
        title="Codes: plain vs sparse (ReLU codes)",
    )
    left.legend()
    right.scatter(-squared, -absolute_scores, s=8, alpha=0.6)
    right.set(
        xlabel="mean squared error (AutoencoderTransformer)",
        ylabel="mean absolute error (AbsoluteErrorAutoencoder)",
        title="Scores of the test digits",
    )
    fig.savefig("custom_variants.png", dpi=120)
    plt.close(fig)
    return {"plain": plain, "sparse": sparse, "absolute": absolute}


if __name__ == "__main__":
    main()
