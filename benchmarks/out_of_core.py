"""Out-of-core: fit and transform a memmap larger than the memory they may use.

Data: the digits' 1,797 rows (scaled to [0, 1]) tiled to ``n`` rows of 64
float32 features, plus Gaussian noise of standard deviation 0.01, written
block by block to a ``.npy`` file and opened with ``np.load(mmap_mode="r")``
(10,000,000 rows: 2.56 GB on disk). Each measurement runs in a fresh
process, after ``import skae`` and a warm-up fit of 64 in-memory rows:

- out-of-core fit: ``AutoencoderTransformer(2, epochs=2,
  early_stopping=False, batch_size=256)`` on the memmap;
- in-memory fit: the same estimator on the first 1,000,000 rows loaded
  into a NumPy array (the throughput to match);
- out-of-core transform: the estimator fitted on 10,000 in-memory rows,
  then ``transform`` of the whole memmap, after a warm-up transform of its
  first rows (just over skae's out-of-core threshold, so streamed as well:
  the first streamed call of a process grows the allocator's arenas, by
  some 10 to 60 MB, reported beside the table).

Peak memory growth is measured as in ``scaling.py``: the process's peak
resident memory (``VmHWM``, reset through ``/proc/self/clear_refs``) during
the call minus its resident memory just before it. Mapped pages of the
memmap count as resident while they are mapped; skae releases them after
each block it reads; inference reads a memmap's rows from its file
instead, so that they never count.

Goals (issue 14): the out-of-core fit grows peak memory by at most 400 MB
at a throughput (rows per second over both epochs) of at least 80% of the
in-memory fit's; the out-of-core transform grows it by at most 100 MB (its
output alone, 10,000,000 x 2 float32 codes, is 76 MB).

Run: ``python benchmarks/out_of_core.py`` (about 10 minutes and 2.6 GB of
disk in ``--folder``, deleted at the end; ``--quick`` uses 1,100,000 rows,
just over skae's 256 MB out-of-core threshold; ``--only transform`` or
``--only fit`` runs only those measurements, about a minute for the
transform, and checks only their goals). Writes
``docs/benchmarks/out_of_core.md`` unless ``--quick``, ``--only`` or
``--output`` says otherwise; ``--check`` exits 1 if a goal fails.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_ROWS = 10_000_000
QUICK_ROWS = 1_100_000
IN_MEMORY_ROWS = 1_000_000
QUICK_IN_MEMORY_ROWS = 200_000
BATCH_SIZE = 256
FIT_GOAL_MB = 400
TRANSFORM_GOAL_MB = 100
THROUGHPUT_GOAL = 0.8


def write_data(path, n_rows, seed=0):
    """Tiled digits plus noise, written to ``path`` (``.npy``) 100,000 rows at a time."""
    import numpy as np
    from sklearn.datasets import load_digits

    digits = (load_digits().data / 16.0).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_rows, 64))
    noise = np.random.RandomState(seed)
    for start in range(0, n_rows, 100_000):
        stop = min(start + 100_000, n_rows)
        rows = digits[np.arange(start, stop) % len(digits)]
        out[start:stop] = rows + 0.01 * noise.standard_normal(rows.shape).astype(np.float32)
    out.flush()
    del out


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


def worker(kind, path, n_rows, batch_size):
    from skae._startup import quiet_tensorflow_startup

    quiet_tensorflow_startup()
    import numpy as np

    from skae import AutoencoderTransformer
    from skae._input.streaming import STREAM_MIN_BYTES

    X = np.load(path, mmap_mode="r")
    params = dict(epochs=2, early_stopping=False, batch_size=batch_size, random_state=0)
    estimator = AutoencoderTransformer(2, **params)
    AutoencoderTransformer(2, **{**params, "epochs": 1}).fit(np.array(X[:64]))  # warm-up
    if kind == "fit-out-of-core":
        seconds, growth = measure(estimator.fit, X)
        n_rows = len(X)
    elif kind == "fit-in-memory":
        X = np.array(X[:n_rows])
        seconds, growth = measure(estimator.fit, X)
    else:
        estimator.fit(np.array(X[:10_000]))
        # warm-up of the streamed path (its first call in a process grows
        # the allocator's arenas, as in-memory transform's does): the
        # first rows, just over the out-of-core threshold
        warm_up = min(len(X), -(-STREAM_MIN_BYTES // X[0].nbytes) + 1)
        first_seconds, first_growth = measure(estimator.transform, X[:warm_up])
        seconds, growth = measure(estimator.transform, X)
        n_rows = len(X)
        return {
            "seconds": seconds,
            "memory_mb": growth,
            "rows_per_second": n_rows / seconds,
            "n_rows": n_rows,
            "warm_up_rows": warm_up,
            "warm_up_memory_mb": first_growth,
        }
    return {
        "seconds": seconds,
        "memory_mb": growth,
        "rows_per_second": 2 * n_rows / seconds,
        "n_rows": n_rows,
    }


def run_worker(kind, path, n_rows, batch_size):
    command = [sys.executable, __file__, "--worker", kind, path, str(n_rows), str(batch_size)]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, env=dict(os.environ)
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows")
    parser.add_argument("--folder", default=None, help="where to write the data file")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--output", default=None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal fails")
    parser.add_argument(
        "--only",
        choices=["fit", "transform"],
        help="run only these measurements (the fits or the transform); writes nothing",
    )
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, path, n_rows, batch_size = args.worker
        print(json.dumps(worker(kind, path, int(n_rows), int(batch_size))))
        return None

    n_rows = QUICK_ROWS if args.quick else N_ROWS
    in_memory_rows = QUICK_IN_MEMORY_ROWS if args.quick else IN_MEMORY_ROWS
    output = args.output or (
        None if args.quick or args.only else "docs/benchmarks/out_of_core.md"
    )
    kinds = [
        (kind, rows)
        for kind, rows in (
            ("fit-in-memory", in_memory_rows),
            ("fit-out-of-core", n_rows),
            ("transform-out-of-core", n_rows),
        )
        if args.only is None or kind.startswith(args.only)
    ]
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = os.path.join(folder, "rows.npy")
        write_data(path, n_rows)
        results = {}
        for kind, rows in kinds:
            results[kind] = result = run_worker(kind, path, rows, args.batch_size)
            print(
                f"{kind}: {result['n_rows']:,} rows, {result['seconds']:.1f} s, "
                f"{result['rows_per_second']:,.0f} rows/s, +{result['memory_mb']:.0f} MB",
                flush=True,
            )
        file_mb = os.path.getsize(path) / 2**20

    goals = []
    if "fit-out-of-core" in results:
        fit, reference = results["fit-out-of-core"], results["fit-in-memory"]
        ratio = fit["rows_per_second"] / reference["rows_per_second"]
        goals += [
            (
                f"out-of-core fit grows peak memory by <= {FIT_GOAL_MB} MB",
                fit["memory_mb"] <= FIT_GOAL_MB,
                f"{fit['memory_mb']:.0f} MB",
            ),
            (
                f"out-of-core fit throughput >= {THROUGHPUT_GOAL:.0%} of in-memory",
                ratio >= THROUGHPUT_GOAL,
                f"{ratio:.0%}",
            ),
        ]
    transform = results.get("transform-out-of-core")
    if transform is not None:
        goals.append(
            (
                f"out-of-core transform grows peak memory by <= {TRANSFORM_GOAL_MB} MB",
                transform["memory_mb"] <= TRANSFORM_GOAL_MB,
                f"{transform['memory_mb']:.0f} MB",
            )
        )
    passed = all(ok for _, ok, _ in goals)
    lines = [
        "| measurement | rows | seconds | rows per second | peak memory growth (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, result in results.items():
        lines.append(
            f"| {kind} | {result['n_rows']:,} | {result['seconds']:.1f} | "
            f"{result['rows_per_second']:,.0f} | {result['memory_mb']:.0f} |"
        )
    table = "\n".join(lines)
    warm_up = "" if transform is None else (
        f"The transform is measured after a warm-up transform of the memmap's first "
        f"{transform['warm_up_rows']:,} rows (out-of-core too), which grew peak "
        f"memory by {transform['warm_up_memory_mb']:.0f} MB in its fresh process. "
        f"The codes alone take {transform['n_rows'] * 2 * 4 / 2**20:.0f} MB."
    )
    verdicts = [
        f"goal: {goal}: {'PASS' if ok else 'FAIL'} (measured {value})"
        for goal, ok, value in goals
    ]
    print(table)
    if warm_up:
        print(warm_up)
    print("\n".join(verdicts))

    if output:
        from skae._startup import quiet_tensorflow_startup

        quiet_tensorflow_startup()
        from _common import measured_by  # imports Keras, which the workers measure alone

        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# Out-of-core fit and transform\n\n"
            f"`AutoencoderTransformer(2, epochs=2, early_stopping=False, "
            f"batch_size={args.batch_size})` on the digits tiled to {n_rows:,} rows "
            f"of 64 float32 features plus noise, in a memmap of {file_mb:,.0f} MB "
            f"on disk; the in-memory fit reads the first {in_memory_rows:,} rows as "
            "a NumPy array. Each measurement in a fresh process, after import and "
            "a warm-up fit; memory growth is peak resident memory during the call "
            "minus resident memory before it (mapped pages of the memmap "
            "included).\n\n"
            f"{table}\n\n{warm_up}\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n\n"
            + measured_by("benchmarks/out_of_core.py")
            + "\n"
        )
    if args.check and not passed:
        sys.exit(1)
    return results


if __name__ == "__main__":
    main()
