"""LatentSpaceDisplay: the codes of the samples in two dimensions."""

import numpy as np
from sklearn.decomposition import PCA

from ._shared import (
    axes,
    check_one_label_per_sample,
    estimator_name,
    fill_display_docs,
    set_title,
)

# t-SNE costs O(n log n) time with a large constant; beyond this many codes
# method="auto" projects them with PCA instead.
TSNE_MAX_SAMPLES = 5000

# Labels with at most this many distinct values are coloured as classes.
_MAX_CLASSES = 20


@fill_display_docs
class LatentSpaceDisplay:
    """The codes of the samples in two dimensions, coloured by label.

    Codes of two components are plotted as they are; longer codes are
    projected to two dimensions with t-SNE or PCA first.

    Use :meth:`from_estimator` to create one from a fitted estimator.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
        The two-dimensional points to plot.
    y : array-like of shape (n_samples,), default=None
        Labels or values that colour the points: classes (strings, booleans
        or at most 20 distinct integers) get a legend, other numbers a
        colour bar.
    method : str, default="codes"
        How ``embedding`` was made from the codes ("codes", "tsne" or
        "pca"); names the axes.
    {estimator_name}

    Attributes
    ----------
    scatter_ : matplotlib.collections.PathCollection
        The points.
    colorbar_ : matplotlib.colorbar.Colorbar or None
        Colour bar for continuous ``y``; None otherwise.
    {plot_attributes}

    See Also
    --------
    sklearn.manifold.TSNE : The projection used for long codes.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=2, epochs=3, random_state=0)
    >>> ae = ae.fit(X[:200] / 16)
    >>> display = LatentSpaceDisplay.from_estimator(ae, X[:200] / 16, y[:200])
    >>> display.embedding.shape, display.method
    ((200, 2), 'codes')
    """

    def __init__(self, embedding, *, y=None, method="codes", estimator_name=None):
        self.embedding = embedding
        self.y = y
        self.method = method
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        method="auto",
        random_state=0,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Encode X with a fitted estimator and plot the codes in 2-D.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with ``transform`` (any skae transformer, or a
            ``Pipeline`` ending with one).
        X : array-like of shape (n_samples, n_features) or image array
            Data to encode.
        y : array-like of shape (n_samples,), default=None
            Labels or values that colour the points; for
            ``ConditionalVariationalAutoencoder``, its conditions, which X is
            encoded with (the latent space coloured by condition).
        method : {"auto", "codes", "tsne", "pca"}, default="auto"
            "codes" plots codes of at most two components as they are;
            "tsne" projects them with ``sklearn.manifold.TSNE``; "pca" with
            ``PCA``. "auto" uses the codes when there are at most two
            components, else t-SNE for at most 5000 samples (it is slow
            beyond) and PCA above.
        random_state : int, RandomState instance or None, default=0
            Seeds t-SNE.
        {name}
        {ax}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.scatter``.

        Returns
        -------
        {display}
        """
        # a conditional model encodes X given y: y is then also the colour
        reads_y = hasattr(estimator, "encode_conditions") and (
            getattr(estimator, "condition_type_", None) != "columns"
        )
        codes = estimator.transform(X, y) if reads_y else estimator.transform(X)
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2:
            raise ValueError(f"Expected codes of shape (n_samples, k), got {codes.shape}.")
        check_one_label_per_sample(y, len(codes))
        embedding, method = _embed_2d(codes, method, random_state)
        display = cls(
            embedding, y=y, method=method, estimator_name=estimator_name(estimator, name)
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the points.

        Parameters
        ----------
        {ax}
        {plot_name}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.scatter``.

        Returns
        -------
        {display}
        """
        embedding = np.asarray(self.embedding, dtype=np.float64)
        self.figure_, self.ax_ = axes(ax, (6, 5))
        kwargs = {"s": 8, "alpha": 0.8, **kwargs}
        self.colorbar_ = None
        if self.y is None:
            self.scatter_ = self.ax_.scatter(embedding[:, 0], embedding[:, 1], **kwargs)
        elif _is_discrete(self.y):
            classes, codes = np.unique(np.asarray(self.y), return_inverse=True)
            cmap = "tab10" if len(classes) <= 10 else "tab20"
            self.scatter_ = self.ax_.scatter(
                embedding[:, 0], embedding[:, 1], c=codes, cmap=cmap,
                vmin=-0.5, vmax=len(classes) - 0.5 if len(classes) > 1 else 0.5,
                **kwargs,
            )
            handles = self.scatter_.legend_elements(num=list(range(len(classes))))[0]
            self.ax_.legend(
                handles, [str(c) for c in classes], title="y", loc="best",
                fontsize="small", markerscale=0.8,
            )
        else:
            self.scatter_ = self.ax_.scatter(
                embedding[:, 0], embedding[:, 1], c=np.asarray(self.y, float), **kwargs
            )
            self.colorbar_ = self.figure_.colorbar(self.scatter_, ax=self.ax_, label="y")
        labels = {"codes": "code {}", "tsne": "t-SNE {}", "pca": "PC {}"}
        label = labels.get(self.method, "component {}")
        start = 0 if self.method == "codes" else 1
        self.ax_.set_xlabel(label.format(start))
        self.ax_.set_ylabel(label.format(start + 1))
        how = {"tsne": " (t-SNE of the codes)", "pca": " (PCA of the codes)"}
        set_title(
            self.ax_, "Latent space" + how.get(self.method, ""), name or self.estimator_name
        )
        return self


def _is_discrete(y):
    y = np.asarray(y)
    if y.dtype.kind in "OUSb":
        return True
    if y.dtype.kind in "iu":
        return len(np.unique(y)) <= _MAX_CLASSES
    return False


def _embed_2d(codes, method, random_state):
    """The codes in two dimensions, and the method that put them there."""
    allowed = ("auto", "codes", "tsne", "pca")
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}.")
    n_samples, n_components = codes.shape
    if method == "auto":
        if n_components <= 2:
            method = "codes"
        else:
            method = "tsne" if n_samples <= TSNE_MAX_SAMPLES else "pca"
    if method == "codes":
        if n_components > 2:
            raise ValueError(
                f"method='codes' plots codes of at most 2 components, but they "
                f"have {n_components}. Use method='tsne' or method='pca'."
            )
        if n_components == 1:  # one code: a strip along the x axis
            return np.column_stack([codes[:, 0], np.zeros(n_samples)]), method
        return codes, method
    if method == "tsne" and n_samples >= 4:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (n_samples - 1) / 3)
        tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=random_state)
        return tsne.fit_transform(codes), method
    n_pca = min(2, n_components, n_samples)
    embedding = PCA(n_pca).fit_transform(codes)
    if n_pca < 2:
        embedding = np.column_stack([embedding, np.zeros((n_samples, 2 - n_pca))])
    return embedding, "pca"
