"""skae: scikit-learn estimators for autoencoders, built on Keras 3."""

import importlib

from ._estimators.registry import ESTIMATORS
from ._version import __version__ as __version__

_PUBLIC = {
    **{entry.name: f"._estimators.{entry.module}" for entry in ESTIMATORS if entry.public},
    "BaseAutoencoder": "._estimators.base",
    "load": "._estimators.loading",
    "show_versions": "._show_versions",
    "trusted_types": "._estimators.registry",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    # Lazy: ``import skae.cli`` stays cheap and imports Keras (and so
    # TensorFlow) only when an estimator is first used, or show_versions called.
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
