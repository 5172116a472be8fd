"""The versions of skae and the libraries it runs on, for bug reports and benchmarks.

After scikit-learn's ``sklearn/utils/_show_versions.py``. Importing this
module imports neither Keras nor TensorFlow: package versions are read from
their installed metadata, and Keras is imported only to name its backend,
when :func:`show_versions` or :func:`_report_versions` is called.
"""

import platform
import sys
from importlib import metadata

from ._startup import quiet_keras_import

# The packages whose versions matter to a bug report, in the order printed.
_DEPENDENCIES = (
    "skae",
    "keras",
    "tensorflow",
    "jax",
    "torch",
    "scikit-learn",
    "scikeras",
    "numpy",
    "scipy",
    "matplotlib",
    "pandas",
)
# The packages, in this order, that benchmark reports (docs/benchmarks/*.md) end with.
_REPORT_PACKAGES = ("skae", "keras", "tensorflow", "scikit-learn", "numpy", "scikeras")


def _get_sys_info():
    """The Python interpreter and the machine.

    Returns
    -------
    sys_info : dict
        ``python``, ``executable`` and ``machine``.
    """
    return {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
    }


def _get_deps_info(packages=_DEPENDENCIES):
    """The installed versions of ``packages``, without importing them.

    Parameters
    ----------
    packages : tuple of str, default=_DEPENDENCIES
        Distribution names, such as ``"scikit-learn"``.

    Returns
    -------
    deps_info : dict
        The version of each package, in the order given; None for a package
        that is not installed. skae's own is ``skae.__version__``, the code
        that runs, even from a source tree that pip did not install.
    """
    from ._version import __version__

    deps_info = {}
    for name in packages:
        if name == "skae":
            deps_info[name] = __version__
            continue
        try:
            deps_info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            deps_info[name] = None
    return deps_info


def _get_keras_backend():
    """The name of Keras's backend (this imports Keras); None without Keras."""
    quiet_keras_import()
    try:
        import keras
    except ImportError:
        return None
    return keras.backend.backend()


def _report_versions():
    """The versions a benchmark report ends with, as ``{name: version}``.

    The packages of ``_REPORT_PACKAGES`` ("not installed" for a missing one),
    then ``keras backend`` and ``python``. ``skae demo``'s ``results.md`` and
    the reports in ``docs/benchmarks/`` print them as "with skae 0.1.0,
    keras 3.15.1, ..., keras backend tensorflow, python 3.11.7."
    """
    versions = {
        name: "not installed" if version is None else version
        for name, version in _get_deps_info(_REPORT_PACKAGES).items()
    }
    versions["keras backend"] = _get_keras_backend()
    versions["python"] = platform.python_version()
    return versions


def _get_threadpool_info():
    """The BLAS and OpenMP thread pools loaded so far; ``[]`` without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return threadpool_info()


def show_versions():
    """Print the system and the versions of skae's dependencies.

    For bug reports: paste its output into the issue. It lists the Python
    interpreter and the machine, the versions of skae, Keras (and its
    backend), TensorFlow, JAX, scikit-learn, scikeras, NumPy, SciPy,
    Matplotlib and pandas ("not installed" for those that are not), and the
    BLAS and OpenMP thread pools, as :func:`sklearn.show_versions` does.

    Calling it imports Keras, and so TensorFlow, to name the Keras backend;
    importing skae does not.

    See Also
    --------
    sklearn.show_versions : The same report for scikit-learn.

    Examples
    --------
    >>> import skae
    >>> skae.show_versions()  # doctest: +SKIP
    <BLANKLINE>
    System:
            python: 3.11.7 (main, ...) [GCC 12.2.0]
        executable: /.../bin/python
           machine: Linux-...-x86_64-with-glibc2.36
    <BLANKLINE>
    Python dependencies:
              skae: 0.1.0
             keras: 3.15.1
     keras backend: tensorflow
        tensorflow: 2.21.0
               jax: not installed
             torch: not installed
    ...
    """
    print("\nSystem:")
    for name, value in _get_sys_info().items():
        print(f"{name:>14}: {value}")

    print("\nPython dependencies:")
    for name, version in _get_deps_info().items():
        print(f"{name:>14}: {'not installed' if version is None else version}")
        if name == "keras" and version is not None:
            print(f"{'keras backend':>14}: {_get_keras_backend()}")

    pools = _get_threadpool_info()
    if pools:
        print("\nThreadpoolctl info:")
        for i, pool in enumerate(pools):
            if i:
                print()
            for key, value in pool.items():
                print(f"{key:>18}: {value}")
