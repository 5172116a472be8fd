"""Scaling: fit and transform time and peak memory from 10^3 to 10^6 rows.

Data: ``n`` rows of 64 float32 features made from 8 latent factors through a
fixed random nonlinear map, plus noise (``make_data``). Each size runs in
two fresh processes, so that one measurement's memory does not hide another's:

- fit: ``AutoencoderTransformer(8, epochs=2, early_stopping=False)`` (default
  network and batch size 32) on all ``n`` rows;
- transform: the same estimator fitted on 10,000 rows, then ``transform`` of
  all ``n`` rows, after one warm-up call.

Peak memory growth is the process's peak resident memory during the call
minus its resident memory just before (Linux: the peak is reset through
``/proc/self/clear_refs`` and read from ``VmHWM``), so it counts everything
the call allocates, TensorFlow's buffers included, but not the input.
Time per row shows whether cost is linear: it should stay flat as ``n``
grows. Every fit pays a constant second or so of tracing, so the fit column
gives the cost of each row beyond the smallest size's.

Fit memory is not bounded like transform's: an in-memory fit holds the
standardised copy of the data and TensorFlow's tensor of it, plus NumPy
temporaries while standardising (data larger than memory streams instead:
``benchmarks/out_of_core.py``).

Goal (issue 6): transforming 1,000,000 x 64 float32 rows grows peak memory by
at most 600 MB (the input alone is 256 MB; skae runs the network on chunks of
16,384 rows, so the growth should stay near the size of the output).

Throughput against the machine's limit (issue 15): at the largest size the
fit's rows per second per epoch, times the floating-point operations of one
training row (6 per parameter: 2 for the forward multiply-add, 4 for the
backward pass's two), gives the achieved GFLOP/s; the limit is the GFLOP/s
of a 2048 x 2048 float32 matmul (``tf.matmul``, median of 20, in a fresh
process). The same fit through Keras's ``Model.fit`` loop (skae's training
before its compiled epochs, ``_compiled_fit.ENABLED = False``) is measured
too; the goal is a higher fraction of the limit than that loop reaches.

Run: ``python benchmarks/scaling.py`` (about 2 minutes; ``--quick`` stops at
10^4 rows). Writes ``docs/benchmarks/scaling.md`` unless ``--output`` says
otherwise; ``--check`` exits 1 if the goal fails.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
N_FEATURES = 64
FIT_ROWS_FOR_TRANSFORM = 10_000
GOAL_MB = 600


def make_data(n_rows, seed=0):
    """``n_rows`` float32 rows near an 8-dimensional curved manifold in 64-D."""
    import numpy as np

    rng = np.random.RandomState(seed)
    mixing = rng.standard_normal((8, N_FEATURES)).astype(np.float32) / np.sqrt(8)
    noise = np.random.RandomState(seed + 1)
    X = np.empty((n_rows, N_FEATURES), dtype=np.float32)
    for start in range(0, n_rows, 100_000):  # in blocks: no float64 temporaries
        stop = min(start + 100_000, n_rows)
        latent = rng.standard_normal((stop - start, 8)).astype(np.float32)
        X[start:stop] = np.tanh(latent @ mixing)
        X[start:stop] += 0.05 * noise.standard_normal((stop - start, N_FEATURES)).astype(
            np.float32
        )
    return X


def _status_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def measure(function, *args):
    """``(seconds, peak resident memory growth in MB)`` of ``function(*args)``."""
    with open("/proc/self/clear_refs", "w") as clear:  # reset the peak (VmHWM)
        clear.write("5")
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    function(*args)
    seconds = time.perf_counter() - start
    return seconds, _status_mb("VmHWM") - before


def matmul_gflops(size=2048, repeats=20):
    """GFLOP/s of a large float32 matmul: the machine's practical limit."""
    import tensorflow as tf

    a = tf.random.stateless_normal((size, size), seed=(1, 2))
    matmul = tf.function(tf.matmul)
    matmul(a, a).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, a).numpy()
        times.append(time.perf_counter() - start)
    return 2 * size**3 / float(sorted(times)[len(times) // 2]) / 1e9


def worker(kind, n_rows):
    from skae._startup import quiet_tensorflow_startup

    quiet_tensorflow_startup()
    if kind == "matmul":
        return {"gflops": matmul_gflops()}
    from skae import AutoencoderTransformer
    from skae._engine import compiled_fit as _compiled_fit

    X = make_data(n_rows)
    estimator = AutoencoderTransformer(8, epochs=2, early_stopping=False, random_state=0)
    if kind in ("fit", "fit-keras"):
        _compiled_fit.ENABLED = kind == "fit"
        AutoencoderTransformer(8, epochs=1, early_stopping=False).fit(X[:64])  # warm-up
        seconds, growth = measure(estimator.fit, X)
        return {
            "seconds": seconds,
            "memory_mb": growth,
            "input_mb": X.nbytes / 2**20,
            "params": estimator.model_.count_params(),
        }
    else:
        estimator.fit(make_data(FIT_ROWS_FOR_TRANSFORM, seed=1))
        estimator.transform(X[:20_000])  # warm-up: a full and a partial chunk
        seconds, growth = measure(estimator.transform, X)
    return {"seconds": seconds, "memory_mb": growth, "input_mb": X.nbytes / 2**20}


def run_worker(kind, n_rows):
    command = [sys.executable, __file__, "--worker", kind, str(n_rows)]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, env=dict(os.environ)
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 10^3 and 10^4 rows")
    parser.add_argument("--output", default="docs/benchmarks/scaling.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the goal fails")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "N_ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return None

    sizes = QUICK_SIZES if args.quick else SIZES
    rows = []
    for n_rows in sizes:
        fit = run_worker("fit", n_rows)
        transform = run_worker("transform", n_rows)
        rows.append((n_rows, fit, transform))
        print(
            f"{n_rows:>9,} rows: fit {fit['seconds']:.2f} s (+{fit['memory_mb']:.0f} MB), "
            f"transform {transform['seconds']:.3f} s (+{transform['memory_mb']:.0f} MB)",
            flush=True,
        )
    lines = [
        "| rows | input (MB) | fit, 2 epochs (s) | fit per row beyond the first "
        f"{sizes[0]:,} (us) | fit peak memory growth (MB) "
        "| transform (s) | transform per row (us) | transform peak memory growth (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    first_rows, first_fit, _ = rows[0]
    for n_rows, fit, transform in rows:
        marginal = (
            f"{1e6 * (fit['seconds'] - first_fit['seconds']) / (n_rows - first_rows):.1f}"
            if n_rows > first_rows
            else ""
        )
        lines.append(
            f"| {n_rows:,} | {fit['input_mb']:.1f} | {fit['seconds']:.2f} | "
            f"{marginal} | {fit['memory_mb']:.0f} | "
            f"{transform['seconds']:.3f} | {1e6 * transform['seconds'] / n_rows:.2f} | "
            f"{transform['memory_mb']:.0f} |"
        )
    largest, fit, transform = rows[-1]
    keras_fit = run_worker("fit-keras", largest)
    limit = run_worker("matmul", 0)["gflops"]
    flops_per_row = 6 * fit["params"]

    def fraction(seconds):
        rows_per_second = 2 * largest / seconds  # 2 epochs
        gflops = rows_per_second * flops_per_row / 1e9
        return rows_per_second, gflops, gflops / limit

    lines += [
        "",
        f"Fit throughput at {largest:,} rows against this machine's limit, a 2048 x 2048 "
        f"float32 matmul at {limit:.1f} GFLOP/s ({flops_per_row / 1e3:.0f} kFLOP per training "
        "row: 6 per parameter):",
        "",
        "| training loop | fit, 2 epochs (s) | rows/s per epoch | GFLOP/s | fraction of the limit |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, run in (("compiled epochs (skae)", fit), ("Keras `Model.fit`", keras_fit)):
        rows_per_second, gflops, share = fraction(run["seconds"])
        lines.append(
            f"| {name} | {run['seconds']:.2f} | {rows_per_second:,.0f} | {gflops:.1f} | {share:.1%} |"
        )
    table = "\n".join(lines)
    share_new, share_old = fraction(fit["seconds"])[2], fraction(keras_fit["seconds"])[2]
    passed = largest == SIZES[-1] and transform["memory_mb"] <= GOAL_MB
    verdict = (
        f"goal: transform of 1,000,000 x 64 float32 rows grows peak memory by <= "
        f"{GOAL_MB} MB: {'PASS' if passed else 'FAIL'} "
        f"(measured {transform['memory_mb']:.0f} MB at {largest:,} rows)"
    )
    raised = share_new > share_old
    throughput_verdict = (
        f"goal: fit reaches a higher fraction of the matmul limit than the Model.fit loop: "
        f"{'PASS' if raised else 'FAIL'} (measured {share_new:.1%} against {share_old:.1%})"
    )
    print(table)
    print(verdict)
    print(throughput_verdict)

    if not args.quick:
        from skae._startup import quiet_tensorflow_startup

        quiet_tensorflow_startup()
        from _common import measured_by  # imports Keras, which the workers measure alone

        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# Scaling with the number of rows\n\n"
            f"`AutoencoderTransformer(8)` (dense 128-64, batch 32) on synthetic "
            f"float32 data with {N_FEATURES} features; fit: 2 epochs on all rows; "
            f"transform: a model fitted on {FIT_ROWS_FOR_TRANSFORM:,} rows "
            "applied to all rows. Each measurement in a fresh process; memory "
            "growth is peak resident memory during the call minus resident "
            "memory before it.\n\n"
            f"{table}\n\n- {verdict}\n- {throughput_verdict}\n\n"
            + measured_by("benchmarks/scaling.py")
            + "\n"
        )
    if args.check and not (passed and raised):
        sys.exit(1)
    return rows


if __name__ == "__main__":
    main()
