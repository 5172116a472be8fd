"""ReconstructionDisplay: originals over their reconstructions, or per-feature errors."""

import numpy as np

from .._validation import check_image_shape
from ._shared import (
    as_rows,
    axes,
    check_positive_int,
    estimator_name,
    fill_display_docs,
    reconstruct,
    rows_and_image_shape,
    set_title,
    show_images,
)


@fill_display_docs
class ReconstructionDisplay:
    """Originals over their reconstructions, or the error of each feature.

    For images (``image_shape`` given), the first row shows the samples and
    the second their reconstructions, with a row of clean references on top
    when ``X_reference`` is given (the clean images of a denoising
    autoencoder's noisy input). For tabular data (``image_shape=None``), a
    bar per feature shows its mean squared reconstruction error, so that the
    features the model fails to reconstruct stand out.

    Use :meth:`from_estimator` to create one from a fitted estimator.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples, as rows.
    X_reconstructed : ndarray of shape (n_samples, n_features)
        Their reconstructions.
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)`` of one image:
        draw images. None draws the per-feature error.
    X_reference : ndarray of shape (n_samples, n_features), default=None
        Clean data the reconstructions should match when it differs from X
        (for denoising); errors are then measured against it.
    feature_names : array-like of str, default=None
        Names of the features, for the per-feature plot.
    {estimator_name}

    Attributes
    ----------
    image_ : matplotlib.image.AxesImage or None
        The tiled images; None for tabular data.
    feature_errors_ : ndarray of shape (n_features,) or None
        Mean squared reconstruction error of each feature; None for images.
    bars_ : matplotlib.container.BarContainer or None
        The bars of the per-feature plot; None for images.
    {plot_attributes}

    See Also
    --------
    LatentSpaceDisplay : The codes in two dimensions.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(epochs=3, random_state=0).fit(X[:200] / 16)
    >>> display = ReconstructionDisplay.from_estimator(
    ...     ae, X[200:210] / 16, image_shape=(8, 8))
    >>> display.image_.get_array().shape  # 2 rows of 10 images, 1 pixel apart
    (17, 89)
    """

    def __init__(
        self,
        X,
        X_reconstructed,
        *,
        image_shape=None,
        X_reference=None,
        feature_names=None,
        estimator_name=None,
    ):
        self.X = X
        self.X_reconstructed = X_reconstructed
        self.image_shape = image_shape
        self.X_reference = X_reference
        self.feature_names = feature_names
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        image_shape=None,
        n_samples=10,
        X_reference=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Reconstruct X with a fitted estimator and plot the result.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with ``reconstruct`` (skae's), a ``Pipeline``
            ending with one (its reconstruction is mapped back through the
            earlier steps' ``inverse_transform``), or an estimator with
            ``transform`` and ``inverse_transform`` (such as ``PCA``).
        X : array-like of shape (n_samples, n_features) or image array
            Rows, or images ``(n_samples, height, width[, channels])``.
        image_shape : tuple of int, default=None
            Shape of one image when X holds images as flat rows. When None,
            it is read from image arrays or the estimator's ``image_shape_``
            (a Pipeline's last step's); if neither has one, X is tabular.
        n_samples : int, default=10
            Number of images shown (the first rows of X). Tabular data uses
            every row.
        X_reference : array-like of the shape of X, default=None
            Clean data to compare with, when X is corrupted (denoising).
        {name_ax_kwargs}

        Returns
        -------
        {display}
        """
        check_positive_int(n_samples, "n_samples")
        feature_names = getattr(X, "columns", None)
        if feature_names is None:
            feature_names = getattr(estimator, "feature_names_in_", None)
        rows, shape = rows_and_image_shape(X, image_shape, estimator)
        reference = None if X_reference is None else as_rows(X_reference)[0]
        if shape is not None:
            rows = rows[:n_samples]
            reference = None if reference is None else reference[:n_samples]
        # the estimator sees X as the user gave it (images, rows or a frame)
        given = X if shape is None else np.asarray(X)[:n_samples]
        reconstructed = as_rows(reconstruct(estimator, given))[0]
        display = cls(
            rows,
            reconstructed,
            image_shape=shape,
            X_reference=reference,
            feature_names=None if feature_names is None else list(feature_names),
            estimator_name=estimator_name(estimator, name),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the images or the per-feature errors.

        Parameters
        ----------
        {ax}
        {plot_name}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.imshow``
            (images; e.g. ``cmap``, ``vmin``, ``vmax``) or
            ``matplotlib.axes.Axes.bar`` (tabular data).

        Returns
        -------
        {display}
        """
        X = as_rows(self.X)[0]
        X_reconstructed = as_rows(self.X_reconstructed)[0]
        reference = None if self.X_reference is None else as_rows(self.X_reference)[0]
        if X.shape != X_reconstructed.shape:
            raise ValueError(
                f"X has shape {X.shape} but X_reconstructed has shape "
                f"{X_reconstructed.shape}; they must match."
            )
        self.image_ = self.feature_errors_ = self.bars_ = None
        if self.image_shape is not None:
            shape = check_image_shape(self.image_shape, X.shape[1])
            self._plot_images(X, X_reconstructed, reference, shape, ax, kwargs)
            what = "Reconstructions"
        else:
            target = X if reference is None else reference
            self.feature_errors_ = np.mean((target - X_reconstructed) ** 2, axis=0)
            self._plot_feature_errors(ax, kwargs)
            what = "Reconstruction error per feature"
        set_title(self.ax_, what, name or self.estimator_name)
        return self

    def _plot_images(self, X, X_reconstructed, reference, shape, ax, kwargs):
        groups = [("input" if reference is not None else "original", X)]
        if reference is not None:
            groups.insert(0, ("clean", reference))
        groups.append(("reconstruction", X_reconstructed))
        n = len(X)
        images = np.concatenate([rows for _, rows in groups]).reshape((-1,) + shape)
        # the originals' range, so that a reconstruction's small overshoots
        # do not wash out the grey levels of every image
        originals = groups[0][1]
        kwargs = {"vmin": float(originals.min()), "vmax": float(originals.max()), **kwargs}
        self.figure_, self.ax_ = axes(ax, (max(4.0, 0.7 * n + 1.2), 0.75 * len(groups) + 0.6))
        self.image_ = show_images(self.ax_, images, n, **kwargs)
        height = shape[0] + 1
        self.ax_.set_yticks(
            [height * i + (shape[0] - 1) / 2 for i in range(len(groups))],
            [label for label, _ in groups],
        )
        self.ax_.tick_params(axis="y", length=0)

    def _plot_feature_errors(self, ax, kwargs):
        errors = self.feature_errors_
        n_features = len(errors)
        names = self.feature_names
        if names is None or len(names) != n_features:
            names = [str(i) for i in range(n_features)]
        self.figure_, self.ax_ = axes(ax, (max(5.0, min(0.3 * n_features, 10.0)), 4))
        self.bars_ = self.ax_.bar(np.arange(n_features), errors, **kwargs)
        if n_features <= 40:
            self.ax_.set_xticks(
                np.arange(n_features), [str(s) for s in names], rotation=90
            )
        self.ax_.set_xlabel("feature")
        self.ax_.set_ylabel("mean squared reconstruction error")
        self.ax_.grid(True, axis="y", alpha=0.3)
