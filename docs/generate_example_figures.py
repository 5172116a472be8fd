"""Run every example in full and keep its figures for the docs.

Each script in ``examples/`` runs in ``docs/examples/figures/`` (where it
writes its PNG files, which the example pages show) and its printed output
is saved next to them as ``NAME.txt``, which the pages include. Takes a
while (every example trains in full); run it after changing an example::

    .venv/bin/python docs/generate_example_figures.py [NAME ...]

``make docs`` does not run it: it builds from the figures already there.
"""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "examples" / "figures"


def main(names):
    FIGURES.mkdir(parents=True, exist_ok=True)
    scripts = sorted((ROOT / "examples").glob("*.py"))
    if names:
        scripts = [s for s in scripts if s.stem in names]
    for script in scripts:
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=FIGURES,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise SystemExit(f"{script.name} failed")
        (FIGURES / f"{script.stem}.txt").write_text(result.stdout)
        print(f"{script.name}: {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
