"""Training time and test error: skae against plain Keras and two sklearn wrappers.

Every contender trains the same dense network (64-128-64-8-64-128-64) on
scikit-learn's digits scaled to [0, 1] (``train_test_split(test_size=0.25,
random_state=0)``), for the same number of epochs (50) of the same batch size
(32), Adam and mean squared error:

- "Keras, tutorial code": the tutorial's hand-written model and
  ``model.fit(X, X, epochs=50, batch_size=32, shuffle=True)`` (ReLU
  bottleneck, sigmoid output);
- the same with ``steps_per_execution=32`` at compile, the one-line change the
  issue measured;
- a naive scikeras wrapper: a ``BaseWrapper`` subclass whose ``fit`` trains on
  ``(X, X)`` and whose ``transform`` calls ``encoder.predict``;
- Keras's own ``keras.wrappers.SKLearnTransformer`` fitted on ``(X, X)`` (its
  ``transform`` is ``model.predict``: the reconstruction, not the code).
  Where the installed Keras refuses a 2-D target (Keras 3.15 does: its
  ``fit`` wants a 1-D ``y``), the row records the error instead;
- ``AutoencoderTransformer(8, hidden_layer_sizes=(128, 64), epochs=50,
  batch_size=32, early_stopping=False)``: skae's network has a linear
  bottleneck and a linear output on standardised data, its own design;
- skae with its default training (early stopping on a 10% validation split,
  at most 200 epochs), for reference.

Fit time counts building, compiling and training the model (what a user waits
for), after a warm-up fit so no contender pays TensorFlow's start-up; it is
the median over ``--rounds`` rounds, each round running every contender once
in turn with the round number as seed. Test MSE is in the [0, 1] units of
the digits, median over the rounds. "transform, 1 row" is the median time of
the wrapper's ``transform`` (the encoder's ``predict`` for plain Keras) on
one row.

Goal (issue 6): skae's fit at most 0.6x the time of the tutorial's plain
``model.fit`` on TensorFlow, with a test MSE at most 15% above it.

Run: ``python benchmarks/training_speed.py`` (about 2 minutes; ``--quick`` for
a smoke run). Writes ``docs/benchmarks/training_speed.md`` unless
``--output`` says otherwise; ``--check`` exits 1 if the goal fails.
"""

import argparse
import sys
import time
from pathlib import Path

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import keras  # noqa: E402
import numpy as np  # noqa: E402
from scikeras.wrappers import BaseWrapper  # noqa: E402
from sklearn.base import TransformerMixin  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402

from _common import (  # noqa: E402  (this folder's)
    build_tutorial_autoencoder,
    goal_line,
    load_data,
    measured_by,
    median_ms,
)

N_COMPONENTS = 8
GOAL_TIME_RATIO = 0.6
GOAL_MSE_RATIO = 1.15


def test_mse(X_test, X_reconstructed):
    return float(np.mean((np.asarray(X_test, np.float64) - X_reconstructed) ** 2))


def tutorial_model(n_features, steps_per_execution=1):
    model = build_tutorial_autoencoder(n_features, N_COMPONENTS)
    model.compile(optimizer="adam", loss="mse", steps_per_execution=steps_per_execution)
    return model


def tutorial_encoder(model):
    """The tutorial's encoder: the model up to its bottleneck layer."""
    return keras.Model(model.inputs, model.layers[2].output)


class NaiveScikerasAutoencoder(TransformerMixin, BaseWrapper):
    """What a user gets by subclassing scikeras: ``transform`` calls ``predict``."""

    def fit(self, X, y=None, **kwargs):
        super().fit(X, X, **kwargs)
        self.encoder_ = tutorial_encoder(self.model_)
        return self

    def transform(self, X):
        return self.encoder_.predict(np.asarray(X, dtype=np.float32), verbose=0)


