"""``skae.load``: a skae file back into an estimator of a known class."""

from sklearn.base import BaseEstimator

from .._io.reading import read_estimator
from .registry import estimator_classes


def load(path, custom_objects=None):
    """Load an estimator saved with its ``save`` method.

    Nothing in the file is executed: the estimator's class comes from skae's
    own (or from ``custom_objects``), the arrays are read without pickle,
    and each network's configuration is checked (no ``Lambda`` layer, no
    object from outside Keras and skae) before Keras builds it in
    ``safe_mode``. Every piece is checked against every other before the
    estimator is returned (the user guide's "Saving and serving" lists the
    checks), so that a damaged or edited file is refused here rather than
    failing, or answering wrongly, later.

    Parameters
    ----------
    path : str or path-like or binary file object
        A file written by ``est.save``.
    custom_objects : dict, default=None
        Functions or classes by name: for a network that uses an object not
        registered with Keras (a plain Python ``activation``), for a
        parameter left out at saving whose function is given here by name,
        and for an estimator class of your own (a subclass of
        :class:`skae.BaseAutoencoder`, say), given by its class name. Only
        objects you hand over are used; a file naming any other class is
        refused.

    Returns
    -------
    estimator : object
        The fitted estimator, giving the same outputs as the one saved.

    Raises
    ------
    ValueError
        If the file is not a skae file, was written by a newer skae, names
        an estimator class neither skae's nor in ``custom_objects``, or was
        damaged or edited: an unexpected or missing member, pickled arrays,
        a ``Lambda`` layer, JSON nested too deep, or any piece that
        disagrees with the class's declared fitted attributes or with
        another piece (a NaN in ``mean_``, a network of another code size,
        an entry named like a method...). The message names the member, the
        attribute and what is wrong.

    Warns
    -----
    skae.exceptions.InconsistentVersionWarning
        If another version of skae or Keras wrote the file.

    See Also
    --------
    AutoencoderTransformer.save : Write the file.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer, load
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(n_components=2, epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "ae.skae")
    >>> _ = ae.save(path)
    >>> loaded = load(path)
    >>> bool((loaded.transform(X) == ae.transform(X)).all())
    True
    """
    classes = estimator_classes()
    for name, obj in (custom_objects or {}).items():
        if isinstance(obj, type) and issubclass(obj, BaseEstimator) and name not in classes:
            classes[name] = obj
    return read_estimator(path, classes=classes, custom_objects=custom_objects)
