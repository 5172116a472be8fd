"""AutoencoderTransformer: a nonlinear drop-in replacement for PCA."""

from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from .base import BaseAutoencoder
from .parameters import fill_shared_docs


@fill_shared_docs()
class AutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder
):
    """Autoencoder dimensionality reduction with the API of ``PCA``.

    A Keras encoder maps each sample to ``n_components`` codes and a decoder
    maps the codes back; both are trained to minimise the mean squared
    reconstruction error. ``transform`` returns the codes,
    ``inverse_transform`` decodes them and ``score`` is minus the mean squared
    reconstruction error, so the estimator drops into a ``Pipeline`` or
    ``GridSearchCV`` wherever ``PCA`` does.

    The input is centred per feature and divided by one global scale before
    the network (the inverse is applied to its output), so training is well
    conditioned whatever the data's units while the loss stays proportional
    to the plain mean squared error. With ``loss="binary_crossentropy"`` the
    data must lie in [0, 1] and is used as it is.

    Parameters
    ----------
    {n_components}
    {autoencoder_parameters}

    Attributes
    ----------
    {network_attributes}
    {data_attributes}

    See Also
    --------
    sklearn.decomposition.PCA : The linear counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=4, epochs=5, random_state=0)
    >>> ae.fit_transform(X / 16).shape
    (1797, 4)
    >>> ae.inverse_transform(ae.transform(X[:3] / 16)).shape
    (3, 64)
    """

    # Bound here, not inherited, because set_output(transform="pandas") wraps
    # only the methods a class defines itself.
    transform = BaseAutoencoder.transform

    @property
    def _n_features_out(self):
        # the fitted code size (AttributeError before fit, so that
        # get_feature_names_out raises NotFittedError then)
        return self.n_components_