def keras_plain(X_train, X_test, epochs, batch_size, seed, steps_per_execution=1):
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = tutorial_model(X_train.shape[1], steps_per_execution)
    model.fit(X_train, X_train, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    encoder = tutorial_encoder(model)
    return seconds, model.predict(X_test, verbose=0), lambda X: encoder.predict(X, verbose=0)


def naive_scikeras(X_train, X_test, epochs, batch_size, seed):
    keras.utils.set_random_seed(seed)
    wrapper = NaiveScikerasAutoencoder(
        model=lambda meta: build_tutorial_autoencoder(meta["n_features_in_"], N_COMPONENTS),
        optimizer="adam",
        loss="mse",
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
    )
    start = time.perf_counter()
    wrapper.fit(X_train)
    seconds = time.perf_counter() - start
    return seconds, wrapper.model_.predict(X_test, verbose=0), wrapper.transform


def keras_sklearn_transformer(X_train, X_test, epochs, batch_size, seed):
    keras.utils.set_random_seed(seed)
    wrapper = keras.wrappers.SKLearnTransformer(
        model=lambda X, y: tutorial_model(X.shape[1]),
        fit_kwargs=dict(epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0),
    )
    start = time.perf_counter()
    try:
        wrapper.fit(X_train, X_train)
    except ValueError as error:  # Keras 3.15: y must be 1-D, so no autoencoder
        return f"does not apply: fit(X, X) raises ValueError: {error}"
    seconds = time.perf_counter() - start
    # transform is model.predict: the reconstruction (and Keras's progress bar)
    transform = lambda X: wrapper.model_.predict(X, verbose=0)  # noqa: E731
    return seconds, transform(X_test), wrapper.transform


def skae_fit(X_train, X_test, seed, **params):
    estimator = AutoencoderTransformer(
        N_COMPONENTS, hidden_layer_sizes=(128, 64), random_state=seed, **params
    )
    start = time.perf_counter()
    estimator.fit(X_train)
    seconds = time.perf_counter() - start
    reconstruction = estimator.inverse_transform(estimator.transform(X_test))
    return seconds, reconstruction, estimator.transform, estimator.n_iter_


def contenders(epochs, batch_size):
    same = dict(epochs=epochs, batch_size=batch_size)
    return {
        "Keras, tutorial code (plain fit)": lambda a, b, s: keras_plain(a, b, seed=s, **same),
        "Keras, steps_per_execution=32": lambda a, b, s: keras_plain(
            a, b, seed=s, steps_per_execution=32, **same
        ),
        "naive scikeras BaseWrapper subclass": lambda a, b, s: naive_scikeras(
            a, b, seed=s, **same
        ),
        "keras.wrappers.SKLearnTransformer": lambda a, b, s: keras_sklearn_transformer(
            a, b, seed=s, **same
        ),
        "skae AutoencoderTransformer": lambda a, b, s: skae_fit(
            a, b, s, early_stopping=False, **same
        ),
        "skae, default training (early stopping)": lambda a, b, s: skae_fit(
            a, b, s, batch_size=batch_size, epochs=200 if epochs == 50 else epochs
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 round, no goals")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", default="docs/benchmarks/training_speed.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the goal fails")
    args = parser.parse_args(argv)
    epochs, rounds = (2, 1) if args.quick else (50, args.rounds)
    batch_size = 32

    X_train, X_test = (part.astype(np.float32) for part in load_data())
    keras_plain(X_train[:64], X_test[:8], epochs=1, batch_size=32, seed=0)  # warm-up

    runs = contenders(epochs, batch_size)
    measured = {name: [] for name in runs}
    for seed in range(rounds):
        for name, run in runs.items():
            result = run(X_train, X_test, seed)
            measured[name].append(result)
            if isinstance(result, str):
                print(f"round {seed}: {name}: {result}", flush=True)
                continue
            print(f"round {seed}: {name}: {result[0]:.2f} s", flush=True)

    rows, not_applicable = {}, {}
    for name, results in measured.items():
        if isinstance(results[0], str):
            not_applicable[name] = results[0]
            continue
        seconds = float(np.median([r[0] for r in results]))
        mse = float(np.median([test_mse(X_test, r[1]) for r in results]))
        transform_ms = median_ms(results[-1][2], X_test[:1], 3 if args.quick else 30)
        n_epochs = [r[3] for r in results if len(r) > 3]
        rows[name] = dict(
            seconds=seconds,
            mse=mse,
            transform_ms=transform_ms,
            epochs=int(np.median(n_epochs)) if n_epochs else epochs,
        )
    plain = rows["Keras, tutorial code (plain fit)"]
    ours = rows["skae AutoencoderTransformer"]
    header = (
        "| contender | epochs | fit time (s) | fit time / plain Keras | test MSE | "
        "test MSE / plain Keras | transform, 1 row (ms) |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['epochs']} | {row['seconds']:.2f} | "
            f"{row['seconds'] / plain['seconds']:.2f} | {row['mse']:.5f} | "
            f"{row['mse'] / plain['mse']:.2f} | {row['transform_ms']:.2f} |"
        )
    for name, reason in not_applicable.items():
        lines.append(f"| {name} | {reason} | | | | | |")
    time_ratio = ours["seconds"] / plain["seconds"]
    mse_ratio = ours["mse"] / plain["mse"]
    goals = [
        (
            f"skae fit <= {GOAL_TIME_RATIO}x the plain Keras fit",
            time_ratio <= GOAL_TIME_RATIO,
            f"{time_ratio:.2f}x",
        ),
        (
            "skae test MSE <= 1.15x the plain Keras test MSE",
            mse_ratio <= GOAL_MSE_RATIO,
            f"{mse_ratio:.2f}x",
        ),
    ]
    verdicts = [goal_line(text, ok, value) for text, ok, value in goals]
    table = "\n".join(lines)
    print(table)
    print("\n".join(verdicts))

    if not args.quick:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# Training time\n\n"
            f"The same dense network (128-64-{N_COMPONENTS}), {epochs} epochs of "
            f"batch {batch_size}, Adam, mean squared error, trained on the "
            f"{len(X_train)} training digits; median over {rounds} rounds. Fit "
            "time counts building, compiling and training. The skae default row "
            "stops early (epochs = median epochs run).\n\n"
            f"{table}\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n\n"
            + measured_by("benchmarks/training_speed.py")
            + "\n"
        )
    if args.check and not all(ok for _, ok, _ in goals):
        sys.exit(1)
    return rows


if __name__ == "__main__":
    main()
