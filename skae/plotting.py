"""Displays: the pictures of an autoencoder, in scikit-learn's idiom.

Each Display follows ``sklearn.metrics.RocCurveDisplay``: a class method
``from_estimator`` computes what to draw from a fitted estimator and plots
it; the constructor takes already computed values; ``plot(ax=None, ...)``
draws on ``ax`` (a new figure when None) and sets ``figure_`` and ``ax_``.
Only Matplotlib is used and nothing is shown: the Displays work headless
(the Agg backend), and ``display.figure_.savefig(path)`` writes the picture.

This module imports neither Keras nor TensorFlow.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "AnomalyScoreDisplay",
    "LatentSpaceDisplay",
    "PCAComparisonDisplay",
    "ReconstructionDisplay",
    "SampleGridDisplay",
    "TrainingHistoryDisplay",
]

# t-SNE costs O(n log n) time with a large constant; beyond this many codes
# method="auto" projects them with PCA instead.
TSNE_MAX_SAMPLES = 5000

# Labels with at most this many distinct values are coloured as classes.
_MAX_CLASSES = 20


# ----------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------
def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            "skae.plotting needs Matplotlib; install it with `pip install matplotlib`."
        ) from exc
    return plt


def _axes(ax, figsize):
    """``(figure, ax)``: ``ax``'s figure, or a new figure and axes."""
    if ax is None:
        fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def _name_of(estimator, name):
    if name is not None:
        return name
    if hasattr(estimator, "steps"):  # a Pipeline: name its last step
        estimator = estimator.steps[-1][1]
    return type(estimator).__name__


