"""skae: scikit-learn estimators for autoencoders, built on Keras 3."""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "AutoencoderTransformer": "._autoencoder",
    "AutoencoderOutlierDetector": "._outlier",
    "DenoisingAutoencoder": "._denoising",
    "VariationalAutoencoderTransformer": "._variational",
    "load": "._persistence",
    "show_versions": "._show_versions",
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
