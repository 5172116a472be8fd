"""PCAComparisonDisplay: reconstruction error against code size, beside PCA."""

from sklearn.base import clone
from sklearn.decomposition import PCA

from ._shared import (
    as_rows,
    axes,
    estimator_name,
    fill_display_docs,
    final_estimator,
    reconstruct,
    reconstruction_mse,
    set_title,
)


@fill_display_docs
class PCAComparisonDisplay:
    """Reconstruction error against ``n_components``, PCA beside an autoencoder.

    Use :meth:`from_estimator` to fit both at each code size, or pass errors
    already measured (as ``skae demo`` does).

    Parameters
    ----------
    n_components : array-like of int
        The code sizes compared.
    pca_errors : array-like of float
        PCA's mean squared reconstruction error at each code size.
    estimator_errors : array-like of float
        The autoencoder's mean squared reconstruction error at each size.
    estimator_name : str, default=None
        Name of the autoencoder in the legend and the title.

    Attributes
    ----------
    pca_line_ : matplotlib.lines.Line2D
        PCA's errors.
    estimator_line_ : matplotlib.lines.Line2D
        The autoencoder's errors.
    {plot_attributes}

    See Also
    --------
    sklearn.decomposition.PCA : The linear baseline.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import PCAComparisonDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> display = PCAComparisonDisplay.from_estimator(
    ...     AutoencoderTransformer(epochs=3, random_state=0),
    ...     X[:200] / 16, X[200:300] / 16, n_components=(2, 4))
    >>> len(display.pca_errors), len(display.estimator_errors)
    (2, 2)
    """

    def __init__(self, n_components, pca_errors, estimator_errors, *, estimator_name=None):
        self.n_components = n_components
        self.pca_errors = pca_errors
        self.estimator_errors = estimator_errors
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        X_test=None,
        *,
        n_components=(2, 4, 8, 16, 32),
        name=None,
        ax=None,
        **kwargs,
    ):
        """Fit PCA and a copy of the estimator at each code size; plot errors.

        Parameters
        ----------
        estimator : estimator instance
            An unfitted (or fitted) autoencoder with an ``n_components``
            parameter, or a ``Pipeline`` ending with one; it is cloned for
            each code size, never changed. PCA is fitted on X as given, not
            on the output of the Pipeline's earlier steps.
        X : array-like of shape (n_samples, n_features) or image array
            Training data.
        X_test : array-like, default=None
            Data on which errors are measured; X itself when None.
        n_components : sequence of int, default=(2, 4, 8, 16, 32)
            The code sizes compared.
        name : str, default=None
            Name of the autoencoder in the legend and the title; its class
            name when None.
        {ax}
        {plot_kwargs}

        Returns
        -------
        {display}
        """
        X_test = X if X_test is None else X_test
        rows, _ = as_rows(X)
        test_rows, _ = as_rows(X_test)
        pca_errors, estimator_errors = [], []
        for k in n_components:
            pca = PCA(int(k)).fit(rows)
            pca_errors.append(reconstruction_mse(test_rows, reconstruct(pca, test_rows)))
            model = clone(estimator)
            # the clone is ours to change; a Pipeline's code size is its last step's
            final_estimator(model).set_params(n_components=int(k))
            model.fit(X)
            reconstructed = as_rows(reconstruct(model, X_test))[0]
            estimator_errors.append(reconstruction_mse(test_rows, reconstructed))
        display = cls(
            list(n_components),
            pca_errors,
            estimator_errors,
            estimator_name=estimator_name(estimator, name),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, log_scale=True, name=None, **kwargs):
        """Plot the two curves.

        Parameters
        ----------
        {ax}
        log_scale : bool, default=True
            Logarithmic axes (base 2 for ``n_components``).
        name : str, default=None
            Name of the autoencoder in the legend and the title;
            ``estimator_name`` when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.plot`` for both
            curves (PCA's is drawn with circles, the autoencoder's with
            squares, unless ``marker`` says otherwise).

        Returns
        -------
        {display}
        """
        ks = [int(k) for k in self.n_components]
        name = name or self.estimator_name
        self.figure_, self.ax_ = axes(ax, (6, 4))
        self.pca_line_ = self.ax_.plot(
            ks, self.pca_errors, label="PCA", **{"marker": "o", **kwargs}
        )[0]
        self.estimator_line_ = self.ax_.plot(
            ks,
            self.estimator_errors,
            label=name or "autoencoder",
            **{"marker": "s", **kwargs},
        )[0]
        if log_scale:
            self.ax_.set_xscale("log", base=2)
            self.ax_.set_yscale("log")
        self.ax_.set_xticks(ks, [str(k) for k in ks])
        self.ax_.xaxis.minorticks_off()  # the code sizes are the only ticks
        self.ax_.set_xlabel("n_components (code size)")
        self.ax_.set_ylabel("reconstruction MSE")
        set_title(self.ax_, "Reconstruction error against PCA", name)
        self.ax_.grid(True, which="major", alpha=0.3)
        self.ax_.legend(loc="best")
        return self