def _as_rows(X):
    """X as a float ndarray of rows, and its image shape if X holds images."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"Expected numeric data, got an array of dtype {X.dtype}. Encode or "
            "drop the non-numeric columns first."
        )
    X = X.astype(np.float64, copy=False)
    if X.ndim in (3, 4):
        shape = tuple(X.shape[1:]) + ((1,) if X.ndim == 3 else ())
        return X.reshape(len(X), -1), shape
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise ValueError(f"Expected rows or images, got an array of shape {X.shape}.")
    return X, None


def _check_image_shape(image_shape, n_features):
    """``image_shape`` as ``(height, width, channels)``, checked against n_features."""
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 2:
        shape += (1,)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels), "
            f"got {image_shape!r}."
        )
    if int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {int(np.prod(shape))} values, but "
            f"each sample has {n_features}. Pass the shape of one image."
        )
    return shape


def _reconstruct(estimator, X):
    """The estimator's reconstruction of X, for skae's estimators and PCA alike."""
    if hasattr(estimator, "reconstruct"):
        return estimator.reconstruct(X)
    if hasattr(estimator, "inverse_transform") and hasattr(estimator, "transform"):
        return estimator.inverse_transform(estimator.transform(X))
    raise TypeError(
        f"{type(estimator).__name__} can not reconstruct data: it needs a "
        "reconstruct method, or transform and inverse_transform (as PCA has)."
    )


def _mosaic(images, n_cols, fill=np.nan):
    """Images ``(n, H, W, C)`` tiled into one array, one pixel of ``fill`` apart."""
    n, height, width, channels = images.shape
    n_rows = -(-n // n_cols)
    out = np.full(
        (n_rows * (height + 1) - 1, n_cols * (width + 1) - 1, channels), fill
    )
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        top, left = r * (height + 1), c * (width + 1)
        out[top : top + height, left : left + width] = image
    return out


def _show_images(ax, images, n_cols, *, vmin=None, vmax=None, **imshow_kwargs):
    """Draw images ``(n, H, W, C)`` as one tiled picture; returns the AxesImage.

    Three- and four-channel images are shown as RGB (their first three
    channels), others by their first channel in grey levels. All images share
    one intensity scale, from the smallest to the largest value shown unless
    ``vmin``/``vmax`` say otherwise.
    """
    finite = images[np.isfinite(images)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    if vmax <= vmin:  # constant images: any positive range shows them
        vmax = vmin + 1.0
    channels = images.shape[-1]
    if channels in (3, 4):
        scaled = np.clip((images[..., :3] - vmin) / (vmax - vmin), 0, 1)
        picture = _mosaic(scaled, n_cols, fill=1.0)
        image = ax.imshow(picture, interpolation="nearest", **imshow_kwargs)
    else:
        plt = _pyplot()
        cmap = plt.get_cmap(imshow_kwargs.pop("cmap", "gray")).with_extremes(bad="white")
        picture = _mosaic(images[..., :1], n_cols)[..., 0]
        image = ax.imshow(
            np.ma.masked_invalid(picture),
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
            **imshow_kwargs,
        )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _is_discrete(y):
    y = np.asarray(y)
    if y.dtype.kind in "OUSb":
        return True
    if y.dtype.kind in "iu":
        return len(np.unique(y)) <= _MAX_CLASSES
    return False


# ----------------------------------------------------------------------
# training history
# ----------------------------------------------------------------------
class TrainingHistoryDisplay:
    """Loss and validation loss per epoch, with learning-rate changes marked.

    Use :meth:`from_estimator` (a fitted skae estimator) or
    :meth:`from_history` (a ``keras.callbacks.History`` or its dict) to
    create one; the constructor takes the per-epoch values.

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss of each epoch.
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss of each epoch, when the estimator held data out.
    learning_rate : array-like of shape (n_epochs,), default=None
        Learning rate used in each epoch (skae's estimators record it when
        ``reduce_lr_on_plateau=True``).
    estimator_name : str, default=None
        Name shown in the title.

    Attributes
    ----------
    loss_line_ : matplotlib.lines.Line2D
        The training loss.
    val_loss_line_ : matplotlib.lines.Line2D or None
        The validation loss, None without it.
    learning_rate_changes_ : list of int
        The epochs (counted from 1) that first used a new learning rate; each
        is marked by a dotted vertical line.
    ax_ : matplotlib.axes.Axes
        Axes with the curves.
    figure_ : matplotlib.figure.Figure
        Figure containing the curves.

    See Also
    --------
    ReconstructionDisplay : Originals over their reconstructions.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import TrainingHistoryDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(epochs=3, random_state=0).fit(X[:200] / 16)
    >>> display = TrainingHistoryDisplay.from_estimator(ae, log_scale=True)
    >>> len(display.loss_line_.get_xdata()), display.ax_.get_yscale()
    (3, 'log')
    """

    def __init__(self, loss, *, val_loss=None, learning_rate=None, estimator_name=None):
        self.loss = loss
        self.val_loss = val_loss
        self.learning_rate = learning_rate
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, log_scale=False, name=None, ax=None, **kwargs):
        """Plot the training history of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted skae estimator (it has ``history_``), or a ``Pipeline``
            ending with one.
        log_scale : bool, default=False
            Plot the losses on a logarithmic axis.
        name : str, default=None
            Name shown in the title; the estimator's class name when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.plot`` for both
            curves.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
        check_is_fitted(final, "history_")
        display = cls.from_history(final.history_, estimator_name=_name_of(estimator, name))
        return display.plot(ax=ax, log_scale=log_scale, **kwargs)

    @classmethod
    def from_history(cls, history, *, estimator_name=None):
        """A display of a Keras training history, not yet plotted.

        Parameters
        ----------
        history : keras.callbacks.History or dict of list
            What ``keras.Model.fit`` returns, or its ``history`` dict (or an
            estimator's ``history_``), with a ``loss`` key.
        estimator_name : str, default=None
            Name shown in the title.

        Returns
        -------
        display : TrainingHistoryDisplay
            Call ``display.plot()`` to draw it.
        """
        history = getattr(history, "history", history)
        if not history or "loss" not in history:
            raise ValueError(
                "The training history has no 'loss': fit the estimator (or the "
                "Keras model) first."
            )
        def recorded(key):
            values = history.get(key)
            return None if values is None or len(values) == 0 else values

        return cls(
            history["loss"],
            val_loss=recorded("val_loss"),
            learning_rate=recorded("learning_rate"),
            estimator_name=estimator_name,
        )

    def plot(self, ax=None, *, log_scale=False, name=None, **kwargs):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        log_scale : bool, default=False
            Plot the losses on a logarithmic axis; they must all be positive
            (a VAE's loss in nats can be negative).
        name : str, default=None
            Name shown in the title; ``estimator_name`` when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.plot``.

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the computed values.
        """
        loss = np.asarray(self.loss, dtype=np.float64)
        val_loss = None if self.val_loss is None else np.asarray(self.val_loss, dtype=float)
        curves = [loss] if val_loss is None else [loss, val_loss]
        if log_scale and any(np.any(c[np.isfinite(c)] <= 0) for c in curves):
            raise ValueError(
                "log_scale=True needs positive losses, but some are zero or "
                "negative; plot them with log_scale=False."
            )
        name = name or self.estimator_name
        self.figure_, self.ax_ = _axes(ax, (6, 4))
        epochs = np.arange(1, len(loss) + 1)
        self.loss_line_ = self.ax_.plot(epochs, loss, label="loss", **kwargs)[0]
        self.val_loss_line_ = None
        if val_loss is not None:
            self.val_loss_line_ = self.ax_.plot(
                np.arange(1, len(val_loss) + 1), val_loss, label="val_loss", **kwargs
            )[0]
            best = int(np.nanargmin(val_loss))
            self.ax_.plot(
                best + 1,
                val_loss[best],
                "o",
                mfc="none",
                color=self.val_loss_line_.get_color(),
                label=f"best val_loss (epoch {best + 1})",
            )
        self.learning_rate_changes_ = self._mark_learning_rate()
        if log_scale:
            self.ax_.set_yscale("log")
        self.ax_.set_xlabel("epoch")
        self.ax_.set_ylabel("loss")
        self.ax_.set_title("Training history" + (f": {name}" if name else ""))
        self.ax_.grid(True, alpha=0.3)
        self.ax_.legend(loc="best")
        return self

    def _mark_learning_rate(self):
        if self.learning_rate is None or len(self.learning_rate) < 2:
            return []
        rates = np.asarray(self.learning_rate, dtype=np.float64)
        changed = np.flatnonzero(~np.isclose(rates[1:], rates[:-1], rtol=1e-6, atol=0))
        epochs = [int(i) + 2 for i in changed]  # the first epoch at the new rate
        for k, epoch in enumerate(epochs):
            self.ax_.axvline(
                epoch - 0.5,
                color="0.5",
                linestyle=":",
                linewidth=1,
                label="learning rate changed" if k == 0 else None,
            )
            self.ax_.annotate(
                f"lr {rates[epoch - 1]:.2g}",
                xy=(epoch - 0.5, 0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 3),
                textcoords="offset points",
                rotation=90,
                va="bottom",
                fontsize="x-small",
                color="0.4",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        return epochs


# ----------------------------------------------------------------------
# reconstructions
# ----------------------------------------------------------------------
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
    estimator_name : str, default=None
        Name shown in the title.

    Attributes
    ----------
    image_ : matplotlib.image.AxesImage or None
        The tiled images; None for tabular data.
    feature_errors_ : ndarray of shape (n_features,) or None
        Mean squared reconstruction error of each feature; None for images.
    bars_ : matplotlib.container.BarContainer or None
        The bars of the per-feature plot; None for images.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

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
            A fitted estimator with ``reconstruct`` (skae's), or with
            ``transform`` and ``inverse_transform`` (such as ``PCA``).
        X : array-like of shape (n_samples, n_features) or image array
            Rows, or images ``(n_samples, height, width[, channels])``.
        image_shape : tuple of int, default=None
            Shape of one image when X holds images as flat rows. When None,
            it is read from image arrays or the estimator's ``image_shape_``;
            if neither has one, X is tabular.
        n_samples : int, default=10
            Number of images shown (the first rows of X). Tabular data uses
            every row.
        X_reference : array-like of the shape of X, default=None
            Clean data to compare with, when X is corrupted (denoising).
        name : str, default=None
            Name shown in the title; the estimator's class name when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        **kwargs : dict
            Keyword arguments passed to ``plot``.

        Returns
        -------
        display : ReconstructionDisplay
        """
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        feature_names = getattr(X, "columns", None)
        if feature_names is None:
            feature_names = getattr(estimator, "feature_names_in_", None)
        rows, shape = _as_rows(X)
        if image_shape is not None:
            shape = _check_image_shape(image_shape, rows.shape[1])
        elif shape is None:
            shape = getattr(estimator, "image_shape_", None)
        reference = None if X_reference is None else _as_rows(X_reference)[0]
        if shape is not None:
            rows = rows[:n_samples]
            reference = None if reference is None else reference[:n_samples]
        # the estimator sees X as the user gave it (images, rows or a frame)
        given = X if shape is None else np.asarray(X)[:n_samples]
        reconstructed = _as_rows(_reconstruct(estimator, given))[0]
        display = cls(
            rows,
            reconstructed,
            image_shape=shape,
            X_reference=reference,
            feature_names=None if feature_names is None else list(feature_names),
            estimator_name=_name_of(estimator, name),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the images or the per-feature errors.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        name : str, default=None
            Name shown in the title; ``estimator_name`` when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.imshow``
            (images; e.g. ``cmap``, ``vmin``, ``vmax``) or
            ``matplotlib.axes.Axes.bar`` (tabular data).

        Returns
        -------
        display : ReconstructionDisplay
            Object that stores the computed values.
        """
        X = _as_rows(self.X)[0]
        X_reconstructed = _as_rows(self.X_reconstructed)[0]
        reference = None if self.X_reference is None else _as_rows(self.X_reference)[0]
        if X.shape != X_reconstructed.shape:
            raise ValueError(
                f"X has shape {X.shape} but X_reconstructed has shape "
                f"{X_reconstructed.shape}; they must match."
            )
        name = name or self.estimator_name
        self.image_ = self.feature_errors_ = self.bars_ = None
        if self.image_shape is not None:
            shape = _check_image_shape(self.image_shape, X.shape[1])
            self._plot_images(X, X_reconstructed, reference, shape, ax, kwargs)
        else:
            target = X if reference is None else reference
            self.feature_errors_ = np.mean((target - X_reconstructed) ** 2, axis=0)
            self._plot_feature_errors(ax, kwargs)
        if name:
            self.ax_.set_title(f"{self.ax_.get_title()}: {name}")
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
        self.figure_, self.ax_ = _axes(ax, (max(4.0, 0.7 * n + 1.2), 0.75 * len(groups) + 0.6))
        self.image_ = _show_images(self.ax_, images, n, **kwargs)
        height = shape[0] + 1
        self.ax_.set_yticks(
            [height * i + (shape[0] - 1) / 2 for i in range(len(groups))],
            [label for label, _ in groups],
        )
        self.ax_.tick_params(axis="y", length=0)
        self.ax_.set_title("Reconstructions")

    def _plot_feature_errors(self, ax, kwargs):
        errors = self.feature_errors_
        n_features = len(errors)
        names = self.feature_names
        if names is None or len(names) != n_features:
            names = [str(i) for i in range(n_features)]
        self.figure_, self.ax_ = _axes(ax, (max(5.0, min(0.3 * n_features, 10.0)), 4))
        self.bars_ = self.ax_.bar(np.arange(n_features), errors, **kwargs)
        if n_features <= 40:
            self.ax_.set_xticks(
                np.arange(n_features), [str(s) for s in names], rotation=90
            )
        self.ax_.set_xlabel("feature")
        self.ax_.set_ylabel("mean squared reconstruction error")
        self.ax_.set_title("Reconstruction error per feature")
        self.ax_.grid(True, axis="y", alpha=0.3)


# ----------------------------------------------------------------------
# latent space
# ----------------------------------------------------------------------
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
    estimator_name : str, default=None
        Name shown in the title.

    Attributes
    ----------
    scatter_ : matplotlib.collections.PathCollection
        The points.
    colorbar_ : matplotlib.colorbar.Colorbar or None
        Colour bar for continuous ``y``; None otherwise.
    ax_ : matplotlib.axes.Axes
        Axes with the scatter plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the scatter plot.

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
            Labels or values that colour the points.
        method : {"auto", "codes", "tsne", "pca"}, default="auto"
            "codes" plots codes of at most two components as they are;
            "tsne" projects them with ``sklearn.manifold.TSNE``; "pca" with
            ``PCA``. "auto" uses the codes when there are at most two
            components, else t-SNE for at most ``TSNE_MAX_SAMPLES`` = 5000
            samples (it is slow beyond) and PCA above.
        random_state : int, RandomState instance or None, default=0
            Seeds t-SNE.
        name : str, default=None
            Name shown in the title; the estimator's class name when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.scatter``.

        Returns
        -------
        display : LatentSpaceDisplay
        """
        codes = np.asarray(estimator.transform(X), dtype=np.float64)
        if codes.ndim != 2:
            raise ValueError(f"Expected codes of shape (n_samples, k), got {codes.shape}.")
        if y is not None and len(y) != len(codes):
            raise ValueError(
                f"y has {len(y)} values but X has {len(codes)} samples; give one "
                "label per sample."
            )
        embedding, method = _embed_2d(codes, method, random_state)
        display = cls(
            embedding, y=y, method=method, estimator_name=_name_of(estimator, name)
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the points.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        name : str, default=None
            Name shown in the title; ``estimator_name`` when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.scatter``.

        Returns
        -------
        display : LatentSpaceDisplay
            Object that stores the computed values.
        """
        embedding = np.asarray(self.embedding, dtype=np.float64)
        name = name or self.estimator_name
        self.figure_, self.ax_ = _axes(ax, (6, 5))
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
        title = "Latent space" + how.get(self.method, "")
        self.ax_.set_title(title + (f"\n{name}" if name else ""))
        return self


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


# ----------------------------------------------------------------------
# comparison with PCA
# ----------------------------------------------------------------------
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
        Name of the autoencoder in the legend.

    Attributes
    ----------
    pca_line_ : matplotlib.lines.Line2D
        PCA's errors.
    estimator_line_ : matplotlib.lines.Line2D
        The autoencoder's errors.
    ax_ : matplotlib.axes.Axes
        Axes with the curves.
    figure_ : matplotlib.figure.Figure
        Figure containing the curves.

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
            parameter; it is cloned for each code size, never changed.
        X : array-like of shape (n_samples, n_features) or image array
            Training data.
        X_test : array-like, default=None
            Data on which errors are measured; X itself when None.
        n_components : sequence of int, default=(2, 4, 8, 16, 32)
            The code sizes compared.
        name : str, default=None
            Name of the autoencoder in the legend; its class name when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        **kwargs : dict
            Keyword arguments passed to ``plot``.

        Returns
        -------
        display : PCAComparisonDisplay
        """
        X_test = X if X_test is None else X_test
        rows, _ = _as_rows(X)
        test_rows, _ = _as_rows(X_test)
        pca_errors, estimator_errors = [], []
        for k in n_components:
            pca = PCA(int(k)).fit(rows)
            pca_errors.append(_mse(test_rows, _reconstruct(pca, test_rows)))
            model = clone(estimator).set_params(n_components=int(k)).fit(X)
            estimator_errors.append(_mse(test_rows, _as_rows(_reconstruct(model, X_test))[0]))
        display = cls(
            list(n_components),
            pca_errors,
            estimator_errors,
            estimator_name=_name_of(estimator, name),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, log_scale=True, name=None):
        """Plot the two curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        log_scale : bool, default=True
            Logarithmic axes (base 2 for ``n_components``).
        name : str, default=None
            Name of the autoencoder in the legend; ``estimator_name`` when None.

        Returns
        -------
        display : PCAComparisonDisplay
            Object that stores the computed values.
        """
        ks = [int(k) for k in self.n_components]
        name = name or self.estimator_name or "autoencoder"
        self.figure_, self.ax_ = _axes(ax, (6, 4))
        self.pca_line_ = self.ax_.plot(ks, self.pca_errors, "o-", label="PCA")[0]
        self.estimator_line_ = self.ax_.plot(
            ks, self.estimator_errors, "s-", label=name
        )[0]
        if log_scale:
            self.ax_.set_xscale("log", base=2)
            self.ax_.set_yscale("log")
        self.ax_.set_xticks(ks, [str(k) for k in ks])
        self.ax_.xaxis.minorticks_off()  # the code sizes are the only ticks
        self.ax_.set_xlabel("n_components (code size)")
        self.ax_.set_ylabel("reconstruction MSE")
        self.ax_.set_title("Reconstruction error, PCA vs autoencoder")
        self.ax_.grid(True, which="major", alpha=0.3)
        self.ax_.legend(loc="best")
        return self


def _mse(X, X_reconstructed):
    return float(np.mean((np.asarray(X) - np.asarray(X_reconstructed)) ** 2))


# ----------------------------------------------------------------------
# generated samples
# ----------------------------------------------------------------------
class SampleGridDisplay:
    """A grid of images, such as the samples a VAE generates.

    Use :meth:`from_estimator` to draw samples from a fitted generative
    estimator (its ``sample`` method), or the constructor for any images,
    e.g. decoded latent points or per-pixel reconstruction errors.

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features) or image array
        The samples.
    image_shape : tuple of int, default=None
        Shape of one image when ``samples`` are flat rows. Without any image
        shape the samples are drawn as a heat map, one row per sample.
    estimator_name : str, default=None
        Name shown in the title.

    Attributes
    ----------
    image_ : matplotlib.image.AxesImage
        The grid (or heat map).
    ax_ : matplotlib.axes.Axes
        Axes with the grid.
    figure_ : matplotlib.figure.Figure
        Figure containing the grid.

    See Also
    --------
    skae.VariationalAutoencoderTransformer.sample : Generates the samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoderTransformer
    >>> from skae.plotting import SampleGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoderTransformer(epochs=3, random_state=0)
    >>> vae = vae.fit(X[:200] / 16)
    >>> display = SampleGridDisplay.from_estimator(
    ...     vae, n_samples=16, image_shape=(8, 8), random_state=0)
    >>> display.samples.shape
    (16, 64)
    """

    def __init__(self, samples, *, image_shape=None, estimator_name=None):
        self.samples = samples
        self.image_shape = image_shape
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_samples=16,
        image_shape=None,
        random_state=0,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Draw samples with the estimator's ``sample`` method and plot them.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with ``sample(n_samples, random_state)``, such
            as ``VariationalAutoencoderTransformer``.
        n_samples : int, default=16
            Number of samples.
        image_shape : tuple of int, default=None
            Shape of one image; read from the samples or the estimator's
            ``image_shape_`` when None.
        random_state : int, RandomState instance or None, default=0
            Seeds the samples.
        name : str, default=None
            Name shown in the title; the estimator's class name when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        **kwargs : dict
            Keyword arguments passed to ``plot``.

        Returns
        -------
        display : SampleGridDisplay
        """
        if not hasattr(estimator, "sample"):
            raise TypeError(
                f"{type(estimator).__name__} has no sample method; use a "
                "generative model such as VariationalAutoencoderTransformer."
            )
        samples = estimator.sample(n_samples, random_state=random_state)
        rows, shape = _as_rows(samples)
        if image_shape is not None:
            shape = _check_image_shape(image_shape, rows.shape[1])
        elif shape is None:
            shape = getattr(estimator, "image_shape_", None)
        display = cls(rows, image_shape=shape, estimator_name=_name_of(estimator, name))
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, n_cols=None, name=None, **kwargs):
        """Plot the grid.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        n_cols : int, default=None
            Images per row of the grid; about the square root of the number
            of samples when None.
        name : str, default=None
            Name shown in the title; ``estimator_name`` when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.imshow``.

        Returns
        -------
        display : SampleGridDisplay
            Object that stores the computed values.
        """
        rows, shape = _as_rows(self.samples)
        if self.image_shape is not None:
            shape = _check_image_shape(self.image_shape, rows.shape[1])
        name = name or self.estimator_name
        n = len(rows)
        if shape is not None:
            n_cols = n_cols or int(np.ceil(np.sqrt(n)))
            n_rows = -(-n // n_cols)
            self.figure_, self.ax_ = _axes(
                ax, (max(3.5, 0.6 * n_cols + 1), 0.6 * n_rows + 1.2)
            )
            self.image_ = _show_images(
                self.ax_, rows.reshape((-1,) + shape), n_cols, **kwargs
            )
        else:
            self.figure_, self.ax_ = _axes(ax, (6, 4))
            self.image_ = self.ax_.imshow(
                rows, aspect="auto", interpolation="nearest", **kwargs
            )
            self.figure_.colorbar(self.image_, ax=self.ax_)
            self.ax_.set_xlabel("feature")
            self.ax_.set_ylabel("sample")
        self.ax_.set_title("Generated samples" + (f"\n{name}" if name else ""))
        return self


# ----------------------------------------------------------------------
# anomaly scores
# ----------------------------------------------------------------------
class AnomalyScoreDisplay:
    """Histogram of outlier scores with the detector's threshold.

    Scores follow scikit-learn's convention (``score_samples``: higher is
    more normal); the threshold is the detector's ``offset_``, so samples
    left of it are predicted outliers. With labels ``y``, one histogram per
    label shows how well the scores separate them.

    Use :meth:`from_estimator` with any fitted detector that has
    ``score_samples`` (and ``offset_``), skae's ``AutoencoderOutlierDetector``
    or scikit-learn's ``IsolationForest`` alike.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        The scores (higher = more normal).
    offset : float, default=None
        The threshold; not drawn when None.
    y : array-like of shape (n_samples,), default=None
        Labels splitting the histogram: +1 / -1 (inlier / outlier, the
        outlier detectors' convention) or any other classes.
    estimator_name : str, default=None
        Name shown in the title.

    Attributes
    ----------
    patches_ : list of matplotlib.container.BarContainer
        The histogram bars, one container per label.
    threshold_line_ : matplotlib.lines.Line2D or None
        The threshold; None without ``offset``.
    ax_ : matplotlib.axes.Axes
        Axes with the histogram.
    figure_ : matplotlib.figure.Figure
        Figure containing the histogram.

    See Also
    --------
    skae.AutoencoderOutlierDetector : Scores by reconstruction error.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderOutlierDetector
    >>> from skae.plotting import AnomalyScoreDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> detector = AutoencoderOutlierDetector(epochs=3, random_state=0)
    >>> detector = detector.fit(X[:200] / 16)
    >>> display = AnomalyScoreDisplay.from_estimator(detector, X[200:400] / 16)
    >>> float(display.threshold_line_.get_xdata()[0]) == detector.offset_
    True
    """

    def __init__(self, scores, *, offset=None, y=None, estimator_name=None):
        self.scores = scores
        self.offset = offset
        self.y = y
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, name=None, ax=None, **kwargs):
        """Score X with a fitted detector and plot the histogram.

        Parameters
        ----------
        estimator : estimator instance
            A fitted outlier detector with ``score_samples``; its ``offset_``
            (when it has one) is drawn as the threshold.
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        y : array-like of shape (n_samples,), default=None
            Labels splitting the histogram, e.g. +1 for inliers and -1 for
            outliers.
        name : str, default=None
            Name shown in the title; the estimator's class name when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        **kwargs : dict
            Keyword arguments passed to ``plot``.

        Returns
        -------
        display : AnomalyScoreDisplay
        """
        scores = np.asarray(estimator.score_samples(X), dtype=np.float64)
        if y is not None and len(y) != len(scores):
            raise ValueError(
                f"y has {len(y)} values but X has {len(scores)} samples; give one "
                "label per sample."
            )
        display = cls(
            scores,
            offset=getattr(estimator, "offset_", None),
            y=y,
            estimator_name=_name_of(estimator, name),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, bins=30, name=None, **kwargs):
        """Plot the histogram and the threshold.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to plot on; a new figure when None.
        bins : int or sequence, default=30
            Bins shared by every label, as in ``numpy.histogram_bin_edges``.
        name : str, default=None
            Name shown in the title; ``estimator_name`` when None.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.hist``.

        Returns
        -------
        display : AnomalyScoreDisplay
            Object that stores the computed values.
        """
        scores = np.asarray(self.scores, dtype=np.float64)
        name = name or self.estimator_name
        self.figure_, self.ax_ = _axes(ax, (6, 4))
        edges = np.histogram_bin_edges(scores[np.isfinite(scores)], bins=bins)
        kwargs = {"alpha": 0.6 if self.y is not None else 0.85, **kwargs}
        self.patches_ = []
        for label, mask in _groups(self.y, len(scores)):
            self.patches_.append(
                self.ax_.hist(scores[mask], bins=edges, label=label, **kwargs)[2]
            )
        self.threshold_line_ = None
        if self.offset is not None:
            offset = float(self.offset)
            self.ax_.axvspan(
                min(edges[0], offset), offset, color="tab:red", alpha=0.08,
                label="predicted outliers",
            )
            self.threshold_line_ = self.ax_.axvline(
                offset, color="tab:red", linestyle="--",
                label=f"threshold (offset_ = {offset:.3g})",
            )
        self.ax_.set_xlabel("score_samples (higher = more normal)")
        self.ax_.set_ylabel("number of samples")
        self.ax_.set_title("Anomaly scores" + (f": {name}" if name else ""))
        if self.y is not None or self.offset is not None:
            self.ax_.legend(loc="upper left", fontsize="small")
        return self


def _groups(y, n_samples):
    """``(label, mask)`` of each histogram: one per class of y, or one in all."""
    if y is None:
        return [(None, np.ones(n_samples, dtype=bool))]
    y = np.asarray(y)
    classes = np.unique(y)
    if set(classes.tolist()) <= {-1, 1}:
        names = {1: "inliers (y = 1)", -1: "outliers (y = -1)"}
        return [(names[c], y == c) for c in (1, -1) if c in classes]
    return [(f"y = {c}", y == c) for c in classes]
