"""skae writes nothing to stderr at default settings, and starts its command fast."""

import ast
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import skae
from skae import _startup

from .conftest import FAST

ROOT = pathlib.Path(skae.__file__).parent


def _fresh_python(code, env=None, cwd=None):
    """``code`` run by a fresh interpreter with the user's default environment.

    The test process sets ``TF_CPP_MIN_LOG_LEVEL`` (tests/conftest.py): the
    child starts without it, as a user's process would.
    """
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        cwd=cwd or ROOT.parent,
    )


# The README's first snippet (fewer epochs), on float64 or float32 input; the
# last line checks that file descriptor 2 still reaches the terminal.
README_SNIPPET = """
import os, sys
import numpy as np
from sklearn.datasets import load_digits
from skae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
X = (X / 16).astype({dtype!r})
ae = AutoencoderTransformer(n_components=8, random_state=0, epochs=3).fit(X)
codes = ae.transform(X)
X_back = ae.inverse_transform(codes)
ae.score(X)
ae.transform(X[:1])
os.write(2, b"stderr still works\\n")
"""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_readme_snippet_writes_nothing_to_stderr(dtype):
    # no TensorFlow start-up lines (Keras imported quietly, skae/_startup.py),
    # no "Not handling type DT_DOUBLE" from float64 inference
    # (_compat.without_remapper), no warnings
    result = _fresh_python(README_SNIPPET.format(dtype=dtype))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == "stderr still works\n"


def test_tensorflow_imported_first_is_left_as_it_is():
    # a user who imported TensorFlow first: skae hides nothing of its
    # start-up; its own float64 inference is still quiet
    code = """
    import os, sys, io
    import tensorflow as tf
    os.write(2, b"--- imported\\n")
    import numpy as np
    from skae import AutoencoderTransformer
    X = np.random.default_rng(0).random((50, 6))
    ae = AutoencoderTransformer(2, random_state=0, epochs=2).fit(X)
    ae.transform(X)
    """
    result = _fresh_python(code, env={"KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 0, result.stderr[-3000:]
    after = result.stderr.split("--- imported\n", 1)[1]
    assert "DT_DOUBLE" not in after
    # only what TensorFlow prints when it first looks for devices, if anything
    assert all("cuda" in line.lower() for line in after.splitlines()), after


def test_quiet_import_leaves_an_imported_tensorflow_and_the_users_variable_alone(monkeypatch):
    def fail():
        raise AssertionError("file descriptor 2 silenced")

    monkeypatch.setattr(_startup, "_stderr_silenced", fail)
    assert "tensorflow" in sys.modules or "keras" in sys.modules
    _startup.quiet_keras_import()  # already imported: nothing done
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    _startup.quiet_keras_import()  # the user's variable: TensorFlow logs as it says
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL")
    with pytest.raises(AssertionError, match="silenced"):
        _startup.quiet_keras_import()


def _imports_at_module_level(path, names=("keras", "tensorflow")):
    """Whether ``path`` imports one of ``names`` outside functions, and the hook's line."""
    tree = ast.parse(path.read_text())
    first_import, hook = None, None
    for node in tree.body:
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots = {node.module.split(".")[0]}
        else:
            roots = set()
            call = getattr(node, "value", None)
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "quiet_keras_import":
                hook = hook or node.lineno
        if roots & set(names) and first_import is None:
            first_import = node.lineno
    return first_import, hook


def _hooked(path):
    first_import, hook = _imports_at_module_level(path)
    if hook is not None and (first_import is None or hook < first_import):
        return True
    package = path.parent
    while package != ROOT.parent:
        init = package / "__init__.py"
        if init.exists() and _imports_at_module_level(init)[1] is not None:
            return True
        package = package.parent
    return False


def test_every_module_importing_keras_imports_it_quietly_first():
    # whichever skae module a user (or pickle) imports first, Keras comes in
    # through quiet_keras_import
    modules = [p for p in ROOT.rglob("*.py") if _imports_at_module_level(p)[0] is not None]
    assert len(modules) > 10  # the scan sees them
    unhooked = [str(p.relative_to(ROOT)) for p in modules if not _hooked(p)]
    assert not unhooked, f"call _startup.quiet_keras_import() before importing Keras in {unhooked}"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    import numpy as np

    from skae import AutoencoderTransformer

    path = tmp_path_factory.mktemp("model") / "model.skae"
    X = np.random.default_rng(0).random((30, 3))
    AutoencoderTransformer(2, **FAST).fit(X).save(path)
    return path


def test_help_info_and_usage_errors_import_no_numerical_library(model_file, tmp_path):
    # what answers at once imports neither Keras, TensorFlow nor scikit-learn
    # (a second each); timings vary by machine, sys.modules does not
    code = f"""
    import contextlib, io, sys
    from skae import cli
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["--help"]) == 0
        assert cli.main(["transform", "--help"]) == 0
        assert cli.main(["info", {str(model_file)!r}]) == 0
        assert cli.main(["info", {str(model_file)!r}, "--json"]) == 0
        assert cli.main(["transform"]) == 2
        assert cli.main(["embed", "data.csv", "--n-components", "-3", "-o", "x.csv"]) == 2
        assert cli.main(["nonsense"]) == 2
    heavy = ("keras", "tensorflow", "jax", "torch", "sklearn", "scipy", "pandas", "matplotlib")
    print(sorted(m for m in heavy if m in sys.modules))
    """
    result = _fresh_python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1] == "[]"
