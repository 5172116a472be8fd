"""skae.show_versions: the report to paste into a bug report."""

import platform
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import sklearn

import skae
from skae._show_versions import _get_deps_info, _get_sys_info, _report_versions


def test_show_versions_prints_system_dependencies_and_backend(capsys):
    assert skae.show_versions() is None
    out = capsys.readouterr().out
    assert "\nSystem:\n" in out and "\nPython dependencies:\n" in out
    for name in ("python", "executable", "machine"):
        assert f"{name}: " in out
    assert f"    executable: {sys.executable}\n" in out
    assert f"          skae: {skae.__version__}\n" in out
    assert f"         keras: {keras.__version__}\n" in out
    assert f" keras backend: {keras.backend.backend()}\n" in out
    assert f"  scikit-learn: {sklearn.__version__}\n" in out
    assert f"         numpy: {np.__version__}\n" in out
    for name in ("tensorflow", "jax", "torch", "scikeras", "scipy", "matplotlib", "pandas"):
        assert f"{name:>14}: " in out
    # the dependencies come after the system, one line each
    assert out.index("System:") < out.index("Python dependencies:") < out.index("skae:")


def test_a_package_that_is_not_installed_is_none():
    deps = _get_deps_info(("scikit-learn", "no-such-package-skae-test"))
    assert deps == {"scikit-learn": sklearn.__version__, "no-such-package-skae-test": None}


def test_sys_info_names_the_interpreter():
    info = _get_sys_info()
    assert list(info) == ["python", "executable", "machine"]
    assert info["executable"] == sys.executable
    assert info["python"].startswith(platform.python_version())


def test_report_versions_are_the_benchmark_footer():
    """docs/benchmarks/*.md end with these names, in this order."""
    versions = _report_versions()
    assert list(versions) == [
        "skae",
        "keras",
        "tensorflow",
        "scikit-learn",
        "numpy",
        "scikeras",
        "keras backend",
        "python",
    ]
    assert versions["skae"] == skae.__version__
    assert versions["keras"] == keras.__version__
    assert versions["keras backend"] == keras.backend.backend()
    assert versions["python"] == platform.python_version()
    assert None not in versions.values()


def test_importing_skae_and_show_versions_does_not_import_tensorflow():
    code = (
        "import sys, skae, skae.cli; skae.show_versions; "
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],  # this checkout's skae
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "[]"
