"""The one list of skae's estimator classes.

Every place that names skae's estimators reads it: ``skae``'s public names,
``skae.load`` (which classes a file may hold), the command line's
``--model`` (without importing Keras: the table is plain data),
the fine-tuning bridge, and ``AutoencoderOutlierDetector``'s backbones.
A class is imported when first asked for, as ``skae``'s public names are;
resolving a backbone imports only the backbone's module, which imports
nothing of the detector.
"""

import importlib
from typing import NamedTuple


class Entry(NamedTuple):
    """One estimator class of skae."""

    name: str  # the class name: ``skae.<name>`` and the name saved in files
    module: str  # its module, in ``skae._estimators``
    command: str | None  # ``skae fit --model <command>`` (None: not offered there)
    embeds: bool  # whether ``skae embed --model`` offers it (a transformer)
    backbone: str | None = None  # ``AutoencoderOutlierDetector(backbone=...)``
    public: bool = True  # ``skae.<name>``; False: a backbone the detector builds


ESTIMATORS = (
    Entry("AutoencoderTransformer", "autoencoder", "autoencoder", True, "autoencoder"),
    Entry("VariationalAutoencoderTransformer", "variational", "vae", True, "variational"),
    Entry("DenoisingAutoencoder", "denoising", "denoising", True),
    Entry("AutoencoderOutlierDetector", "outlier", "detector", False),
    # needs conditions y, which the command line does not read
    Entry("ConditionalVariationalAutoencoder", "conditional", None, False),
    # AutoencoderOutlierDetector(condition_columns=...)'s backbone
    Entry("ConditionalAutoencoder", "conditional_autoencoder", None, False, public=False),
)
BACKBONES = tuple(entry.backbone for entry in ESTIMATORS if entry.backbone)


def estimator_class(entry):
    """The class of ``entry``, its module imported on first use."""
    return getattr(importlib.import_module(f"{__package__}.{entry.module}"), entry.name)


def estimator_classes(*, public=False):
    """``{class name: class}`` of every skae estimator (the public ones only with ``public``)."""
    return {
        entry.name: estimator_class(entry)
        for entry in ESTIMATORS
        if entry.public or not public
    }


def trusted_types():
    """The names of skae's estimator classes, for skops to trust when loading.

    skops (and so MLflow's default ``skops`` format for scikit-learn models)
    loads only the types it trusts: scikit-learn's, NumPy's and SciPy's by
    default. The state of a skae estimator is plain data (arrays, numbers,
    strings, its networks as bytes of ``.keras`` files, read in Keras's safe
    mode), so its class is the one type to add. Pass the list as
    ``skops.io.load(path, trusted=skae.trusted_types())`` or
    ``mlflow.sklearn.log_model(est, name=..., skops_trusted_types=skae.trusted_types())``.
    It names skae's own classes only: list your own subclasses yourself.

    Returns
    -------
    list of str
        The full names (module and class) of every skae estimator class,
        computed without importing Keras.

    See Also
    --------
    skae.load : Load an estimator saved with ``save``, trusting nothing from the file.

    Examples
    --------
    >>> import skae
    >>> skae.trusted_types()[0]
    'skae._estimators.autoencoder.AutoencoderTransformer'
    """
    return [f"{__package__}.{entry.module}.{entry.name}" for entry in ESTIMATORS]


# the backbones of AutoencoderOutlierDetector(condition_columns=...)
CONDITIONAL_BACKBONES = {
    "autoencoder": "ConditionalAutoencoder",
    "variational": "ConditionalVariationalAutoencoder",
}


def backbone_class(backbone, *, conditional=False):
    """The estimator class of ``AutoencoderOutlierDetector(backbone=backbone)``.

    ``conditional``: its conditional twin, for a detector with condition columns.
    """
    if conditional:
        (entry,) = (e for e in ESTIMATORS if e.name == CONDITIONAL_BACKBONES[backbone])
    else:
        (entry,) = (e for e in ESTIMATORS if e.backbone == backbone)
    return estimator_class(entry)
