"""TensorFlow, JAX and PyTorch: the same training and inference on each Keras backend.

Each backend runs in its own process (``KERAS_BACKEND`` is read once, at
import), on scikit-learn's digits scaled to [0, 1] with the split of
``training_speed.py``, and measures:

- the tutorial's plain Keras ``model.fit`` (50 epochs of batch 32), and the
  same with ``steps_per_execution=32`` (Keras refuses any value but 1 on
  PyTorch: "n/a" there);
- ``AutoencoderTransformer(8, hidden_layer_sizes=(128, 64), epochs=50,
  batch_size=32, early_stopping=False).fit``, and its test MSE;
- the same fit through Keras's ``Model.fit`` instead of skae's own loop
  (``compiled_fit`` on TensorFlow, ``eager_fit`` on PyTorch; JAX has no
  loop of skae's: "same" there);
- ``transform`` on 1 and on 10,000 float32 rows (median of repeated calls).

Fit times are medians over ``--rounds`` rounds and count building, compiling
and training, after a warm-up fit. JAX runs with its default float32 (skae
never turns on ``jax_enable_x64``). A backend that is not installed gets a
row saying so (``pip install -e '.[jax]'`` adds JAX, ``pip install -e
'.[torch]'`` PyTorch).

Run: ``python benchmarks/backends.py`` (about 2 minutes on a quiet 2-core
machine; ``--quick`` for a smoke run). Writes ``docs/benchmarks/backends.md`` unless ``--output`` says
otherwise.
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def worker(epochs, rounds):
    from skae._startup import quiet_tensorflow_startup

    quiet_tensorflow_startup()
    import keras
    import numpy as np

    from _common import load_data, median_ms
    from skae._engine import compiled_fit, eager_fit
    from training_speed import keras_plain, skae_fit, test_mse

    backend = keras.backend.backend()
    X_train, X_test = (part.astype(np.float32) for part in load_data())
    keras_plain(X_train[:64], X_test[:8], epochs=1, batch_size=32, seed=0)  # warm-up
    skae_fit(X_train[:64], X_test[:8], seed=0, epochs=1, batch_size=32, early_stopping=False)
    same = dict(epochs=epochs, batch_size=32)
    # skae's own loop on this backend, switched off for the Model.fit column
    own_loop = {"tensorflow": compiled_fit, "torch": eager_fit}.get(backend)
    plain, plain_spe, ours, through_fit = [], [], [], []
    for seed in range(rounds):
        plain.append(keras_plain(X_train, X_test, seed=seed, **same)[0])
        if backend != "torch":
            plain_spe.append(
                keras_plain(X_train, X_test, seed=seed, steps_per_execution=32, **same)[0]
            )
        seconds, reconstruction, transform, _ = skae_fit(
            X_train, X_test, seed=seed, early_stopping=False, **same
        )
        ours.append((seconds, test_mse(X_test, reconstruction)))
        if own_loop is not None:
            own_loop.ENABLED = False
            try:
                through_fit.append(
                    skae_fit(X_train, X_test, seed=seed, early_stopping=False, **same)[0]
                )
            finally:
                own_loop.ENABLED = True
    rows_10k = np.resize(X_test, (10_000, X_test.shape[1]))

    def median(values):
        return float(np.median(values)) if values else None

    return {
        "backend": backend,
        "keras_fit": median(plain),
        "keras_fit_spe": median(plain_spe),
        "skae_fit": median([s for s, _ in ours]),
        "skae_fit_model_fit": median(through_fit),
        "skae_mse": median([m for _, m in ours]),
        "transform_1_ms": median_ms(transform, X_test[:1], 200),
        "transform_10k_ms": median_ms(transform, rows_10k, 20),
    }


def run_backend(backend, epochs, rounds):
    module = {"jax": "jax", "torch": "torch"}.get(backend)
    if module is not None and importlib.util.find_spec(module) is None:
        return None
    env = dict(os.environ, KERAS_BACKEND=backend)
    env.pop("JAX_ENABLE_X64", None)
    command = [sys.executable, __file__, "--worker", str(epochs), str(rounds)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(output.stdout.strip().splitlines()[-1])


def _seconds(value, missing):
    return missing if value is None else f"{value:.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", default="docs/benchmarks/backends.md")
    parser.add_argument("--worker", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return None
    epochs, rounds = (2, 1) if args.quick else (50, args.rounds)

    results = {backend: run_backend(backend, epochs, rounds) for backend in BACKENDS}
    lines = [
        "| backend | Keras plain fit (s) | Keras fit, steps_per_execution=32 (s) "
        "| skae fit (s) | skae fit through Model.fit (s) | skae test MSE "
        "| skae transform, 1 row (ms) | skae transform, 10,000 rows (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, r in results.items():
        if r is None:
            lines.append(f"| {backend} | not installed | | | | | | |")
            continue
        lines.append(
            f"| {backend} | {r['keras_fit']:.2f} | {_seconds(r['keras_fit_spe'], 'n/a')} | "
            f"{r['skae_fit']:.2f} | {_seconds(r['skae_fit_model_fit'], 'same')} | "
            f"{r['skae_mse']:.5f} | {r['transform_1_ms']:.3f} | {r['transform_10k_ms']:.2f} |"
        )
    table = "\n".join(lines)
    tf_result = results["tensorflow"]
    sentences = []
    for backend in ("jax", "torch"):
        other = results[backend]
        if not (tf_result and other):
            continue
        sentences.append(
            f"skae's fit on {NAMES[backend]} takes {other['skae_fit'] / tf_result['skae_fit']:.2f}x "
            f"the time on TensorFlow ({other['skae_fit']:.2f} s vs "
            f"{tf_result['skae_fit']:.2f} s), one-row transform "
            f"{other['transform_1_ms'] / tf_result['transform_1_ms']:.2f}x and "
            f"10,000 rows {other['transform_10k_ms'] / tf_result['transform_10k_ms']:.2f}x."
        )
    for backend, loop in (("tensorflow", "compiled epochs"), ("torch", "eager epochs")):
        r = results[backend]
        if r and r["skae_fit_model_fit"]:
            sentences.append(
                f"On {NAMES[backend]}, skae's {loop} take {r['skae_fit'] / r['skae_fit_model_fit']:.2f}x "
                f"the time of the same fit through Keras's Model.fit."
            )
    summary = " ".join(sentences)
    print(table)
    print(summary)

    if not args.quick:
        from skae._show_versions import _get_deps_info

        versions = [
            f"{package} {version}"
            for package, version in _get_deps_info(
                ("skae", "keras", "tensorflow", "jax", "torch", "scikit-learn")
            ).items()
            if version is not None
        ]
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# TensorFlow, JAX and PyTorch backends\n\n"
            f"The digits ({epochs} epochs of batch 32, dense 128-64-8), each "
            f"backend in its own process; fit times are medians over {rounds} "
            "rounds and count building, compiling and training; transform "
            "times are medians of repeated calls on float32 rows.\n\n"
            f"{table}\n\n{summary}\n\n"
            f"Measured by `python benchmarks/backends.py` with "
            f"{', '.join(versions)}, Python {platform.python_version()}, on "
            f"{platform.machine()} with {os.cpu_count()} CPUs.\n"
        )
    return results


if __name__ == "__main__":
    main()
